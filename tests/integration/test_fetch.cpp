// The secure path as a phone uses it: real nginx with TLS in front of the
// real worker and PostgreSQL, fetched with libcurl.

#include "stack.hpp"

#include <doctest/doctest.h>

#include <string>

using provgate::testing::fetch_options;
using provgate::testing::http_result;
using provgate::testing::stack;

namespace {

// What the shipped Yealink template renders for a device made by
// stack::add_device, byte for byte.
std::string expected_yealink(const std::string& mac, const std::string& url,
                             const std::string& display_name) {
    const std::string ext = "x" + mac;
    return "#!version:1.0.0.1\n"
           "## Rendered by provgate for extension " +
           ext +
           ". Do not edit: "
           "changes\n"
           "## are lost at the next provisioning.\n"
           "account.1.enable = 1\n"
           "account.1.label = " +
           ext +
           "\n"
           "account.1.display_name = " +
           display_name +
           "\n"
           "account.1.auth_name = auth" +
           ext +
           "\n"
           "account.1.user_name = " +
           ext +
           "\n"
           "account.1.password = pw-" +
           ext +
           "\n"
           "account.1.sip_server.1.address = pbx.example.net\n"
           "account.1.sip_server.1.port = 5060\n"
           "account.1.sip_server.1.transport_type = 0\n"
           "static.auto_provision.server.url = " +
           url + "\n";
}


// The 404 that every refused request must match.
http_result reference_404() {
    return stack::get().fetch("/prov/no-such-thing");
}


void check_same_404(const http_result& got) {
    static const http_result reference = reference_404();
    CHECK(got.status == 404);
    CHECK(got.body == reference.body);
    CHECK(got.stable_headers() == reference.stable_headers());
}

} // namespace


TEST_CASE("a phone fetches its own config through its secret folder") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000001", "Alice <b>&</b>");

    const http_result r = s.fetch(folder + "001565000001.cfg");

    CHECK(r.status == 200);
    CHECK(r.body == expected_yealink("001565000001",
                                     s.base_url() + folder.substr(5),
                                     "Alice <b>&</b>"));
    CHECK(r.header("Content-Type") == "text/plain; charset=utf-8");
    CHECK(r.header("Cache-Control") == "no-store");
    CHECK(r.header("Content-Length") == std::to_string(r.body.size()));
    CHECK(r.header("ETag").size() == 34);
}


TEST_CASE("the MAC in the file name is matched in any case") {
    stack& s = stack::get();
    const std::string folder = s.add_device("0015650000ab");
    const http_result lower = s.fetch(folder + "0015650000ab.cfg");

    const http_result upper = s.fetch(folder + "0015650000AB.cfg");

    CHECK(lower.status == 200);
    CHECK(upper.status == 200);
    CHECK(upper.body == lower.body);
}


TEST_CASE("the plain HTTP listener serves the same file") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000003");
    fetch_options plain;
    plain.plain_http = true;

    const http_result over_tls = s.fetch(folder + "001565000003.cfg");
    const http_result over_http = s.fetch(folder + "001565000003.cfg", plain);

    CHECK(over_http.status == 200);
    CHECK(over_http.body == over_tls.body);
}


TEST_CASE("another MAC in a real folder gets the same 404 as anything else") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000004");
    s.add_device("001565000005");

    check_same_404(s.fetch(folder + "001565000005.cfg"));
    check_same_404(s.fetch(folder + "001565999999.cfg"));
}


TEST_CASE("an unknown or malformed token gets the same 404") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000006");
    const std::string token = folder.substr(6, 43);
    std::string flipped = token;
    flipped[10] = flipped[10] == 'A' ? 'B' : 'A';

    check_same_404(s.fetch("/prov/" + flipped + "/001565000006.cfg"));
    check_same_404(
        s.fetch("/prov/" + token.substr(0, 42) + "/001565000006.cfg"));
    check_same_404(s.fetch("/prov/" + token + "x/001565000006.cfg"));
}


TEST_CASE("traversal, encoded slashes and overlong paths get the same 404") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000007");
    const std::string token = folder.substr(6, 43);

    check_same_404(s.fetch(folder + "../" + token + "/001565000007.cfg"));
    check_same_404(s.fetch("/prov/" + token + "%2F001565000007.cfg"));
    check_same_404(s.fetch("/prov/" + token + "/%30%30%31565000007.cfg"));
    check_same_404(s.fetch("/prov//" + token + "/001565000007.cfg"));
    check_same_404(s.fetch("/prov/" + token + "/001565000007.cfg/"));
    check_same_404(s.fetch("/prov/" + token + "/./001565000007.cfg"));
    check_same_404(s.fetch("/prov/../etc/passwd"));
    check_same_404(
        s.fetch("/prov/" + token + "/" + std::string(600, 'a') + ".cfg"));
    check_same_404(s.fetch("/prov/" + std::string(2000, 'A') + "/x.cfg"));
    check_same_404(s.fetch("/index.html"));
    check_same_404(s.fetch("/"));
    check_same_404(s.fetch("/prov"));
}


