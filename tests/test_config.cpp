// Unit tests for load_config: a complete file loads every field, omitted
// keys take their documented defaults, and every mistake is reported as
// "file:line:column: key "k": problem" before the server starts.

#include "provgate/config.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

using namespace provgate;


namespace {

// A directory of its own under the system's temporary directory, removed
// with everything in it when the test ends.
class temp_dir {
public:
    temp_dir() {
        static std::atomic<int> counter{0};
        std::random_device random;
        path_ = std::filesystem::temp_directory_path() /
                ("provgate-test-config-" + std::to_string(getpid()) + "-" +
                 std::to_string(counter++) + "-" + std::to_string(random()));
        std::filesystem::create_directories(path_);
    }

    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    // Writes text to name in the directory and returns the file's path.
    std::string write(const std::string& name, const std::string& text) const {
        const std::filesystem::path file = path_ / name;
        std::ofstream out(file, std::ios::binary);
        out << text;
        return file.string();
    }

    std::string path() const {
        return path_.string();
    }


private:
    std::filesystem::path path_;
};


constexpr const char* full_file = R"(base_url: "https://prov.example.net/prov/"
listen: "127.0.0.1:9000"
admin_listen: "127.0.0.1:9001"
threads: 8
templates_dir: /usr/share/provgate/templates
disable_auto_provision_security: true
token_lifetime_days: 365
database:
  dsn: "dbname=provgate user=provgate_worker"
  read_dsn: "host=standby dbname=provgate user=provgate_worker"
  admin_dsn: "dbname=provgate user=provgate_admin"
  statement_timeout_ms: 500
log:
  level: debug
  file: /var/log/provgate/provgate.log
)";


constexpr const char* minimal_file = R"(base_url: https://prov.example.net/prov
listen: 127.0.0.1:9000
templates_dir: /srv/templates
database:
  dsn: dbname=provgate
)";


// The message load_config throws for the file, or a marker that cannot
// match any expected message if it loads.
std::string load_error(const std::string& path) {
    try {
        load_config(path);
    } catch (const config_error& e) {
        return e.what();
    }
    return "(loaded without error)";
}


// The minimal file with one line replaced by another (or removed when
// replacement is empty).
std::string replace_line(const std::string& text, const std::string& line,
                         const std::string& replacement) {
    std::string out = text;
    const std::size_t at = out.find(line + "\n");
    REQUIRE(at != std::string::npos);
    out.replace(at, line.size() + 1,
                replacement.empty() ? "" : replacement + "\n");
    return out;
}

} // namespace


TEST_CASE("a complete configuration file loads every field") {
    const temp_dir dir;
    const std::string path = dir.write("full.yaml", full_file);

    const config cfg = load_config(path);

    CHECK(cfg.source == path);
    CHECK(cfg.base_url == "https://prov.example.net/prov");
    CHECK(cfg.base_path == "/prov");
    CHECK(cfg.listen == "127.0.0.1:9000");
    CHECK(cfg.admin_listen == "127.0.0.1:9001");
    CHECK(cfg.threads == 8);
    CHECK(cfg.templates_dir == "/usr/share/provgate/templates");
    CHECK(cfg.disable_auto_provision_security);
    CHECK(cfg.token_lifetime_days == 365);
    CHECK(cfg.database.dsn == "dbname=provgate user=provgate_worker");
    CHECK(cfg.database.read_dsn ==
          "host=standby dbname=provgate user=provgate_worker");
    CHECK(cfg.database.admin_dsn == "dbname=provgate user=provgate_admin");
    CHECK(cfg.database.statement_timeout_ms == 500);
    CHECK(cfg.log.level == log_level::debug);
    CHECK(cfg.log.file == "/var/log/provgate/provgate.log");
}


TEST_CASE("omitted keys take their defaults") {
    const temp_dir dir;

    const config cfg = load_config(dir.write("minimal.yaml", minimal_file));

    CHECK(cfg.base_url == "https://prov.example.net/prov");
    CHECK(cfg.base_path == "/prov");
    CHECK(cfg.threads == 32);
    CHECK_FALSE(cfg.disable_auto_provision_security);
    CHECK(cfg.token_lifetime_days == 0);
    CHECK(cfg.database.admin_dsn.empty());
    CHECK(cfg.database.read_dsn.empty());
    CHECK(cfg.admin_listen.empty());
    CHECK(cfg.database.statement_timeout_ms == 2000);
    CHECK(cfg.log.level == log_level::info);
    CHECK(cfg.log.file.empty());
}


