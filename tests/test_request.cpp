// Unit tests for the request target: parse_prov_path accepts the two
// provisioning layouts and nothing else, and redact_uri and sanitize make
// any target safe to log without ever writing a whole token.

#include "provgate/request.hpp"

#include "provgate/token.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace provgate;


namespace {

constexpr std::string_view prefix = "/prov";

} // namespace


TEST_CASE("a token path splits into its token and file name") {
    const std::string token = mint_token();

    const auto path =
        parse_prov_path(prefix, "/prov/" + token + "/001565aabbcc.cfg");

    REQUIRE(path);
    CHECK(path->token == token);
    CHECK(path->file == "001565aabbcc.cfg");
}


TEST_CASE("a legacy path has an empty token") {
    const auto path = parse_prov_path(prefix, "/prov/001565aabbcc.cfg");

    REQUIRE(path);
    CHECK(path->token.empty());
    CHECK(path->file == "001565aabbcc.cfg");
}


TEST_CASE("the query string is ignored") {
    const std::string token = mint_token();

    const auto secure = parse_prov_path(
        prefix, "/prov/" + token + "/001565aabbcc.cfg?mac=1&x=%2F..");
    REQUIRE(secure);
    CHECK(secure->token == token);
    CHECK(secure->file == "001565aabbcc.cfg");

    const auto legacy = parse_prov_path(prefix, "/prov/001565aabbcc.cfg?");
    REQUIRE(legacy);
    CHECK(legacy->file == "001565aabbcc.cfg");
}


TEST_CASE("a path under another prefix is refused") {
    const std::string token = mint_token();

    CHECK_FALSE(parse_prov_path(prefix, "/other/" + token + "/a.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/other/001565aabbcc.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/provx/" + token + "/a.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/provx/001565aabbcc.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/PROV/001565aabbcc.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "prov/001565aabbcc.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/x/prov/001565aabbcc.cfg"));
}


TEST_CASE("a path with an empty segment is refused") {
    const std::string token = mint_token();

    CHECK_FALSE(parse_prov_path(prefix, ""));
    CHECK_FALSE(parse_prov_path(prefix, "/prov"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov?x=1"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/?x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov//x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov//" + token + "/x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "//x.cfg"));
}


TEST_CASE("a path with an extra segment is refused") {
    const std::string token = mint_token();

    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/a/b.cfg"));
    CHECK_FALSE(
        parse_prov_path(prefix, "/prov/" + token + "/" + token + "/b.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/a/b/c.cfg"));
}


TEST_CASE("a path with any percent-encoding is refused") {
    const std::string token = mint_token();

    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "%2Fx.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "%2fx.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov%2F" + token + "/x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/%41.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/%41.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/x%41.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/%41" + token.substr(3) +
                                            "/001565aabbcc.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/pro%76/001565aabbcc.cfg"));
}


TEST_CASE("a path with a dot segment is refused") {
    const std::string token = mint_token();

    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/../x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/./x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/../x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/.."));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/.."));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/."));
}


TEST_CASE("a file name that starts with a dot is refused") {
    const std::string token = mint_token();

    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/.htaccess"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/.001565aabbcc.cfg"));
}


TEST_CASE("a token segment that is not token-shaped is refused") {
    const std::string token = mint_token();

    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token.substr(1) + "/x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "A/x.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/short/x.cfg"));

    std::string bad_last = std::string(42, 'A') + "B";
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + bad_last + "/x.cfg"));
}


TEST_CASE("a target longer than max_uri_length is refused") {
    const std::string token = mint_token();
    const std::string base = "/prov/" + token + "/001565aabbcc.cfg?";

    // The limit applies to the whole target, query included.
    const std::string at_limit =
        base + std::string(max_uri_length - base.size(), 'q');
    REQUIRE(at_limit.size() == max_uri_length);
    CHECK(parse_prov_path(prefix, at_limit));

    CHECK_FALSE(parse_prov_path(prefix, at_limit + "q"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + std::string(600, 'a')));
}


TEST_CASE("a file name longer than 64 characters is refused") {
    const std::string token = mint_token();
    const std::string longest = std::string(60, 'a') + ".cfg";
    const std::string too_long = std::string(61, 'a') + ".cfg";

    CHECK(parse_prov_path(prefix, "/prov/" + token + "/" + longest));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/" + too_long));
    CHECK(parse_prov_path(prefix, "/prov/" + longest));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + too_long));
}


TEST_CASE("a path with a character outside the file alphabet is refused") {
    const std::string token = mint_token();

    for (const char bad : {' ', '\t', '\n', '\r', '\\', ';', ':', '#', '+', '~',
                           '*', '"', '<', '\x7f'}) {
        std::string file = "001565aabbcc.cfg";
        file[3] = bad;
        INFO("character code: ", static_cast<int>(bad));
        CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/" + file));
        CHECK_FALSE(parse_prov_path(prefix, "/prov/" + file));
    }
}


