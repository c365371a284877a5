// The operator's side of attack resistance: listing and clearing lockouts,
// creating decoy devices, and the devices' identity (certificate
// requirement, remembered identity, alerts). provgatectl is its only user;
// it connects with the admin role, which may read and delete lockout and
// alert rows (sql/004_attack.sql, sql/006_identity.sql).

#include "provgate/attack_admin.hpp"

#include "provgate/network.hpp"
#include "provgate/phones.hpp"
#include "provgate/token.hpp"
#include "provgate/token_seal.hpp"

#include <pqxx/pqxx>

namespace provgate {

namespace {

// The extension recorded for a decoy. No account has it, so even a bug
// in the decoy check could not render a real account.
constexpr const char* decoy_extension = "(decoy)";

constexpr const char* iso_utc = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";


// Sets columns of the device whose MAC is $1, by set_clause with args as
// $2 on, never of a decoy; admin_error if there is no such device.
template <typename... Args>
void update_device(pqxx::connection& cx, const mac_address& mac,
                   const std::string& set_clause, Args&&... args) {
    pqxx::work tx(cx);
    const pqxx::result updated =
        tx.exec_params("UPDATE provgate.devices SET " + set_clause +
                           " WHERE mac = $1 AND NOT decoy",
                       mac.to_string(), std::forward<Args>(args)...);
    if (updated.affected_rows() == 0) {
        throw admin_error("device \"" + mac.to_string() + "\" does not exist");
    }
    tx.commit();
}

} // namespace


struct attack_admin::state {
    explicit state(const std::string& dsn) : cx(dsn) {}

    pqxx::connection cx;
};


attack_admin::attack_admin(const std::string& dsn)
    : state_(std::make_unique<state>(dsn)) {}


attack_admin::~attack_admin() = default;


std::vector<lockout_summary> attack_admin::lockouts() {
    pqxx::read_transaction tx(state_->cx);
    const std::string fmt = iso_utc;
    const pqxx::result rows = tx.exec(
        "SELECT host(client_addr), coalesce(locked_until > now(), false), "
        "failures, last_reason, "
        "to_char(last_failure_at AT TIME ZONE 'UTC', " +
        fmt +
        "), "
        "coalesce(to_char(locked_until AT TIME ZONE 'UTC', " +
        fmt +
        "), ''), "
        "lock_count "
        "FROM provgate.client_lockouts "
        "ORDER BY 2 DESC, last_failure_at DESC");

    std::vector<lockout_summary> out;
    for (const pqxx::row& row : rows) {
        out.push_back(lockout_summary{
            row[0].as<std::string>(), row[1].as<bool>(), row[2].as<int>(),
            row[3].as<std::string>(), row[4].as<std::string>(),
            row[5].as<std::string>(), row[6].as<int>()});
    }
    return out;
}


int attack_admin::clear_lockouts(const std::string& addr) {
    if (!addr.empty() && !parse_ip(addr)) {
        throw admin_error("invalid IP address \"" + addr + "\"");
    }
    pqxx::work tx(state_->cx);
    const pqxx::result deleted =
        addr.empty() ? tx.exec("DELETE FROM provgate.client_lockouts")
                     : tx.exec_params("DELETE FROM provgate.client_lockouts "
                                      "WHERE client_addr = $1::inet",
                                      addr);
    tx.commit();
    return static_cast<int>(deleted.affected_rows());
}


minted_token attack_admin::add_decoy(const mac_address& mac,
                                     const std::string& vendor,
                                     const std::string& model) {
    if (!vendor.empty() && !is_vendor_key(vendor)) {
        throw admin_error("unrecognized vendor \"" + vendor + "\"");
    }

    pqxx::work tx(state_->cx);
    if (!tx.exec_params("SELECT 1 FROM provgate.devices WHERE mac = $1",
                        mac.to_string())
             .empty()) {
        throw admin_error("device \"" + mac.to_string() +
                          "\" already exists; a decoy needs a MAC of its own");
    }

    minted_token minted{mint_token()};
    tx.exec_params(R"(
INSERT INTO provgate.devices
    (mac, vendor, model, extension, token_hash, decoy)
VALUES ($1, $2, $3, $4, decode($5, 'hex'), true)
)",
                   mac.to_string(), vendor.empty() ? nullptr : vendor.c_str(),
                   model.empty() ? nullptr : model.c_str(), decoy_extension,
                   to_hex(hash_token(minted.token)));
    tx.commit();
    return minted;
}


