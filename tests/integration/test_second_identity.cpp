// A device's token presented by a second identity (a User-Agent naming
// another MAC: a copied URL on another phone; or another certificate or
// phone model than the one that used the token before) raises an alert,
// and with quarantine_on_second_identity the device is refused until the
// operator releases it.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::fetch_options;
using provgate::testing::read_file;
using provgate::testing::stack;
using provgate::testing::with_cert;
using provgate::testing::worker_settings;

namespace {

// Another phone, with the folder copied from the device's configuration.
fetch_options impostor() {
    fetch_options opts;
    opts.user_agent = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:0a:99";
    return opts;
}


std::string last_outcome(stack& s, const std::string& mac) {
    return s.sql("SELECT outcome FROM provgate.fetch_audit WHERE mac = '" +
                 mac + "' ORDER BY id DESC LIMIT 1");
}


} // namespace


TEST_CASE("a second identity with a device's token raises an alert") {
    stack& s = stack::get();
    const std::string file = s.add_device("001565000a01") + "001565000a01.cfg";

    CHECK(s.fetch(file, impostor()).status == 404);
    CHECK(last_outcome(s, "001565000a01") == "ua_mac_mismatch\n");
    CHECK(s.log_with("provgate.log", "alert=second_identity mac=001565000a01")
              .find("error device token presented by a second identity "
                    "alert=second_identity mac=001565000a01 "
                    "reason=ua_mac_mismatch quarantined=no") !=
          std::string::npos);

    // Alert only by default: the phone itself still provisions.
    CHECK(s.fetch(file).status == 200);
}


TEST_CASE("with quarantine on, the device waits for the operator") {
    stack& s = stack::get();
    const std::string file = s.add_device("001565000a02") + "001565000a02.cfg";
    const worker_settings on("PROVGATE_QUARANTINE=true");

    REQUIRE(s.fetch(file).status == 200);
    CHECK(s.fetch(file, impostor()).status == 404);
    CHECK(s.fetch(file).status == 404);
    CHECK(last_outcome(s, "001565000a02") == "quarantined\n");
    CHECK(s.ctl("show --mac 001565000a02").out.find("quarantined") !=
          std::string::npos);

    const auto released = s.ctl("release --mac 001565000a02");
    CHECK(released.status == 0);
    CHECK(s.fetch_until(200, file).status == 200);
    CHECK(s.ctl("release --mac 001565000a02").status == 1);

    // A wrong file name or a guess is no second identity.
    CHECK(s.fetch(file.substr(0, file.rfind('/') + 1) + "001565000a03.cfg")
              .status == 404);
    CHECK(s.fetch(file).status == 200);
}


namespace {

// The token of a device path "/prov/<token>/".
std::string token_of(const std::string& folder) {
    return folder.substr(6, 43);
}


fetch_options with_user_agent(fetch_options opts, const std::string& ua) {
    opts.user_agent = ua;
    return opts;
}


int alert_count(stack& s, const std::string& mac) {
    return std::stoi(s.sql("SELECT count(*) FROM provgate.identity_alerts "
                           "WHERE mac = '" +
                           mac + "'"));
}

} // namespace


