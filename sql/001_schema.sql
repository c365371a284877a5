-- provgate schema, version 1: extensions, devices, fetch audit.
--
-- Apply with "provgatectl migrate" or "psql -v ON_ERROR_STOP=1 -f" as a role
-- that may create schemas. The whole file is one transaction and records
-- its own version, so a second run changes nothing (psql reports the
-- existing schema and rolls back).

BEGIN;

CREATE SCHEMA provgate;

CREATE TABLE provgate.schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO provgate.schema_migrations (version, name)
VALUES (1, 'schema');

-- The SIP accounts that DBAs manage. provgate never reads this table
-- directly, only the view below; a site with its own tables replaces the
-- view and may leave this table empty.
CREATE TABLE provgate.extensions (
    extension     text PRIMARY KEY,
    auth_user     text NOT NULL,
    password      text NOT NULL,
    display_name  text NOT NULL DEFAULT '',
    sip_server    text NOT NULL,
    sip_port      integer NOT NULL DEFAULT 5060
                  CHECK (sip_port BETWEEN 1 AND 65535),
    transport     text NOT NULL DEFAULT 'udp'
                  CHECK (transport IN ('udp', 'tcp', 'tls')),
    enabled       boolean NOT NULL DEFAULT true
);

-- The contract between provgate and the DBA: exactly these columns, with
-- these meanings and types, one row per extension.
CREATE VIEW provgate.sip_accounts AS
SELECT extension, auth_user, password, display_name, sip_server, sip_port,
       transport, enabled
FROM provgate.extensions;

-- One row per phone. The folder token is kept only as its SHA-256 digest.
-- extension has no foreign key: it refers to provgate.sip_accounts, which
-- a DBA may back with tables of their own.
CREATE TABLE provgate.devices (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mac              text NOT NULL UNIQUE CHECK (mac ~ '^[0-9a-f]{12}$'),
    vendor           text CHECK (vendor IN ('yealink', 'polycom',
                                            'grandstream', 'snom', 'cisco',
                                            'fanvil', 'htek', 'gigaset')),
    model            text,
    extension        text NOT NULL,
    token_hash       bytea NOT NULL UNIQUE
                     CHECK (octet_length(token_hash) = 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    token_issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    revoked_at       timestamptz
);

CREATE INDEX devices_extension_idx ON provgate.devices (extension);

-- One row per request the worker answered. device_id has no foreign key so
-- that the history outlives a deleted device.
CREATE TABLE provgate.fetch_audit (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fetched_at    timestamptz NOT NULL DEFAULT now(),
    client_addr   inet,
    method        text NOT NULL,
    file          text NOT NULL,
    token_prefix  text,
    mac           text,
    device_id     bigint,
    vendor        text,
    status        smallint NOT NULL,
    outcome       text NOT NULL,
    legacy        boolean NOT NULL DEFAULT false,
    user_agent    text,
    request_id    text
);

CREATE INDEX fetch_audit_fetched_at_idx ON provgate.fetch_audit (fetched_at);
CREATE INDEX fetch_audit_device_idx
    ON provgate.fetch_audit (device_id, fetched_at);

COMMIT;
