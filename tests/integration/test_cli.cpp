// provgatectl and the worker's start-up checks, as an operator meets them.

#include "stack.hpp"

#include <doctest/doctest.h>

#include <fstream>

using provgate::testing::stack;

TEST_CASE("activate prints only the device URL on standard output") {
    stack& s = stack::get();
    s.sql("INSERT INTO provgate.extensions (extension, auth_user, password, "
          "sip_server) VALUES ('cli1', 'cli1', 'pw-cli1', 'pbx.example.net')");

    const auto r = s.ctl("activate --mac 00-15-65-00-03-01 --extension cli1 "
                         "--vendor yealink --model T46S");

    REQUIRE(r.status == 0);
    CHECK(r.out.starts_with(s.base_url() + "/"));
    CHECK(r.out.ends_with("/\n"));
    CHECK(r.out.size() == s.base_url().size() + 1 + 43 + 2);
    CHECK(r.err.find("activated device \"001565000301\"") != std::string::npos);
}


TEST_CASE("activate refuses a second activation and unknown input") {
    stack& s = stack::get();
    s.add_device("001565000302");

    auto r = s.ctl("activate --mac 001565000302 --extension x001565000302");
    CHECK(r.status == 1);
    CHECK(r.err.find("already activated") != std::string::npos);
    CHECK(r.out.empty());

    r = s.ctl("activate --mac 001565000303 --extension no-such-extension");
    CHECK(r.status == 1);
    CHECK(r.err.find("extension \"no-such-extension\" does not exist") !=
          std::string::npos);

    r = s.ctl("activate --mac 0015650003 --extension x001565000302");
    CHECK(r.status == 1);
    CHECK(r.err.find("invalid MAC address \"0015650003\"") !=
          std::string::npos);

    r = s.ctl("activate --mac 001565000304 --extension x001565000302 "
              "--vendor acme");
    CHECK(r.status == 1);
    CHECK(r.err.find("unrecognized vendor \"acme\"") != std::string::npos);
}


TEST_CASE("list and show describe devices without any token") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000305");
    const std::string token = folder.substr(6, 43);
    REQUIRE(s.ctl("revoke --mac 001565000305").status == 0);

    const auto list = s.ctl("list");
    const auto show = s.ctl("show --mac 001565000305");

    CHECK(list.status == 0);
    CHECK(list.out.find("001565000305") != std::string::npos);
    CHECK(show.out.find("state:           revoked") != std::string::npos);
    CHECK(show.out.find("extension:       x001565000305") != std::string::npos);
    CHECK(list.out.find(token.substr(0, 6)) == std::string::npos);
    CHECK(show.out.find(token.substr(0, 6)) == std::string::npos);
    CHECK(s.ctl("show --mac 0015650003ff").status == 1);
}


TEST_CASE("a token lifetime sets the expiry") {
    stack& s = stack::get();
    s.add_device("001565000306");

    const auto r = s.ctl("rotate --mac 001565000306 --lifetime-days 30");

    REQUIRE(r.status == 0);
    CHECK(s.sql("SELECT expires_at BETWEEN now() + interval '29 days' AND "
                "now() + interval '31 days' FROM provgate.devices "
                "WHERE mac = '001565000306'") == "t\n");
}


TEST_CASE("migrate a second time changes nothing") {
    stack& s = stack::get();
    const std::string before =
        s.sql("SELECT version, applied_at FROM provgate.schema_migrations");

    const auto r = s.run("provgatectl --dsn \"host=$PGHOST port=$PGPORT "
                         "dbname=provgate user=postgres\" migrate --sql-dir "
                         "$PROVGATE_SOURCE/sql");

    CHECK(r.status == 0);
    CHECK(r.err.find("database is up to date at version 6") !=
          std::string::npos);
    CHECK(s.sql("SELECT version, applied_at FROM provgate.schema_migrations") ==
          before);
}


TEST_CASE("the worker refuses a bad configuration, naming file, line, key") {
    stack& s = stack::get();
    const std::string path = s.dir() + "/bad.yaml";
    std::ofstream(path) << "base_url: \"https://h/prov\"\n"
                           "listen: \"127.0.0.1:1\"\n"
                           "threads: lots\n";

    const auto r = s.run("provgate --config " + path + " --check");

    CHECK(r.status == 2);
    CHECK(r.err.find(path + ":3:10: key \"threads\": expected an integer") !=
          std::string::npos);
}
