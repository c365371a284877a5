-- provgate schema, version 3: SIP Plug-and-Play.
--
-- An operator opens a window for one device ("provgatectl activate ...
-- --pnp-window 30m"). While it is open, the responder (provgate-pnp)
-- answers that MAC's SUBSCRIBE: it mints a fresh token, stores only its
-- SHA-256 here (replacing the previous one) and sends the URL to the phone.
-- The window closes when the phone has fetched through that URL (a trigger
-- on provgate.fetch_audit) or when its time is up. Nothing here ever holds a
-- clear token.
--
-- provgate_pnp: the responder's role. It may call provgate.pnp_answer and
-- nothing else: it cannot read or change devices, accounts or audit rows
-- except through that one function.

BEGIN;

INSERT INTO provgate.schema_migrations (version, name)
VALUES (3, 'pnp');

ALTER TABLE provgate.devices
    ADD COLUMN pnp_window_until timestamptz,
    ADD COLUMN pnp_answered_at timestamptz;

-- One row per Plug-and-Play SUBSCRIBE the responder read: what it answered
-- or why it did not. outcome is one of answered, no_mac, unknown_device,
-- revoked, expired, disabled, outside_window.
CREATE TABLE provgate.pnp_audit (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    client_addr   inet,
    mac           text,
    device_id     bigint,
    vendor        text,
    outcome       text NOT NULL,
    token_prefix  text,
    request_uri   text,
    event         text,
    user_agent    text
);

CREATE INDEX pnp_audit_received_at_idx ON provgate.pnp_audit (received_at);

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'provgate_pnp') THEN
        CREATE ROLE provgate_pnp NOLOGIN;
    END IF;
END
$$;

-- The responder's one entry point. It decides, replaces the token hash when
-- it answers, and writes the audit row, all in the caller's transaction.
-- SECURITY DEFINER with a fixed search_path: it runs with its owner's
-- rights, so the role that calls it needs no grant on the tables.
CREATE FUNCTION provgate.pnp_answer(p_mac text, p_token_hash bytea,
                                    p_token_prefix text, p_client inet,
                                    p_request_uri text, p_event text,
                                    p_user_agent text)
RETURNS TABLE (outcome text, device_id bigint, vendor text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d        provgate.devices%ROWTYPE;
    enabled  boolean;
    result   text;
BEGIN
    IF p_mac IS NULL THEN
        result := 'no_mac';
    ELSE
        SELECT * INTO d FROM provgate.devices WHERE mac = p_mac FOR UPDATE;
        IF NOT FOUND THEN
            result := 'unknown_device';
        ELSIF d.revoked_at IS NOT NULL THEN
            result := 'revoked';
        ELSIF d.expires_at <= now() THEN
            result := 'expired';
        ELSIF d.pnp_window_until IS NULL OR d.pnp_window_until <= now() THEN
            result := 'outside_window';
        ELSE
            SELECT a.enabled INTO enabled
            FROM provgate.sip_accounts AS a
            WHERE a.extension = d.extension;
            IF enabled IS NOT TRUE THEN
                result := 'disabled';
            ELSE
                UPDATE provgate.devices
                SET token_hash = p_token_hash,
                    token_issued_at = now(),
                    pnp_answered_at = now()
                WHERE id = d.id;
                result := 'answered';
            END IF;
        END IF;
    END IF;

    INSERT INTO provgate.pnp_audit
        (client_addr, mac, device_id, vendor, outcome, token_prefix,
         request_uri, event, user_agent)
    VALUES (p_client, p_mac, d.id, d.vendor, result,
            CASE WHEN result = 'answered' THEN p_token_prefix END,
            p_request_uri, p_event, p_user_agent);

    RETURN QUERY SELECT result, d.id, d.vendor;
END
$$;

-- Closes a device's window once the phone has fetched through the URL the
-- responder gave it. The worker only inserts audit rows and cannot write
-- devices, so the trigger runs as its owner. A served fetch after the
-- responder answered can only be through that URL: the answer replaced the
-- token, and an operator's rotate resets pnp_answered_at.
CREATE FUNCTION provgate.pnp_close_window()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE provgate.devices
    SET pnp_window_until = NULL
    WHERE id = NEW.device_id
      AND pnp_window_until IS NOT NULL
      AND pnp_answered_at IS NOT NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER fetch_audit_pnp_close
AFTER INSERT ON provgate.fetch_audit
FOR EACH ROW
WHEN (NEW.outcome = 'served' AND NEW.device_id IS NOT NULL AND NOT NEW.legacy)
EXECUTE FUNCTION provgate.pnp_close_window();

-- Functions are executable by PUBLIC unless revoked.
REVOKE ALL ON FUNCTION provgate.pnp_answer(text, bytea, text, inet, text,
                                           text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION provgate.pnp_close_window() FROM PUBLIC;

GRANT USAGE ON SCHEMA provgate TO provgate_pnp;
GRANT EXECUTE ON FUNCTION provgate.pnp_answer(text, bytea, text, inet, text,
                                              text, text) TO provgate_pnp;

-- The admin opens windows (devices is already granted) and reads the audit.
GRANT SELECT ON provgate.pnp_audit TO provgate_admin;

COMMIT;