TEST_CASE("base_url loses its trailing slashes and gives the base path") {
    const temp_dir dir;
    const std::string text =
        replace_line(minimal_file, "base_url: https://prov.example.net/prov",
                     "base_url: http://prov.example.net:8080/a/prov//");

    const config cfg = load_config(dir.write("slash.yaml", text));

    CHECK(cfg.base_url == "http://prov.example.net:8080/a/prov");
    CHECK(cfg.base_path == "/a/prov");
}


TEST_CASE("listen accepts an absolute Unix socket path") {
    const temp_dir dir;
    const std::string text =
        replace_line(minimal_file, "listen: 127.0.0.1:9000",
                     "listen: /run/provgate/provgate.sock");

    const config cfg = load_config(dir.write("unix.yaml", text));

    CHECK(cfg.listen == "/run/provgate/provgate.sock");
}


TEST_CASE("an unknown key is named with its file, line and column") {
    const temp_dir dir;
    const std::string text =
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "treads: 4\ntemplates_dir: /srv/templates");
    const std::string path = dir.write("typo.yaml", text);

    CHECK(load_error(path) == path + ":3:1: key \"treads\": unrecognized key");
}


TEST_CASE("an unknown nested key is named with its full key path") {
    const temp_dir dir;
    const std::string text =
        replace_line(minimal_file, "  dsn: dbname=provgate",
                     "  dsn: dbname=provgate\n  dsnn: dbname=other");
    const std::string path = dir.write("nested.yaml", text);

    CHECK(load_error(path) ==
          path + ":6:3: key \"database.dsnn\": unrecognized key");
}


TEST_CASE("a value of the wrong type is named with its line and column") {
    const temp_dir dir;
    const std::string text =
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir: /srv/templates\nthreads: many");
    const std::string path = dir.write("type.yaml", text);

    CHECK(load_error(path) == path + ":4:10: key \"threads\": expected an "
                                     "integer from 1 to 1024");
}


TEST_CASE("a number out of range is refused") {
    const temp_dir dir;
    const std::string text =
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir: /srv/templates\nthreads: 0");
    const std::string path = dir.write("range.yaml", text);

    CHECK(load_error(path) == path + ":4:10: key \"threads\": expected an "
                                     "integer from 1 to 1024");
}


TEST_CASE("a boolean key with another value is refused") {
    const temp_dir dir;
    const std::string text =
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir: /srv/templates\n"
                     "disable_auto_provision_security: maybe");
    const std::string path = dir.write("bool.yaml", text);

    CHECK(load_error(path) == path + ":4:34: key "
                                     "\"disable_auto_provision_security\": "
                                     "expected true or false");
}


TEST_CASE("a mapping where a string belongs is refused") {
    const temp_dir dir;
    const std::string text =
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir:\n  a: b");
    const std::string path = dir.write("map.yaml", text);

    CHECK(load_error(path) ==
          path + ":4:3: key \"templates_dir\": expected a string");
}


TEST_CASE("each missing required key is named") {
    const temp_dir dir;

    SUBCASE("base_url") {
        const std::string path = dir.write(
            "no-base-url.yaml",
            replace_line(minimal_file,
                         "base_url: https://prov.example.net/prov", ""));
        const std::string error = load_error(path);
        CHECK(error.starts_with(path + ":1:1: "));
        CHECK(error.ends_with("key \"base_url\": missing required key"));
    }
    SUBCASE("listen") {
        const std::string path =
            dir.write("no-listen.yaml",
                      replace_line(minimal_file, "listen: 127.0.0.1:9000", ""));
        CHECK(load_error(path) ==
              path + ":1:1: key \"listen\": missing required key");
    }
    SUBCASE("templates_dir") {
        const std::string path = dir.write(
            "no-templates.yaml",
            replace_line(minimal_file, "templates_dir: /srv/templates", ""));
        CHECK(load_error(path) ==
              path + ":1:1: key \"templates_dir\": missing required key");
    }
    SUBCASE("database") {
        const std::string path =
            dir.write("no-database.yaml",
                      replace_line(replace_line(minimal_file, "database:", ""),
                                   "  dsn: dbname=provgate", ""));
        CHECK(load_error(path) ==
              path + ":1:1: key \"database\": missing required key");
    }
    SUBCASE("database.dsn") {
        const std::string path = dir.write(
            "no-dsn.yaml", replace_line(minimal_file, "  dsn: dbname=provgate",
                                        "  statement_timeout_ms: 100"));
        CHECK(load_error(path) ==
              path + ":5:3: key \"database.dsn\": missing required key");
    }
}


