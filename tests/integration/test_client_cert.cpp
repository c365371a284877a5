// Device identity from client certificates: the stack's nginx asks for one
// and verifies it against a phone CA of its own (deploy/stack), which
// stands in for a vendor's factory CA. The tests sign device certificates
// shaped like the vendors' (the MAC in the CN) and present them.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::fetch_options;
using provgate::testing::stack;
using provgate::testing::with_cert;
using provgate::testing::worker_settings;

namespace {

std::string last_outcome(stack& s, const std::string& mac) {
    return s.sql("SELECT outcome FROM provgate.fetch_audit WHERE mac = '" +
                 mac + "' ORDER BY id DESC LIMIT 1");
}

} // namespace


TEST_CASE("a verified certificate must name the MAC of the file") {
    stack& s = stack::get();
    const std::string file = s.add_device("001565000901") + "001565000901.cfg";

    // The phone's own certificate, Yealink style (the MAC is the CN), and a
    // Cisco-style CN with the MAC inside.
    CHECK(s.fetch(file, with_cert(s, "001565000901")).status == 200);
    CHECK(s.fetch(file, with_cert(s, "SEP001565000901")).status == 200);

    // Another phone's verified certificate with this phone's URL is a
    // copied URL: refused, and counted toward a lockout.
    CHECK(s.fetch(file, with_cert(s, "001565000902")).status == 404);
    CHECK(last_outcome(s, "001565000901") == "cert_mac_mismatch\n");

    // No certificate, or one no trusted CA signed, is as good as none:
    // served while certificates are not required.
    CHECK(s.fetch(file).status == 200);
    CHECK(s.fetch(file, with_cert(s, "001565000902", true)).status == 200);
}


TEST_CASE("require_client_cert refuses requests without a verified one") {
    stack& s = stack::get();
    const std::string file = s.add_device("001565000903") + "001565000903.cfg";
    const worker_settings required("PROVGATE_REQUIRE_CLIENT_CERT=true");

    const int without = s.fetch(file).status;
    const std::string without_outcome = last_outcome(s, "001565000903");
    const int rogue = s.fetch(file, with_cert(s, "001565000903", true)).status;
    const int own = s.fetch(file, with_cert(s, "001565000903")).status;

    CHECK(without == 404);
    CHECK(without_outcome == "cert_required\n");
    CHECK(rogue == 404);
    CHECK(own == 200);
}


TEST_CASE("require_client_cert_vendors applies to the device's vendor") {
    stack& s = stack::get();
    // The vendor recorded for the device, Polycom, decides over the
    // Yealink OUI; without a record the OUI (Polycom's 0004f2) decides.
    const std::string recorded =
        s.add_device("001565000f01", "Test Phone", "--vendor polycom") +
        "001565000f01.cfg";
    const std::string by_oui =
        s.add_device("0004f2000f02") + "0004f2000f02.cfg";
    const std::string other = s.add_device("001565000f03") + "001565000f03.cfg";
    fetch_options polycom;
    polycom.user_agent = "FileTransport PolycomVVX-VVX_400-UA/5.9.0.9373 "
                         "Type/Application";
    const worker_settings vendors(
        "PROVGATE_REQUIRE_CLIENT_CERT_VENDORS=polycom");

    CHECK(s.fetch(recorded, polycom).status == 404);
    CHECK(last_outcome(s, "001565000f01") == "cert_required\n");
    CHECK(s.fetch(by_oui, polycom).status == 404);
    CHECK(last_outcome(s, "0004f2000f02") == "cert_required\n");
    CHECK(s.fetch(other).status == 200);

    fetch_options own = with_cert(s, "001565000f01");
    own.user_agent = polycom.user_agent;
    CHECK(s.fetch(recorded, own).status == 200);
    fetch_options own_oui = with_cert(s, "0004F2000F02");
    own_oui.user_agent = polycom.user_agent;
    CHECK(s.fetch(by_oui, own_oui).status == 200);
    // A certificate no trusted CA signed is as good as none.
    CHECK(s.fetch(by_oui, with_cert(s, "0004F2000F02", true)).status == 404);
}


TEST_CASE("provgatectl flag --require-cert applies to that device only") {
    stack& s = stack::get();
    const std::string flagged =
        s.add_device("001565000f04") + "001565000f04.cfg";
    const std::string neighbour =
        s.add_device("001565000f05") + "001565000f05.cfg";
    REQUIRE(s.fetch(flagged).status == 200);

    const auto on = s.ctl("flag --mac 001565000f04 --require-cert");
    CHECK(on.status == 0);
    CHECK(on.err.find("requires a verified client certificate") !=
          std::string::npos);
    CHECK(
        s.ctl("identity --mac 001565000f04").out.find("requires cert:   yes") !=
        std::string::npos);

    CHECK(s.fetch(flagged).status == 404);
    CHECK(last_outcome(s, "001565000f04") == "cert_required\n");
    CHECK(s.fetch(flagged, with_cert(s, "001565000f04", true)).status == 404);
    CHECK(s.fetch(flagged, with_cert(s, "001565000f04")).status == 200);
    CHECK(s.fetch(neighbour).status == 200);

    CHECK(s.ctl("flag --mac 001565000f04 --no-require-cert").status == 0);
    CHECK(s.fetch(flagged).status == 200);

    // Misuse: both ways at once, neither, an unknown device.
    CHECK(s.ctl("flag --mac 001565000f04 --require-cert --no-require-cert")
              .status == 1);
    CHECK(s.ctl("flag --mac 001565000f04").status == 1);
    CHECK(s.ctl("flag --mac 001565000fff --require-cert").status == 1);
}
