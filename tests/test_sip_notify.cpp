// Unit tests for sip_notify: the event per vendor, the vendor per OUI, the
// --to target and the NOTIFY as it goes on the wire.

#include "provgate/sip_notify.hpp"

#include "provgate/sip_message.hpp"

#include <doctest/doctest.h>

using provgate::check_sync_event;
using provgate::mac_address;
using provgate::parse_notify_target;


TEST_CASE("each vendor gets its re-sync event") {
    for (const char* v :
         {"yealink", "polycom", "grandstream", "fanvil", "htek", "", "acme"}) {
        CAPTURE(v);
        CHECK(check_sync_event(v, false) == "check-sync");
        CHECK(check_sync_event(v, true) == "check-sync");
    }
    CHECK(check_sync_event("snom", false) == "check-sync;reboot=false");
    CHECK(check_sync_event("snom", true) == "check-sync;reboot=true");
    CHECK(check_sync_event("gigaset", false) == "check-sync;reboot=false");
    CHECK(check_sync_event("gigaset", true) == "check-sync;reboot=true");
    CHECK(check_sync_event("cisco", false) == "resync");
    CHECK(check_sync_event("cisco", true) == "resync");
}


TEST_CASE("the target is a SIP URI with an optional port and transport") {
    const auto plain = parse_notify_target("sip:192.0.2.10");
    REQUIRE(plain);
    CHECK(plain->host == "192.0.2.10");
    CHECK(plain->port == 5060);
    CHECK_FALSE(plain->tcp);

    const auto tcp = parse_notify_target("sip:192.0.2.10:5062;transport=tcp");
    REQUIRE(tcp);
    CHECK(tcp->port == 5062);
    CHECK(tcp->tcp);

    CHECK_FALSE(parse_notify_target("sip:192.0.2.10;transport=sctp"));
    CHECK_FALSE(parse_notify_target("192.0.2.10:5060"));
    CHECK_FALSE(parse_notify_target("tel:+4930123"));
}


TEST_CASE("the NOTIFY carries every header RFC 3261 asks of a request") {
    const auto target = parse_notify_target("sip:192.0.2.10:5062");
    const auto ids = provgate::new_notify_ids("192.0.2.1");
    const auto msg = provgate::sip_message::parse(provgate::build_check_sync(
        *target, "check-sync;reboot=true", "192.0.2.1", 40000, ids));

    REQUIRE(msg);
    CHECK(msg->method() == "NOTIFY");
    CHECK(ids.branch.starts_with("z9hG4bK"));
    CHECK(msg->top_via_branch() == ids.branch);
    CHECK(msg->vias().front().starts_with("SIP/2.0/UDP 192.0.2.1:40000"));
    CHECK(msg->from() == "<sip:provgate@192.0.2.1>;tag=" + ids.from_tag);
    CHECK(msg->to() == "<sip:192.0.2.10:5062>");
    CHECK(msg->call_id() == ids.call_id);
    CHECK(msg->cseq() == "1 NOTIFY");
    CHECK(msg->header("Max-Forwards") == "70");
    CHECK(msg->header("Event") == "check-sync;reboot=true");
    CHECK(msg->contact_uri()->port == 40000);
    CHECK(msg->body().empty());
}


TEST_CASE("two NOTIFYs never share a branch, tag or Call-ID") {
    const auto a = provgate::new_notify_ids("h");
    const auto b = provgate::new_notify_ids("h");
    CHECK(a.branch != b.branch);
    CHECK(a.from_tag != b.from_tag);
    CHECK(a.call_id != b.call_id);
}