TEST_CASE("a revoked device's URL stops working within a second") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000008");
    // Twice, so that the worker serves the second from its device cache.
    REQUIRE(s.fetch(folder + "001565000008.cfg").status == 200);
    REQUIRE(s.fetch(folder + "001565000008.cfg").status == 200);

    REQUIRE(s.ctl("revoke --mac 00:15:65:00:00:08").status == 0);

    check_same_404(s.fetch_until(404, folder + "001565000008.cfg"));
    CHECK(s.sql("SELECT outcome FROM provgate.fetch_audit "
                "WHERE mac = '001565000008' ORDER BY id DESC LIMIT 1") ==
          "revoked\n");
}


TEST_CASE("rotation gives a new URL and retires the old one") {
    stack& s = stack::get();
    const std::string old_folder = s.add_device("001565000009");

    const auto rotated = s.ctl("rotate --mac 001565000009");
    REQUIRE(rotated.status == 0);
    const std::string new_folder = s.path_of(rotated.out);

    CHECK(new_folder != old_folder);
    check_same_404(s.fetch_until(404, old_folder + "001565000009.cfg"));
    const http_result r = s.fetch(new_folder + "001565000009.cfg");
    CHECK(r.status == 200);
    CHECK(r.body.find(s.base_url() + new_folder.substr(5)) !=
          std::string::npos);
}


TEST_CASE("an expired token and a disabled extension get the same 404") {
    stack& s = stack::get();
    const std::string expired = s.add_device("00156500000a");
    const std::string disabled = s.add_device("00156500000b");
    REQUIRE(s.fetch(expired + "00156500000a.cfg").status == 200);
    REQUIRE(s.fetch(disabled + "00156500000b.cfg").status == 200);

    s.sql("UPDATE provgate.devices SET expires_at = now() - interval '1 s' "
          "WHERE mac = '00156500000a'");
    s.sql("UPDATE provgate.extensions SET enabled = false "
          "WHERE extension = 'x00156500000b'");

    check_same_404(s.fetch_until(404, expired + "00156500000a.cfg"));
    check_same_404(s.fetch_until(404, disabled + "00156500000b.cfg"));
}


TEST_CASE("a display name that would inject a key is refused, not served") {
    stack& s = stack::get();
    const std::string folder = s.add_device("00156500000c");
    s.sql("UPDATE provgate.extensions SET display_name = "
          "E'Mallory\\naccount.1.sip_server.1.address = evil.example' "
          "WHERE extension = 'x00156500000c'");

    const http_result r = s.fetch_until(500, folder + "00156500000c.cfg");

    CHECK(r.status == 500);
    CHECK(r.body.find("evil.example") == std::string::npos);
    CHECK(r.body.find("pw-x00156500000c") == std::string::npos);
    const std::string log = s.log_with(
        "provgate.log", "field \"display_name\" holds a control character");
    CHECK(log.find("cannot render configuration mac=00156500000c") !=
          std::string::npos);
    CHECK(log.find("field \"display_name\" holds a control character") !=
          std::string::npos);
}


TEST_CASE("If-None-Match with the current ETag gets 304 without a body") {
    stack& s = stack::get();
    const std::string folder = s.add_device("00156500000d");
    const http_result first = s.fetch(folder + "00156500000d.cfg");
    REQUIRE(first.status == 200);

    fetch_options conditional;
    conditional.headers = {"If-None-Match: " + first.header("ETag")};
    const http_result again = s.fetch(folder + "00156500000d.cfg", conditional);

    CHECK(again.status == 304);
    CHECK(again.body.empty());
    CHECK(again.header("ETag") == first.header("ETag"));

    conditional.headers = {"If-None-Match: \"0000\""};
    CHECK(s.fetch(folder + "00156500000d.cfg", conditional).status == 200);
}


TEST_CASE("HEAD gets the headers of GET and no body") {
    stack& s = stack::get();
    const std::string folder = s.add_device("00156500000e");
    fetch_options head;
    head.method = "HEAD";

    const http_result get = s.fetch(folder + "00156500000e.cfg");
    const http_result r = s.fetch(folder + "00156500000e.cfg", head);

    CHECK(r.status == 200);
    CHECK(r.body.empty());
    CHECK(r.header("Content-Length") == std::to_string(get.body.size()));
    CHECK(r.header("ETag") == get.header("ETag"));
}


TEST_CASE("other methods get 405 whatever the path") {
    stack& s = stack::get();
    const std::string folder = s.add_device("00156500000f");

    for (const std::string method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
        fetch_options opts;
        opts.method = method;
        const http_result real = s.fetch(folder + "00156500000f.cfg", opts);
        const http_result fake = s.fetch("/prov/nothing/x.cfg", opts);
        CHECK(real.status == 405);
        CHECK(real.header("Allow") == "GET, HEAD");
        CHECK(real.body == fake.body);
        CHECK(real.stable_headers() == fake.stable_headers());
    }
}


TEST_CASE("every fetch leaves one audit row without the token") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000010");
    const std::string token = folder.substr(6, 43);

    REQUIRE(s.fetch(folder + "001565000010.cfg").status == 200);

    CHECK(s.sql("SELECT status, outcome, token_prefix, legacy, "
                "client_addr, user_agent FROM provgate.fetch_audit "
                "WHERE mac = '001565000010'") ==
          "200|served|" + token.substr(0, 6) +
              "...|f|127.0.0.1|Yealink SIP-T46S 66.86.0.15\n");
}
