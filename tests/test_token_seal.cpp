// Unit tests for sealing pending tokens: a round trip under the key, and
// refusal of another key, an altered seal or a bad key file.

#include "provgate/token_seal.hpp"

#include "provgate/token.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace provgate;


TEST_CASE("a sealed token opens only under its key and unaltered") {
    const std::string key(32, '\x42');
    const std::string other(32, '\x43');
    const std::string token = mint_token();

    const std::string sealed = seal_token(key, token);
    CHECK(sealed.find(token) == std::string::npos);
    CHECK(seal_token(key, token) != sealed); // a fresh nonce each time
    CHECK(unseal_token(key, sealed) == token);
    CHECK_FALSE(unseal_token(other, sealed));

    std::string altered = sealed;
    altered[30] = altered[30] == '0' ? '1' : '0';
    CHECK_FALSE(unseal_token(key, altered));
    CHECK_FALSE(unseal_token(key, ""));
    CHECK_FALSE(unseal_token(key, "zz"));
    CHECK_FALSE(unseal_token("", sealed));
}


TEST_CASE("the key file must hold 64 hex digits") {
    const auto path = std::filesystem::temp_directory_path() /
                      ("provgate-test-seal-" + std::to_string(getpid()));
    { std::ofstream(path) << std::string(64, 'a') << "\n"; }
    CHECK(load_seal_key(path.string()) == std::string(32, '\xaa'));
    { std::ofstream(path) << std::string(63, 'a') << "\n"; }
    CHECK_THROWS_AS(load_seal_key(path.string()), seal_error);
    std::filesystem::remove(path);
    CHECK_THROWS_AS(load_seal_key(path.string()), seal_error);
}
