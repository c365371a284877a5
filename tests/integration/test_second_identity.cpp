// A device's token presented by a second identity (a User-Agent naming
// another MAC: a copied URL on another phone) raises an alert, and with
// quarantine_on_second_identity the device is refused until the operator
// releases it.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::fetch_options;
using provgate::testing::read_file;
using provgate::testing::stack;
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
