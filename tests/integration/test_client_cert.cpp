// Device identity from client certificates: the stack's nginx asks for one
// and verifies it against a phone CA of its own (deploy/stack), which
// stands in for a vendor's factory CA. The tests sign device certificates
// shaped like the vendors' (the MAC in the CN) and present them.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::fetch_options;
using provgate::testing::stack;
using provgate::testing::worker_settings;

namespace {

// Issues a certificate for cn signed by the stack's phone CA (or, with
// own_ca, by a CA of its own that nginx does not know); returns options
// that present it.
fetch_options with_cert(stack& s, const std::string& cn, bool own_ca = false) {
    const std::string dir = s.dir() + "/client-certs";
    const std::string base = dir + "/" + cn + (own_ca ? "-rogue" : "");
    const std::string ca =
        own_ca ? dir + "/rogue-ca" : s.dir() + "/tls/phone-ca";
    const auto r = s.run(
        "set -e; mkdir -p " + dir + "; cd " + dir + "; " +
        (own_ca ? "[ -f rogue-ca.pem ] || openssl req -x509 -newkey ec "
                  "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                  "-subj '/CN=rogue CA' -keyout rogue-ca.key "
                  "-out rogue-ca.pem 2>/dev/null; "
                : "") +
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -subj '/O=Test Phones/CN=" +
        cn + "' -keyout '" + base + ".key' -out '" + base +
        ".csr' 2>/dev/null; "
        "openssl x509 -req -in '" +
        base + ".csr' -CA " + ca + ".pem -CAkey " + ca +
        ".key -CAcreateserial -days 2 -out '" + base + ".pem' 2>/dev/null");
    REQUIRE(r.status == 0);
    fetch_options opts;
    opts.client_cert = base + ".pem";
    opts.client_key = base + ".key";
    return opts;
}


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
