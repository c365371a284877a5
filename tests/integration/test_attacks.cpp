// What an attacker meets: failed fetches lock the client address out for
// every worker and across a restart, while successes from one busy address
// never do; decoys lock at once and raise an alert; nginx limits the rate
// per address. Clients other than the exempt 127.0.0.1 are simulated with
// other loopback source addresses (CURLOPT_INTERFACE).

#include "stack.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

using provgate::testing::fetch_options;
using provgate::testing::http_result;
using provgate::testing::nginx_settings;
using provgate::testing::read_file;
using provgate::testing::stack;

namespace {

// The test stack locks after this many failures (tests/integration/stack.cpp
// sets PROVGATE_LOCKOUT_MAX_FAILURES).
constexpr int max_failures = 5;


fetch_options from(const std::string& addr) {
    fetch_options opts;
    opts.source_addr = addr;
    return opts;
}


// A well-formed token that no device holds. The last of 43 base64url
// characters carries only 4 bits of the 32 bytes, so that a canonical
// token ends in one of 16 characters.
std::string random_token() {
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static const std::string last = "AEIMQUYcgkosw048";
    static std::mt19937_64 random{std::random_device{}()};
    std::string token;
    for (int i = 0; i < 42; ++i) {
        token += alphabet[random() % alphabet.size()];
    }
    return token + last[random() % last.size()];
}


bool listed_as_locked(stack& s, const std::string& addr) {
    const auto r = s.ctl("lockouts list");
    REQUIRE(r.status == 0);
    const std::size_t at = r.out.find(addr + " ");
    return at != std::string::npos &&
           r.out.substr(at, r.out.find('\n', at) - at).find(" locked ") !=
               std::string::npos;
}

} // namespace


TEST_CASE("failed fetches lock the address out, and only that address") {
    stack& s = stack::get();
    const std::string good = s.add_device("001565000501") + "001565000501.cfg";
    const std::string guesser = "127.0.0.21";
    const std::string neighbour = "127.0.0.22";

    REQUIRE(s.fetch(good, from(guesser)).status == 200);
    for (int i = 0; i < max_failures - 1; ++i) {
        CHECK(s.fetch("/prov/" + random_token() + "/001565000501.cfg",
                      from(guesser))
                  .status == 404);
    }
    CHECK(s.fetch(good, from(guesser)).status == 200);
    CHECK_FALSE(listed_as_locked(s, guesser));

    const http_result refused =
        s.fetch("/prov/" + random_token() + "/001565000501.cfg", from(guesser));
    const http_result locked = s.fetch(good, from(guesser));
    CHECK(locked.status == 404);
    CHECK(locked.body == refused.body);
    CHECK(locked.stable_headers() == refused.stable_headers());
    CHECK(s.fetch(good, from(neighbour)).status == 200);

    CHECK(listed_as_locked(s, guesser));
    CHECK_FALSE(listed_as_locked(s, neighbour));
    CHECK(s.sql("SELECT outcome FROM provgate.fetch_audit "
                "WHERE client_addr = '" +
                guesser + "' ORDER BY id DESC LIMIT 1") == "locked_out\n");
    CHECK(s.log_with("provgate.log", "warning client locked out")
              .find("warning client locked out reason=unknown_token "
                    "max_failures=5") != std::string::npos);
    const std::string metrics =
        s.run("curl -s http://127.0.0.1:" + std::to_string(s.admin_port(1)) +
              "/metrics")
            .out;
    CHECK(metrics.find("\nprovgate_lockouts_total 1\n") != std::string::npos);
    CHECK(metrics.find("\nprovgate_locked_out_requests_total 1\n") !=
          std::string::npos);

    // The lockout lives in PostgreSQL: a restarted worker still refuses.
    s.restart_worker("");
    CHECK(s.fetch(good, from(guesser)).status == 404);

    const auto cleared = s.ctl("lockouts clear --addr " + guesser);
    CHECK(cleared.status == 0);
    CHECK(cleared.err.find("cleared 1 address") != std::string::npos);
    CHECK(s.fetch_until(200, good, from(guesser)).status == 200);
    CHECK(s.ctl("lockouts clear --addr " + guesser).status == 1);
    CHECK(s.ctl("lockouts clear --addr not-an-ip").status == 1);
}


TEST_CASE("another MAC in a real folder and a copied URL count as failures") {
    stack& s = stack::get();
    const std::string folder = s.add_device("001565000502");
    const std::string addr = "127.0.0.23";

    fetch_options copied = from(addr);
    copied.user_agent = "Yealink SIP-T46S 66.86.0.15 00:15:65:00:05:99";
    for (int i = 0; i < max_failures; ++i) {
        s.fetch(folder + (i % 2 == 0 ? "001565000599.cfg" : "001565000502.cfg"),
                i % 2 == 0 ? from(addr) : copied);
    }
    CHECK(s.fetch(folder + "001565000502.cfg", from(addr)).status == 404);
    CHECK(listed_as_locked(s, addr));
}


