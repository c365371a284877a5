// Unit tests for the folder tokens: their shape, their randomness as far as
// a test can see it, the digest the database stores, and the prefix that may
// be logged.

#include "provgate/token.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace provgate;


namespace {

bool is_base64url_text(const std::string& text) {
    for (const char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}


// A well-formed token to mutate: 42 'A's and a canonical last character.
std::string canonical_token() {
    return std::string(42, 'A') + "E";
}

} // namespace


TEST_CASE("a minted token is 43 characters of unpadded base64url") {
    const std::string token = mint_token();

    CHECK(token.size() == token_length);
    CHECK(token.size() == 43);
    CHECK(is_base64url_text(token));
    CHECK(token.find('=') == std::string::npos);
}


TEST_CASE("every minted token passes is_token_format") {
    for (int i = 0; i < 500; ++i) {
        const std::string token = mint_token();
        INFO("token: ", token);
        REQUIRE(is_token_format(token));
    }
}


TEST_CASE("two minted tokens differ") {
    CHECK(mint_token() != mint_token());

    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        seen.insert(mint_token());
    }
    CHECK(seen.size() == 200);
}


TEST_CASE("a token of the wrong length is refused") {
    CHECK(is_token_format(canonical_token()));
    CHECK_FALSE(is_token_format(""));
    CHECK_FALSE(is_token_format(std::string(42, 'A')));
    CHECK_FALSE(is_token_format(canonical_token() + "A"));
    CHECK_FALSE(is_token_format(std::string(44, 'A')));
}


TEST_CASE("a token with a character outside base64url is refused") {
    for (const char bad : {'+', '/', '=', '.', ' ', '%', '\0', '\n'}) {
        std::string token = canonical_token();
        token[10] = bad;
        INFO("character code: ", static_cast<int>(bad));
        CHECK_FALSE(is_token_format(token));
    }

    std::string utf8 = canonical_token();
    utf8[0] = static_cast<char>(0xc3);
    utf8[1] = static_cast<char>(0xa9);
    CHECK_FALSE(is_token_format(utf8));
}


TEST_CASE("a token whose last character has unused bits set is refused") {
    // The last character carries 4 bits of data and 2 zero bits, so only
    // alphabet indexes that are multiples of 4 (A, E, I, ...) are canonical.
    for (const char last : {'B', 'C', 'D', 'F', 'b', '1', '-', '_'}) {
        std::string token = canonical_token();
        token.back() = last;
        INFO("last character: ", last);
        CHECK_FALSE(is_token_format(token));
    }
    for (const char last : {'A', 'E', 'I', 'Q', 'g', 'w', '0', '8'}) {
        std::string token = canonical_token();
        token.back() = last;
        INFO("last character: ", last);
        CHECK(is_token_format(token));
    }
}


TEST_CASE("hash_token is the SHA-256 of the token text") {
    // printf %s provgate-test-token | sha256sum
    CHECK(to_hex(hash_token("provgate-test-token")) ==
          "920311264f016b5a317ae89546221fc8fa8b987c5b4e0c2c4b7fcf3d6bc6cc1f");

    // printf %s '' | sha256sum
    CHECK(to_hex(hash_token("")) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}


TEST_CASE("to_hex writes 64 lower-case hex digits in byte order") {
    token_digest digest{};
    digest[0] = 0xab;
    digest[1] = 0x01;
    digest[31] = 0xff;

    const std::string hex = to_hex(digest);
    CHECK(hex.size() == 64);
    CHECK(hex.substr(0, 4) == "ab01");
    CHECK(hex.substr(62) == "ff");
    CHECK(hex.substr(4, 58) == std::string(58, '0'));
}


TEST_CASE("token_prefix keeps six characters and marks the cut") {
    CHECK(token_prefix("abcdefghijklmnop") == "abcdef...");
    CHECK(token_prefix("abcdefg") == "abcdef...");

    const std::string token = mint_token();
    CHECK(token_prefix(token) == token.substr(0, 6) + "...");
}


TEST_CASE("token_prefix leaves a string of six characters or fewer whole") {
    CHECK(token_prefix("abcdef") == "abcdef");
    CHECK(token_prefix("abc") == "abc");
    CHECK(token_prefix("") == "");
}


TEST_CASE("digest_equal tells equal digests from different ones") {
    const token_digest a = hash_token("one");
    const token_digest b = hash_token("one");
    const token_digest c = hash_token("two");

    CHECK(digest_equal(a, b));
    CHECK_FALSE(digest_equal(a, c));

    token_digest last_differs = a;
    last_differs[31] ^= 0x01;
    CHECK_FALSE(digest_equal(a, last_differs));
}