TEST_CASE("a base_url without a path or with another scheme is refused") {
    const temp_dir dir;
    const std::string problem =
        "expected an http:// or https:// URL with a path, such as "
        "\"https://prov.example.net/prov\"";

    for (const char* url :
         {"https://prov.example.net", "https://prov.example.net/",
          "ftp://prov.example.net/prov", "prov.example.net/prov",
          "https:///prov", "https://prov.example.net/prov?x=1",
          "https://prov.example.net/prov%2F"}) {
        const std::string path = dir.write(
            "url.yaml", replace_line(minimal_file,
                                     "base_url: https://prov.example.net/prov",
                                     std::string("base_url: \"") + url + "\""));
        INFO("base_url: ", url);
        CHECK(load_error(path) == path + ":1:11: key \"base_url\": " + problem);
    }
}


TEST_CASE("a listen address with a bad port is refused") {
    const temp_dir dir;

    for (const char* listen : {"127.0.0.1:0", "127.0.0.1:65536",
                               "127.0.0.1:http", "127.0.0.1:", "[::1]:-1"}) {
        const std::string path =
            dir.write("port.yaml",
                      replace_line(minimal_file, "listen: 127.0.0.1:9000",
                                   std::string("listen: \"") + listen + "\""));
        INFO("listen: ", listen);
        CHECK(load_error(path) ==
              path + ":2:9: key \"listen\": port must be from 1 to 65535");
    }
}


TEST_CASE("an admin_listen address with a bad port is named as such") {
    const temp_dir dir;
    const std::string path = dir.write(
        "admin.yaml", replace_line(minimal_file, "listen: 127.0.0.1:9000",
                                   "listen: 127.0.0.1:9000\n"
                                   "admin_listen: \"127.0.0.1:99999\""));

    CHECK(load_error(path) ==
          path + ":3:15: key \"admin_listen\": port must be from 1 to 65535");
}


TEST_CASE("a listen address without a port is refused") {
    const temp_dir dir;

    for (const char* listen : {"127.0.0.1", ":9000", "relative/socket"}) {
        const std::string path =
            dir.write("listen.yaml",
                      replace_line(minimal_file, "listen: 127.0.0.1:9000",
                                   std::string("listen: \"") + listen + "\""));
        INFO("listen: ", listen);
        CHECK(load_error(path) ==
              path + ":2:9: key \"listen\": expected \"host:port\" or an "
                     "absolute socket path");
    }
}


TEST_CASE("a duplicate key is refused at its second occurrence") {
    const temp_dir dir;
    const std::string path =
        dir.write("duplicate.yaml",
                  std::string(minimal_file) + "listen: 127.0.0.1:9001\n");

    CHECK(load_error(path) == path + ":6:1: key \"listen\": duplicate key");
}


TEST_CASE("an unknown log level is refused") {
    const temp_dir dir;
    const std::string path = dir.write(
        "level.yaml", std::string(minimal_file) + "log:\n  level: verbose\n");

    CHECK(load_error(path) == path + ":7:10: key \"log.level\": expected one "
                                     "of debug, info, warning, error");
}


TEST_CASE("each log level loads") {
    const temp_dir dir;

    for (const log_level level : {log_level::debug, log_level::info,
                                  log_level::warning, log_level::error}) {
        const std::string path = dir.write(
            "levels.yaml", std::string(minimal_file) +
                               "log:\n  level: " + to_string(level) + "\n");
        INFO("level: ", to_string(level));
        CHECK(load_config(path).log.level == level);
    }
}


TEST_CASE("a YAML syntax error names the file, line and column") {
    const temp_dir dir;
    const std::string path =
        dir.write("syntax.yaml", std::string(minimal_file) + "threads: [4\n");

    const std::string error = load_error(path);

    CHECK(error.starts_with(path + ":"));
    const std::string place = error.substr(path.size() + 1);
    const std::size_t colon = place.find(':');
    REQUIRE(colon != std::string::npos);
    const int line = std::stoi(place.substr(0, colon));
    CHECK(line >= 6);
    CHECK(line <= 7);
    CHECK(std::stoi(place.substr(colon + 1)) >= 1);
}


TEST_CASE("an empty file is refused") {
    const temp_dir dir;
    const std::string path = dir.write("empty.yaml", "");

    CHECK(load_error(path) == path + ":1:1: configuration file is empty");
}


TEST_CASE("a top level that is not a mapping is refused") {
    const temp_dir dir;
    const std::string path = dir.write("list.yaml", "- a\n- b\n");

    CHECK(load_error(path) ==
          path + ":1:1: key \"(top level)\": expected a mapping");
}


TEST_CASE("a missing file cannot be opened") {
    const temp_dir dir;
    const std::string path = dir.path() + "/absent.yaml";

    CHECK(load_error(path) ==
          "could not open configuration file \"" + path + "\"");
}


