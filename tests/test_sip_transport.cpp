// Unit tests for the retransmission schedule of a non-INVITE client
// transaction (RFC 3261, section 17.1.2.2, figure 6).

#include "provgate/sip_transport.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using provgate::retransmit_schedule;


TEST_CASE("timer E doubles from T1 up to T2 and timer F ends at 64*T1") {
    const auto t0 = retransmit_schedule::clock::time_point{};
    retransmit_schedule s({500ms, 4000ms, 32000ms}, t0);

    CHECK(s.next_retransmit() == t0 + 500ms);
    CHECK(s.deadline() == t0 + 32000ms);

    auto now = t0 + 500ms;
    const std::chrono::milliseconds gaps[] = {1000ms, 2000ms, 4000ms, 4000ms};
    for (const auto gap : gaps) {
        s.retransmitted(now);
        CHECK(s.next_retransmit() == now + gap);
        now += gap;
    }
    CHECK(s.transmissions() == 5);
}


TEST_CASE("after a provisional response the interval is T2") {
    const auto t0 = retransmit_schedule::clock::time_point{};
    retransmit_schedule s({100ms, 4000ms, 6400ms}, t0);

    s.provisional(t0 + 50ms);
    CHECK(s.next_retransmit() == t0 + 4050ms);
    s.retransmitted(t0 + 4050ms);
    CHECK(s.next_retransmit() == t0 + 8050ms);
    CHECK(s.deadline() == t0 + 6400ms);
}
