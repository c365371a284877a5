// The worker's queries. Each is a prepared statement on the connection of
// the store that runs it (a request thread's, the lookup thread's, the
// audit thread's); the worker's role may read devices and sip_accounts,
// insert audit rows and call the functions of sql/004 and sql/006, nothing
// else (sql/002_roles.sql). With a read_dsn the lookups go to a hot standby
// on a second connection, everything else to the primary.

#include "provgate/store.hpp"

#include "provgate/log.hpp"
#include "provgate/metrics.hpp"
#include "provgate/request.hpp"

#include <pqxx/pqxx>

#include <atomic>
#include <mutex>
#include <regex>

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
       coalesce(d.grace_until > now(), false),
       coalesce(d.digest_user, ''), coalesce(d.digest_ha1, ''),
       d.require_client_cert, coalesce(d.identity_cert, ''),
       coalesce(d.identity_user_agent, ''),
       coalesce(extract(epoch FROM
                    least(CASE WHEN d.expires_at > now() THEN d.expires_at END,
                          CASE WHEN d.grace_until > now() THEN d.grace_until END)
                    - now()), -1)
FROM provgate.devices AS d
LEFT JOIN provgate.sip_accounts AS a ON a.extension = d.extension
)";


// The state of an outage, shared by every connection of the process, so
// that an outage is logged once, not once per request. It starts with the
// first failure and ends with the first success on a connection opened
// after that failure: while a server shuts down, queries on older
// connections may still succeed between the failures.
struct outage_state {
    std::atomic<bool> down{false}; // read without the lock on every query
    std::atomic<std::uint64_t> failures{0};
    std::mutex mutex; // taken only to begin or end an outage
    std::atomic<std::uint64_t> began_at{0}; // failures when the last began
};

outage_state outage;


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
    d.digest_user = row[23].as<std::string>();
    d.digest_ha1 = row[24].as<std::string>();
    d.require_client_cert = row[25].as<bool>();
    d.identity_cert = row[26].as<std::string>();
    d.identity_user_agent = row[27].as<std::string>();
    d.state_changes_in = row[28].as<double>();
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


// Without the timeouts a server that vanished from the network would hold
// a worker thread for the kernel's TCP timeouts (minutes).
std::string with_timeouts(const std::string& dsn) {
    static const std::pair<const char*, const char*> defaults[] = {
        {"connect_timeout", "2"},  {"keepalives", "1"},
        {"keepalives_idle", "10"}, {"keepalives_interval", "5"},
        {"keepalives_count", "3"},
    };
    const bool uri =
        dsn.starts_with("postgresql://") || dsn.starts_with("postgres://");
    std::string out = dsn;
    for (const auto& [key, value] : defaults) {
        // libpq allows blanks around "=" in a keyword/value string.
        const std::regex set_by_dsn("(^|[ ?&])" + std::string(key) + " *=");
        if (std::regex_search(dsn, set_by_dsn)) {
            continue;
        }
        if (uri) {
            out += out.find('?') == std::string::npos ? '?' : '&';
        } else if (!out.empty()) {
            out += ' ';
        }
        out += std::string(key) + "=" + value;
    }
    return out;
}


// One database connection and the DSN it is opened with.
struct link {
    std::string dsn;
    std::unique_ptr<pqxx::connection> cx;
    std::uint64_t opened_after = 0; // outage.failures when cx was opened
};


// The primary takes the audit inserts, and the lookups too unless a
// read_dsn names a standby for them.
struct store::state {
    link primary;
    link standby;
    int statement_timeout_ms;

    link& lookups() {
        return standby.dsn.empty() ? primary : standby;
    }
};


