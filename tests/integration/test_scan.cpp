// A real scanner against the real stack: ffuf walks a MAC word list with
// random tokens from one loopback address while a legitimate phone fetches
// from another. ffuf cannot choose its source address, so it talks to a
// socat relay that connects onwards from 127.0.0.30; TLS passes through the
// relay untouched.

#include "stack.hpp"

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>

using provgate::testing::fetch_options;
using provgate::testing::read_file;
using provgate::testing::stack;

namespace {

constexpr const char* scanner = "127.0.0.30";
constexpr const char* phone = "127.0.0.31";


// Word lists for ffuf: 20 random well-formed tokens and 100 Yealink MACs
// around the legitimate phone's.
void write_word_lists(const std::string& dir) {
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::mt19937_64 random{std::random_device{}()};
    std::ofstream tokens(dir + "/tokens.txt");
    for (int i = 0; i < 20; ++i) {
        std::string token;
        for (int j = 0; j < 42; ++j) {
            token += alphabet[random() % alphabet.size()];
        }
        tokens << token << "AEIMQUYcgkosw048"[random() % 16] << '\n';
    }
    std::ofstream macs(dir + "/macs.txt");
    for (int i = 0; i < 100; ++i) {
        char mac[13];
        std::snprintf(mac, sizeof(mac), "0015650007%02x", i);
        macs << mac << '\n';
    }
}


// A port free on 127.0.0.1 right now, for the relay.
int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    REQUIRE(fd >= 0);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    close(fd);
    return ntohs(addr.sin_port);
}


bool alive(const std::string& pid) {
    return !pid.empty() && kill(std::stoi(pid), 0) == 0;
}

} // namespace


TEST_CASE("an ffuf scan gets no file, is locked out, and phones keep working") {
    stack& s = stack::get();
    const std::string good = s.add_device("001565000742") + "001565000742.cfg";
    const std::string dir = s.dir() + "/scan";
    REQUIRE(s.run("mkdir -p " + dir).status == 0);
    write_word_lists(dir);

    // The relay, bounded in time like the scan.
    const std::string port = std::to_string(free_port());
    REQUIRE(s.run("cd " + dir + " && (timeout 120 socat TCP-LISTEN:" + port +
                  ",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:" +
                  std::to_string(s.https_port()) + ",bind=" + scanner +
                  " >socat.log 2>&1 & echo $! >socat.pid)")
                .status == 0);
    REQUIRE(s.run("for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/" + port +
                  ") 2>/dev/null && exit 0; sleep 0.1; done; exit 1")
                .status == 0);

    // 20 tokens x 100 MACs = 2000 requests, at most 60 seconds.
    REQUIRE(s.run("cd " + dir +
                  " && (ffuf -s -mc all -t 8 -maxtime 60 -timeout 10 "
                  "-w tokens.txt:TOK -w macs.txt:MAC "
                  "-u https://127.0.0.1:" +
                  port +
                  "/prov/TOK/MAC.cfg -o ffuf.json -of json "
                  ">ffuf.out 2>&1 & echo $! >ffuf.pid)")
                .status == 0);
    const std::string ffuf_pid =
        s.run("cat " + dir + "/ffuf.pid").out.substr(0, 12);

    // Meanwhile a phone at another address fetches its file.
    int during = 0;
    int served = 0;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(90);
    fetch_options opts;
    opts.source_addr = phone;
    while (alive(ffuf_pid.substr(0, ffuf_pid.find('\n'))) &&
           std::chrono::steady_clock::now() < deadline) {
        ++during;
        served += s.fetch(good, opts).status == 200 ? 1 : 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    s.run("kill $(cat " + dir + "/socat.pid) 2>/dev/null");

    const std::string report = read_file(dir + "/ffuf.json");
    CAPTURE(read_file(dir + "/ffuf.out"));
    REQUIRE(report.find("\"results\"") != std::string::npos);
    CHECK(report.find("\"status\":200") == std::string::npos);
    CHECK(report.find("\"status\":404") != std::string::npos);

    // The scan ran while the phone fetched, and the phone got every one.
    CHECK(during >= 5);
    CHECK(served == during);

    // The scanner's address is locked; of its guesses only the first few
    // (the limit, plus those already in flight in ffuf's 8 threads) were
    // looked up at all, the rest never reached a token lookup.
    const auto list = s.ctl("lockouts list");
    CHECK(list.out.find(std::string(scanner) + " ") != std::string::npos);
    const std::string where =
        "FROM provgate.fetch_audit WHERE client_addr = '" +
        std::string(scanner) + "'";
    const int evaluated =
        std::stoi(s.sql("SELECT count(*) " + where +
                        " AND outcome IN ('unknown_token', 'mac_mismatch')"));
    const int refused = std::stoi(
        s.sql("SELECT count(*) " + where + " AND outcome = 'locked_out'"));
    CHECK(evaluated >= 5);
    CHECK(evaluated <= 5 + 8);
    CHECK(refused > 100);
    CHECK(s.sql("SELECT count(*) " + where + " AND status = 200") == "0\n");
}
