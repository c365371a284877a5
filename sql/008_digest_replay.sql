-- provgate schema, version 8: HTTP Digest replays refused across worker
-- processes and restarts. A nonce's highest nonce count (nc) used so far
-- is kept here until the nonce expires, so that an Authorization header
-- captured on its way to one worker process cannot be sent again to
-- another, nor to the same one after a restart. Nonces are not secret
-- (every challenge carries one); the worker has already checked a nonce's
-- HMAC before it records it, so only nonces a worker issued reach the
-- table.
--
-- The worker's role may only call provgate.use_digest_nonce(), never
-- touch the table itself.

BEGIN;

INSERT INTO provgate.schema_migrations (version, name)
VALUES (8, 'digest_replay');

CREATE TABLE provgate.digest_nonce_uses (
    nonce      text        PRIMARY KEY
                           CHECK (nonce ~ '^[0-9a-f]+$'
                                  AND length(nonce) BETWEEN 16 AND 256),
    highest_nc bigint      NOT NULL CHECK (highest_nc > 0),
    expires_at timestamptz NOT NULL
);

CREATE INDEX digest_nonce_uses_expires_at
    ON provgate.digest_nonce_uses (expires_at);

COMMENT ON TABLE provgate.digest_nonce_uses IS
    'Highest HTTP Digest nonce count used per unexpired nonce; see '
    'provgate.use_digest_nonce(). Rows expire with their nonce.';

-- Records that used_nc was used with used_nonce, which expires at
-- valid_until. Returns true if used_nc is above every count used with that
-- nonce before, in any worker process; false for a replay. Each call also
-- forgets a few expired nonces, so the table holds about the nonces in use.
CREATE FUNCTION provgate.use_digest_nonce(used_nonce text, used_nc bigint,
                                          valid_until timestamptz)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    accepted boolean;
BEGIN
    DELETE FROM provgate.digest_nonce_uses
    WHERE nonce IN (SELECT u.nonce FROM provgate.digest_nonce_uses u
                    WHERE u.expires_at < now()
                    LIMIT 16
                    FOR UPDATE SKIP LOCKED);

    INSERT INTO provgate.digest_nonce_uses AS u (nonce, highest_nc, expires_at)
    VALUES (used_nonce, used_nc, valid_until)
    ON CONFLICT (nonce) DO UPDATE
    SET highest_nc = excluded.highest_nc
    WHERE u.highest_nc < excluded.highest_nc
    RETURNING true INTO accepted;

    RETURN coalesce(accepted, false);
END;
$$;

REVOKE ALL ON FUNCTION provgate.use_digest_nonce(text, bigint, timestamptz)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION provgate.use_digest_nonce(text, bigint, timestamptz)
    TO provgate_worker;

COMMIT;