TEST_CASE("the digest settings load, and a realm that breaks quoting not") {
    const temp_dir dir;
    CHECK(load_config(dir.write("minimal.yaml", minimal_file)).digest_realm ==
          "provgate");
    CHECK(load_config(dir.write("minimal.yaml", minimal_file))
              .digest_nonce_seconds == 300);

    const config cfg = load_config(dir.write(
        "digest.yaml",
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir: /srv/templates\ndigest_realm: phones\n"
                     "digest_nonce_seconds: 60\n"
                     "digest_nonce_key_file: /etc/provgate/nonce.key")));
    CHECK(cfg.digest_realm == "phones");
    CHECK(cfg.digest_nonce_seconds == 60);
    CHECK(cfg.digest_nonce_key_file == "/etc/provgate/nonce.key");

    const std::string path = dir.write(
        "realm.yaml",
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir: /srv/templates\ndigest_realm: 'a\"b'"));
    CHECK(load_error(path) ==
          path + ":4:15: key \"digest_realm\": expected a realm without "
                 "quotes, backslashes or control characters");
}


TEST_CASE("require_client_cert_vendors takes known vendor keys only") {
    const temp_dir dir;
    CHECK(load_config(dir.write("minimal.yaml", minimal_file))
              .require_client_cert_vendors.empty());

    const config cfg = load_config(dir.write(
        "vendors.yaml",
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir: /srv/templates\n"
                     "require_client_cert_vendors: [yealink, polycom]")));
    CHECK(cfg.require_client_cert_vendors ==
          std::vector<std::string>{"yealink", "polycom"});

    const std::string unknown =
        dir.write("unknown.yaml",
                  replace_line(minimal_file, "templates_dir: /srv/templates",
                               "templates_dir: /srv/templates\n"
                               "require_client_cert_vendors:\n"
                               "  - yealink\n"
                               "  - Yealink"));
    CHECK(load_error(unknown) ==
          unknown + ":6:5: key \"require_client_cert_vendors\": unrecognized "
                    "vendor \"Yealink\"; expected one of yealink, polycom, "
                    "grandstream, snom, cisco, fanvil, htek, gigaset");

    const std::string scalar =
        dir.write("scalar.yaml",
                  replace_line(minimal_file, "templates_dir: /srv/templates",
                               "templates_dir: /srv/templates\n"
                               "require_client_cert_vendors: yealink"));
    CHECK(load_error(scalar) ==
          scalar + ":4:30: key \"require_client_cert_vendors\": expected a "
                   "list of vendor keys such as [yealink, polycom]");
}


TEST_CASE("the cache and audit sections load, with their defaults and "
          "limits") {
    const temp_dir dir;
    const config defaults =
        load_config(dir.write("minimal.yaml", minimal_file));
    CHECK(defaults.lookup_cache.max_entries == 20000);
    CHECK(defaults.lookup_cache.ttl_seconds == 10);
    CHECK(defaults.audit.queue_rows == 50000);
    CHECK(defaults.audit.drain_seconds == 10);
    CHECK(defaults.render_cache.max_bytes == 8 * 1024 * 1024);

    const std::string text =
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir: /srv/templates\n"
                     "lookup_cache: {max_entries: 0, ttl_seconds: 2}\n"
                     "render_cache: {max_bytes: 0}\n"
                     "audit: {queue_rows: 10, drain_seconds: 0}");
    const config set = load_config(dir.write("set.yaml", text));
    CHECK(set.lookup_cache.max_entries == 0);
    CHECK(set.lookup_cache.ttl_seconds == 2);
    CHECK(set.audit.queue_rows == 10);
    CHECK(set.audit.drain_seconds == 0);
    CHECK(set.render_cache.max_bytes == 0);

    const std::string bad = dir.write(
        "bad.yaml",
        replace_line(minimal_file, "templates_dir: /srv/templates",
                     "templates_dir: /srv/templates\naudit:\n  queue_rows: 0"));
    CHECK(load_error(bad) == bad + ":5:15: key \"audit.queue_rows\": expected "
                                   "an integer from 1 to 10000000");

    const std::string bad_renders =
        dir.write("bad-renders.yaml",
                  replace_line(minimal_file, "templates_dir: /srv/templates",
                               "templates_dir: /srv/templates\n"
                               "render_cache:\n  max_bytes: -1"));
    CHECK(load_error(bad_renders) ==
          bad_renders + ":5:14: key \"render_cache.max_bytes\": expected an "
                        "integer from 0 to 1073741824");
}
