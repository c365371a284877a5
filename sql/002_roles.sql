-- provgate schema, version 2: the two roles and their privileges.
--
-- provgate_worker: the FastCGI worker. It reads the device columns and the
-- account view that a lookup needs and inserts audit rows; nothing else.
-- provgate_admin: provgatectl and the DBA's day-to-day work: manages
-- devices and extensions and reads the audit table.
--
-- Both are created NOLOGIN; give them LOGIN (and a password or a pg_hba
-- rule) or grant them to login roles, as the site prefers. Creating roles
-- needs CREATEROLE.

BEGIN;

INSERT INTO provgate.schema_migrations (version, name)
VALUES (2, 'roles');

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'provgate_worker') THEN
        CREATE ROLE provgate_worker NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'provgate_admin') THEN
        CREATE ROLE provgate_admin NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA provgate FROM PUBLIC;
GRANT USAGE ON SCHEMA provgate TO provgate_worker, provgate_admin;

-- The worker: the view runs with its owner's rights, so the worker needs no
-- grant on the tables behind it.
GRANT SELECT (id, mac, vendor, model, extension, token_hash, expires_at,
              revoked_at)
    ON provgate.devices TO provgate_worker;
GRANT SELECT ON provgate.sip_accounts TO provgate_worker;
GRANT INSERT ON provgate.fetch_audit TO provgate_worker;

-- The admin.
GRANT SELECT, INSERT, UPDATE, DELETE
    ON provgate.devices, provgate.extensions TO provgate_admin;
GRANT SELECT
    ON provgate.sip_accounts, provgate.fetch_audit, provgate.schema_migrations
    TO provgate_admin;

COMMIT;
