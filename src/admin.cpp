// The operator's side of the database: activating, rotating and revoking
// devices, listing them, and applying the schema migrations. provgatectl is
// its only user; it connects with the admin role.

#include "provgate/admin.hpp"

#include "provgate/phones.hpp"
#include "provgate/token.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace provgate {

namespace {

constexpr const char* summary_select = R"(
SELECT mac, coalesce(vendor, ''), coalesce(model, ''), extension,
       CASE WHEN decoy THEN 'decoy'
            WHEN revoked_at IS NOT NULL THEN 'revoked'
            WHEN quarantined_at IS NOT NULL THEN 'quarantined'
            WHEN expires_at <= now() THEN 'expired'
            ELSE 'active' END,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       to_char(token_issued_at AT TIME ZONE 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       coalesce(to_char(expires_at AT TIME ZONE 'UTC',
                        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
       coalesce(to_char(revoked_at AT TIME ZONE 'UTC',
                        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')
FROM provgate.devices
)";


device_summary row_to_summary(const pqxx::row& row) {
    return device_summary{
        row[0].as<std::string>(), row[1].as<std::string>(),
        row[2].as<std::string>(), row[3].as<std::string>(),
        row[4].as<std::string>(), row[5].as<std::string>(),
        row[6].as<std::string>(), row[7].as<std::string>(),
        row[8].as<std::string>(),
    };
}


// The expiry as SQL sees it: NULL for none, else an interval in days.
const char* lifetime_or_null(const std::string& days) {
    return days == "0" ? nullptr : days.c_str();
}


std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
        throw admin_error("could not read migration \"" + path.string() + "\"");
    }
    return text.str();
}


// "NNN_name.sql" files of dir, by version. Other files are ignored; two
// files with one version are an error.
std::map<int, std::filesystem::path> find_migrations(const std::string& dir) {
    std::map<int, std::filesystem::path> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() < 8 || !name.ends_with(".sql") ||
            !std::all_of(name.begin(), name.begin() + 3, ::isdigit) ||
            name[3] != '_') {
            continue;
        }
        const int version = std::stoi(name.substr(0, 3));
        if (!found.emplace(version, entry.path()).second) {
            throw admin_error("cannot apply migrations: two files have "
                              "version " +
                              std::to_string(version) + " in \"" + dir + "\"");
        }
    }
    if (ec) {
        throw admin_error("could not read migration directory \"" + dir +
                          "\": " + ec.message());
    }
    if (found.empty()) {
        throw admin_error("cannot apply migrations: no \"NNN_name.sql\" "
                          "files in \"" +
                          dir + "\"");
    }
    return found;
}


int applied_version(pqxx::connection& cx) {
    pqxx::nontransaction tx(cx);
    const pqxx::row exists = tx.exec1(
        "SELECT to_regclass('provgate.schema_migrations') IS NOT NULL");
    if (!exists[0].as<bool>()) {
        return 0;
    }
    return tx
        .exec1("SELECT coalesce(max(version), 0) "
               "FROM provgate.schema_migrations")[0]
        .as<int>();
}

} // namespace


struct device_admin::state {
    explicit state(const std::string& dsn) : cx(dsn) {}

    pqxx::connection cx;
};


device_admin::device_admin(const std::string& dsn)
    : state_(std::make_unique<state>(dsn)) {}


device_admin::~device_admin() = default;


minted_token device_admin::activate(const mac_address& mac,
                                    const std::string& extension,
                                    const std::string& vendor,
                                    const std::string& model,
                                    int lifetime_days) {
    if (!vendor.empty() && !is_vendor_key(vendor)) {
        throw admin_error("unrecognized vendor \"" + vendor + "\"");
    }

    pqxx::work tx(state_->cx);
    if (tx.exec_params("SELECT 1 FROM provgate.sip_accounts "
                       "WHERE extension = $1",
                       extension)
            .empty()) {
        throw admin_error("extension \"" + extension + "\" does not exist");
    }
    if (!tx.exec_params("SELECT 1 FROM provgate.devices WHERE mac = $1",
                        mac.to_string())
             .empty()) {
        throw admin_error("device \"" + mac.to_string() +
                          "\" is already activated; use rotate for a new URL");
    }

    minted_token minted{mint_token()};
    const std::string days = std::to_string(lifetime_days);
    tx.exec_params(R"(
INSERT INTO provgate.devices
    (mac, vendor, model, extension, token_hash, expires_at)
VALUES ($1, $2, $3, $4, decode($5, 'hex'),
        now() + make_interval(days => $6::integer))
)",
                   mac.to_string(), vendor.empty() ? nullptr : vendor.c_str(),
                   model.empty() ? nullptr : model.c_str(), extension,
                   to_hex(hash_token(minted.token)), lifetime_or_null(days));
    tx.commit();
    return minted;
}


