-- provgate schema, version 6: device identity. A device can require a
-- verified client certificate of its own, and the worker remembers which
-- identity (verified certificate, User-Agent's vendor and model) used a
-- device's token, so that a second identity presenting the same token is
-- recorded as an alert and, if the site wants, quarantines the device.
--
-- The worker may read the new device columns but not change them: it
-- calls one SECURITY DEFINER function with a fixed search_path, which
-- fills in what is not remembered yet or records the alert. provgatectl
-- (provgate_admin) sets the certificate flag, shows and clears the
-- remembered identity and reads the alerts.

BEGIN;

INSERT INTO provgate.schema_migrations (version, name)
VALUES (6, 'identity');

-- The per-device certificate requirement, besides require_client_cert and
-- require_client_cert_vendors in the worker's configuration.
ALTER TABLE provgate.devices
    ADD COLUMN require_client_cert boolean NOT NULL DEFAULT false;

-- The identity that used the device's token first, in two independent
-- parts, each NULL until a request showed it:
--   identity_cert: the verified client certificate, "<subject DN> issued
--     by <issuer DN>" as nginx passes them (RFC 2253). Only the vendor's
--     CA can issue another certificate with the same names, and a renewed
--     certificate keeps them.
--   identity_user_agent: "<vendor> <model>" as the User-Agent states
--     them, lower case; never the firmware version, which an upgrade
--     changes.
-- identity_seen_at is when the first part was remembered.
ALTER TABLE provgate.devices
    ADD COLUMN identity_cert text
        CHECK (identity_cert <> '' AND identity_cert !~ '[[:cntrl:]]'),
    ADD COLUMN identity_user_agent text
        CHECK (identity_user_agent <> ''
               AND identity_user_agent !~ '[[:cntrl:]]'),
    ADD COLUMN identity_seen_at timestamptz;

-- One row per request whose identity differed from the remembered one.
-- Like fetch_audit, device_id has no foreign key, so that the history
-- outlives a deleted device. The token appears only as its prefix.
CREATE TABLE provgate.identity_alerts (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alerted_at            timestamptz NOT NULL DEFAULT now(),
    device_id             bigint NOT NULL,
    mac                   text NOT NULL,
    client_addr           inet,
    token_prefix          text,
    remembered_cert       text,
    remembered_user_agent text,
    presented_cert        text,
    presented_user_agent  text,
    quarantined           boolean NOT NULL
);

CREATE INDEX identity_alerts_device_idx
    ON provgate.identity_alerts (device_id, alerted_at);

-- Compares the identity a request with the device's valid token presented
-- against the remembered one, under the device row's lock so that two
-- racing first requests cannot both be remembered. A part is compared
-- only when both sides have it: a request without a verified certificate
-- (or without a recognised User-Agent) says nothing about that part.
--
-- If a part differs, nothing is remembered; the alert row is written,
-- the device is quarantined when quarantine is true, and the result is
-- true. Otherwise the parts not remembered yet are filled in and the
-- result is false. Never for a decoy: it has no identity to protect.
CREATE FUNCTION provgate.note_identity(device_id bigint, cert text,
                                       user_agent text, client inet,
                                       token_prefix text, quarantine boolean)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    presented_cert text := nullif(left(cert, 512), '');
    presented_ua text := nullif(left(user_agent, 128), '');
BEGIN
    SELECT id, mac, identity_cert, identity_user_agent
    INTO d
    FROM provgate.devices
    WHERE id = note_identity.device_id
      AND NOT decoy
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    IF (d.identity_cert IS NOT NULL AND presented_cert IS NOT NULL
        AND d.identity_cert <> presented_cert)
       OR (d.identity_user_agent IS NOT NULL AND presented_ua IS NOT NULL
           AND d.identity_user_agent <> presented_ua) THEN
        INSERT INTO provgate.identity_alerts
            (device_id, mac, client_addr, token_prefix, remembered_cert,
             remembered_user_agent, presented_cert, presented_user_agent,
             quarantined)
        VALUES (d.id, d.mac, client, left(token_prefix, 6), d.identity_cert,
                d.identity_user_agent, presented_cert, presented_ua,
                quarantine);
        IF quarantine THEN
            UPDATE provgate.devices
            SET quarantined_at = coalesce(quarantined_at, now()),
                quarantine_reason = coalesce(quarantine_reason,
                                             'second_identity')
            WHERE id = d.id;
        END IF;
        RETURN true;
    END IF;

    -- Nothing differs: remember the parts seen for the first time.
    UPDATE provgate.devices
    SET identity_cert = coalesce(identity_cert, presented_cert),
        identity_user_agent = coalesce(identity_user_agent, presented_ua),
        identity_seen_at = coalesce(identity_seen_at, now())
    WHERE id = d.id
      AND ((identity_cert IS NULL AND presented_cert IS NOT NULL)
           OR (identity_user_agent IS NULL AND presented_ua IS NOT NULL));
    RETURN false;
END
$$;

REVOKE ALL ON FUNCTION provgate.note_identity(bigint, text, text, inet, text,
                                              boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provgate.note_identity(bigint, text, text, inet,
                                                 text, boolean)
    TO provgate_worker;
GRANT SELECT (require_client_cert, identity_cert, identity_user_agent)
    ON provgate.devices TO provgate_worker;

-- The admin already has SELECT and UPDATE on devices (sql/002_roles.sql).
GRANT SELECT, DELETE ON provgate.identity_alerts TO provgate_admin;

COMMIT;
