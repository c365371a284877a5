#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "provgate/admin.hpp"
#include "provgate/mac_address.hpp"

namespace provgate {

// One row of provgate.client_lockouts as the operator sees it.
struct lockout_summary {
    std::string client_addr;
    bool locked = false;
    int failures = 0; // in the current window
    std::string last_reason;
    std::string last_failure_at;
    std::string locked_until; // empty if never locked
    int lock_count = 0;
};

// One row of provgate.identity_alerts: a second identity that presented
// the device's token (sql/006_identity.sql).
struct identity_alert {
    std::string alerted_at;
    std::string client_addr;
    std::string token_prefix;
    std::string presented_cert;
    std::string presented_user_agent;
    bool quarantined = false;
};

// A device's identity settings and what the worker remembers of it; empty
// strings for parts not seen yet.
struct identity_summary {
    bool require_client_cert = false;
    std::string cert;       // "<subject DN> issued by <issuer DN>"
    std::string user_agent; // "<vendor> <model>"
    std::string seen_at;
    std::vector<identity_alert> alerts; // the latest first, at most ten
};

// provgatectl's commands against attacks: the lockout table and decoy
// devices, with the admin role. Each call is one transaction. Throws
// admin_error for operator mistakes and pqxx exceptions for database
// failures.
class attack_admin {
public:
    explicit attack_admin(const std::string& dsn);
    ~attack_admin();

    // Every address with a failure count or a lockout, locked ones first.
    std::vector<lockout_summary> lockouts();

    // Forgets the counts and lockout of addr, or of every address if addr
    // is empty; returns the number of addresses cleared. Throws admin_error
    // if addr is not an IP address.
    int clear_lockouts(const std::string& addr);

    // Creates a decoy device: its URL is handed out like a real one (to be
    // planted where an intruder would look), and any fetch of it locks the
    // client out and logs an alert. It has no SIP account.
    minted_token add_decoy(const mac_address& mac, const std::string& vendor,
                           const std::string& model);

    // Flags the device as legacy (it may use the fenced shared directory,
    // and the one-shot bootstrap is open to it again) or clears the flag.
    void set_legacy(const mac_address& mac, bool legacy);

    // Sets the device's HTTP Digest credential (user and SHA-256 HA1), or
    // removes it if user is empty. Throws admin_error if the device does
    // not exist.
    void set_digest(const mac_address& mac, const std::string& user,
                    const std::string& ha1);

    // Requires a verified client certificate for this device, or stops
    // requiring it (the global and vendor settings still apply). Throws
    // admin_error if the device does not exist.
    void set_require_cert(const mac_address& mac, bool required);

    // The device's remembered identity and its latest alerts. Throws
    // admin_error if the device does not exist.
    identity_summary identity(const mac_address& mac);

    // Forgets the remembered identity, so that the next phone to use the
    // token (a replaced one) becomes it. The alerts stay. Throws
    // admin_error if the device does not exist.
    void clear_identity(const mac_address& mac);

    // Lifts the device's quarantine. Throws admin_error if the device does
    // not exist or is not quarantined.
    void release(const mac_address& mac);

    // Rotation with overlap: mints the device's next token, stores its
    // hash and the token sealed under seal_key, and keeps the current token
    // working for grace_hours (or until the new one is first used).
    minted_token rotate_with_grace(const mac_address& mac, int grace_hours,
                                   const std::string& seal_key);

    struct state;

private:
    std::unique_ptr<state> state_;
};

} // namespace provgate
