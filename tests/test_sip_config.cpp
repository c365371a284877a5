// Unit tests for the "pnp:" section of the configuration file: defaults,
// timer F derived from T1, and addresses refused with file, line and key.

#include "provgate/config.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using provgate::load_config;


namespace {

constexpr const char* worker_part = "base_url: https://prov.example.net/prov\n"
                                    "listen: 127.0.0.1:9700\n"
                                    "templates_dir: /srv/templates\n"
                                    "database:\n"
                                    "  dsn: dbname=provgate\n";


std::string write_file(const std::string& name, const std::string& text) {
    const auto path =
        std::filesystem::temp_directory_path() /
        ("provgate-test-sip-" + std::to_string(getpid()) + "-" + name);
    std::ofstream(path) << text;
    return path.string();
}


std::string load_error(const std::string& path) {
    try {
        load_config(path);
    } catch (const provgate::config_error& e) {
        return e.what();
    }
    return "";
}

} // namespace


TEST_CASE("a file without a pnp section loads and says so") {
    const std::string path = write_file("none.yaml", worker_part);
    const auto cfg = load_config(path);
    std::filesystem::remove(path);

    CHECK_FALSE(cfg.has_pnp);
}


TEST_CASE("the pnp section takes defaults and derives timer F from T1") {
    const std::string path = write_file(
        "pnp.yaml", std::string(worker_part) + "pnp:\n"
                                               "  dsn: user=provgate_pnp\n"
                                               "  unicast: 127.0.0.1:5070\n"
                                               "  t1_ms: 100\n");
    const auto cfg = load_config(path);
    std::filesystem::remove(path);

    CHECK(cfg.has_pnp);
    CHECK(cfg.pnp.dsn == "user=provgate_pnp");
    CHECK(cfg.pnp.multicast == "224.0.1.75:5060");
    CHECK(cfg.pnp.interface == "0.0.0.0");
    CHECK(cfg.pnp.unicast == "127.0.0.1:5070");
    CHECK(cfg.pnp.t1_ms == 100);
    CHECK(cfg.pnp.timeout_ms == 6400);
}


TEST_CASE("a pnp address that is not a.b.c.d:port is named with its key") {
    const std::string path = write_file(
        "bad.yaml", std::string(worker_part) + "pnp:\n"
                                               "  dsn: user=provgate_pnp\n"
                                               "  unicast: localhost:5070\n");
    const std::string error = load_error(path);
    std::filesystem::remove(path);

    CHECK(error == path + ":8:12: key \"pnp.unicast\": expected "
                          "\"a.b.c.d:port\" with an IPv4 address");
}


TEST_CASE("the pnp section needs its own dsn") {
    const std::string path = write_file(
        "nodsn.yaml", std::string(worker_part) + "pnp:\n  t1_ms: 100\n");
    const std::string error = load_error(path);
    std::filesystem::remove(path);

    CHECK(error.find("key \"pnp.dsn\": missing required key") !=
          std::string::npos);
}
