// Reading the YAML configuration. This is the one file that knows yaml-cpp:
// it checks every key and value and turns the library's exceptions into
// config_error messages that name the file, line, column and key.

#include "provgate/config.hpp"

#include "provgate/phones.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

namespace provgate {

namespace {

// Where a problem is: file name and yaml-cpp's zero-based mark.
struct location {
    const std::string& file;
    const YAML::Mark& mark;
};


[[noreturn]] void fail(const location& at, const std::string& key,
                       const std::string& problem) {
    throw config_error(at.file + ":" + std::to_string(at.mark.line + 1) + ":" +
                       std::to_string(at.mark.column + 1) + ": key \"" + key +
                       "\": " + problem);
}


std::string read_string(const std::string& file, const std::string& key,
                        const YAML::Node& value) {
    if (!value.IsScalar()) {
        fail({file, value.Mark()}, key, "expected a string");
    }
    return value.Scalar();
}


int read_int(const std::string& file, const std::string& key,
             const YAML::Node& value, int min, int max) {
    int result = 0;
    if (!value.IsScalar() || !YAML::convert<int>::decode(value, result) ||
        result < min || result > max) {
        fail({file, value.Mark()}, key,
             "expected an integer from " + std::to_string(min) + " to " +
                 std::to_string(max));
    }
    return result;
}


bool read_bool(const std::string& file, const std::string& key,
               const YAML::Node& value) {
    bool result = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result)) {
        fail({file, value.Mark()}, key, "expected true or false");
    }
    return result;
}


using key_reader =
    std::function<void(const std::string& key, const YAML::Node& value)>;


// Walks a mapping, handing each known key to its reader; unknown keys and
// missing required ones are errors.
void read_mapping(const std::string& file, const std::string& path,
                  const YAML::Node& node,
                  const std::map<std::string, key_reader>& readers,
                  const std::set<std::string>& required) {
    if (!node.IsMap()) {
        fail({file, node.Mark()}, path.empty() ? "(top level)" : path,
             "expected a mapping");
    }

    std::set<std::string> seen;
    for (const auto& entry : node) {
        const std::string name = entry.first.Scalar();
        const std::string key = path.empty() ? name : path + "." + name;
        const auto reader = readers.find(name);
        if (reader == readers.end()) {
            fail({file, entry.first.Mark()}, key, "unrecognized key");
        }
        if (!seen.insert(name).second) {
            fail({file, entry.first.Mark()}, key, "duplicate key");
        }
        reader->second(key, entry.second);
    }

    for (const std::string& name : required) {
        if (seen.count(name) == 0) {
            fail({file, node.Mark()}, path.empty() ? name : path + "." + name,
                 "missing required key");
        }
    }
}


// Accepts "http(s)://host[:port]/path" with a non-empty path and no query;
// returns the path without a trailing slash.
std::string base_path_of(const std::string& url) {
    std::size_t scheme_end = std::string::npos;
    if (url.starts_with("https://")) {
        scheme_end = 8;
    } else if (url.starts_with("http://")) {
        scheme_end = 7;
    } else {
        return "";
    }

    const std::size_t path_start = url.find('/', scheme_end);
    if (path_start == std::string::npos || path_start == scheme_end ||
        url.find_first_of("?#% ", scheme_end) != std::string::npos) {
        return "";
    }
    std::string path = url.substr(path_start);
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back();
    }
    return path == "/" ? "" : path;
}


void read_database(const std::string& file, const std::string& path,
                   const YAML::Node& node, database_settings& out) {
    read_mapping(file, path, node,
                 {
                     {"dsn",
                      [&](auto& key, auto& value) {
                          out.dsn = read_string(file, key, value);
                      }},
                     {"read_dsn",
                      [&](auto& key, auto& value) {
                          out.read_dsn = read_string(file, key, value);
                      }},
                     {"admin_dsn",
                      [&](auto& key, auto& value) {
                          out.admin_dsn = read_string(file, key, value);
                      }},
                     {"statement_timeout_ms",
                      [&](auto& key, auto& value) {
                          out.statement_timeout_ms =
                              read_int(file, key, value, 1, 600000);
                      }},
                 },
                 {"dsn"});
}


