// Unit tests for the lockout's pure parts: address and network parsing,
// the exempt list, which outcomes count, the decoy decision and the
// "lockout" section of the configuration file.

#include "provgate/lockout.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace provgate;


namespace {

// A configuration file holding the minimal keys and extra, loaded; or the
// error message it gives.
std::string load_with(const std::string& extra, config* out = nullptr) {
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() /
        ("provgate-test-lockout-" + std::to_string(getpid()) + ".yaml");
    {
        std::ofstream file(path);
        file << "base_url: https://prov.example.net/prov\n"
                "listen: 127.0.0.1:9000\n"
                "templates_dir: /srv/templates\n"
                "database:\n"
                "  dsn: dbname=provgate\n"
             << extra;
    }
    std::string error;
    try {
        const config cfg = load_config(path.string());
        if (out != nullptr) {
            *out = cfg;
        }
    } catch (const config_error& e) {
        error = e.what();
    }
    std::filesystem::remove(path);
    return error;
}


lockout_settings exempting(std::initializer_list<const char*> networks) {
    lockout_settings s;
    for (const char* text : networks) {
        s.exempt.push_back(*parse_network(text));
    }
    return s;
}

} // namespace


TEST_CASE("IPv4 and IPv6 literals parse; names and junk do not") {
    CHECK(parse_ip("127.0.0.1"));
    CHECK(parse_ip("::1"));
    CHECK(parse_ip("2001:db8::42"));
    CHECK(parse_ip("::ffff:192.0.2.1") == parse_ip("192.0.2.1"));
    for (const char* bad : {"", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1",
                            "1.2.3.4/32", " 1.2.3.4", "::g"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_ip(bad));
    }
}


TEST_CASE("networks need a valid prefix and no host bits") {
    CHECK(parse_network("10.0.0.0/8"));
    CHECK(parse_network("192.0.2.7"));
    CHECK(parse_network("2001:db8::/32"));
    CHECK(parse_network("0.0.0.0/0"));
    for (const char* bad :
         {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1",
          "10.0.0.0/8x", "2001:db8::/129", "example.net/24"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_network(bad));
    }
}


TEST_CASE("an address is exempt only inside an exempt network") {
    const lockout_settings s =
        exempting({"127.0.0.1/32", "192.0.2.128/25", "2001:db8::/32"});
    CHECK(lockout_exempt(s, "127.0.0.1"));
    CHECK_FALSE(lockout_exempt(s, "127.0.0.2"));
    CHECK(lockout_exempt(s, "192.0.2.200"));
    CHECK_FALSE(lockout_exempt(s, "192.0.2.127"));
    CHECK(lockout_exempt(s, "2001:db8:1::5"));
    CHECK_FALSE(lockout_exempt(s, "2001:db9::5"));
    CHECK(lockout_exempt(s, "::ffff:127.0.0.1"));
    CHECK_FALSE(lockout_exempt(s, "not an address"));
    CHECK_FALSE(lockout_exempt(lockout_settings{}, "127.0.0.1"));
}


TEST_CASE("only guesses that could have succeeded count as failures") {
    for (const outcome o :
         {outcome::unknown_token, outcome::mac_mismatch,
          outcome::ua_mac_mismatch, outcome::unknown_mac, outcome::decoy}) {
        CAPTURE(to_string(o));
        CHECK(counts_as_failure(o));
    }
    for (const outcome o :
         {outcome::served, outcome::not_modified, outcome::upload_discarded,
          outcome::revoked, outcome::expired, outcome::disabled,
          outcome::no_account, outcome::malformed_path, outcome::unknown_file,
          outcome::legacy_disabled, outcome::wrong_vendor_file,
          outcome::method_not_allowed, outcome::locked_out,
          outcome::render_failed, outcome::internal_error,
          outcome::database_unavailable}) {
        CAPTURE(to_string(o));
        CHECK_FALSE(counts_as_failure(o));
    }
}


TEST_CASE("a decoy's own token is a decoy, on either path") {
    const std::string token = mint_token();
    device_record d;
    d.mac = "001565aabbcc";
    d.token_hash = hash_token(token);
    d.decoy = true;
    CHECK(check_secure_fetch(d, hash_token(token), std::nullopt) ==
          outcome::decoy);
    CHECK(check_secure_fetch(d, hash_token(token),
                             mac_address::parse("001565000000")) ==
          outcome::decoy);
    CHECK(check_secure_fetch(d, hash_token(mint_token()), std::nullopt) ==
          outcome::unknown_token);
    CHECK(check_legacy_fetch(d) == outcome::decoy);
    CHECK(std::string(to_string(outcome::decoy)) == "decoy");
    CHECK(std::string(to_string(outcome::locked_out)) == "locked_out");
}


