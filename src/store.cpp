// The worker's queries. Each is a prepared statement on the thread's own
// connection; the worker's role may read devices and sip_accounts and insert
// audit rows, nothing else (sql/002_roles.sql).

#include "provgate/store.hpp"

#include "provgate/log.hpp"
#include "provgate/request.hpp"

#include <pqxx/pqxx>

#include <atomic>

namespace provgate {

namespace {

// The device columns and the account columns, in the order row_to_device
// reads them.
constexpr const char* device_select = R"(
SELECT d.id, d.mac, coalesce(d.vendor, ''), coalesce(d.model, ''),
       encode(d.token_hash, 'hex'),
       coalesce(d.expires_at <= now(), false),
       d.revoked_at IS NOT NULL,
       a.extension IS NOT NULL,
       coalesce(a.extension, ''), coalesce(a.auth_user, ''),
       coalesce(a.password, ''), coalesce(a.display_name, ''),
       coalesce(a.sip_server, ''), coalesce(a.sip_port, 0),
       coalesce(a.transport, ''), coalesce(a.enabled, false),
       d.decoy, d.legacy, d.bootstrapped_at IS NOT NULL,
       d.quarantined_at IS NOT NULL,
       coalesce(encode(d.pending_token_hash, 'hex'), ''),
       coalesce(d.pending_token_sealed, ''),
       coalesce(d.grace_until > now(), false)
FROM provgate.devices AS d
LEFT JOIN provgate.sip_accounts AS a ON a.extension = d.extension
)";


// Set on the first failure of an outage and cleared on the first success
// after it, so that an outage is logged once, not once per request.
std::atomic<bool> database_down{false};


token_digest from_hex(const std::string& hex) {
    token_digest digest{};
    for (std::size_t i = 0; i < digest.size() && 2 * i + 1 < hex.size(); ++i) {
        digest[i] = static_cast<std::uint8_t>(
            std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    }
    return digest;
}


device_record row_to_device(const pqxx::row& row) {
    device_record d;
    d.id = row[0].as<std::int64_t>();
    d.mac = row[1].as<std::string>();
    d.vendor = row[2].as<std::string>();
    d.model = row[3].as<std::string>();
    d.token_hash = from_hex(row[4].as<std::string>());
    d.expired = row[5].as<bool>();
    d.revoked = row[6].as<bool>();
    d.has_account = row[7].as<bool>();
    d.account.extension = row[8].as<std::string>();
    d.account.auth_user = row[9].as<std::string>();
    d.account.password = row[10].as<std::string>();
    d.account.display_name = row[11].as<std::string>();
    d.account.sip_server = row[12].as<std::string>();
    d.account.sip_port = row[13].as<int>();
    d.account.transport = row[14].as<std::string>();
    d.account.enabled = row[15].as<bool>();
    d.decoy = row[16].as<bool>();
    d.legacy = row[17].as<bool>();
    d.bootstrapped = row[18].as<bool>();
    d.quarantined = row[19].as<bool>();
    const std::string pending = row[20].as<std::string>();
    d.has_pending = !pending.empty();
    d.pending_hash = from_hex(pending);
    d.pending_sealed = row[21].as<std::string>();
    d.in_grace = row[22].as<bool>();
    return d;
}


std::optional<device_record> first_device(const pqxx::result& result) {
    if (result.empty()) {
        return std::nullopt;
    }
    return row_to_device(result[0]);
}


// The first line of a libpq or server message, safe to log. Queries are
// never part of it: libpqxx keeps them in a separate field.
std::string sanitize_reason(const std::string& what) {
    return sanitize(what.substr(0, what.find('\n')), 200);
}


const char* null_if_empty(const std::string& text) {
    return text.empty() ? nullptr : text.c_str();
}

} // namespace


struct store::state {
    std::string dsn;
    int statement_timeout_ms;
    std::unique_ptr<pqxx::connection> cx;
};


namespace {

pqxx::connection& open_connection(store::state& st) {
    if (st.cx && st.cx->is_open()) {
        return *st.cx;
    }

    st.cx.reset();
    auto cx = std::make_unique<pqxx::connection>(st.dsn);
    pqxx::nontransaction setup(*cx);
    setup.exec("SET statement_timeout = " +
               std::to_string(st.statement_timeout_ms));
    setup.exec("SET application_name = 'provgate'");
    setup.commit();

    cx->prepare("find_by_token", std::string(device_select) +
                                     "WHERE d.token_hash = decode($1, 'hex')");
    cx->prepare("find_by_pending",
                std::string(device_select) +
                    "WHERE d.pending_token_hash = decode($1, 'hex')");
    cx->prepare("promote_token",
                "SELECT provgate.promote_token($1, decode($2, 'hex'))");
    cx->prepare("find_by_mac", std::string(device_select) + "WHERE d.mac = $1");
    cx->prepare("record_fetch", R"(
INSERT INTO provgate.fetch_audit
    (client_addr, method, file, token_prefix, mac, device_id, vendor,
     status, outcome, legacy, user_agent, request_id)
VALUES ($1::inet, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
)");
    cx->prepare("client_locked", "SELECT provgate.client_locked($1::inet)");
    cx->prepare("note_failure",
                "SELECT provgate.note_failure($1::inet, $2, $3, $4, $5)");
    cx->prepare("quarantine_device",
                "SELECT provgate.quarantine_device($1, $2)");
    cx->prepare("bootstrap_device",
                "SELECT provgate.bootstrap_device($1, decode($2, 'hex'))");
    st.cx = std::move(cx);
    return *st.cx;
}


// Runs fn on the connection, turning any libpqxx failure into
// database_unavailable and logging the first one of an outage.
template <typename Fn>
auto guarded(store::state& st, Fn&& fn)
    -> decltype(fn(std::declval<pqxx::connection&>())) {
    try {
        auto result = fn(open_connection(st));
        if (database_down.exchange(false)) {
            PROVGATE_LOG(info) << "database connection restored";
        }
        return result;
    } catch (const pqxx::failure& e) {
        // A broken connection is reopened on the next request; any other
        // failure (timeout, missing privilege) also drops it, so that a fixed
        // grant or a restarted server is picked up without a restart.
        st.cx.reset();
        if (!database_down.exchange(true)) {
            const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
            PROVGATE_LOG(error)
                << "could not query database"
                << (sql != nullptr ? " sqlstate=" + sql->sqlstate() : "")
                << " reason=\"" << sanitize_reason(e.what()) << "\"";
        }
        throw database_unavailable("database unavailable");
    }
}

} // namespace


store::store(std::string dsn, int statement_timeout_ms)
    : state_(std::make_unique<state>(
          state{std::move(dsn), statement_timeout_ms, nullptr})) {}


store::~store() = default;


std::optional<device_record> store::find_by_token(const token_digest& digest) {
    return guarded(*state_, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        auto found =
            first_device(tx.exec_prepared("find_by_token", to_hex(digest)));
        // A rotated device's new token, before its first use: a second
        // probe, paid only by tokens that are not current.
        return found ? found
                     : first_device(
                           tx.exec_prepared("find_by_pending", to_hex(digest)));
    });
}


std::optional<device_record> store::find_by_mac(const std::string& mac) {
    return guarded(*state_, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return first_device(tx.exec_prepared("find_by_mac", mac));
    });
}