void read_log(const std::string& file, const std::string& path,
              const YAML::Node& node, log_settings& out) {
    static const std::map<std::string, log_level> levels = {
        {"debug", log_level::debug},
        {"info", log_level::info},
        {"warning", log_level::warning},
        {"error", log_level::error},
    };

    read_mapping(
        file, path, node,
        {
            {"level",
             [&](auto& key, auto& value) {
                 const auto level = levels.find(read_string(file, key, value));
                 if (level == levels.end()) {
                     fail({file, value.Mark()}, key,
                          "expected one of debug, info, warning, error");
                 }
                 out.level = level->second;
             }},
            {"file",
             [&](auto& key, auto& value) {
                 out.file = read_string(file, key, value);
             }},
        },
        {});
}


std::vector<ip_network> read_networks(const std::string& file,
                                      const std::string& key,
                                      const YAML::Node& value) {
    if (!value.IsSequence()) {
        fail({file, value.Mark()}, key,
             "expected a list of networks such as \"192.0.2.0/24\"");
    }
    std::vector<ip_network> out;
    for (const auto& item : value) {
        const auto net = parse_network(read_string(file, key, item));
        if (!net) {
            fail({file, item.Mark()}, key,
                 "invalid network \"" + item.Scalar() +
                     "\"; expected \"address/prefix\" with no host bits set");
        }
        out.push_back(*net);
    }
    return out;
}


// A list of vendor keys, each one the devices table accepts.
std::vector<std::string> read_vendors(const std::string& file,
                                      const std::string& key,
                                      const YAML::Node& value) {
    if (!value.IsSequence()) {
        fail({file, value.Mark()}, key,
             "expected a list of vendor keys such as [yealink, polycom]");
    }
    std::vector<std::string> out;
    for (const auto& item : value) {
        const std::string vendor = read_string(file, key, item);
        if (!is_vendor_key(vendor)) {
            fail({file, item.Mark()}, key,
                 "unrecognized vendor \"" + vendor +
                     "\"; expected one of yealink, polycom, grandstream, "
                     "snom, cisco, fanvil, htek, gigaset");
        }
        out.push_back(vendor);
    }
    return out;
}


void read_lockout(const std::string& file, const std::string& path,
                  const YAML::Node& node, lockout_settings& out) {
    read_mapping(
        file, path, node,
        {
            {"enabled",
             [&](auto& key, auto& value) {
                 out.enabled = read_bool(file, key, value);
             }},
            {"max_failures",
             [&](auto& key, auto& value) {
                 out.max_failures = read_int(file, key, value, 1, 1000000);
             }},
            {"window_seconds",
             [&](auto& key, auto& value) {
                 out.window_seconds = read_int(file, key, value, 1, 604800);
             }},
            {"duration_seconds",
             [&](auto& key, auto& value) {
                 out.duration_seconds = read_int(file, key, value, 1, 31536000);
             }},
            {"exempt",
             [&](auto& key, auto& value) {
                 out.exempt = read_networks(file, key, value);
             }},
        },
        {});
}


void read_cache(const std::string& file, const std::string& path,
                const YAML::Node& node, cache_settings& out) {
    read_mapping(file, path, node,
                 {
                     {"max_entries",
                      [&](auto& key, auto& value) {
                          out.max_entries =
                              read_int(file, key, value, 0, 10000000);
                      }},
                     {"ttl_seconds",
                      [&](auto& key, auto& value) {
                          out.ttl_seconds = read_int(file, key, value, 1, 3600);
                      }},
                 },
                 {});
}


void read_render_cache(const std::string& file, const std::string& path,
                       const YAML::Node& node, render_cache_settings& out) {
    read_mapping(file, path, node,
                 {
                     {"max_bytes",
                      [&](auto& key, auto& value) {
                          out.max_bytes =
                              read_int(file, key, value, 0, 1024 * 1024 * 1024);
                      }},
                 },
                 {});
}


