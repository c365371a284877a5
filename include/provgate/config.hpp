#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "provgate/network.hpp"

namespace provgate {

// A configuration error; what() reads "file:line:column: key "k": problem".
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class log_level { debug, info, warning, error };

struct database_settings {
    std::string dsn;       // the worker's connection (least-privilege role)
    std::string read_dsn;  // a hot standby for lookups; empty: use dsn
    std::string admin_dsn; // provgatectl's; empty means libpq's PG* variables
    int statement_timeout_ms = 2000;
};

struct log_settings {
    log_level level = log_level::info;
    std::string file; // empty: standard error
};

// The Plug-and-Play responder's section, "pnp:" (provgate-pnp only).
struct pnp_settings {
    std::string dsn; // the provgate_pnp role's connection
    std::string multicast = "224.0.1.75:5060"; // group:port; "" disables
    std::string interface = "0.0.0.0"; // address of the multicast interface
    std::string unicast;               // "host:port"; "" disables
    int t1_ms = 500;                   // RFC 3261 T1 for the NOTIFY
    int timeout_ms = 0;                // timer F; unset: 64*T1
};

// The "lockout" section: failed fetches that lock a client address out.
struct lockout_settings {
    bool enabled = true;
    int max_failures = 20;          // failures within the window that lock
    int window_seconds = 600;       // counted from the first failure
    int duration_seconds = 900;     // how long the address stays locked
    std::vector<ip_network> exempt; // never counted, never locked
};

// The "lookup_cache" section: devices kept in memory after a lookup by
// token (device_cache.hpp). Sized at start; a reload does not change it.
struct cache_settings {
    int max_entries = 20000; // 0 turns the cache off
    int ttl_seconds = 10;    // how long an account change may go unseen
};

// The "render_cache" section: rendered files kept in memory
// (render_cache.hpp). A reload starts a new cache of the new size.
struct render_cache_settings {
    int max_bytes = 8 * 1024 * 1024; // 0 turns the cache off
};

// The "audit" section: the rows waiting for the writer thread
// (audit_writer.hpp). Sized at start; a reload does not change it.
struct audit_settings {
    int queue_rows = 50000; // when full, files are refused with 503
    int drain_seconds = 10; // how long a stop waits for the database
};

// The whole YAML file, validated. Keys and defaults are listed in README.md.
struct config {
    std::string source; // the file it was read from

    std::string base_url;     // public, e.g. "https://prov.example.net/prov"
    std::string base_path;    // the path part of base_url, e.g. "/prov"
    std::string listen;       // "host:port" or an absolute Unix socket path
    std::string admin_listen; // /healthz and /metrics; empty: none
    int threads = 32;
    std::string templates_dir;
    std::string static_dir; // common files served as they are; "" for none
    bool disable_auto_provision_security = false;
    // The fence around the shared directory (README.md, "Security").
    std::vector<ip_network> legacy_networks; // empty: any address
    bool legacy_flagged_only = false;        // only devices flagged legacy
    bool legacy_bootstrap = false;    // first fetch moves it to a secret URL
    int token_lifetime_days = 0;      // 0: tokens do not expire
    bool require_client_cert = false; // a verified phone certificate
    // The same, only for the devices of these vendor keys (the device's
    // recorded vendor, else its OUI's).
    std::vector<std::string> require_client_cert_vendors;
    bool quarantine_on_second_identity = false; // else alert only
    std::string token_seal_key_file; // rotation with overlap; "" for none
    // HTTP Digest (RFC 7616) for devices that have a credential.
    std::string digest_realm = "provgate";
    int digest_nonce_seconds = 300;    // how long a nonce is accepted
    std::string digest_nonce_key_file; // shared by workers; "" for random
    database_settings database;
    log_settings log;
    pnp_settings pnp;
    bool has_pnp = false; // the file has a "pnp" section
    lockout_settings lockout;
    cache_settings lookup_cache;
    render_cache_settings render_cache;
    audit_settings audit;
};

// Reads and validates the file as a whole. Throws config_error naming the
// file, line, column and key of the first problem found.
config load_config(const std::string& path);

// "debug", "info", ... as written in the file.
const char* to_string(log_level level);

} // namespace provgate