void store::record_fetch(const audit_record& r) {
    guarded(*state_, [&](pqxx::connection& cx) {
        // libpqxx 6.4 has no std::optional parameters: NULL is a null
        // const char*.
        const std::string device_id =
            r.device_id ? std::to_string(*r.device_id) : "";
        pqxx::nontransaction tx(cx);
        tx.exec_prepared("record_fetch", null_if_empty(r.client_addr), r.method,
                         r.file, null_if_empty(r.token_prefix),
                         null_if_empty(r.mac), null_if_empty(device_id),
                         null_if_empty(r.vendor), r.status, r.outcome, r.legacy,
                         null_if_empty(r.user_agent),
                         null_if_empty(r.request_id));
        return 0;
    });
}


bool store::client_locked(const std::string& client_addr) {
    return guarded(*state_, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx.exec_prepared("client_locked", client_addr)[0][0].as<bool>();
    });
}


bool store::note_failure(const std::string& client_addr,
                         const std::string& reason, int max_failures,
                         int window_seconds, int lock_seconds) {
    return guarded(*state_, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx
            .exec_prepared("note_failure", client_addr, reason, max_failures,
                           window_seconds, lock_seconds)[0][0]
            .as<bool>();
    });
}


bool store::bootstrap_device(std::int64_t device_id,
                             const token_digest& new_hash) {
    return guarded(*state_, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx
            .exec_prepared("bootstrap_device", device_id,
                           to_hex(new_hash))[0][0]
            .as<bool>();
    });
}


void store::quarantine_device(std::int64_t device_id,
                              const std::string& reason) {
    guarded(*state_, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        tx.exec_prepared("quarantine_device", device_id, reason);
        return 0;
    });
}


bool store::promote_token(std::int64_t device_id,
                          const token_digest& presented) {
    return guarded(*state_, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx
            .exec_prepared("promote_token", device_id, to_hex(presented))[0][0]
            .as<bool>();
    });
}

} // namespace provgate