TEST_CASE("a path with an embedded NUL is refused") {
    const std::string token = mint_token();
    const std::string nul(1, '\0');

    CHECK_FALSE(
        parse_prov_path(prefix, "/prov/" + token + "/0015" + nul + "a.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/001565aabbcc.cfg" + nul));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + nul + "/x.cfg"));
}


TEST_CASE("a path with UTF-8 bytes is refused") {
    const std::string token = mint_token();

    CHECK_FALSE(parse_prov_path(prefix, "/prov/" + token + "/caf\xc3\xa9.cfg"));
    CHECK_FALSE(parse_prov_path(prefix, "/prov/\xe2\x80\x8b"
                                        "001565aabbcc.cfg"));
    CHECK_FALSE(
        parse_prov_path(prefix, "/prov/\xc3\xa9" + token.substr(2) + "/x.cfg"));
}


TEST_CASE("redact_uri never writes a whole token") {
    const std::string token = mint_token();

    for (const std::string& uri : {
             "/prov/" + token + "/001565aabbcc.cfg",
             "/prov//" + token + "/x.cfg",
             "/prov/" + token,
             "/prov/" + token + "/",
             "/prov/" + token + ".cfg",
             "/prov/x.cfg/" + token + ".cfg",
             "/x?" + token,
             "/prov/001565aabbcc.cfg?t=" + token,
             "/prov/" + token + "%2F001565aabbcc.cfg",
         }) {
        const std::string redacted = redact_uri(uri);
        INFO("redacted: ", redacted);
        CHECK(redacted.find(token) == std::string::npos);
        CHECK(redacted.find(token.substr(0, 7)) == std::string::npos);
    }
}


TEST_CASE("redact_uri keeps the token prefix and the file name") {
    const std::string token = mint_token();

    CHECK(redact_uri("/prov/" + token + "/001565aabbcc.cfg") ==
          "/prov/" + token.substr(0, 6) + ".../001565aabbcc.cfg");
}


TEST_CASE("redact_uri replaces the query with a marker") {
    CHECK(redact_uri("/prov/001565aabbcc.cfg?secret=1") ==
          "/prov/001565aabbcc.cfg?...");
    CHECK(redact_uri("/x?abc") == "/x?...");
}


TEST_CASE("redact_uri keeps a legacy path as it is") {
    CHECK(redact_uri("/prov/001565aabbcc.cfg") == "/prov/001565aabbcc.cfg");
}


TEST_CASE("redact_uri output is printable and capped in length") {
    const std::string long_uri = "/prov/" + std::string(400, 'a') + ".cfg";
    CHECK(redact_uri(long_uri).size() <= 160);

    std::string files;
    for (int i = 0; i < 60; ++i) {
        files += "/a.cfg";
    }
    CHECK(redact_uri(files).size() == 160);

    const std::string odd = redact_uri("/prov/a\tb.cfg\x01\xc3\xa9");
    CHECK(odd == "/prov/a?b.cfg???");
}


TEST_CASE("sanitize replaces control characters and non-ASCII with '?'") {
    CHECK(sanitize("plain text", 100) == "plain text");
    CHECK(sanitize("a\tb\nc\rd", 100) == "a?b?c?d");
    CHECK(sanitize(std::string("a\0b", 3), 100) == "a?b");
    CHECK(sanitize("del\x7f", 100) == "del?");
    CHECK(sanitize("caf\xc3\xa9", 100) == "caf??");
    CHECK(sanitize("\x1b[31mred", 100) == "?[31mred");
}


TEST_CASE("sanitize caps the length") {
    CHECK(sanitize("abcdefgh", 3) == "abc");
    CHECK(sanitize("abc", 3) == "abc");
    CHECK(sanitize("abc", 0).empty());
    CHECK(sanitize(std::string(1000, 'x'), 256).size() == 256);
}


TEST_CASE("redact_uri cuts a file-like segment that holds half a token") {
    // Found by fuzz/fuzz_path.cpp: a dot made 25 token characters look like
    // a file name. nginx's log format draws the line at 22 as well.
    const std::string half = "rq5_zLx3aB9kQw2ErTy7uIJ";
    const std::string redacted = redact_uri("/prov/" + half + ".L");
    CHECK(redacted.find(half.substr(0, 7)) == std::string::npos);
    CHECK(redact_uri("/prov/y000000000000.boot") == "/prov/y000000000000.boot");
    CHECK(redact_uri("/prov/snomD785-000413922D24.htm") ==
          "/prov/snomD785-000413922D24.htm");
}
