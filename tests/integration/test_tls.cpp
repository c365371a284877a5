// testssl against the shipped TLS settings (nginx/provgate-tls.conf) and
// the dev stack's certificate. A self-signed certificate has no chain of
// trust and no revocation information; apart from those two findings,
// nothing may be rated HIGH or CRITICAL. Slow (about a minute): it is its
// own meson test, "testssl".

#include "stack.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

using provgate::testing::read_file;
using provgate::testing::stack;

namespace {

// One finding of testssl's CSV report.
struct finding {
    std::string id;
    std::string severity;
    std::string text;
};


// Splits '"a","b","c"' into its fields (testssl quotes every field and
// never a quote inside one).
std::vector<std::string> csv_fields(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t at = 0;
    while ((at = line.find('"', at)) != std::string::npos) {
        const std::size_t end = line.find('"', at + 1);
        if (end == std::string::npos) {
            break;
        }
        fields.push_back(line.substr(at + 1, end - at - 1));
        at = end + 1;
    }
    return fields;
}


std::vector<finding> read_findings(const std::string& path) {
    std::vector<finding> out;
    std::istringstream in(read_file(path));
    std::string line;
    while (std::getline(in, line)) {
        const auto f = csv_fields(line);
        if (f.size() >= 5 && f[0] != "id") {
            out.push_back(finding{f[0], f[3], f[4]});
        }
    }
    return out;
}

} // namespace


TEST_CASE("testssl finds nothing HIGH or CRITICAL but self-signed trust") {
    stack& s = stack::get();
    const std::string csv = s.dir() + "/testssl.csv";
    const auto r =
        s.run("cd " + s.dir() +
              " && timeout 600 testssl --quiet --color 0 "
              "--warnings batch --ip 127.0.0.1 --csvfile " +
              csv + " https://127.0.0.1:" + std::to_string(s.https_port()) +
              "/prov/");
    const auto findings = read_findings(csv);
    CAPTURE(r.err);
    REQUIRE(findings.size() > 50); // the scan ran to its end

    // What any self-signed certificate gets, whatever the configuration.
    const std::set<std::string> self_signed = {"cert_chain_of_trust",
                                               "cert_revocation"};
    std::map<std::string, std::string> seen;
    for (const auto& f : findings) {
        seen[f.id] = f.text;
        if (f.severity == "HIGH" || f.severity == "CRITICAL") {
            CAPTURE(f.id);
            CAPTURE(f.text);
            CHECK(self_signed.count(f.id) == 1);
        }
    }

    // The protocols and the certificate are what README.md promises.
    CHECK(seen["SSLv3"].starts_with("not offered"));
    CHECK(seen["TLS1"].starts_with("not offered"));
    CHECK(seen["TLS1_1"].starts_with("not offered"));
    CHECK(seen["TLS1_2"].starts_with("offered"));
    CHECK(seen["TLS1_3"].starts_with("offered"));
    CHECK(seen["cert_subjectAltName"].find("127.0.0.1") != std::string::npos);
    CHECK(seen.count("cert_validityPeriod") == 1);
}