namespace {

void prepare_lookups(pqxx::connection& cx) {
    // $1 is a text array of hex digests. Both columns are unique, so each
    // lookup is two index probes (a BitmapOr), however many tokens.
    cx.prepare("find_by_tokens", std::string(device_select) + R"(
WHERE d.token_hash = ANY (ARRAY(SELECT decode(h, 'hex')
                               FROM unnest($1::text[]) AS h))
   OR d.pending_token_hash = ANY (ARRAY(SELECT decode(h, 'hex')
                                       FROM unnest($1::text[]) AS h))
)");
    cx.prepare("find_by_mac", std::string(device_select) + "WHERE d.mac = $1");
}


// The primary takes the lockout and device-state functions of
// sql/004_attack.sql and sql/006_identity.sql: they write, and a lockout
// must not lag behind. (Audit rows go by COPY, which needs no statement.)
void prepare_primary(pqxx::connection& cx) {
    cx.prepare("client_locked", "SELECT provgate.client_locked($1::inet)");
    cx.prepare("note_failure",
               "SELECT provgate.note_failure($1::inet, $2, $3, $4, $5)");
    cx.prepare("quarantine_device",
               "SELECT provgate.quarantine_device($1, $2)");
    cx.prepare("bootstrap_device",
               "SELECT provgate.bootstrap_device($1, decode($2, 'hex'))");
    cx.prepare("promote_token",
               "SELECT provgate.promote_token($1, decode($2, 'hex'))");
    cx.prepare("note_identity", "SELECT provgate.note_identity($1, $2, $3, "
                                "$4::inet, $5, $6)");
    cx.prepare("use_digest_nonce",
               "SELECT provgate.use_digest_nonce($1, $2, to_timestamp($3))");
}


pqxx::connection& open_connection(store::state& st, link& l) {
    if (l.cx && l.cx->is_open()) {
        return *l.cx;
    }

    l.cx.reset();
    l.opened_after = outage.failures.load();
    auto cx = std::make_unique<pqxx::connection>(with_timeouts(l.dsn));
    pqxx::nontransaction setup(*cx);
    setup.exec("SET statement_timeout = " +
               std::to_string(st.statement_timeout_ms));
    setup.exec("SET application_name = 'provgate'");
    // An audit insert does not wait for its WAL record to reach disk: a
    // crash of PostgreSQL itself may lose the last fraction of a second of
    // audit rows (wal_writer_delay), which README.md states, and in return
    // a phone's fetch never waits on an fsync.
    setup.exec("SET synchronous_commit = off");
    setup.commit();

    // A hot standby is read-only: it gets the lookups alone.
    if (&l == &st.lookups()) {
        prepare_lookups(*cx);
    }
    if (&l == &st.primary) {
        prepare_primary(*cx);
    }
    l.cx = std::move(cx);
    return *l.cx;
}


// Runs fn on the connection of l, turning any libpqxx failure into
// database_unavailable and logging the first one of an outage.
template <typename Fn>
auto guarded(store::state& st, link& l, Fn&& fn)
    -> decltype(fn(std::declval<pqxx::connection&>())) {
    try {
        // A connection older than the last outage most likely lost its
        // server session without having noticed: replace it before use
        // rather than fail a phone's request after the database is back.
        if (l.cx && l.opened_after < outage.began_at.load()) {
            l.cx.reset();
        }
        auto result = fn(open_connection(st, l));
        if (outage.down.load()) {
            const std::lock_guard<std::mutex> lock(outage.mutex);
            if (outage.down && l.opened_after >= outage.began_at) {
                outage.down = false;
                PROVGATE_LOG(info) << "database connection restored";
            }
        }
        return result;
    } catch (const pqxx::failure& e) {
        // A broken connection is reopened on the next request; any other
        // failure (timeout, missing privilege) also drops it, so that a fixed
        // grant or a restarted server is picked up without a restart.
        l.cx.reset();
        const std::uint64_t failure = ++outage.failures;
        metrics().count_database_error();
        if (!outage.down.load()) {
            const std::lock_guard<std::mutex> lock(outage.mutex);
            if (!outage.down) {
                outage.down = true;
                outage.began_at = failure;
                const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
                PROVGATE_LOG(error)
                    << "could not query database"
                    << (&l == &st.standby ? " server=standby" : "")
                    << (sql != nullptr ? " sqlstate=" + sql->sqlstate() : "")
                    << " reason=\"" << sanitize_reason(e.what()) << "\"";
            }
        }
        throw database_unavailable("database unavailable");
    }
}

// Streams rows into fetch_audit on tx.
void copy_rows(pqxx::work& tx, const std::vector<audit_record>& rows) {
    static const std::vector<std::string> columns = {
        "client_addr", "method",    "file",       "token_prefix",
        "mac",         "device_id", "vendor",     "status",
        "outcome",     "legacy",    "user_agent", "request_id"};
    pqxx::stream_to copy(tx, "provgate.fetch_audit", columns);
    for (const audit_record& r : rows) {
        const std::string device_id =
            r.device_id ? std::to_string(*r.device_id) : "";
        const std::string status = std::to_string(r.status);
        copy << std::make_tuple(
            null_if_empty(r.client_addr), r.method.c_str(), r.file.c_str(),
            null_if_empty(r.token_prefix), null_if_empty(r.mac),
            null_if_empty(device_id), null_if_empty(r.vendor), status.c_str(),
            r.outcome.c_str(), r.legacy ? "t" : "f",
            null_if_empty(r.user_agent), null_if_empty(r.request_id));
    }
    copy.complete();
}

} // namespace