TEST_CASE("the lockout section is on by default and reads every key") {
    config cfg;
    REQUIRE(load_with("", &cfg).empty());
    CHECK(cfg.lockout.enabled);
    CHECK(cfg.lockout.max_failures == 20);
    CHECK(cfg.lockout.window_seconds == 600);
    CHECK(cfg.lockout.duration_seconds == 900);
    CHECK(cfg.lockout.exempt.empty());

    REQUIRE(load_with("lockout:\n"
                      "  enabled: false\n"
                      "  max_failures: 3\n"
                      "  window_seconds: 60\n"
                      "  duration_seconds: 3600\n"
                      "  exempt: [\"10.0.0.0/8\", \"::1\"]\n",
                      &cfg)
                .empty());
    CHECK_FALSE(cfg.lockout.enabled);
    CHECK(cfg.lockout.max_failures == 3);
    CHECK(cfg.lockout.window_seconds == 60);
    CHECK(cfg.lockout.duration_seconds == 3600);
    REQUIRE(cfg.lockout.exempt.size() == 2);
    CHECK(cfg.lockout.exempt[0].text == "10.0.0.0/8");
}


TEST_CASE("the legacy fence keys are off by default and read") {
    config cfg;
    REQUIRE(load_with("", &cfg).empty());
    CHECK(cfg.legacy_networks.empty());
    CHECK_FALSE(cfg.legacy_flagged_only);
    CHECK_FALSE(cfg.legacy_bootstrap);

    REQUIRE(load_with("legacy_networks: [10.1.0.0/16]\n"
                      "legacy_flagged_only: true\n"
                      "legacy_bootstrap: true\n",
                      &cfg)
                .empty());
    REQUIRE(cfg.legacy_networks.size() == 1);
    CHECK(cfg.legacy_flagged_only);
    CHECK(cfg.legacy_bootstrap);
    CHECK(load_with("legacy_networks: [10.1.0.1/16]\n")
              .find("key \"legacy_networks\": invalid network") !=
          std::string::npos);
}


TEST_CASE("mistakes in the lockout section name the line and the key") {
    CHECK(load_with("lockout:\n  exempt: [\"10.0.0.1/8\"]\n")
              .ends_with(":7:12: key \"lockout.exempt\": invalid network "
                         "\"10.0.0.1/8\"; expected \"address/prefix\" with "
                         "no host bits set"));
    CHECK(load_with("lockout:\n  exempt: 10.0.0.0/8\n")
              .find("key \"lockout.exempt\": expected a list") !=
          std::string::npos);
    CHECK(load_with("lockout:\n  max_failures: 0\n")
              .find("key \"lockout.max_failures\": expected an integer from "
                    "1 to 1000000") != std::string::npos);
    CHECK(load_with("lockout:\n  window: 60\n")
              .find("key \"lockout.window\": unrecognized key") !=
          std::string::npos);
}


TEST_CASE("lockout_list answers only while live, and only until the end") {
    using provgate::lockout_list;
    const auto t0 = lockout_list::clock::time_point{};
    const auto guesser = *provgate::parse_ip("192.0.2.7");
    const auto phone = *provgate::parse_ip("192.0.2.8");

    lockout_list list;
    CHECK_FALSE(list.locked(guesser, t0).has_value()); // ask the database

    list.replace({{guesser, t0 + std::chrono::seconds(900)}});
    REQUIRE(list.locked(guesser, t0));
    CHECK(*list.locked(guesser, t0));
    CHECK_FALSE(*list.locked(phone, t0));
    CHECK_FALSE(*list.locked(guesser, t0 + std::chrono::seconds(900)));

    list.add(phone, t0 + std::chrono::seconds(60));
    CHECK(*list.locked(phone, t0 + std::chrono::seconds(59)));

    // Cleared by the operator: the list read again no longer has it.
    list.replace({});
    CHECK_FALSE(*list.locked(guesser, t0));

    list.set_unknown();
    CHECK_FALSE(list.locked(phone, t0).has_value());
}