TEST_CASE("refusals that can never serve a file do not count") {
    stack& s = stack::get();
    const std::string revoked = s.add_device("001565000503");
    const std::string good = s.add_device("001565000504") + "001565000504.cfg";
    REQUIRE(s.ctl("revoke --mac 001565000503").status == 0);
    const std::string addr = "127.0.0.24";

    // A revoked phone polling, unknown files, malformed paths and the
    // closed shared directory: none is a guess that could succeed.
    for (int i = 0; i < 3 * max_failures; ++i) {
        CHECK(s.fetch(revoked + "001565000503.cfg", from(addr)).status == 404);
        CHECK(s.fetch(revoked + "firmware.rom", from(addr)).status == 404);
        CHECK(s.fetch("/prov/../etc/passwd", from(addr)).status == 404);
        CHECK(s.fetch("/prov/001565000504.cfg", from(addr)).status == 404);
    }
    CHECK(s.fetch(good, from(addr)).status == 200);
    CHECK(s.ctl("lockouts list").out.find(addr + " ") == std::string::npos);
}


TEST_CASE("500 phones behind one NAT fetching their configs are never locked") {
    stack& s = stack::get();
    const std::string nat = "127.0.0.25";
    std::vector<std::string> files;
    for (int i = 0; i < 25; ++i) {
        char mac[13];
        std::snprintf(mac, sizeof(mac), "0015650006%02d", i);
        files.push_back(s.add_device(mac) + mac + ".cfg");
    }

    int served = 0;
    for (int round = 0; round < 20; ++round) {
        for (const std::string& file : files) {
            served += s.fetch(file, from(nat)).status == 200 ? 1 : 0;
        }
        // A few phones with a stale URL fail now and then, fewer than the
        // limit per window.
        if (round % 5 == 0) {
            s.fetch("/prov/" + random_token() + "/001565000600.cfg", from(nat));
        }
    }
    CHECK(served == 500);
    CHECK_FALSE(listed_as_locked(s, nat));
}


TEST_CASE("the exempt 127.0.0.1 is never counted or locked") {
    stack& s = stack::get();
    const std::string good = s.add_device("001565000505") + "001565000505.cfg";
    for (int i = 0; i < 2 * max_failures; ++i) {
        s.fetch("/prov/" + random_token() + "/001565000505.cfg");
    }
    CHECK(s.fetch(good).status == 200);
    CHECK(s.ctl("lockouts list").out.find("127.0.0.1 ") == std::string::npos);
}


TEST_CASE("a decoy's fetch locks the client out at once and raises an alert") {
    stack& s = stack::get();
    const std::string good = s.add_device("001565000506") + "001565000506.cfg";
    const auto decoy = s.ctl("decoy --mac 00:15:65:00:05:98 --vendor yealink");
    REQUIRE(decoy.status == 0);
    const std::string decoy_path = s.path_of(decoy.out);
    const std::string addr = "127.0.0.26";

    const http_result unknown =
        s.fetch("/prov/" + random_token() + "/001565000598.cfg");
    const http_result r = s.fetch(decoy_path + "001565000598.cfg", from(addr));
    CHECK(r.status == 404);
    CHECK(r.body == unknown.body);
    CHECK(s.fetch(good, from(addr)).status == 404);
    CHECK(listed_as_locked(s, addr));

    CHECK(s.sql("SELECT outcome FROM provgate.fetch_audit "
                "WHERE client_addr = '" +
                addr + "' ORDER BY id LIMIT 1") == "decoy\n");
    CHECK(s.log_with("provgate.log", "mac=001565000598 locked=yes")
              .find("error decoy device fetched alert=decoy mac=001565000598 "
                    "locked=yes") != std::string::npos);
    CHECK(s.ctl("show --mac 001565000598").out.find("decoy") !=
          std::string::npos);

    // From an exempt address the alert is raised, but nothing is locked.
    CHECK(s.fetch(decoy_path + "001565000598.cfg").status == 404);
    CHECK(s.log_with("provgate.log", "mac=001565000598 locked=exempt")
              .find("mac=001565000598 locked=exempt") != std::string::npos);
    CHECK(s.ctl("decoy --mac 001565000506").status == 1);
}


TEST_CASE("the worker's role reaches the lockout only through its functions") {
    stack& s = stack::get();
    CHECK(s.sql_as("provgate_worker",
                   "SELECT provgate.client_locked('192.0.2.1')")
              .status == 0);
    CHECK(s.sql_as("provgate_worker",
                   "SELECT count(*) FROM provgate.current_lockouts()")
              .status == 0);
    s.check_denied("provgate_worker",
                   {
                       "SELECT * FROM provgate.client_lockouts",
                       "DELETE FROM provgate.client_lockouts",
                       "INSERT INTO provgate.client_lockouts (client_addr, "
                       "last_reason) VALUES ('192.0.2.1', 'x')",
                       "UPDATE provgate.devices SET decoy = false",
                   });
}


