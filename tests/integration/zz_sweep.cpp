// The last word of the integration suite (doctest runs files in name order,
// hence the name): after every other test has fetched, failed, scanned and
// locked out, no log file and no table but the extensions table holds a
// password or a whole token.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::read_file;
using provgate::testing::stack;

TEST_CASE("after the suite, no log or table holds a password or a token") {
    stack& s = stack::get();
    REQUIRE(s.minted_tokens().size() > 50); // the suite ran before this

    // Every table's rows but the extensions' (the passwords' home), as a
    // superuser sees them.
    const auto dump = s.run("pg_dump -U postgres -d provgate --data-only "
                            "--exclude-table-data=provgate.extensions");
    REQUIRE(dump.status == 0);
    REQUIRE(dump.out.find("fetch_audit") != std::string::npos);

    // The passwords of the suite's extensions all start "pw-".
    REQUIRE(s.sql("SELECT count(*) FROM provgate.extensions "
                  "WHERE password NOT LIKE 'pw-%'") == "0\n");

    const std::vector<std::pair<std::string, std::string>> places = {
        {"database dump", dump.out},
        {"provgate.log", read_file(s.log_file("provgate.log"))},
        {"provgate.stderr", read_file(s.log_file("provgate.stderr"))},
        {"nginx-access.log", read_file(s.log_file("nginx-access.log"))},
        {"nginx-error.log", read_file(s.log_file("nginx-error.log"))},
    };
    for (const auto& place : places) {
        const auto& name = place.first;
        const auto& text = place.second;
        CAPTURE(name);
        CHECK(text.find("pw-") == std::string::npos);
        int leaked = 0;
        for (const std::string& token : s.minted_tokens()) {
            leaked += text.find(token.substr(0, 22)) != std::string::npos;
        }
        CHECK(leaked == 0);
    }
}
