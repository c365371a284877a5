// provgate: the FastCGI worker behind nginx. Wiring only: read and check the
// configuration, open the sockets, run the accept loops and the status
// listener, and turn signals into actions: SIGHUP reloads the configuration
// and templates, SIGTERM and SIGINT stop accepting, let the requests in
// flight finish and exit 0.

#include "provgate/audit_writer.hpp"
#include "provgate/cache_listener.hpp"
#include "provgate/device_cache.hpp"
#include "provgate/fcgi_server.hpp"
#include "provgate/handler.hpp"
#include "provgate/log.hpp"
#include "provgate/lookup_batcher.hpp"
#include "provgate/metrics.hpp"
#include "provgate/status_server.hpp"

#include <CLI/CLI.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

namespace {

// The settings new requests are served with. A request loads the pointer
// once and keeps its snapshot to the end, whatever a reload does meanwhile.
using settings_ptr = std::shared_ptr<const provgate::settings>;
using current_settings = std::atomic<settings_ptr>;


void warn_if_insecure(const provgate::config& cfg) {
    if (!cfg.disable_auto_provision_security) {
        return;
    }
    PROVGATE_LOG(warning)
        << "auto provision security is disabled: anyone who knows or "
           "guesses a MAC can download that phone's credentials from the "
           "shared directory"
        << " key=disable_auto_provision_security file=\"" << cfg.source << "\"";
}


// The keys that size or bind the process: a reload reads them but only a
// restart applies them.
void warn_about_fixed_keys(const provgate::config& old_cfg,
                           const provgate::config& new_cfg) {
    const std::pair<const char*, bool> changed[] = {
        {"listen", old_cfg.listen != new_cfg.listen},
        {"admin_listen", old_cfg.admin_listen != new_cfg.admin_listen},
        {"threads", old_cfg.threads != new_cfg.threads},
        {"lookup_cache",
         old_cfg.lookup_cache.max_entries != new_cfg.lookup_cache.max_entries ||
             old_cfg.lookup_cache.ttl_seconds !=
                 new_cfg.lookup_cache.ttl_seconds},
        {"audit",
         old_cfg.audit.queue_rows != new_cfg.audit.queue_rows ||
             old_cfg.audit.drain_seconds != new_cfg.audit.drain_seconds},
    };
    for (const auto& [key, differs] : changed) {
        if (differs) {
            PROVGATE_LOG(warning)
                << "configuration key changed, restart to apply it"
                << " key=" << key << " file=\"" << new_cfg.source << "\"";
        }
    }
}


// SIGHUP: validates the file and the templates as a whole and only then
// swaps them in; on any error the old settings stay in force.
void reload(const std::string& path, current_settings& current) {
    const settings_ptr old_settings = current.load();
    settings_ptr new_settings;
    try {
        new_settings = provgate::load_settings(path);
        provgate::init_logging(new_settings->cfg.log.level,
                               new_settings->cfg.log.file);
    } catch (const std::exception& e) {
        provgate::metrics().count_reload(false);
        PROVGATE_LOG(error)
            << "could not reload configuration, the previous one stays in "
               "force reason=\""
            << e.what() << "\"";
        return;
    }

    warn_about_fixed_keys(old_settings->cfg, new_settings->cfg);
    warn_if_insecure(new_settings->cfg);
    current.store(new_settings);
    provgate::metrics().count_reload(true);
    PROVGATE_LOG(info) << "configuration reloaded file=\"" << path << "\"";
}


// /healthz: 200 if this worker can reach the database with the current
// settings, 503 otherwise. The status thread keeps its own connection.
provgate::status_page health(provgate::store& db,
                             const current_settings& current) {
    const settings_ptr s = current.load();
    db.configure(s->cfg.database);
    try {
        db.ping();
    } catch (const provgate::database_unavailable&) {
        return {503, "database unreachable\n"};
    }
    return {200, "ok\n"};
}


sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}


// Waits for signals on the main thread until one asks to stop.
void handle_signals(const std::string& path, current_settings& current) {
    const sigset_t set = handled_signals();
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig == SIGHUP) {
            reload(path, current);
            continue;
        }
        PROVGATE_LOG(info) << "shutting down, finishing requests in flight"
                           << " signal=" << (sig == SIGINT ? "INT" : "TERM");
        return;
    }
}

} // namespace


