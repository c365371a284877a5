#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "provgate/mac_address.hpp"

namespace provgate {

// A request the operator can correct (unknown device, duplicate MAC, ...);
// what() is a complete message for standard error.
class admin_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A device as the operator sees it. Never holds a token or its hash.
struct device_summary {
    std::string mac;
    std::string vendor;
    std::string model;
    std::string extension;
    std::string state; // "active", "revoked", "quarantined", "expired", "decoy"
    std::string created_at;
    std::string token_issued_at;
    std::string expires_at; // empty: does not expire
    std::string revoked_at;
};

// What activate and rotate hand back: the new clear token, shown once.
struct minted_token {
    std::string token;
};

// provgatectl's database work, with the admin role. Each call is one
// transaction. Throws admin_error for operator mistakes and pqxx exceptions
// for database failures.
class device_admin {
public:
    explicit device_admin(const std::string& dsn);
    ~device_admin();

    // Binds mac to extension (which must exist in provgate.sip_accounts)
    // and mints its token. lifetime_days 0 means no expiry.
    minted_token activate(const mac_address& mac, const std::string& extension,
                          const std::string& vendor, const std::string& model,
                          int lifetime_days);

    // Replaces the device's token (and lifts a revocation); the old token
    // stops working at once.
    minted_token rotate(const mac_address& mac, int lifetime_days);

    // Opens the device's Plug-and-Play window for the given time from now
    // (sql/003_pnp.sql): provgate-pnp may then answer its SUBSCRIBE once
    // with a fresh URL. Returns the window's end as UTC text.
    std::string open_pnp_window(const mac_address& mac, long long seconds);

    // Stops the device's URL.
    void revoke(const mac_address& mac);

    std::vector<device_summary> list();
    std::optional<device_summary> show(const mac_address& mac);

    struct state;

private:
    std::unique_ptr<state> state_;
};

// Applies the numbered migrations in dir ("NNN_name.sql") that the database
// has not recorded yet, in order, each in its own transaction, writing one
// line per migration to out. Re-running applies nothing. Throws
// admin_error for an unreadable directory or a failed migration.
void apply_migrations(const std::string& dsn, const std::string& dir,
                      std::ostream& out);

} // namespace provgate
