// The LISTEN side of the device cache: one connection, one thread.

#include "provgate/cache_listener.hpp"

#include "provgate/log.hpp"
#include "provgate/request.hpp"

#include <pqxx/pqxx>

#include <poll.h>

#include <chrono>

namespace provgate {

namespace {

constexpr const char* cache_channel = "provgate_cache";

// How often an idle listener checks that its connection still answers and
// that the settings have not changed under it.
constexpr int check_interval_ms = 2000;


class invalidator : public pqxx::notification_receiver {
public:
    invalidator(pqxx::connection_base& cx, device_cache& cache)
        : pqxx::notification_receiver(cx, cache_channel), cache_(cache) {}

    // Set by a "lockouts" notification: the list is read again once the
    // notifications are processed (no query may run inside this call).
    bool lockouts_changed = false;

    void operator()(const std::string& payload, int) override {
        if (payload == "lockouts") {
            lockouts_changed = true;
        } else if (const auto ids = devices_to_invalidate(payload)) {
            for (const std::int64_t id : *ids) {
                cache_.invalidate_device(id);
            }
        } else {
            cache_.clear();
        }
    }

private:
    device_cache& cache_;
};


// Waits for ms or until stop fires; false if it fired.
bool pause(const wakeup_latch& stop, int ms) {
    pollfd fds{stop.fd(), POLLIN, 0};
    return poll(&fds, 1, ms) <= 0;
}


// The addresses locked out now, through the one function the worker role
// may call on client_lockouts.
std::vector<lockout_list::entry> read_lockouts(pqxx::connection& cx) {
    pqxx::nontransaction tx(cx);
    const pqxx::result rows =
        tx.exec("SELECT host(client_addr), seconds_left FROM "
                "provgate.current_lockouts()");
    const auto now = lockout_list::clock::now();
    std::vector<lockout_list::entry> out;
    for (const pqxx::row& row : rows) {
        const auto addr = parse_ip(row[0].as<std::string>());
        if (!addr) {
            continue; // host() always gives a literal; nothing to lock
        }
        out.emplace_back(
            *addr,
            now + std::chrono::duration_cast<lockout_list::clock::duration>(
                      std::chrono::duration<double>(row[1].as<double>())));
    }
    return out;
}


// Listens until the connection fails, the settings change or stop fires.
void listen_once(device_cache& cache, lockout_list& lockouts,
                 const database_settings& db,
                 const std::function<database_settings()>& database,
                 const wakeup_latch& stop) {
    pqxx::connection cx(with_timeouts(db.dsn));
    invalidator receiver(cx, cache);
    {
        // The receiver's LISTEN is in force once this round trip is over;
        // only from then on may entries be trusted.
        pqxx::nontransaction tx(cx);
        tx.exec("SELECT 1");
    }
    // libpqxx 6 may reconnect behind a query's back and LISTEN again; the
    // notifications sent in between would be lost without a trace. A new
    // server process is how that shows.
    const int backend = cx.backendpid();
    cache.set_live(true);
    lockouts.replace(read_lockouts(cx));
    PROVGATE_LOG(info) << "device cache live, listening for changes";

    for (;;) {
        pollfd fds[2] = {{cx.sock(), POLLIN, 0}, {stop.fd(), POLLIN, 0}};
        const int ready = poll(fds, 2, check_interval_ms);
        if (ready < 0 && errno != EINTR) {
            throw std::runtime_error("poll failed");
        }
        if (fds[1].revents != 0) {
            return;
        }
        if (fds[0].revents != 0) {
            cx.get_notifs();
        }
        if (receiver.lockouts_changed) {
            receiver.lockouts_changed = false;
            lockouts.replace(read_lockouts(cx));
        }
        if (!cx.is_open()) {
            throw pqxx::broken_connection("connection lost");
        }
        if (ready == 0) {
            const database_settings now = database();
            if (now.dsn != db.dsn || !now.read_dsn.empty()) {
                return; // reconnect with the new settings
            }
            pqxx::nontransaction tx(cx);
            tx.exec("SELECT 1");
            if (cx.backendpid() != backend) {
                throw pqxx::broken_connection("reconnected, changes missed");
            }
        }
    }
}

} // namespace


void run_cache_listener(device_cache& cache, lockout_list& lockouts,
                        const std::function<database_settings()>& database,
                        const wakeup_latch& stop) {
    bool failing = false;
    while (!stop.triggered()) {
        const database_settings db = database();
        if (!db.read_dsn.empty()) {
            cache.set_live(false);
            lockouts.set_unknown();
            if (!pause(stop, check_interval_ms)) {
                break;
            }
            continue;
        }
        try {
            listen_once(cache, lockouts, db, database, stop);
            failing = false;
        } catch (const std::exception& e) {
            if (!failing) {
                // Safe, only slower: every lookup goes to the database.
                PROVGATE_LOG(warning)
                    << "device cache off until change notifications are "
                       "heard again reason=\""
                    << sanitize(std::string(e.what()).substr(
                                    0, std::string(e.what()).find('\n')),
                                200)
                    << "\"";
            }
            failing = true;
        }
        cache.set_live(false);
        lockouts.set_unknown();
        if (!pause(stop, 1000)) {
            break;
        }
    }
    cache.set_live(false);
    lockouts.set_unknown();
}

} // namespace provgate
