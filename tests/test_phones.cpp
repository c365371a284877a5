// Unit tests for the phone tables: which file names carry a MAC, which
// vendor's rule produces them, and which vendor keys the devices table
// accepts.

#include "provgate/phones.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace provgate;


TEST_CASE("a Yealink MAC file name matches the yealink rule with its MAC") {
    const auto match = match_file("001565aabbcc.cfg");

    REQUIRE(match);
    CHECK(match->mac.to_string() == "001565aabbcc");
    REQUIRE(match->rules.size() == 1);
    CHECK(match->rules[0]->vendor == "yealink");
    CHECK(match->rules[0]->template_name == "mac.cfg.mustache");
    CHECK(match->rules[0]->format == file_format::line);
}


TEST_CASE("an upper-case MAC in the file name matches and is normalised") {
    const auto match = match_file("001565AABBCC.cfg");

    REQUIRE(match);
    CHECK(match->mac.to_string() == "001565aabbcc");
    CHECK(rule_for_vendor(*match, "yealink") != nullptr);
}


TEST_CASE("a file name without twelve hex digits before .cfg does not match") {
    // Only "<12 hex>.cfg" is in the table; Yealink's common "y0000000000xx"
    // files and other look-alikes carry no credentials.
    CHECK_FALSE(match_file("y000000000000.cfg"));
    CHECK_FALSE(match_file("y00000000000X.cfg"));
    CHECK_FALSE(match_file("y000000000028.cfg"));
    CHECK_FALSE(match_file("00156Xaabbcc.cfg"));
    CHECK_FALSE(match_file("001565aabbcg.cfg"));
    CHECK_FALSE(match_file("00:15:65:aa:bb:cc.cfg"));
    CHECK_FALSE(match_file("00-15-65-aa-bb-cc.cfg"));
}


TEST_CASE("a MAC file name with the wrong suffix does not match") {
    CHECK_FALSE(match_file("001565aabbcc.xml"));
    CHECK_FALSE(match_file("001565aabbcc.CFG"));
    CHECK_FALSE(match_file("001565aabbcc.cfg.bak"));
    CHECK_FALSE(match_file("001565aabbcc"));
    CHECK_FALSE(match_file("001565aabbcccfg"));
}


TEST_CASE("a MAC file name that is too short or too long does not match") {
    CHECK_FALSE(match_file(""));
    CHECK_FALSE(match_file(".cfg"));
    CHECK_FALSE(match_file("001565aabbc.cfg"));
    CHECK_FALSE(match_file("001565aabbcc0.cfg"));
    CHECK_FALSE(match_file("x001565aabbcc.cfg"));
    CHECK_FALSE(match_file("001565aabbcc001565aabbcc.cfg"));
}


TEST_CASE("rule_for_vendor finds yealink and nothing for polycom") {
    const auto match = match_file("001565aabbcc.cfg");

    REQUIRE(match);
    const file_rule* yealink = rule_for_vendor(*match, "yealink");
    REQUIRE(yealink != nullptr);
    CHECK(yealink->vendor == "yealink");
    CHECK(rule_for_vendor(*match, "polycom") == nullptr);
    CHECK(rule_for_vendor(*match, "") == nullptr);
    CHECK(rule_for_vendor(*match, "Yealink") == nullptr);
}


TEST_CASE("the rule table holds the yealink rule that match_file returns") {
    REQUIRE_FALSE(file_rules().empty());

    const auto match = match_file("001565aabbcc.cfg");
    REQUIRE(match);
    CHECK(match->rules[0] == &file_rules()[0]);
}


TEST_CASE("is_vendor_key accepts the eight vendor keys") {
    for (const char* key : {"yealink", "polycom", "grandstream", "snom",
                            "cisco", "fanvil", "htek", "gigaset"}) {
        INFO("vendor: ", key);
        CHECK(is_vendor_key(key));
    }
}


TEST_CASE("is_vendor_key refuses any other text") {
    for (const char* key : {"", "Yealink", "YEALINK", "yealink ", " snom",
                            "avaya", "polycom2", "gigase", "htekk"}) {
        INFO("vendor: \"", key, "\"");
        CHECK_FALSE(is_vendor_key(key));
    }
}