void attack_admin::set_legacy(const mac_address& mac, bool legacy) {
    update_device(state_->cx, mac, R"(
legacy = $2,
bootstrapped_at = CASE WHEN $2 THEN NULL ELSE bootstrapped_at END)",
                  legacy);
}


void attack_admin::set_digest(const mac_address& mac, const std::string& user,
                              const std::string& ha1) {
    update_device(state_->cx, mac,
                  "digest_user = nullif($2, ''), digest_ha1 = nullif($3, '')",
                  user, ha1);
}


void attack_admin::set_require_cert(const mac_address& mac, bool required) {
    update_device(state_->cx, mac, "require_client_cert = $2", required);
}


identity_summary attack_admin::identity(const mac_address& mac) {
    pqxx::read_transaction tx(state_->cx);
    const std::string fmt = iso_utc;
    const pqxx::result device = tx.exec_params(
        "SELECT id, require_client_cert, coalesce(identity_cert, ''), "
        "coalesce(identity_user_agent, ''), "
        "coalesce(to_char(identity_seen_at AT TIME ZONE 'UTC', " +
            fmt +
            "), '') "
            "FROM provgate.devices "
            "WHERE mac = $1 "
            "AND NOT decoy",
        mac.to_string());
    if (device.empty()) {
        throw admin_error("device \"" + mac.to_string() + "\" does not exist");
    }

    identity_summary out{device[0][1].as<bool>(),
                         device[0][2].as<std::string>(),
                         device[0][3].as<std::string>(),
                         device[0][4].as<std::string>(),
                         {}};
    const pqxx::result alerts = tx.exec_params(
        "SELECT to_char(alerted_at AT TIME ZONE 'UTC', " + fmt +
            "), "
            "coalesce(host(client_addr), ''), coalesce(token_prefix, ''), "
            "coalesce(presented_cert, ''), "
            "coalesce(presented_user_agent, ''), quarantined "
            "FROM provgate.identity_alerts "
            "WHERE device_id = $1 "
            "ORDER BY id DESC "
            "LIMIT 10",
        device[0][0].as<std::int64_t>());
    for (const pqxx::row& row : alerts) {
        out.alerts.push_back(
            identity_alert{row[0].as<std::string>(), row[1].as<std::string>(),
                           row[2].as<std::string>(), row[3].as<std::string>(),
                           row[4].as<std::string>(), row[5].as<bool>()});
    }
    return out;
}


void attack_admin::clear_identity(const mac_address& mac) {
    pqxx::work tx(state_->cx);
    const pqxx::result updated = tx.exec_params(R"(
UPDATE provgate.devices
SET identity_cert = NULL,
    identity_user_agent = NULL,
    identity_seen_at = NULL
WHERE mac = $1
  AND NOT decoy
)",
                                                mac.to_string());
    if (updated.affected_rows() == 0) {
        throw admin_error("device \"" + mac.to_string() + "\" does not exist");
    }
    tx.commit();
}


void attack_admin::release(const mac_address& mac) {
    pqxx::work tx(state_->cx);
    const pqxx::result updated = tx.exec_params(R"(
UPDATE provgate.devices
SET quarantined_at = NULL,
    quarantine_reason = NULL
WHERE mac = $1
  AND quarantined_at IS NOT NULL
)",
                                                mac.to_string());
    if (updated.affected_rows() == 0) {
        throw admin_error("device \"" + mac.to_string() +
                          "\" does not exist or is not quarantined");
    }
    tx.commit();
}


minted_token attack_admin::rotate_with_grace(const mac_address& mac,
                                             int grace_hours,
                                             const std::string& seal_key) {
    minted_token minted{mint_token()};
    pqxx::work tx(state_->cx);
    const pqxx::result updated =
        tx.exec_params(R"(
UPDATE provgate.devices
SET pending_token_hash = decode($2, 'hex'),
    pending_token_sealed = $3,
    grace_until = now() + make_interval(hours => $4::integer)
WHERE mac = $1
  AND NOT decoy
  AND revoked_at IS NULL
)",
                       mac.to_string(), to_hex(hash_token(minted.token)),
                       seal_token(seal_key, minted.token), grace_hours);
    if (updated.affected_rows() == 0) {
        throw admin_error("device \"" + mac.to_string() +
                          "\" does not exist or is revoked");
    }
    tx.commit();
    return minted;
}

} // namespace provgate
