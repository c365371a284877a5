// What an auditor checks: the worker's database role can do nothing but
// its lookups and audit inserts, and no log holds a token or a password.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::fetch_options;
using provgate::testing::read_file;
using provgate::testing::stack;

TEST_CASE("the worker's role may read lookups and insert audit rows only") {
    stack& s = stack::get();
    s.add_device("001565000201");

    CHECK(s.sql_as("provgate_worker",
                   "SELECT password FROM provgate.sip_accounts LIMIT 1")
              .status == 0);
    CHECK(s.sql_as("provgate_worker",
                   "SELECT mac, token_hash FROM provgate.devices LIMIT 1")
              .status == 0);

    s.check_denied(
        "provgate_worker",
        {
            "SELECT * FROM provgate.extensions",
            "SELECT created_at FROM provgate.devices",
            "SELECT * FROM provgate.fetch_audit",
            "UPDATE provgate.devices SET revoked_at = NULL",
            "DELETE FROM provgate.fetch_audit",
            "INSERT INTO provgate.devices (mac, extension, token_hash) "
            "VALUES ('001565000299', 'x', decode(repeat('00', 32), 'hex'))",
            "UPDATE provgate.extensions SET password = 'x'",
            "CREATE TABLE provgate.t (x int)",
            "DELETE FROM provgate.digest_nonce_uses",
        });
}


TEST_CASE("no log and no audit row holds a full token or a password") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000202");
    const std::string token = folder.substr(6, 43);
    const std::string password = "pw-x001565000202";

    // Every kind of request a token can appear in, good and bad.
    s.fetch(folder + "001565000202.cfg");
    s.fetch(folder + "001565000299.cfg");
    s.fetch("/prov/" + token);
    s.fetch("/prov/" + token + "/");
    s.fetch("/prov//" + token + "/001565000202.cfg");
    s.fetch("/prov/" + token + ".cfg");
    s.fetch("/prov/x.cfg?t=" + token);
    s.fetch("/other/" + token + "/001565000202.cfg");
    fetch_options post;
    post.method = "POST";
    s.fetch(folder + "001565000202.cfg", post);
    fetch_options plain;
    plain.plain_http = true;
    s.fetch(folder + "001565000202.cfg", plain);

    for (const char* name : {"provgate.log", "provgate.stderr",
                             "nginx-access.log", "nginx-error.log"}) {
        CAPTURE(name);
        const std::string log = read_file(s.log_file(name));
        CHECK(log.find(token) == std::string::npos);
        CHECK(log.find(token.substr(0, 22)) == std::string::npos);
        CHECK(log.find(password) == std::string::npos);
    }
    CHECK(read_file(s.log_file("nginx-access.log"))
              .find("/prov/" + token.substr(0, 6) + ".../001565000202.cfg") !=
          std::string::npos);

    const std::string audit =
        s.sql("SELECT concat_ws('|', file, token_prefix, user_agent) "
              "FROM provgate.fetch_audit");
    CHECK(audit.find(token.substr(0, 22)) == std::string::npos);
    CHECK(audit.find(password) == std::string::npos);
    CHECK(s.sql("SELECT count(*) FROM provgate.devices "
                "WHERE encode(token_hash, 'escape') LIKE '%" +
                token.substr(0, 10) + "%'") == "0\n");
}
