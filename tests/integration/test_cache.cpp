// The worker's device cache and its asynchronous audit writer, against the
// real stack: a phone's later files are served from memory, a change made
// in PostgreSQL reaches the cache within a second, the cache is off while
// the database is away, and a full audit queue refuses files rather than
// serve one without its row.

#include "stack.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using provgate::testing::fetch_options;
using provgate::testing::http_result;
using provgate::testing::stack;
using provgate::testing::worker_settings;

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;


std::string metrics_of(stack& s) {
    return s
        .run("curl -s --max-time 2 http://127.0.0.1:" +
             std::to_string(s.admin_port(1)) + "/metrics")
        .out;
}


// The value of one sample line of /metrics, e.g.
// provgate_cache_lookups_total{result="hit"}; -1 if it is missing.
long sample(const std::string& metrics, const std::string& name) {
    const std::size_t at = metrics.find("\n" + name + " ");
    if (at == std::string::npos) {
        return -1;
    }
    return std::stol(metrics.substr(at + name.size() + 2));
}


void check_ok(const provgate::testing::command_result& r) {
    INFO(r.err);
    REQUIRE(r.status == 0);
}

} // namespace


TEST_CASE("a phone's second file comes from the cache, and a revocation "
          "reaches the cache within a second") {
    stack& s = stack::get();
    const std::string folder = s.add_device("0015650c0001");
    const std::string file = folder + "0015650c0001.cfg";
    const std::string hit = "provgate_cache_lookups_total{result=\"hit\"}";
    const std::string miss = "provgate_cache_lookups_total{result=\"miss\"}";

    // The listener may still be connecting after an earlier test restarted
    // the worker: then every lookup misses, which is safe but not this test.
    http_result first;
    long hits_before = 0;
    const auto give_up = clock_type::now() + 5s;
    do {
        hits_before = sample(metrics_of(s), hit);
        first = s.fetch(file);
        REQUIRE(first.status == 200);
        s.fetch(folder + "y000000000044.cfg");
    } while (sample(metrics_of(s), hit) == hits_before &&
             clock_type::now() < give_up);

    const std::string before = metrics_of(s);
    const http_result second = s.fetch(file);
    const std::string after = metrics_of(s);
    CHECK(second.status == 200);
    CHECK(second.body == first.body);
    CHECK(sample(after, hit) == sample(before, hit) + 1);
    CHECK(sample(after, miss) == sample(before, miss));

    REQUIRE(s.ctl("revoke --mac 0015650c0001").status == 0);
    const auto revoked = clock_type::now();
    const http_result refused = s.fetch_until(404, file);
    const std::chrono::duration<double, std::milli> took =
        clock_type::now() - revoked;
    MESSAGE("revocation refused by the cached worker after " << took.count()
                                                             << " ms");
    CHECK(refused.status == 404);
    CHECK(refused.body.find("pw-") == std::string::npos);
    CHECK(took < 1s);
}


