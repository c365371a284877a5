// Unit tests for the fence around the legacy shared directory: which
// addresses may use it and which devices it still serves.

#include "provgate/legacy_fence.hpp"

#include <doctest/doctest.h>

using namespace provgate;


TEST_CASE("with no legacy_networks, every address may use the shared path") {
    config cfg;
    CHECK(legacy_network_allowed(cfg, "192.0.2.1"));
    CHECK(legacy_network_allowed(cfg, "2001:db8::1"));
}


TEST_CASE("legacy_networks limit the shared path to their addresses") {
    config cfg;
    cfg.legacy_networks = {*parse_network("10.1.0.0/16"),
                           *parse_network("2001:db8:5::/48")};
    CHECK(legacy_network_allowed(cfg, "10.1.200.3"));
    CHECK_FALSE(legacy_network_allowed(cfg, "10.2.0.1"));
    CHECK(legacy_network_allowed(cfg, "2001:db8:5:1::9"));
    CHECK_FALSE(legacy_network_allowed(cfg, "2001:db8:6::9"));
    CHECK_FALSE(legacy_network_allowed(cfg, ""));
}


TEST_CASE("the fence refuses unflagged devices only when told to") {
    config cfg;
    device_record d;
    CHECK(check_legacy_fence(cfg, d) == outcome::served);
    cfg.legacy_flagged_only = true;
    CHECK(check_legacy_fence(cfg, d) == outcome::legacy_not_flagged);
    d.legacy = true;
    CHECK(check_legacy_fence(cfg, d) == outcome::served);
}


TEST_CASE("a bootstrapped device is refused on the shared path for good") {
    config cfg;
    device_record d;
    d.legacy = true;
    d.bootstrapped = true;
    CHECK(check_legacy_fence(cfg, d) == outcome::legacy_bootstrapped);
    cfg.legacy_flagged_only = true;
    CHECK(check_legacy_fence(cfg, d) == outcome::legacy_bootstrapped);
    CHECK(std::string(to_string(outcome::legacy_network)) == "legacy_network");
    CHECK(std::string(to_string(outcome::legacy_not_flagged)) ==
          "legacy_not_flagged");
    CHECK(std::string(to_string(outcome::legacy_bootstrapped)) ==
          "legacy_bootstrapped");
}