minted_token device_admin::rotate(const mac_address& mac, int lifetime_days) {
    minted_token minted{mint_token()};
    const std::string days = std::to_string(lifetime_days);

    pqxx::work tx(state_->cx);
    const pqxx::result updated =
        tx.exec_params(R"(
UPDATE provgate.devices
SET token_hash = decode($2, 'hex'),
    token_issued_at = now(),
    expires_at = now() + make_interval(days => $3::integer),
    revoked_at = NULL,
    pending_token_hash = NULL,
    pending_token_sealed = NULL,
    grace_until = NULL
WHERE mac = $1
)",
                       mac.to_string(), to_hex(hash_token(minted.token)),
                       lifetime_or_null(days));
    if (updated.affected_rows() == 0) {
        throw admin_error("device \"" + mac.to_string() + "\" does not exist");
    }
    tx.commit();
    return minted;
}


std::string device_admin::open_pnp_window(const mac_address& mac,
                                          long long seconds) {
    pqxx::work tx(state_->cx);
    const pqxx::result updated = tx.exec_params(R"(
UPDATE provgate.devices
SET pnp_window_until = now() + make_interval(secs => $2::bigint),
    pnp_answered_at = NULL
WHERE mac = $1
RETURNING to_char(pnp_window_until AT TIME ZONE 'UTC',
                  'YYYY-MM-DD"T"HH24:MI:SS"Z"')
)",
                                                mac.to_string(), seconds);
    if (updated.empty()) {
        throw admin_error("device \"" + mac.to_string() + "\" does not exist");
    }
    tx.commit();
    return updated[0][0].as<std::string>();
}


void device_admin::revoke(const mac_address& mac) {
    pqxx::work tx(state_->cx);
    const pqxx::result updated = tx.exec_params(R"(
UPDATE provgate.devices
SET revoked_at = coalesce(revoked_at, now())
WHERE mac = $1
)",
                                                mac.to_string());
    if (updated.affected_rows() == 0) {
        throw admin_error("device \"" + mac.to_string() + "\" does not exist");
    }
    tx.commit();
}


std::vector<device_summary> device_admin::list() {
    pqxx::read_transaction tx(state_->cx);
    std::vector<device_summary> out;
    for (const pqxx::row& row :
         tx.exec(std::string(summary_select) + "ORDER BY mac")) {
        out.push_back(row_to_summary(row));
    }
    return out;
}


std::optional<device_summary> device_admin::show(const mac_address& mac) {
    pqxx::read_transaction tx(state_->cx);
    const pqxx::result rows = tx.exec_params(
        std::string(summary_select) + "WHERE mac = $1", mac.to_string());
    if (rows.empty()) {
        return std::nullopt;
    }
    return row_to_summary(rows[0]);
}


void apply_migrations(const std::string& dsn, const std::string& dir,
                      std::ostream& out) {
    const auto migrations = find_migrations(dir);
    pqxx::connection cx(dsn);
    const int current = applied_version(cx);

    int applied = 0;
    for (const auto& [version, path] : migrations) {
        if (version <= current) {
            continue;
        }
        // Each file holds its own BEGIN and COMMIT so that a DBA can apply
        // it with psql as it stands; it also records its version itself.
        pqxx::nontransaction tx(cx);
        try {
            tx.exec(read_text(path));
        } catch (const pqxx::sql_error& e) {
            tx.exec("ROLLBACK");
            throw admin_error("cannot apply migration \"" +
                              path.filename().string() + "\": " + e.what());
        }
        out << "applied " << path.filename().string() << '\n';
        ++applied;
    }
    if (applied == 0) {
        out << "database is up to date at version " << current << '\n';
    }
}

} // namespace provgate
