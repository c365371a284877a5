// Scale-out on PostgreSQL's own replication: a worker whose lookups read a
// hot standby (database.read_dsn) while its audit rows go to the primary.
// The tests measure how long an activation and a revocation on the primary
// take to reach the phones, and show that the worker really reads the
// standby by pausing its replay.

#include "stack.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

using provgate::testing::stack;
using provgate::testing::stack_options;

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

stack& standby_stack() {
    static stack instance(stack_options{1, true});
    return instance;
}


// Fetches path until it answers status; the time it took, or a negative
// duration if it did not within ten seconds.
std::chrono::duration<double, std::milli>
wait_for_status(stack& s, const std::string& path, long status) {
    const auto start = clock_type::now();
    while (clock_type::now() - start < 10s) {
        if (s.fetch(path).status == status) {
            return clock_type::now() - start;
        }
        std::this_thread::sleep_for(5ms);
    }
    return std::chrono::duration<double, std::milli>(-1);
}

} // namespace


TEST_CASE("a device activated and revoked on the primary reaches a worker "
          "that reads the standby") {
    stack& s = standby_stack();
    REQUIRE(s.standby_sql("SELECT pg_is_in_recovery()") == "t\n");

    const std::string path = s.add_device("001565000701") + "001565000701.cfg";
    const auto served = wait_for_status(s, path, 200);
    REQUIRE(s.ctl("revoke --mac 001565000701").status == 0);
    const auto refused = wait_for_status(s, path, 404);
    MESSAGE("activation served " << served.count()
                                 << " ms after provgatectl returned, "
                                    "revocation effective "
                                 << refused.count() << " ms after it");

    CHECK(served.count() >= 0);
    CHECK(refused.count() >= 0);
    // The issue asks for a measured delay; two seconds is a generous bound
    // for a standby on the same host, which replays within milliseconds.
    CHECK(served < 2s);
    CHECK(refused < 2s);
    // The audit rows went to the primary, which the admin role reads.
    CHECK(s.sql("SELECT count(*) > 0 FROM provgate.fetch_audit "
                "WHERE mac = '001565000701' AND status = 200") == "t\n");
}


TEST_CASE("with the standby's replay paused the worker does not see a new "
          "device until it resumes") {
    stack& s = standby_stack();
    REQUIRE(s.standby_sql("SELECT pg_wal_replay_pause()").size() > 0);

    const std::string path = s.add_device("001565000702") + "001565000702.cfg";
    // The primary has the device; the standby, where lookups go, not yet.
    CHECK(s.sql("SELECT count(*) FROM provgate.devices "
                "WHERE mac = '001565000702'") == "1\n");
    CHECK(s.fetch(path).status == 404);
    std::this_thread::sleep_for(300ms);
    CHECK(s.fetch(path).status == 404);

    s.standby_sql("SELECT pg_wal_replay_resume()");
    const auto served = wait_for_status(s, path, 200);
    MESSAGE("served " << served.count() << " ms after the replay resumed");
    CHECK(served.count() >= 0);
    CHECK(served < 2s);
    // The refusals while paused were audited on the primary.
    CHECK(s.sql("SELECT count(*) FROM provgate.fetch_audit "
                "WHERE mac = '001565000702' AND outcome = 'unknown_token'") ==
          "2\n");
}
