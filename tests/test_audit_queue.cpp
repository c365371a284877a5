// The audit queue between request threads and the writer thread.

#include "provgate/audit_writer.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace std::chrono_literals;
using provgate::audit_queue;
using provgate::audit_record;

namespace {

audit_record row(const std::string& id) {
    audit_record r;
    r.request_id = id;
    r.status = 200;
    return r;
}

} // namespace


TEST_CASE("audit_queue refuses rows beyond its capacity") {
    audit_queue q(2, 10);
    CHECK(q.push(row("a")));
    CHECK(q.push(row("b")));
    CHECK_FALSE(q.push(row("c")));
    CHECK(q.size() == 2);

    const auto batch = q.take(0ms);
    REQUIRE(batch.size() == 2);
    CHECK(batch[0].request_id == "a");
    CHECK(batch[1].request_id == "b");
    CHECK(q.push(row("c")));
}


TEST_CASE("audit_queue returns a failed batch to the front, in order") {
    audit_queue q(3, 2);
    q.push(row("a"));
    q.push(row("b"));
    q.push(row("c"));
    auto first = q.take(0ms); // a batch: two rows
    q.push(row("d"));
    // Put back even though the queue is full again: rows already accepted
    // are never dropped for lack of room.
    q.put_back(std::move(first));
    CHECK(q.size() == 4);

    const auto again = q.take(0ms);
    const auto rest = q.take(0ms);
    REQUIRE(again.size() == 2);
    REQUIRE(rest.size() == 2);
    CHECK(again[0].request_id == "a");
    CHECK(again[1].request_id == "b");
    CHECK(rest[0].request_id == "c");
    CHECK(rest[1].request_id == "d");
}


TEST_CASE("audit_queue lets rows collect, and wakes its writer for a full "
          "batch or when closed") {
    audit_queue q(10, 2);
    q.push(row("first"));
    // One row is not a batch: the writer sleeps through its wait.
    auto start = std::chrono::steady_clock::now();
    auto batch = q.take(100ms);
    CHECK(std::chrono::steady_clock::now() - start >= 100ms);
    REQUIRE(batch.size() == 1);

    q.push(row("a"));
    std::thread pusher([&] {
        std::this_thread::sleep_for(50ms);
        q.push(row("b"));
    });
    start = std::chrono::steady_clock::now();
    batch = q.take(10s);
    pusher.join();
    REQUIRE(batch.size() == 2);
    CHECK(std::chrono::steady_clock::now() - start < 5s);

    std::thread closer([&] {
        std::this_thread::sleep_for(50ms);
        q.close();
    });
    start = std::chrono::steady_clock::now();
    CHECK(q.take(10s).empty());
    closer.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(q.closed());
}
