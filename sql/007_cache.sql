-- provgate schema, version 7: change notifications for the workers' device
-- cache. A worker keeps the devices it recently looked up by token in
-- memory; it must hear at once of any change that could alter what it
-- serves (a revocation, a rotation, a quarantine), and it does through
-- NOTIFY on the channel provgate_cache. Any role may LISTEN, and the
-- triggers run as whoever changes the rows. The workers also keep the
-- list of locked-out client addresses in memory, so that a phone's request
-- costs no lockout query; the one grant below lets them read that list.
--
-- Payloads: "device 12,15" names the devices whose rows changed; "all"
-- asks the workers to drop every device (more rows changed than a payload
-- should carry, or the accounts changed); "lockouts" asks them to read the
-- list of locked addresses again.
--
-- Sites that back provgate.sip_accounts with tables of their own may add
-- the same statement trigger to those tables; without it a worker may
-- serve an account's old values for up to lookup_cache.ttl_seconds
-- (README.md, "Performance").
--
-- (Version 6 belongs to the device identity work.)

BEGIN;

INSERT INTO provgate.schema_migrations (version, name)
VALUES (7, 'cache');

-- One notification per statement, not per row: a bulk update of many
-- devices sends "all" once. Inserts need none, as a worker caches only
-- devices it found, never the absence of one.
CREATE FUNCTION provgate.notify_devices_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids text;
    n bigint;
BEGIN
    SELECT count(*), string_agg(id::text, ',') INTO n, ids FROM old_rows;
    IF n > 0 THEN
        PERFORM pg_notify('provgate_cache',
                          CASE WHEN n > 500 THEN 'all'
                               ELSE 'device ' || ids END);
    END IF;
    RETURN NULL;
END
$$;

-- PostgreSQL allows transition tables on single-event triggers only: one
-- trigger for updates, one for deletes, the same function.
CREATE TRIGGER devices_notify_update
    AFTER UPDATE ON provgate.devices
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION provgate.notify_devices_changed();

CREATE TRIGGER devices_notify_delete
    AFTER DELETE ON provgate.devices
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION provgate.notify_devices_changed();

-- Accounts change seldom and may change in bulk: any change drops the
-- workers' whole cache.
CREATE FUNCTION provgate.notify_accounts_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('provgate_cache', 'all');
    RETURN NULL;
END
$$;

CREATE TRIGGER extensions_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON provgate.extensions
    FOR EACH STATEMENT EXECUTE FUNCTION provgate.notify_accounts_changed();

-- The addresses locked out now, and for how many seconds more. The worker
-- role has no grant on client_lockouts; this is all it may see of it.
CREATE FUNCTION provgate.current_lockouts()
RETURNS TABLE (client_addr inet, seconds_left double precision)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.client_addr, extract(epoch FROM l.locked_until - now())::float8
    FROM provgate.client_lockouts AS l
    WHERE l.locked_until > now()
$$;

REVOKE ALL ON FUNCTION provgate.current_lockouts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provgate.current_lockouts() TO provgate_worker;

-- An address locked (note_failure sets locked_until) or cleared
-- (provgatectl lockouts clear deletes the row). Counting failures touches
-- neither column and sends nothing.
CREATE FUNCTION provgate.notify_lockouts_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('provgate_cache', 'lockouts');
    RETURN NULL;
END
$$;

CREATE TRIGGER client_lockouts_notify
    AFTER UPDATE OF locked_until OR DELETE OR TRUNCATE
    ON provgate.client_lockouts
    FOR EACH STATEMENT EXECUTE FUNCTION provgate.notify_lockouts_changed();

-- The Plug-and-Play window of version 3 closed once per audit statement
-- instead of once per row: the workers now write their audit rows in
-- batches (one COPY each), and the row trigger ran an UPDATE of devices for
-- every file served, which cost more than the insert itself.
DROP TRIGGER fetch_audit_pnp_close ON provgate.fetch_audit;
DROP FUNCTION provgate.pnp_close_window();

CREATE FUNCTION provgate.pnp_close_windows()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE provgate.devices AS d
    SET pnp_window_until = NULL
    WHERE d.pnp_window_until IS NOT NULL
      AND d.pnp_answered_at IS NOT NULL
      AND d.id IN (SELECT n.device_id
                   FROM new_rows AS n
                   WHERE n.outcome = 'served'
                     AND n.device_id IS NOT NULL
                     AND NOT n.legacy);
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION provgate.pnp_close_windows() FROM PUBLIC;

CREATE TRIGGER fetch_audit_pnp_close
    AFTER INSERT ON provgate.fetch_audit
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION provgate.pnp_close_windows();

COMMIT;