TEST_CASE("another certificate than the remembered one raises an alert") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000e01");
    const std::string file = folder + "001565000e01.cfg";
    const fetch_options cert_a = with_cert(s, "001565000e01");
    // Signed by the same phone CA for the same MAC, but another subject:
    // another certificate than the phone's.
    const fetch_options cert_b = with_cert(s, "001565000e01", false, "Cloned");

    REQUIRE(s.fetch(file, cert_a).status == 200);
    const auto shown = s.ctl("identity --mac 001565000e01");
    CHECK(shown.out.find("certificate:     CN=001565000e01,O=Test Phones "
                         "issued by CN=provgate dev phone CA") !=
          std::string::npos);
    CHECK(shown.out.find("user agent:      yealink t46s") != std::string::npos);

    // The same phone again, after a firmware upgrade, and without its
    // certificate (which says nothing about it): no alert.
    CHECK(s.fetch(file, with_user_agent(cert_a, "Yealink SIP-T46S 66.86.0.160"))
              .status == 200);
    CHECK(s.fetch(file).status == 200);
    CHECK(alert_count(s, "001565000e01") == 0);

    // Another certificate: alert only by default, so it is served.
    CHECK(s.fetch(file, cert_b).status == 200);
    const std::string prefix = token_of(folder).substr(0, 6);
    const std::string log = s.log_with(
        "provgate.log", "alert=second_identity mac=001565000e01 reason=");
    CHECK(log.find("error device token presented by a second identity "
                   "alert=second_identity mac=001565000e01 "
                   "reason=identity_differs differs=cert token=" +
                   prefix + "... quarantined=no") != std::string::npos);
    CHECK(log.find(token_of(folder)) == std::string::npos);
    CHECK(alert_count(s, "001565000e01") == 1);
    CHECK(s.sql("SELECT token_prefix, presented_cert, quarantined, "
                "host(client_addr) FROM provgate.identity_alerts WHERE mac = "
                "'001565000e01'") ==
          prefix + "|CN=001565000e01,O=Cloned issued by CN=provgate dev phone "
                   "CA|f|127.0.0.1\n");

    // The remembered identity stays the first one.
    CHECK(s.fetch(file, cert_a).status == 200);
    CHECK(alert_count(s, "001565000e01") == 1);
    CHECK(s.ctl("identity --mac 001565000e01").out.find("O=Cloned") !=
          std::string::npos); // listed as an alert
    CHECK(s.sql("SELECT identity_cert FROM provgate.devices WHERE mac = "
                "'001565000e01'") ==
          "CN=001565000e01,O=Test Phones issued by CN=provgate dev phone "
          "CA\n");
}


TEST_CASE("another phone model quarantines the device until cleared") {
    stack& s = stack::get();
    const std::string file = s.add_device("001565000e02") + "001565000e02.cfg";
    const fetch_options t46s =
        with_user_agent({}, "Yealink SIP-T46S 66.86.0.15 00:15:65:00:0e:02");
    const fetch_options t54w =
        with_user_agent({}, "Yealink SIP-T54W 96.86.0.100 00:15:65:00:0e:02");
    const worker_settings on("PROVGATE_QUARANTINE=true");

    REQUIRE(s.fetch(file, t46s).status == 200);
    CHECK(s.fetch(file, t54w).status == 404);
    CHECK(last_outcome(s, "001565000e02") == "second_identity\n");
    CHECK(s.log_with("provgate.log",
                     "mac=001565000e02 reason=identity_differs differs="
                     "user_agent")
              .find("quarantined=yes") != std::string::npos);
    CHECK(s.sql("SELECT presented_user_agent, quarantined FROM "
                "provgate.identity_alerts WHERE mac = '001565000e02'") ==
          "yealink t54w|t\n");

    // Quarantined: the phone itself is refused too.
    CHECK(s.fetch(file, t46s).status == 404);
    CHECK(last_outcome(s, "001565000e02") == "quarantined\n");
    CHECK(s.ctl("show --mac 001565000e02").out.find("quarantined") !=
          std::string::npos);

    // Released, the remembered phone is served again.
    CHECK(s.ctl("release --mac 001565000e02").status == 0);
    CHECK(s.fetch(file, t46s).status == 200);

    // A replaced phone: released and its identity forgotten, the new model
    // becomes the device's identity, and the old one is the second.
    REQUIRE(s.fetch(file, t54w).status == 404);
    CHECK(s.ctl("identity --mac 001565000e02 --clear").status == 0);
    CHECK(s.ctl("identity --mac 001565000e02").out.find("user agent:      -") !=
          std::string::npos);
    CHECK(s.ctl("release --mac 001565000e02").status == 0);
    CHECK(s.fetch(file, t54w).status == 200);
    CHECK(s.ctl("identity --mac 001565000e02")
              .out.find("user agent:      yealink t54w") != std::string::npos);
    CHECK(s.fetch(file, t46s).status == 404);
    CHECK(alert_count(s, "001565000e02") == 3);
    CHECK(s.ctl("identity --mac 001565000fff --clear").status == 1);
}


TEST_CASE(
    "the worker changes the remembered identity only through a function") {
    stack& s = stack::get();
    s.check_denied(
        "provgate_worker",
        {
            "UPDATE provgate.devices SET identity_cert = NULL",
            "UPDATE provgate.devices SET require_client_cert = false",
            "SELECT * FROM provgate.identity_alerts",
            "DELETE FROM provgate.identity_alerts",
        });
    const auto r = s.sql_as(
        "provgate_worker", "SELECT require_client_cert, identity_cert, "
                           "identity_user_agent FROM provgate.devices LIMIT 1");
    CHECK(r.status == 0);
}