int main(int argc, char** argv) {
    CLI::App app{"provgate: secure provisioning worker (FastCGI)"};
    std::string config_path = "/etc/provgate/provgate.yaml";
    bool check_only = false;
    app.add_option("-c,--config", config_path, "configuration file")
        ->envname("PROVGATE_CONFIG");
    app.add_flag("--check", check_only,
                 "validate the configuration and templates, then exit");
    CLI11_PARSE(app, argc, argv);

    settings_ptr settings;
    try {
        settings = provgate::load_settings(config_path);
        provgate::init_logging(settings->cfg.log.level, settings->cfg.log.file);
    } catch (const std::exception& e) {
        std::cerr << "provgate: " << e.what() << '\n';
        return 2;
    }
    if (check_only) {
        std::cerr << "provgate: configuration \"" << config_path
                  << "\" is valid\n";
        return 0;
    }

    const provgate::config& cfg = settings->cfg;
    warn_if_insecure(cfg);
    std::signal(SIGPIPE, SIG_IGN);
    // Every thread started from here on inherits the mask; only the main
    // thread takes these signals, in sigwait.
    const sigset_t signals = handled_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    int fd = provgate::inherited_listen_socket();
    const bool owned = fd < 0;
    int admin_fd = -1;
    try {
        if (owned) {
            fd = provgate::open_listen_socket(cfg.listen);
        }
        if (!cfg.admin_listen.empty()) {
            admin_fd = provgate::open_listen_socket(cfg.admin_listen);
        }
    } catch (const std::exception& e) {
        PROVGATE_LOG(error) << e.what();
        provgate::flush_logging();
        return 1;
    }
    PROVGATE_LOG(info) << "provgate started listen=\""
                       << (owned ? cfg.listen : "systemd socket")
                       << "\" admin_listen=\"" << cfg.admin_listen
                       << "\" threads=" << cfg.threads << " base_url=\""
                       << cfg.base_url << "\" pid=" << getpid();

    current_settings current(settings);
    provgate::wakeup_latch stop;
    std::atomic<bool> failed{false};
    const auto database = [&current] { return current.load()->cfg.database; };

    // The device cache and the audit queue are the process's, shared by
    // the request threads; each has a thread of its own that talks to
    // PostgreSQL.
    provgate::device_cache cache(
        static_cast<std::size_t>(cfg.lookup_cache.max_entries),
        std::chrono::seconds(cfg.lookup_cache.ttl_seconds));
    provgate::lockout_list lockouts;
    std::thread listener_thread(
        [&] { provgate::run_cache_listener(cache, lockouts, database, stop); });
    provgate::lookup_batcher lookups(database);
    provgate::audit_queue audit(static_cast<std::size_t>(cfg.audit.queue_rows));
    std::thread audit_thread([&] {
        provgate::run_audit_writer(
            audit, database, std::chrono::seconds(cfg.audit.drain_seconds));
    });

    std::thread status_thread;
    if (admin_fd >= 0) {
        status_thread = std::thread([&] {
            provgate::store db(cfg.database);
            provgate::serve_status(
                admin_fd,
                {[&] { return health(db, current); },
                 [] { return provgate::metrics().render(); }},
                stop);
        });
    }

    std::thread fcgi_thread([&] {
        try {
            provgate::serve_fastcgi(
                fd, owned, cfg.threads,
                [&] {
                    auto db = std::make_shared<provgate::store>(cfg.database);
                    auto h = std::make_shared<provgate::handler>(
                        *db, cache, lookups, lockouts, audit);
                    return [db, h, &current](const provgate::request& req) {
                        const settings_ptr s = current.load();
                        db->configure(s->cfg.database);
                        return h->handle(*s, req);
                    };
                },
                stop);
        } catch (const std::exception& e) {
            PROVGATE_LOG(error)
                << "cannot serve requests reason=\"" << e.what() << "\"";
            failed = true;
            ::kill(getpid(), SIGTERM);
        }
    });

    handle_signals(config_path, current);
    stop.trigger();
    fcgi_thread.join();
    // Every request is answered: the rows still queued are written before
    // the process ends, unless the database stays away (audit.drain_seconds).
    audit.close();
    audit_thread.join();
    if (listener_thread.joinable()) {
        listener_thread.join();
    }
    if (status_thread.joinable()) {
        status_thread.join();
    }
    PROVGATE_LOG(info) << "provgate stopped";
    provgate::flush_logging();
    return failed ? 1 : 0;
}
