// Unit tests for mac_address: every spelling a phone uses parses to the same
// address, anything else is refused, and the printed forms are the ones the
// database and the logs expect.

#include "provgate/mac_address.hpp"

#include <doctest/doctest.h>

#include <string>

using provgate::mac_address;


TEST_CASE("a MAC in lower, upper or mixed case parses to the same address") {
    const auto lower = mac_address::parse("001565aabbcc");
    const auto upper = mac_address::parse("001565AABBCC");
    const auto mixed = mac_address::parse("001565aAbBcC");

    REQUIRE(lower);
    REQUIRE(upper);
    REQUIRE(mixed);
    CHECK(*lower == *upper);
    CHECK(*lower == *mixed);
    CHECK(upper->to_string() == "001565aabbcc");
}


TEST_CASE("a MAC with ':' or '-' separators or none parses the same") {
    const auto bare = mac_address::parse("001565aabbcc");
    const auto colons = mac_address::parse("00:15:65:aa:bb:cc");
    const auto dashes = mac_address::parse("00-15-65-AA-BB-CC");

    REQUIRE(bare);
    REQUIRE(colons);
    REQUIRE(dashes);
    CHECK(*colons == *bare);
    CHECK(*dashes == *bare);
}


TEST_CASE("different MACs compare unequal") {
    const auto a = mac_address::parse("001565aabbcc");
    const auto b = mac_address::parse("001565aabbcd");

    REQUIRE(a);
    REQUIRE(b);
    CHECK_FALSE(*a == *b);
}


TEST_CASE("a MAC with mixed separators is refused") {
    CHECK_FALSE(mac_address::parse("00:15-65:aa:bb:cc"));
    CHECK_FALSE(mac_address::parse("00-15-65-aa-bb:cc"));
    CHECK_FALSE(mac_address::parse("00:15:65:aa:bb-cc"));
}


TEST_CASE("a MAC with a separator other than ':' or '-' is refused") {
    CHECK_FALSE(mac_address::parse("00.15.65.aa.bb.cc"));
    CHECK_FALSE(mac_address::parse("00 15 65 aa bb cc"));
    CHECK_FALSE(mac_address::parse("0015.65aa.bbcc"));
}


TEST_CASE("a MAC of the wrong length is refused") {
    CHECK_FALSE(mac_address::parse(""));
    CHECK_FALSE(mac_address::parse("001565aabbc"));
    CHECK_FALSE(mac_address::parse("001565aabbccd"));
    CHECK_FALSE(mac_address::parse("001565aabbcc00"));
    CHECK_FALSE(mac_address::parse("00:15:65:aa:bb:c"));
    CHECK_FALSE(mac_address::parse("00:15:65:aa:bb:cc:"));
    CHECK_FALSE(mac_address::parse("00:15:65:aa:bb:cc:dd"));
}


TEST_CASE("a MAC with a non-hex digit is refused") {
    CHECK_FALSE(mac_address::parse("001565aabbcg"));
    CHECK_FALSE(mac_address::parse("g01565aabbcc"));
    CHECK_FALSE(mac_address::parse("00:15:65:aa:bb:cz"));
    CHECK_FALSE(mac_address::parse("0x1565aabbcc"));
    CHECK_FALSE(mac_address::parse("001565aab cc"));
    CHECK_FALSE(mac_address::parse(std::string("001565aa\0bcc", 12)));
}


TEST_CASE("to_string prints twelve lower-case hex digits") {
    const auto mac = mac_address::parse("0A:1B:2C:3D:4E:5F");

    REQUIRE(mac);
    CHECK(mac->to_string() == "0a1b2c3d4e5f");
    CHECK(mac->to_string().size() == 12);

    const auto zero = mac_address::parse("000000000000");
    REQUIRE(zero);
    CHECK(zero->to_string() == "000000000000");

    const auto ones = mac_address::parse("FF-FF-FF-FF-FF-FF");
    REQUIRE(ones);
    CHECK(ones->to_string() == "ffffffffffff");
}


TEST_CASE("oui is the first three octets in lower case") {
    const auto mac = mac_address::parse("80:5E:C0:12:34:56");

    REQUIRE(mac);
    CHECK(mac->oui() == "805ec0");
}