TEST_CASE("a DBA's change to an account reaches the cache within a second") {
    stack& s = stack::get();
    const std::string file =
        s.add_device("0015650c0002", "Front Desk") + "0015650c0002.cfg";
    REQUIRE(s.fetch(file).body.find("Front Desk") != std::string::npos);
    REQUIRE(s.fetch(file).body.find("Front Desk") != std::string::npos);

    s.sql("UPDATE provgate.extensions SET display_name = 'Back Office' "
          "WHERE extension = 'x0015650c0002'");
    const auto changed = clock_type::now();
    http_result r;
    while (clock_type::now() - changed < 1s) {
        r = s.fetch(file);
        if (r.body.find("Back Office") != std::string::npos) {
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    CHECK(r.status == 200);
    CHECK(r.body.find("Back Office") != std::string::npos);
}


TEST_CASE("a file fetched again is not rendered again, and a new password "
          "is rendered within a second") {
    stack& s = stack::get();
    const std::string file =
        s.add_device("0015650c00a1", "Lobby") + "0015650c00a1.cfg";
    const std::string cached = "provgate_renders_total{result=\"cached\"}";
    const std::string rendered = "provgate_renders_total{result=\"rendered\"}";

    const http_result first = s.fetch(file);
    REQUIRE(first.status == 200);
    const std::string before = metrics_of(s);
    const http_result second = s.fetch(file);
    const std::string after = metrics_of(s);
    CHECK(second.status == 200);
    CHECK(second.body == first.body);
    CHECK(second.header("ETag") == first.header("ETag"));
    CHECK(sample(after, cached) == sample(before, cached) + 1);
    CHECK(sample(after, rendered) == sample(before, rendered));

    s.sql("UPDATE provgate.extensions SET password = 'pw-renewed-77' "
          "WHERE extension = 'x0015650c00a1'");
    const auto changed = clock_type::now();
    http_result r;
    while (clock_type::now() - changed < 1s) {
        r = s.fetch(file);
        if (r.body.find("pw-renewed-77") != std::string::npos) {
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    CHECK(r.status == 200);
    CHECK(r.body.find("pw-renewed-77") != std::string::npos);
    CHECK(r.header("ETag") != first.header("ETag"));
}


TEST_CASE("while PostgreSQL is away the cache is off: no file is served "
          "that a revocation could have ended") {
    stack& s = stack::get();
    const std::string file = s.add_device("0015650c0003") + "0015650c0003.cfg";
    REQUIRE(s.fetch(file).status == 200);
    REQUIRE(s.fetch(file).status == 200); // now cached

    check_ok(s.run("$PROVGATE_SOURCE/deploy/stack stop-db " + s.dir()));
    const http_result down = s.fetch_until(503, file);
    check_ok(s.run("$PROVGATE_SOURCE/deploy/stack start-db " + s.dir()));
    CHECK(down.status == 503);
    CHECK(s.log_with("provgate.log", "device cache off until change "
                                     "notifications are heard again")
              .find("device cache off") != std::string::npos);

    // Back: lookups work at once, the listener reconnects within a second
    // or two.
    CHECK(s.fetch_until(200, file, {}, 10s).status == 200);
}


TEST_CASE("a full audit queue refuses files with 503 and loses no row") {
    stack& s = stack::get();
    const std::string mac = "0015650c0004";
    const std::string file = s.add_device(mac) + mac + ".cfg";
    const worker_settings small_queue("PROVGATE_AUDIT_QUEUE_ROWS=3");
    REQUIRE(s.fetch(file).status == 200);
    s.wait_for_audit();

    // A DBA's long lock on the audit table: the writer's COPY waits and
    // times out, the queue fills, lookups go on.
    check_ok(s.run("(psql -X -q -U postgres -d provgate -c \"BEGIN; LOCK "
                   "TABLE provgate.fetch_audit IN ACCESS EXCLUSIVE MODE; "
                   "SELECT pg_sleep(4); COMMIT;\" >/dev/null 2>&1 &)"));
    const auto locked_at = clock_type::now();
    while (s.sql_as("postgres",
                    "SELECT count(*) FROM pg_locks WHERE relation = "
                    "'provgate.fetch_audit'::regclass AND granted AND "
                    "mode = 'AccessExclusiveLock'")
               .out != "1\n") {
        REQUIRE(clock_type::now() - locked_at < 3s);
        std::this_thread::sleep_for(20ms);
    }

    int served = 0;
    int refused = 0;
    for (int i = 0; i < 20; ++i) {
        const http_result r = s.fetch(file);
        if (r.status == 200) {
            ++served;
        } else if (r.status == 503) {
            ++refused;
            CHECK(r.body.find("pw-") == std::string::npos);
        } else {
            FAIL("unexpected status " << r.status);
        }
    }
    MESSAGE(served << " served, " << refused << " refused with 503");
    CHECK(refused > 0);
    CHECK(served <= 6); // three queued, three in the batch that waits
    CHECK(sample(metrics_of(s),
                 "provgate_audit_rows_total{result=\"dropped\"}") >= refused);

    // Once the lock is gone, files are served again and every one that was
    // served has its row: the first fetch, those of the loop, the last.
    REQUIRE(s.fetch_until(200, file, {}, 10s).status == 200);
    CHECK(s.sql("SELECT count(*) FROM provgate.fetch_audit WHERE mac = '" +
                mac + "' AND status = 200") ==
          std::to_string(1 + served + 1) + "\n");
}


TEST_CASE("phones fetching at once, their lookups batched, each get their "
          "own file") {
    stack& s = stack::get();
    constexpr int phones = 40;
    std::vector<std::string> macs;
    std::vector<std::string> files;
    for (int i = 0; i < phones; ++i) {
        char mac[13];
        std::snprintf(mac, sizeof(mac), "0015650c01%02x", i);
        macs.emplace_back(mac);
        files.push_back(s.add_device(mac) + mac + ".cfg");
    }
    const std::string before = metrics_of(s);

    std::vector<http_result> results(phones);
    std::vector<std::thread> threads;
    for (int i = 0; i < phones; ++i) {
        threads.emplace_back([&, i] { results[i] = s.fetch(files[i]); });
    }
    for (std::thread& t : threads) {
        t.join();
    }

    // A lookup answered with another device's row would hand out another
    // phone's password: each body must be its own phone's alone.
    for (int i = 0; i < phones; ++i) {
        CAPTURE(macs[i]);
        CHECK(results[i].status == 200);
        CHECK(results[i].body.find("pw-x" + macs[i] + "\n") !=
              std::string::npos);
        CHECK(results[i].body.find("pw-x0015650c01") ==
              results[i].body.rfind("pw-x0015650c01"));
    }
    const std::string after = metrics_of(s);
    const long misses =
        sample(after, "provgate_cache_lookups_total{result=\"miss\"}") -
        sample(before, "provgate_cache_lookups_total{result=\"miss\"}");
    const long queries = sample(after, "provgate_lookup_queries_total") -
                         sample(before, "provgate_lookup_queries_total");
    MESSAGE(misses << " token lookups in " << queries << " queries");
    CHECK(misses >= phones);
    CHECK(queries >= 1);
    CHECK(queries <= misses);
}


TEST_CASE("an audit row the database refuses is lost alone, and the rows "
          "around it are written") {
    stack& s = stack::get();
    const std::string mac = "0015650c0005";
    const std::string file = s.add_device(mac) + mac + ".cfg";
    // A DBA's constraint that one row breaks.
    s.sql_as("postgres",
             "ALTER TABLE provgate.fetch_audit ADD CONSTRAINT no_poison "
             "CHECK (user_agent IS DISTINCT FROM 'poison') NOT VALID");
    const std::string lost = "provgate_audit_rows_total{result=\"lost\"}";
    const long lost_before = sample(metrics_of(s), lost);

    fetch_options poison;
    poison.user_agent = "poison";
    CHECK(s.fetch(file).status == 200);
    CHECK(s.fetch(file, poison).status == 200);
    CHECK(s.fetch(file).status == 200);
    s.wait_for_audit();
    s.sql_as("postgres",
             "ALTER TABLE provgate.fetch_audit DROP CONSTRAINT no_poison");

    CHECK(sample(metrics_of(s), lost) == lost_before + 1);
    CHECK(s.sql("SELECT count(*) FROM provgate.fetch_audit WHERE mac = '" +
                mac + "'") == "2\n");
    CHECK(
        s.log_with("provgate.log", "audit rows refused by the database rows=1")
            .find("rows=1 reason=") != std::string::npos);
    // The queue goes on.
    CHECK(s.fetch(file).status == 200);
    CHECK(s.sql("SELECT count(*) FROM provgate.fetch_audit WHERE mac = '" +
                mac + "'") == "3\n");
}
