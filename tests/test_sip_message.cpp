// Unit tests for sip_message: what libosip2 builds can be parsed back with
// every header intact, responses are recognised, and garbage is refused
// without a crash.

#include "provgate/sip_message.hpp"

#include <doctest/doctest.h>

#include <string>

using provgate::build_request;
using provgate::build_response;
using provgate::parse_sip_uri;
using provgate::sip_message;


namespace {

std::string sample_request() {
    return build_request(
        "NOTIFY", "sip:100@192.0.2.10:5062",
        {
            {"Via", "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKabc;rport"},
            {"Max-Forwards", "70"},
            {"From", "<sip:provgate@192.0.2.1>;tag=f1"},
            {"To", "<sip:100@192.0.2.10:5062>"},
            {"Call-ID", "c1@192.0.2.1"},
            {"CSeq", "1 NOTIFY"},
            {"Contact", "<sip:provgate@192.0.2.1:5070>"},
            {"Event", "check-sync"},
            {"Content-Type", "text/plain"},
        },
        "body text");
}

} // namespace


TEST_CASE("a built request parses back with its headers and body") {
    const auto msg = sip_message::parse(sample_request());

    REQUIRE(msg);
    CHECK(msg->is_request());
    CHECK(msg->method() == "NOTIFY");
    CHECK(msg->request_uri()->host == "192.0.2.10");
    CHECK(msg->request_uri()->port == 5062);
    CHECK(msg->top_via_branch() == "z9hG4bKabc");
    CHECK(msg->top_via_host() == "192.0.2.1");
    CHECK(msg->top_via_port() == 5070);
    CHECK(msg->top_via_has_rport());
    CHECK(msg->header("event") == "check-sync");
    CHECK(msg->header("Max-Forwards") == "70");
    CHECK(msg->call_id() == "c1@192.0.2.1");
    CHECK(msg->cseq() == "1 NOTIFY");
    CHECK(msg->to_tag().empty());
    CHECK(msg->contact_uri()->port == 5070);
    CHECK(msg->body() == "body text");
}


TEST_CASE("Content-Length is written from the body") {
    const std::string text = sample_request();
    CHECK(text.find("Content-Length:") != std::string::npos);
    CHECK(text.find(" 9\r\n\r\nbody text") != std::string::npos);
    CHECK(text.ends_with("\r\n\r\nbody text"));
}


TEST_CASE("a response parses with its status and the request's method") {
    const auto msg = sip_message::parse(build_response(
        481, "Call/Transaction Does Not Exist",
        {
            {"Via", "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKabc"},
            {"From", "<sip:provgate@192.0.2.1>;tag=f1"},
            {"To", "<sip:100@192.0.2.10>;tag=t9"},
            {"Call-ID", "c1@192.0.2.1"},
            {"CSeq", "1 NOTIFY"},
        }));

    REQUIRE(msg);
    CHECK_FALSE(msg->is_request());
    CHECK(msg->status() == 481);
    CHECK(msg->reason() == "Call/Transaction Does Not Exist");
    CHECK(msg->method() == "NOTIFY");
    CHECK(msg->to_tag() == "t9");
}


TEST_CASE("garbage, truncated and binary input is refused") {
    const std::string good = sample_request();
    std::string binary(512, '\0');
    for (std::size_t i = 0; i < binary.size(); ++i) {
        binary[i] = static_cast<char>(i * 31 % 256);
    }

    CHECK_FALSE(sip_message::parse(""));
    CHECK_FALSE(sip_message::parse("hello\r\n\r\n"));
    CHECK_FALSE(sip_message::parse(good.substr(0, 40)));
    CHECK_FALSE(sip_message::parse(binary));
    CHECK_FALSE(sip_message::parse("SUBSCRIBE sip:a@b SIP/2.0\r\n\r\n"));
    for (std::size_t cut = 0; cut < good.size(); cut += 7) {
        (void)sip_message::parse(good.substr(0, cut)); // must not crash
    }
}


TEST_CASE("a header value libosip2 cannot parse is refused before sending") {
    CHECK_THROWS_AS(build_request("NOTIFY", "sip:a@b", {{"CSeq", "one"}}),
                    provgate::sip_error);
    CHECK_THROWS_AS(build_request("NOTIFY", "not a uri", {}),
                    provgate::sip_error);
}


TEST_CASE("a SIP URI keeps a colon in the user part and the transport") {
    const auto uri = parse_sip_uri("sip:MAC:001565AABBCC@224.0.1.75");
    REQUIRE(uri);
    CHECK(uri->user == "MAC:001565AABBCC");
    CHECK(uri->host == "224.0.1.75");
    CHECK(uri->port == 0);

    const auto tcp = parse_sip_uri("sip:phone.example:5062;transport=TCP");
    REQUIRE(tcp);
    CHECK(tcp->port == 5062);
    CHECK(tcp->transport == "tcp");

    CHECK_FALSE(parse_sip_uri("http://example.net/"));
    CHECK_FALSE(parse_sip_uri("sip:host:99999"));
}


TEST_CASE("random identifiers are hex of the asked length and differ") {
    const std::string a = provgate::random_hex(24);
    CHECK(a.size() == 24);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(provgate::random_hex(7).size() == 7);
    CHECK(a != provgate::random_hex(24));
}
