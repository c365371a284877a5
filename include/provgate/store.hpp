#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "provgate/config.hpp"
#include "provgate/render.hpp"
#include "provgate/token.hpp"

namespace provgate {

// A device row joined with its SIP account, as the worker reads it.
struct device_record {
    std::int64_t id = 0;
    std::string mac;    // twelve lower-case hex digits
    std::string vendor; // empty if the operator did not set one
    std::string model;
    token_digest token_hash{};
    bool expired = false;
    bool revoked = false;
    bool has_account = false;  // false if the extension has no account row
    bool decoy = false;        // a honeytoken: any fetch is an attack
    bool legacy = false;       // may use the shared directory when fenced
    bool bootstrapped = false; // moved off the shared directory for good
    bool quarantined = false;  // until the operator releases it
    // Rotation with overlap: the new token's hash, the new token sealed
    // (token_seal.hpp), and whether the old token's grace period lasts.
    bool has_pending = false;
    token_digest pending_hash{};
    std::string pending_sealed;
    bool in_grace = false;
    // HTTP Digest: the user and the SHA-256 HA1; both empty if none is set.
    std::string digest_user;
    std::string digest_ha1;
    // Device identity (sql/006_identity.sql): the per-device certificate
    // requirement and the identity remembered from the token's first use,
    // each part empty until one was seen.
    bool require_client_cert = false;
    std::string identity_cert;
    std::string identity_user_agent;
    sip_account account;
    // Seconds until the expiry or the end of the grace period changes what
    // this record decides; negative if neither lies ahead. Bounds how long
    // device_cache may keep the record.
    double state_changes_in = -1;
};

// The DSN with libpq's connect timeout (2 s) and TCP keepalives added,
// unless it sets them itself.
std::string with_timeouts(const std::string& dsn);

// One row of provgate.fetch_audit. Every text field must already be
// sanitized; none may hold a password or a whole token.
struct audit_record {
    std::string client_addr;
    std::string method;
    std::string file;
    std::string token_prefix;
    std::string mac;
    std::optional<std::int64_t> device_id;
    std::string vendor;
    int status = 0;
    std::string outcome;
    bool legacy = false;
    std::string user_agent;
    std::string request_id;
};

// PostgreSQL refused audit rows for their contents (a data or constraint
// error): trying them again cannot help. what() names no value.
class audit_rejected : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The database cannot be reached or refused a query; the request should be
// answered 503. what() holds no SQL and no parameter values.
class database_unavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The worker's view of PostgreSQL: one connection, opened lazily, with its
// statements prepared once, plus a second one to a hot standby for the
// lookups if database.read_dsn is set. Not thread-safe: each worker thread
// owns one.
// Unless the DSN sets them, connections get connect_timeout=2 and TCP
// keepalives, so that an unreachable server costs a request at most two
// seconds and a 503, never a hang.
class store {
public:
    explicit store(const database_settings& db);
    ~store();

    store(const store&) = delete;
    store& operator=(const store&) = delete;

    // The devices holding any of these token hashes, as their current or
    // their pending token, in no particular order: lookup_batcher.hpp
    // looks up the tokens of concurrent requests in one query. Throws
    // database_unavailable.
    std::vector<device_record>
    find_by_tokens(const std::vector<token_digest>& digests);

    // The device with this MAC, for the legacy shared layout. Throws
    // database_unavailable.
    std::optional<device_record> find_by_mac(const std::string& mac);

    // Inserts audit rows in one COPY: all of them or, on failure, none.
    // Throws audit_rejected if a row's contents were refused, else
    // database_unavailable.
    void record_fetches(const std::vector<audit_record>& records);

    // Switches to other DSNs or another statement timeout (after a reload);
    // the open connections are dropped only if one of them changed.
    void configure(const database_settings& db);

    // Checks that the primary, and the standby if there is one, answer.
    // Throws database_unavailable.
    void ping();

    // Is the client address (a literal IP) locked out now? Throws
    // database_unavailable.
    bool client_locked(const std::string& client_addr);

    // Replaces the device's token hash and closes the shared directory for
    // it; false if another request did so first (see sql/004_attack.sql).
    // Throws database_unavailable.
    bool bootstrap_device(std::int64_t device_id, const token_digest& new_hash);

    // Makes the pending token the device's only one, if presented is it;
    // true if it was. Throws database_unavailable.
    bool promote_token(std::int64_t device_id, const token_digest& presented);

    // Quarantines the device until the operator releases it. Throws
    // database_unavailable.
    void quarantine_device(std::int64_t device_id, const std::string& reason);

    // Compares a presented identity with the device's remembered one and
    // remembers the parts not seen before; if a part differs, records an
    // alert, quarantines the device when asked to, and returns true (see
    // sql/006_identity.sql). Throws database_unavailable.
    bool note_identity(std::int64_t device_id, const std::string& cert,
                       const std::string& user_agent,
                       const std::string& client_addr,
                       const std::string& token_prefix, bool quarantine);

    // Counts one failure of the address (see sql/004_attack.sql); true if
    // this failure locked it for lock_seconds. Throws database_unavailable.
    bool note_failure(const std::string& client_addr, const std::string& reason,
                      int max_failures, int window_seconds, int lock_seconds);

    // Records that the HTTP Digest nonce count nc was used with nonce,
    // which expires at expires_at (seconds since the epoch); false if a
    // count as high was used before, by any worker process (a replay; see
    // sql/008_digest_replay.sql). Throws database_unavailable.
    bool use_digest_nonce(const std::string& nonce, std::uint64_t nc,
                          std::int64_t expires_at);

    struct state; // the connection and its settings, in store.cpp

private:
    std::unique_ptr<state> state_;
};

} // namespace provgate
