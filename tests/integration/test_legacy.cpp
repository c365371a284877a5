// The legacy shared directory (DHCP option 66): off by default, and when an
// operator turns it on, served, logged loudly and marked in the audit.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::http_result;
using provgate::testing::read_file;
using provgate::testing::stack;
using provgate::testing::worker_settings;


TEST_CASE("with security on, the shared directory is the same 404") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000101");
    const http_result reference = s.fetch("/prov/no-such-thing");

    const http_result r = s.fetch("/prov/001565000101.cfg");

    CHECK(r.status == 404);
    CHECK(r.body == reference.body);
    CHECK(r.stable_headers() == reference.stable_headers());
    CHECK(s.sql("SELECT outcome FROM provgate.fetch_audit "
                "WHERE mac = '001565000101' ORDER BY id DESC LIMIT 1") ==
          "legacy_disabled\n");
}


TEST_CASE("with security disabled, the shared directory serves by MAC") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000102");
    const http_result secure = s.fetch(folder + "001565000102.cfg");
    const worker_settings legacy("PROVGATE_LEGACY=true");

    const http_result r = s.fetch("/prov/001565000102.cfg");

    CHECK(r.status == 200);
    CHECK(r.body.find("account.1.password = pw-x001565000102\n") !=
          std::string::npos);
    CHECK(r.body.find("static.auto_provision.server.url = " + s.base_url() +
                      "/\n") != std::string::npos);
    // The secret folder keeps working next to it.
    CHECK(s.fetch(folder + "001565000102.cfg").body == secure.body);
    CHECK(s.sql("SELECT outcome, legacy FROM provgate.fetch_audit "
                "WHERE mac = '001565000102' ORDER BY id DESC LIMIT 1") ==
          "served|f\n");
    CHECK(s.sql("SELECT count(*) FROM provgate.fetch_audit "
                "WHERE mac = '001565000102' AND legacy") == "1\n");

    const std::string log =
        s.log_with("provgate.log", "legacy=shared-directory");
    CHECK(log.find("warning auto provision security is disabled") !=
          std::string::npos);
    CHECK(log.find("path=/prov/001565000102.cfg status=200") !=
          std::string::npos);
    CHECK(log.find("legacy=shared-directory") != std::string::npos);
}


TEST_CASE("the shared directory still refuses revoked and unknown MACs") {
    stack& s = stack::get();
    s.add_device("001565000103");
    REQUIRE(s.ctl("revoke --mac 001565000103").status == 0);
    const worker_settings legacy("PROVGATE_LEGACY=true");
    const http_result reference = s.fetch("/prov/no-such-thing");

    for (const char* path :
         {"/prov/001565000103.cfg", "/prov/0015650fffff.cfg"}) {
        const http_result r = s.fetch(path);
        CHECK(r.status == 404);
        CHECK(r.body == reference.body);
        CHECK(r.stable_headers() == reference.stable_headers());
    }
}