store::store(const database_settings& db)
    : state_(std::make_unique<state>(state{{db.dsn, nullptr, 0},
                                           {db.read_dsn, nullptr, 0},
                                           db.statement_timeout_ms})) {}


store::~store() = default;


std::vector<device_record>
store::find_by_tokens(const std::vector<token_digest>& digests) {
    // An array literal of hex digits needs no quoting: "{ab12...,cd34...}".
    std::string array = "{";
    for (const token_digest& digest : digests) {
        if (array.size() > 1) {
            array += ',';
        }
        array += to_hex(digest);
    }
    array += '}';
    return guarded(*state_, state_->lookups(), [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        const pqxx::result rows = tx.exec_prepared("find_by_tokens", array);
        std::vector<device_record> out;
        out.reserve(rows.size());
        for (const pqxx::row& row : rows) {
            out.push_back(row_to_device(row));
        }
        return out;
    });
}


std::optional<device_record> store::find_by_mac(const std::string& mac) {
    return guarded(*state_, state_->lookups(), [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return first_device(tx.exec_prepared("find_by_mac", mac));
    });
}


void store::record_fetches(const std::vector<audit_record>& rows) {
    guarded(*state_, state_->primary, [&](pqxx::connection& cx) {
        // COPY takes a batch in one round trip and far less server time
        // than as many INSERTs; the worker's INSERT grant covers it.
        pqxx::work tx(cx);
        try {
            copy_rows(tx, rows);
        } catch (const pqxx::data_exception& e) {
            throw audit_rejected(sanitize_reason(e.what()));
        } catch (const pqxx::integrity_constraint_violation& e) {
            throw audit_rejected(sanitize_reason(e.what()));
        }
        tx.commit();
        return 0;
    });
}


void store::configure(const database_settings& db) {
    state& st = *state_;
    if (db.dsn == st.primary.dsn && db.read_dsn == st.standby.dsn &&
        db.statement_timeout_ms == st.statement_timeout_ms) {
        return;
    }
    st.primary = {db.dsn, nullptr, 0};
    st.standby = {db.read_dsn, nullptr, 0};
    st.statement_timeout_ms = db.statement_timeout_ms;
}


void store::ping() {
    const auto select_one = [](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        tx.exec("SELECT 1");
        return 0;
    };
    guarded(*state_, state_->primary, select_one);
    if (!state_->standby.dsn.empty()) {
        guarded(*state_, state_->standby, select_one);
    }
}


bool store::client_locked(const std::string& client_addr) {
    return guarded(*state_, state_->primary, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx.exec_prepared("client_locked", client_addr)[0][0].as<bool>();
    });
}


bool store::note_failure(const std::string& client_addr,
                         const std::string& reason, int max_failures,
                         int window_seconds, int lock_seconds) {
    return guarded(*state_, state_->primary, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx
            .exec_prepared("note_failure", client_addr, reason, max_failures,
                           window_seconds, lock_seconds)[0][0]
            .as<bool>();
    });
}


bool store::bootstrap_device(std::int64_t device_id,
                             const token_digest& new_hash) {
    return guarded(*state_, state_->primary, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx
            .exec_prepared("bootstrap_device", device_id,
                           to_hex(new_hash))[0][0]
            .as<bool>();
    });
}


void store::quarantine_device(std::int64_t device_id,
                              const std::string& reason) {
    guarded(*state_, state_->primary, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        tx.exec_prepared("quarantine_device", device_id, reason);
        return 0;
    });
}


bool store::promote_token(std::int64_t device_id,
                          const token_digest& presented) {
    return guarded(*state_, state_->primary, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx
            .exec_prepared("promote_token", device_id, to_hex(presented))[0][0]
            .as<bool>();
    });
}


bool store::note_identity(std::int64_t device_id, const std::string& cert,
                          const std::string& user_agent,
                          const std::string& client_addr,
                          const std::string& token_prefix, bool quarantine) {
    return guarded(*state_, state_->primary, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx
            .exec_prepared("note_identity", device_id, null_if_empty(cert),
                           null_if_empty(user_agent),
                           null_if_empty(client_addr),
                           null_if_empty(token_prefix), quarantine)[0][0]
            .as<bool>();
    });
}


bool store::use_digest_nonce(const std::string& nonce, std::uint64_t nc,
                             std::int64_t expires_at) {
    return guarded(*state_, state_->primary, [&](pqxx::connection& cx) {
        pqxx::nontransaction tx(cx);
        return tx
            .exec_prepared("use_digest_nonce", nonce,
                           static_cast<std::int64_t>(nc), expires_at)[0][0]
            .as<bool>();
    });
}

} // namespace provgate