void read_audit(const std::string& file, const std::string& path,
                const YAML::Node& node, audit_settings& out) {
    read_mapping(file, path, node,
                 {
                     {"queue_rows",
                      [&](auto& key, auto& value) {
                          out.queue_rows =
                              read_int(file, key, value, 1, 10000000);
                      }},
                     {"drain_seconds",
                      [&](auto& key, auto& value) {
                          out.drain_seconds =
                              read_int(file, key, value, 0, 3600);
                      }},
                 },
                 {});
}


void check_listen(const std::string& file, const std::string& key,
                  const YAML::Node& value, const std::string& listen) {
    if (listen.starts_with("/")) {
        return;
    }
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        fail({file, value.Mark()}, key,
             "expected \"host:port\" or an absolute socket path");
    }
    int port = 0;
    const YAML::Node port_node(listen.substr(colon + 1));
    if (!YAML::convert<int>::decode(port_node, port) || port < 1 ||
        port > 65535) {
        fail({file, value.Mark()}, key, "port must be from 1 to 65535");
    }
}


// "host:port" with a numeric IPv4 host, or "" when allowed.
void check_host_port(const std::string& file, const std::string& key,
                     const YAML::Node& value, const std::string& text) {
    const std::size_t colon = text.rfind(':');
    int port = 0;
    unsigned a = 0, b = 0, c = 0, d = 0;
    char extra = 0;
    if (colon == std::string::npos ||
        std::sscanf(text.substr(0, colon).c_str(), "%u.%u.%u.%u%c", &a, &b, &c,
                    &d, &extra) != 4 ||
        a > 255 || b > 255 || c > 255 || d > 255 ||
        !YAML::convert<int>::decode(YAML::Node(text.substr(colon + 1)), port) ||
        port < 1 || port > 65535) {
        fail({file, value.Mark()}, key,
             "expected \"a.b.c.d:port\" with an IPv4 address");
    }
}


void read_pnp(const std::string& file, const std::string& path,
              const YAML::Node& node, pnp_settings& out) {
    auto address = [&](std::string& target) {
        return [&](auto& key, auto& value) {
            target = read_string(file, key, value);
            if (!target.empty()) {
                check_host_port(file, key, value, target);
            }
        };
    };
    read_mapping(
        file, path, node,
        {
            {"dsn",
             [&](auto& key, auto& value) {
                 out.dsn = read_string(file, key, value);
             }},
            {"multicast", address(out.multicast)},
            {"unicast", address(out.unicast)},
            {"interface",
             [&](auto& key, auto& value) {
                 out.interface = read_string(file, key, value);
                 check_host_port(file, key, value, out.interface + ":1");
             }},
            {"t1_ms",
             [&](auto& key, auto& value) {
                 out.t1_ms = read_int(file, key, value, 1, 60000);
             }},
            {"timeout_ms",
             [&](auto& key, auto& value) {
                 out.timeout_ms = read_int(file, key, value, 1, 600000);
             }},
        },
        {"dsn"});
    if (out.timeout_ms == 0) {
        out.timeout_ms = 64 * out.t1_ms; // timer F (RFC 3261, table 4)
    }
}


