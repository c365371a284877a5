// Unit tests for the serving decisions: given the device the database
// returned, which outcome a secure or legacy fetch ends with, and in which
// order the checks apply.

#include "provgate/policy.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace provgate;


namespace {

// A device that may receive its file: its token's digest, its MAC, an
// enabled account.
struct servable_device {
    std::string token = mint_token();
    device_record device;
    mac_address mac = *mac_address::parse("001565aabbcc");

    servable_device() {
        device.id = 7;
        device.mac = "001565aabbcc";
        device.vendor = "yealink";
        device.token_hash = hash_token(token);
        device.has_account = true;
        device.account.extension = "1001";
        device.account.enabled = true;
    }
};

} // namespace


TEST_CASE("a device with its token, its MAC and an enabled account is served") {
    const servable_device d;

    CHECK(check_secure_fetch(d.device, hash_token(d.token), d.mac) ==
          outcome::served);
}


TEST_CASE("a digest other than the device's is an unknown token") {
    const servable_device d;

    CHECK(check_secure_fetch(d.device, hash_token(mint_token()), d.mac) ==
          outcome::unknown_token);
    CHECK(check_secure_fetch(d.device, token_digest{}, d.mac) ==
          outcome::unknown_token);
}


TEST_CASE("a token used for another device's MAC is a mismatch") {
    const servable_device d;
    const auto other = mac_address::parse("001565aabbcd");
    REQUIRE(other);

    CHECK(check_secure_fetch(d.device, hash_token(d.token), *other) ==
          outcome::mac_mismatch);
}


TEST_CASE("an unknown token is reported before a MAC mismatch") {
    const servable_device d;
    const auto other = mac_address::parse("00:15:65:00:00:01");
    REQUIRE(other);

    CHECK(check_secure_fetch(d.device, hash_token(mint_token()), *other) ==
          outcome::unknown_token);
}


TEST_CASE("a revoked device is not served") {
    servable_device d;
    d.device.revoked = true;

    CHECK(check_secure_fetch(d.device, hash_token(d.token), d.mac) ==
          outcome::revoked);
}


TEST_CASE("an expired token is not served") {
    servable_device d;
    d.device.expired = true;

    CHECK(check_secure_fetch(d.device, hash_token(d.token), d.mac) ==
          outcome::expired);
}


TEST_CASE("a disabled account is not served") {
    servable_device d;
    d.device.account.enabled = false;

    CHECK(check_secure_fetch(d.device, hash_token(d.token), d.mac) ==
          outcome::disabled);
}


TEST_CASE("a device without an account is not served") {
    servable_device d;
    d.device.has_account = false;

    CHECK(check_secure_fetch(d.device, hash_token(d.token), d.mac) ==
          outcome::no_account);
}


TEST_CASE("revocation takes precedence over expiry") {
    servable_device d;
    d.device.revoked = true;
    d.device.expired = true;
    d.device.account.enabled = false;

    CHECK(check_secure_fetch(d.device, hash_token(d.token), d.mac) ==
          outcome::revoked);
}


TEST_CASE("a MAC mismatch is reported before the device's state") {
    servable_device d;
    d.device.revoked = true;
    const auto other = mac_address::parse("001565aabbcd");
    REQUIRE(other);

    CHECK(check_secure_fetch(d.device, hash_token(d.token), *other) ==
          outcome::mac_mismatch);
}


TEST_CASE("a legacy fetch serves an active device with an enabled account") {
    const servable_device d;

    CHECK(check_legacy_fetch(d.device) == outcome::served);
}


TEST_CASE("a legacy fetch refuses a revoked device") {
    servable_device d;
    d.device.revoked = true;

    CHECK(check_legacy_fetch(d.device) == outcome::revoked);
}


TEST_CASE("a legacy fetch refuses a disabled account") {
    servable_device d;
    d.device.account.enabled = false;

    CHECK(check_legacy_fetch(d.device) == outcome::disabled);
}


TEST_CASE("a legacy fetch refuses a device without an account") {
    servable_device d;
    d.device.has_account = false;

    CHECK(check_legacy_fetch(d.device) == outcome::no_account);
}


TEST_CASE("an outcome's name is its snake_case identifier") {
    CHECK(std::string(to_string(outcome::served)) == "served");
    CHECK(std::string(to_string(outcome::not_modified)) == "not_modified");
    CHECK(std::string(to_string(outcome::unknown_token)) == "unknown_token");
    CHECK(std::string(to_string(outcome::mac_mismatch)) == "mac_mismatch");
    CHECK(std::string(to_string(outcome::legacy_disabled)) ==
          "legacy_disabled");
    CHECK(std::string(to_string(outcome::database_unavailable)) ==
          "database_unavailable");
}


TEST_CASE("a rotated device takes its new token, and the old one in grace") {
    servable_device d;
    const std::string next = mint_token();
    d.device.has_pending = true;
    d.device.pending_hash = hash_token(next);
    d.device.in_grace = true;

    CHECK(check_secure_fetch(d.device, hash_token(next), d.mac) ==
          outcome::served);
    CHECK(check_secure_fetch(d.device, hash_token(d.token), d.mac) ==
          outcome::served);
    d.device.in_grace = false;
    CHECK(check_secure_fetch(d.device, hash_token(d.token), d.mac) ==
          outcome::unknown_token);
    CHECK(check_secure_fetch(d.device, hash_token(next), d.mac) ==
          outcome::served);
    CHECK(check_secure_fetch(d.device, hash_token(mint_token()), d.mac) ==
          outcome::unknown_token);
}
