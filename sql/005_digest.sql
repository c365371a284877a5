-- provgate schema, version 5: optional HTTP Digest authentication per
-- device (RFC 7616, algorithm SHA-256). Only the user and HA1, the hex of
-- SHA-256("user:realm:password"), are stored; the password never is.
--
-- The worker may read the two columns to check a phone's Authorization
-- header; provgatectl (provgate_admin) sets and removes them.

BEGIN;

INSERT INTO provgate.schema_migrations (version, name)
VALUES (5, 'digest');

ALTER TABLE provgate.devices
    ADD COLUMN digest_user text,
    ADD COLUMN digest_ha1  text,
    ADD CONSTRAINT devices_digest_ha1_check
        CHECK (digest_ha1 ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT devices_digest_user_check
        CHECK (digest_user <> '' AND digest_user !~ '[[:cntrl:]":]'),
    ADD CONSTRAINT devices_digest_pair_check
        CHECK ((digest_user IS NULL) = (digest_ha1 IS NULL));

GRANT SELECT (digest_user, digest_ha1) ON provgate.devices TO provgate_worker;
GRANT SELECT (digest_user, digest_ha1), UPDATE (digest_user, digest_ha1)
    ON provgate.devices TO provgate_admin;

COMMIT;