config read_top_level(const std::string& file, const YAML::Node& root) {
    config cfg;
    cfg.source = file;
    read_mapping(
        file, "", root,
        {
            {"base_url",
             [&](auto& key, auto& value) {
                 cfg.base_url = read_string(file, key, value);
                 cfg.base_path = base_path_of(cfg.base_url);
                 if (cfg.base_path.empty()) {
                     fail({file, value.Mark()}, key,
                          "expected an http:// or https:// URL with a path, "
                          "such as \"https://prov.example.net/prov\"");
                 }
                 while (cfg.base_url.ends_with("/")) {
                     cfg.base_url.pop_back();
                 }
             }},
            {"listen",
             [&](auto& key, auto& value) {
                 cfg.listen = read_string(file, key, value);
                 check_listen(file, key, value, cfg.listen);
             }},
            {"admin_listen",
             [&](auto& key, auto& value) {
                 cfg.admin_listen = read_string(file, key, value);
                 if (!cfg.admin_listen.empty()) {
                     check_listen(file, key, value, cfg.admin_listen);
                 }
             }},
            {"threads",
             [&](auto& key, auto& value) {
                 cfg.threads = read_int(file, key, value, 1, 1024);
             }},
            {"templates_dir",
             [&](auto& key, auto& value) {
                 cfg.templates_dir = read_string(file, key, value);
             }},
            {"static_dir",
             [&](auto& key, auto& value) {
                 cfg.static_dir = read_string(file, key, value);
             }},
            {"disable_auto_provision_security",
             [&](auto& key, auto& value) {
                 cfg.disable_auto_provision_security =
                     read_bool(file, key, value);
             }},
            {"legacy_networks",
             [&](auto& key, auto& value) {
                 cfg.legacy_networks = read_networks(file, key, value);
             }},
            {"legacy_flagged_only",
             [&](auto& key, auto& value) {
                 cfg.legacy_flagged_only = read_bool(file, key, value);
             }},
            {"legacy_bootstrap",
             [&](auto& key, auto& value) {
                 cfg.legacy_bootstrap = read_bool(file, key, value);
             }},
            {"quarantine_on_second_identity",
             [&](auto& key, auto& value) {
                 cfg.quarantine_on_second_identity =
                     read_bool(file, key, value);
             }},
            {"token_seal_key_file",
             [&](auto& key, auto& value) {
                 cfg.token_seal_key_file = read_string(file, key, value);
             }},
            {"require_client_cert",
             [&](auto& key, auto& value) {
                 cfg.require_client_cert = read_bool(file, key, value);
             }},
            {"require_client_cert_vendors",
             [&](auto& key, auto& value) {
                 cfg.require_client_cert_vendors =
                     read_vendors(file, key, value);
             }},
            {"digest_realm",
             [&](auto& key, auto& value) {
                 cfg.digest_realm = read_string(file, key, value);
                 const bool bad = std::any_of(
                     cfg.digest_realm.begin(), cfg.digest_realm.end(),
                     [](char c) {
                         return static_cast<unsigned char>(c) < 0x20 ||
                                c == 0x7f || c == '"' || c == '\\';
                     });
                 if (cfg.digest_realm.empty() || bad) {
                     fail({file, value.Mark()}, key,
                          "expected a realm without quotes, backslashes or "
                          "control characters");
                 }
             }},
            {"digest_nonce_key_file",
             [&](auto& key, auto& value) {
                 cfg.digest_nonce_key_file = read_string(file, key, value);
             }},
            {"digest_nonce_seconds",
             [&](auto& key, auto& value) {
                 cfg.digest_nonce_seconds =
                     read_int(file, key, value, 1, 86400);
             }},
            {"token_lifetime_days",
             [&](auto& key, auto& value) {
                 cfg.token_lifetime_days = read_int(file, key, value, 0, 36500);
             }},
            {"database",
             [&](auto& key, auto& value) {
                 read_database(file, key, value, cfg.database);
             }},
            {"log", [&](auto& key,
                        auto& value) { read_log(file, key, value, cfg.log); }},
            {"pnp",
             [&](auto& key, auto& value) {
                 read_pnp(file, key, value, cfg.pnp);
                 cfg.has_pnp = true;
             }},
            {"lockout",
             [&](auto& key, auto& value) {
                 read_lockout(file, key, value, cfg.lockout);
             }},
            {"lookup_cache",
             [&](auto& key, auto& value) {
                 read_cache(file, key, value, cfg.lookup_cache);
             }},
            {"render_cache",
             [&](auto& key, auto& value) {
                 read_render_cache(file, key, value, cfg.render_cache);
             }},
            {"audit",
             [&](auto& key, auto& value) {
                 read_audit(file, key, value, cfg.audit);
             }},
        },
        {"base_url", "listen", "templates_dir", "database"});
    return cfg;
}

} // namespace


config load_config(const std::string& path) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw config_error("could not open configuration file \"" + path +
                           "\"");
    } catch (const YAML::Exception& e) {
        throw config_error(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    if (!root.IsDefined() || root.IsNull()) {
        throw config_error(path + ":1:1: configuration file is empty");
    }
    return read_top_level(path, root);
}


const char* to_string(log_level level) {
    switch (level) {
    case log_level::debug:
        return "debug";
    case log_level::info:
        return "info";
    case log_level::warning:
        return "warning";
    case log_level::error:
        return "error";
    }
    return "info";
}

} // namespace provgate