namespace {

// Sends n requests for path over plain HTTP from addr, 300 at once (curl's
// most), with curl's own parallel transfers. Returns how many got each
// status ("404 600\n", sorted by status) and sets seconds to the time the
// whole burst took.
std::string burst(stack& s, const std::string& addr, const std::string& path,
                  int n, double& seconds) {
    const auto r =
        s.run("start=$(date +%s.%N); "
              "curl -s -o /dev/null -w '%{http_code}\\n' --max-time 60 -Z "
              "--parallel-immediate --parallel-max 300 --interface " +
              addr + " 'http://127.0.0.1:" + std::to_string(s.http_port()) +
              path + "?n=[1-" + std::to_string(n) +
              "]' | sort | uniq -c | awk '{ print $2, $1 }'; "
              "awk -v a=$start -v b=$(date +%s.%N) "
              "'BEGIN { print \"seconds\", b - a }'");
    const std::size_t at = r.out.find("seconds ");
    REQUIRE(at != std::string::npos);
    seconds = std::stod(r.out.substr(at + 8));
    return r.out.substr(0, at);
}

} // namespace


TEST_CASE("nginx paces a burst from one address, but not from the exempt") {
    stack& s = stack::get();
    const std::string path = "/prov/no-such-file";

    // From 127.0.0.1, exempt in the dev stack, 600 requests at once go
    // straight through.
    double exempt_seconds = 0;
    CHECK(burst(s, "127.0.0.1", path, 600, exempt_seconds) == "404 600\n");

    // From another address the first 200 beyond the rate go at once and
    // the rest are paced at 100 per second: 600 take at least 4 seconds.
    // None is lost or turned into a gateway error on the way.
    double limited_seconds = 0;
    const std::string limited =
        burst(s, "127.0.0.28", path, 600, limited_seconds);
    CAPTURE(limited);
    CAPTURE(exempt_seconds);
    CHECK(limited_seconds >= 3.5);
    CHECK(limited_seconds < 30);
    int answered = 0;
    std::istringstream lines(limited);
    std::string status;
    int count = 0;
    while (lines >> status >> count) {
        CHECK((status == "404" || status == "429"));
        answered += count;
    }
    CHECK(answered == 600);
}


namespace {

// Sends n requests for a malformed path (never counted toward the lockout)
// over plain HTTP from addr, 100 at once, with curl's parallel transfers;
// returns how many got each "<status> <Retry-After>".
std::map<std::string, int> flood(stack& s, const std::string& addr, int n) {
    const auto r =
        s.run("curl -s -o /dev/null -w '%{http_code} %header{retry-after}\\n' "
              "--max-time 30 -Z --parallel-immediate --parallel-max 100 "
              "--interface " +
              addr + " 'http://127.0.0.1:" + std::to_string(s.http_port()) +
              "/prov/no-such-file?n=[1-" + std::to_string(n) + "]'");
    std::map<std::string, int> counts;
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        ++counts[line];
    }
    return counts;
}

} // namespace


TEST_CASE("beyond the burst nginx answers 429, while other addresses fetch") {
    stack& s = stack::get();
    const std::string phone = s.add_device("001565000f21") + "001565000f21.cfg";

    // The shipped location with a burst of 20 (10 at once) instead of
    // 2000: 300 requests at once from one address exceed it within
    // milliseconds, which the shipped numbers would need 2200 for.
    std::map<std::string, int> limited;
    http_result during;
    {
        const nginx_settings low(
            "PROVGATE_LIMIT_BURST=20 PROVGATE_LIMIT_DELAY=10");
        std::thread flooding([&] { limited = flood(s, "127.0.0.41", 300); });
        // A phone at another address, while the flood is under way.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        during = s.fetch(phone, from("127.0.0.42"));
        flooding.join();
    }
    std::string seen;
    for (const auto& [answer, count] : limited) {
        seen += answer + "x" + std::to_string(count) + "; ";
    }
    CAPTURE(seen);
    CHECK(during.status == 200);
    CHECK(during.body.find("pw-x001565000f21") != std::string::npos);

    // Only the two answers of nginx's limit and of the worker, all 300 of
    // them: the 429 with Retry-After, and the worker's 404 for the path.
    CHECK(limited["429 10"] >= 1);
    CHECK(limited["404 "] >= 1);
    CHECK(limited["429 10"] + limited["404 "] == 300);

    // The scope gave nginx the shipped numbers back: the same flood from
    // a fresh address passes whole (the first 200 at once, then paced).
    const auto shipped = flood(s, "127.0.0.43", 300);
    CHECK(shipped.at("404 ") == 300);
}
