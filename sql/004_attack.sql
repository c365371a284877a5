-- provgate schema, version 4: attack resistance. Client addresses that
-- fail too often are locked out, decoy (honeytoken) devices lock out
-- whoever fetches them, and the legacy shared directory is fenced.
--
-- The worker gets no grant on the new table: it calls two SECURITY DEFINER
-- functions with a fixed search_path, which can do only what they say.
-- (Version 3 belongs to the SIP NOTIFY work.)

BEGIN;

INSERT INTO provgate.schema_migrations (version, name)
VALUES (4, 'attack');

-- One row per client address that has failed recently. failures counts the
-- refusals since window_start; locked_until is set when they reach the
-- limit (or at once for a decoy).
CREATE TABLE provgate.client_lockouts (
    client_addr      inet PRIMARY KEY,
    window_start     timestamptz NOT NULL DEFAULT now(),
    failures         integer NOT NULL DEFAULT 0,
    last_failure_at  timestamptz NOT NULL DEFAULT now(),
    last_reason      text NOT NULL,
    locked_at        timestamptz,
    locked_until     timestamptz,
    lock_count       integer NOT NULL DEFAULT 0
);

-- A decoy looks like any device, but no phone holds its URL: a fetch of it
-- means a leaked configuration or someone walking MACs.
ALTER TABLE provgate.devices
    ADD COLUMN decoy boolean NOT NULL DEFAULT false;

-- Is the address locked out right now? One primary-key probe.
CREATE FUNCTION provgate.client_locked(addr inet)
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
        FROM provgate.client_lockouts
        WHERE client_addr = addr
          AND locked_until > now()
    )
$$;

-- Counts one failure of addr and locks it for lock_seconds once
-- max_failures have happened within window_seconds (the window starts at
-- the first failure). Returns true only when this call locked the address,
-- so that the caller logs a lockout once. A locked address is not counted
-- again: its requests are refused before they can fail.
CREATE FUNCTION provgate.note_failure(addr inet, reason text,
                                      max_failures integer,
                                      window_seconds integer,
                                      lock_seconds integer)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    counted integer;
    was_locked boolean;
BEGIN
    -- Addresses that neither failed nor were locked for a day are
    -- forgotten, now and then, so that a scan from many addresses does not
    -- grow the table for ever.
    IF random() < 0.01 THEN
        DELETE FROM provgate.client_lockouts
        WHERE last_failure_at < now() - interval '1 day'
          AND (locked_until IS NULL OR locked_until < now());
    END IF;

    INSERT INTO provgate.client_lockouts AS l
        (client_addr, failures, last_reason)
    VALUES (addr, 1, left(reason, 40))
    ON CONFLICT (client_addr) DO UPDATE
    SET failures = CASE
            WHEN l.window_start <= now() - make_interval(secs => window_seconds)
            THEN 1 ELSE l.failures + 1 END,
        window_start = CASE
            WHEN l.window_start <= now() - make_interval(secs => window_seconds)
            THEN now() ELSE l.window_start END,
        last_failure_at = now(),
        last_reason = left(reason, 40)
    RETURNING l.failures, coalesce(l.locked_until > now(), false)
    INTO counted, was_locked;

    IF was_locked OR counted < max_failures THEN
        RETURN false;
    END IF;

    UPDATE provgate.client_lockouts
    SET locked_at = now(),
        locked_until = now() + make_interval(secs => lock_seconds),
        lock_count = lock_count + 1,
        failures = 0,
        window_start = now()
    WHERE client_addr = addr;

    RETURN true;
END
$$;

-- The legacy shared directory, fenced: a device must be flagged legacy to
-- use it (when legacy_flagged_only is set), and the one-shot bootstrap
-- records when it moved the device to a secret URL of its own.
ALTER TABLE provgate.devices
    ADD COLUMN legacy boolean NOT NULL DEFAULT false,
    ADD COLUMN bootstrapped_at timestamptz;

-- Gives the device a new token hash (the worker minted the token and hands
-- it to the phone once) and closes the shared path for it. Only the first
-- caller wins, so that two racing fetches cannot both get a URL. Never
-- for a decoy or a revoked device.
CREATE FUNCTION provgate.bootstrap_device(device_id bigint, new_hash bytea)
RETURNS boolean
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH moved AS (
        UPDATE provgate.devices
        SET token_hash = new_hash,
            token_issued_at = now(),
            bootstrapped_at = now()
        WHERE id = device_id
          AND bootstrapped_at IS NULL
          AND NOT decoy
          AND revoked_at IS NULL
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM moved)
$$;

REVOKE ALL ON FUNCTION provgate.bootstrap_device(bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provgate.bootstrap_device(bigint, bytea)
    TO provgate_worker;
GRANT SELECT (legacy, bootstrapped_at) ON provgate.devices TO provgate_worker;

-- A device whose token was presented by a second identity (another MAC in
-- the User-Agent, another verified certificate) can be quarantined until
-- the operator releases it (provgatectl release).
ALTER TABLE provgate.devices
    ADD COLUMN quarantined_at timestamptz,
    ADD COLUMN quarantine_reason text;

CREATE FUNCTION provgate.quarantine_device(device_id bigint, reason text)
RETURNS void
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE provgate.devices
    SET quarantined_at = coalesce(quarantined_at, now()),
        quarantine_reason = coalesce(quarantine_reason, left(reason, 40))
    WHERE id = device_id
      AND NOT decoy
$$;

REVOKE ALL ON FUNCTION provgate.quarantine_device(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provgate.quarantine_device(bigint, text)
    TO provgate_worker;
GRANT SELECT (quarantined_at) ON provgate.devices TO provgate_worker;

-- Rotation with overlap: the new token's hash and the new token sealed
-- with a key that only the worker and provgatectl hold (never in clear),
-- and the end of the grace period during which the old token still works.
ALTER TABLE provgate.devices
    ADD COLUMN pending_token_hash bytea UNIQUE
        CHECK (octet_length(pending_token_hash) = 32),
    ADD COLUMN pending_token_sealed text,
    ADD COLUMN grace_until timestamptz;

-- The first fetch through the new URL makes it the device's only token.
CREATE FUNCTION provgate.promote_token(device_id bigint, presented bytea)
RETURNS boolean
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH promoted AS (
        UPDATE provgate.devices
        SET token_hash = pending_token_hash,
            token_issued_at = now(),
            pending_token_hash = NULL,
            pending_token_sealed = NULL,
            grace_until = NULL
        WHERE id = device_id
          AND pending_token_hash = presented
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM promoted)
$$;

REVOKE ALL ON FUNCTION provgate.promote_token(bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provgate.promote_token(bigint, bytea)
    TO provgate_worker;
GRANT SELECT (pending_token_hash, pending_token_sealed, grace_until)
    ON provgate.devices TO provgate_worker;

REVOKE ALL ON FUNCTION provgate.client_locked(inet) FROM PUBLIC;
REVOKE ALL ON FUNCTION provgate.note_failure(inet, text, integer, integer,
                                             integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provgate.client_locked(inet) TO provgate_worker;
GRANT EXECUTE ON FUNCTION provgate.note_failure(inet, text, integer, integer,
                                                integer) TO provgate_worker;

GRANT SELECT (decoy) ON provgate.devices TO provgate_worker;
GRANT SELECT, DELETE ON provgate.client_lockouts TO provgate_admin;

COMMIT;
