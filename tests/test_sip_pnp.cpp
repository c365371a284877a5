// Unit tests for sip_pnp: the MAC in each Request-URI form, the ua-profile
// event, window lengths, and the 200 OK and NOTIFY built for a SUBSCRIBE.

#include "provgate/sip_pnp.hpp"

#include "provgate/sip_transport.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>

using provgate::mac_from_request_user;
using provgate::sip_message;


namespace {

sip_message sample_subscribe(const std::string& extra = "") {
    const std::string text =
        "SUBSCRIBE sip:MAC%3a001565aabbcc@224.0.1.75 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bKph1\r\n"
        "From: <sip:MAC%3a001565aabbcc@224.0.1.75>;tag=ph\r\n"
        "To: <sip:MAC%3a001565aabbcc@224.0.1.75>\r\n"
        "Call-ID: call-1@192.0.2.50\r\n"
        "CSeq: 7 SUBSCRIBE\r\n"
        "Contact: <sip:192.0.2.50:5062>\r\n"
        "Event: ua-profile;profile-type=\"device\";vendor=\"Yealink\"\r\n"
        "Accept: application/url\r\n" +
        extra + "Content-Length: 0\r\n\r\n";
    return *sip_message::parse(text);
}

} // namespace


TEST_CASE("the MAC is read from each Request-URI user form") {
    const std::string want = "001565aabbcc";
    for (const char* user :
         {"MAC%3a001565aabbcc", "MAC%3A001565AABBCC", "MAC:001565aabbcc",
          "MAC=001565aabbcc", "MAC001565aabbcc", "mac:00:15:65:AA:BB:CC",
          "Mac=00-15-65-aa-bb-cc", "MAC%3a00:15:65:aa:bb:cc"}) {
        CAPTURE(user);
        const auto mac = mac_from_request_user(user);
        REQUIRE(mac);
        CHECK(mac->to_string() == want);
    }
}


TEST_CASE("a user part without a well-formed MAC yields none") {
    for (const char* user :
         {"", "MAC", "MAC:", "001565aabbcc", "MAC:001565aabb",
          "MAC-001565aabbcc", "MAC:001565aabbccdd", "MAC%3a%3a001565aabbcc",
          "provisioning", "MAC:0015:65aa:bbcc"}) {
        CAPTURE(user);
        CHECK_FALSE(mac_from_request_user(user));
    }
}


TEST_CASE("only the ua-profile event package is recognised") {
    CHECK(provgate::is_ua_profile_event("ua-profile"));
    CHECK(provgate::is_ua_profile_event(
        "ua-profile;profile-type=\"device\";vendor=\"snom\""));
    CHECK(provgate::is_ua_profile_event("UA-Profile ; profile-type=device"));
    CHECK_FALSE(provgate::is_ua_profile_event("presence"));
    CHECK_FALSE(provgate::is_ua_profile_event("ua-profiles"));
    CHECK_FALSE(provgate::is_ua_profile_event(""));
}


TEST_CASE("window lengths take a unit and stay within a week") {
    using std::chrono::seconds;
    CHECK(provgate::parse_window("30m") == seconds(1800));
    CHECK(provgate::parse_window("90s") == seconds(90));
    CHECK(provgate::parse_window("2h") == seconds(7200));
    CHECK(provgate::parse_window("7d") == seconds(7 * 86400));
    for (const char* bad : {"", "30", "m", "0m", "8d", "-5m", "1.5h", "30 m"}) {
        CAPTURE(bad);
        CHECK_FALSE(provgate::parse_window(bad));
    }
}


TEST_CASE("the 200 OK echoes the transaction and adds a To tag") {
    const sip_message sub = sample_subscribe();
    const auto ok = sip_message::parse(
        provgate::build_subscribe_ok(sub, "srv1", "<sip:provgate@192.0.2.1>"));

    REQUIRE(ok);
    CHECK(ok->status() == 200);
    CHECK(ok->vias() == sub.vias());
    CHECK(ok->from() == sub.from());
    CHECK(ok->to_tag() == "srv1");
    CHECK(ok->call_id() == "call-1@192.0.2.50");
    CHECK(ok->cseq() == "7 SUBSCRIBE");
    CHECK(ok->header("Expires") == "0");
}


TEST_CASE("the NOTIFY carries the URL in the SUBSCRIBE's dialog") {
    const sip_message sub = sample_subscribe();
    const std::string url = "https://prov.example.net/prov/abc/";
    const auto n = sip_message::parse(provgate::build_pnp_notify(
        sub, "srv1", "192.0.2.1", 5060, "z9hG4bKn1", url));

    REQUIRE(n);
    CHECK(n->method() == "NOTIFY");
    CHECK(n->request_uri()->host == "192.0.2.50");
    CHECK(n->request_uri()->port == 5062);
    CHECK(n->top_via_branch() == "z9hG4bKn1");
    CHECK(n->to() == sub.from());
    CHECK(n->from().ends_with(";tag=srv1"));
    CHECK(n->call_id() == sub.call_id());
    CHECK(n->header("Event") == sub.header("Event"));
    CHECK(n->header("Subscription-State") == "terminated;reason=timeout");
    CHECK(n->header("Content-Type") == "application/url");
    CHECK(n->body() == url);
}


TEST_CASE("responses go to the source, NOTIFYs to the Contact") {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_port = htons(40000);
    inet_pton(AF_INET, "198.51.100.7", &source.sin_addr);

    const sip_message plain = sample_subscribe();
    CHECK(provgate::to_string(provgate::response_destination(plain, source)) ==
          "198.51.100.7:5062");
    CHECK(provgate::to_string(provgate::notify_destination(plain, source)) ==
          "192.0.2.50:5062");

    const auto rport = *sip_message::parse(
        "SUBSCRIBE sip:MAC001565aabbcc@224.0.1.75 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKx;rport\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\n"
        "CSeq: 1 SUBSCRIBE\r\nEvent: ua-profile\r\n"
        "Contact: <sip:phone.example>\r\nContent-Length: 0\r\n\r\n");
    CHECK(provgate::to_string(provgate::response_destination(rport, source)) ==
          "198.51.100.7:40000");
    CHECK(provgate::to_string(provgate::notify_destination(rport, source)) ==
          "198.51.100.7:40000");
}
