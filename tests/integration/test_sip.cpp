// SIP NOTIFY and Plug-and-Play against a real, independent SIP stack: SIPp
// (Debian package sip-tester) plays the phone. It answers provgatectl's
// NOTIFY and checks its Event header with its own parser, and it sends the
// PnP SUBSCRIBE to provgate-pnp and checks the 200 OK and NOTIFY it gets:
// to its unicast socket, and to the multicast group inside a network
// namespace of the test's own.
// A scenario whose checks fail, or that receives a message it did not
// expect, makes SIPp exit non-zero.

#include "stack.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>

using provgate::testing::command_result;
using provgate::testing::free_udp_port;
using provgate::testing::read_file;
using provgate::testing::stack;

namespace {

// What a SIPp run left behind.
struct sipp_result {
    int status = -1;        // SIPp's exit status: 0 when the scenario passed
    std::string messages;   // every message it sent and received
    std::string log;        // lines written by its <log> actions
    command_result command; // the command run beside it, if any
};


std::string write_scenario(const std::string& name, const std::string& body) {
    const std::string path = stack::get().dir() + "/" + name + ".xml";
    std::ofstream(path) << "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n"
                        << "<scenario name=\"" << name << "\">\n"
                        << body << "</scenario>\n";
    return path;
}


// Runs SIPp with the scenario on a local UDP (or TCP) port. If command is
// given it runs delay_ms after SIPp starts (or, with a negative delay,
// -delay_ms before it), and its result is returned as well. With netns,
// SIPp (and only SIPp) runs inside that network namespace.
sipp_result run_sipp(const std::string& name, const std::string& scenario,
                     int port, const std::string& args,
                     const std::string& command = "", int delay_ms = 300,
                     const std::string& netns = "") {
    stack& s = stack::get();
    const std::string base = s.dir() + "/" + name;
    const std::string sipp =
        (netns.empty() ? "" : "ip netns exec " + netns + " ") + "sipp -sf " +
        scenario + " -i 127.0.0.1 -p " + std::to_string(port) +
        " -m 1 -nostdin -timeout 15s -timeout_error -trace_msg -message_file " +
        base + ".msg -trace_logs -log_file " + base + ".log " + args + " >" +
        base + ".out 2>&1";
    const std::string pause =
        "sleep " + std::to_string(std::abs(delay_ms) / 1000.0) + "; ";
    std::string script;
    if (command.empty()) {
        script = sipp + "; echo $? >" + base + ".rc";
    } else {
        const std::string cmd = command + " >" + base + ".cmd.out 2>" + base +
                                ".cmd.err; echo $? >" + base + ".cmd.rc";
        script = delay_ms >= 0 ? sipp + " & p=$!; " + pause + cmd +
                                     "; wait $p; echo $? >" + base + ".rc"
                               : "(" + cmd + ") & c=$!; " + pause + sipp +
                                     "; echo $? >" + base + ".rc; wait $c";
    }
    s.run("rm -f " + base + ".*.rc " + base + ".rc; " + script);

    sipp_result r;
    const std::string sipp_rc = read_file(base + ".rc");
    r.status = sipp_rc.empty() ? -1 : std::stoi(sipp_rc);
    r.messages = read_file(base + ".msg");
    r.log = read_file(base + ".log");
    r.command.out = read_file(base + ".cmd.out");
    r.command.err = read_file(base + ".cmd.err");
    const std::string rc = read_file(base + ".cmd.rc");
    r.command.status = rc.empty() ? -1 : std::stoi(rc);
    if (r.status != 0) {
        MESSAGE("sipp output:\n" << read_file(base + ".out") << r.messages);
    }
    return r;
}


// A phone that answers one NOTIFY with the status given, after checking
// that its Event header matches event_regex.
std::string phone_answering(const std::string& name, int status,
                            const std::string& reason,
                            const std::string& event_regex) {
    return write_scenario(name, R"(  <recv request="NOTIFY">
    <action>
      <ereg regexp="^ *)" + event_regex +
                                    R"( *$" search_in="hdr" header="Event:"
            check_it="true" assign_to="ev"/>
    </action>
  </recv>
  <send>
    <![CDATA[
SIP/2.0 )" + std::to_string(status) +
                                    " " + reason + R"(
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]>
  </send>
  <Reference variables="ev"/>
)");
}


std::string count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + 1)) {
        ++n;
    }
    return std::to_string(n);
}


void add_vendor_device(const std::string& mac, const std::string& vendor,
                       const std::string& window = "") {
    stack& s = stack::get();
    s.sql("INSERT INTO provgate.extensions (extension, auth_user, password, "
          "sip_server) VALUES ('x" +
          mac + "', 'auth" + mac + "', 'pw-x" + mac + "', 'pbx.example.net')");
    const auto r =
        s.ctl("activate --mac " + mac + " --extension x" + mac + " --vendor " +
              vendor + (window.empty() ? "" : " --pnp-window " + window));
    REQUIRE(r.status == 0);
}


std::string notify_command(const std::string& mac, int port,
                           const std::string& extra = "") {
    return "provgatectl notify --mac " + mac +
           " --to sip:127.0.0.1:" + std::to_string(port) + " --t1-ms 200 " +
           extra;
}


// The SUBSCRIBE a PnP phone multicasts at boot (PHONES.md), with the
// Request-URI user part given; then what the phone expects back.
std::string pnp_phone(const std::string& name, const std::string& user,
                      bool expect_answer) {
    std::string body = R"(  <send>
    <![CDATA[
SUBSCRIBE sip:)" + user +
                       R"(@224.0.1.75 SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:)" + user + R"(@224.0.1.75>;tag=[pid]SIPpTag00[call_number]
To: <sip:)" + user + R"(@224.0.1.75>
Call-ID: [call_id]
CSeq: 1 SUBSCRIBE
Contact: <sip:[local_ip]:[local_port]>
Event: ua-profile;profile-type="device";vendor="Yealink";model="T46S";version="66.86.0.15"
Accept: application/url
Expires: 0
Max-Forwards: 70
User-Agent: Yealink SIP-T46S 66.86.0.15
Content-Length: 0

]]>
  </send>
)";
    if (!expect_answer) {
        // Anything that arrives now is unexpected and fails the scenario.
        return write_scenario(name,
                              body + "  <pause milliseconds=\"1500\"/>\n");
    }
    body += R"(  <recv response="200">
    <action>
      <ereg regexp="^ *0 *$" search_in="hdr" header="Expires:"
            check_it="true" assign_to="exp"/>
    </action>
  </recv>
  <recv request="NOTIFY">
    <action>
      <ereg regexp="^ *application/url *$" search_in="hdr"
            header="Content-Type:" check_it="true" assign_to="ct"/>
      <ereg regexp="^ *terminated;reason=timeout *$" search_in="hdr"
            header="Subscription-State:" check_it="true" assign_to="ss"/>
      <ereg regexp="^ *ua-profile;profile-type=.device.;vendor=.Yealink." search_in="hdr"
            header="Event:" check_it="true" assign_to="ev"/>
      <ereg regexp="https://[^ \r\n]*/" search_in="body" check_it="true"
            assign_to="url"/>
      <log message="URL [$url]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]>
  </send>
  <Reference variables="exp,ct,ss,ev"/>
)";
    return write_scenario(name, body);
}


// The URL a PnP run logged, or "".
std::string logged_url(const sipp_result& r) {
    std::smatch m;
    static const std::regex url("URL (https://[^ \n]*/)");
    return std::regex_search(r.log, m, url) ? m[1].str() : "";
}


std::string last_outcome(const std::string& mac) {
    return stack::get().sql("SELECT outcome FROM provgate.pnp_audit WHERE "
                            "mac = '" +
                            mac + "' ORDER BY id DESC LIMIT 1");
}


sipp_result ask_for_url(const std::string& name, const std::string& user,
                        bool expect_answer) {
    const std::string scenario = pnp_phone(name, user, expect_answer);
    return run_sipp(name, scenario, free_udp_port(), stack::get().pnp_addr());
}


// The PnP group and port phones send their SUBSCRIBE to.
constexpr const char* pnp_group = "224.0.1.75:5060";


// A private network namespace whose only interface is its own loopback,
// with multicast on and a route for 224.0.0.0/4 (loopback in the main
// namespace has neither), and a second provgate-pnp inside it that listens
// on the PnP group only. It shares the stack's database through the Unix
// socket, which is a file and so visible from the namespace. Both are gone
// when this is destroyed, also after a failed REQUIRE.
class multicast_responder {
public:
    multicast_responder();
    ~multicast_responder();
    multicast_responder(const multicast_responder&) = delete;
    multicast_responder& operator=(const multicast_responder&) = delete;

    const std::string& netns() const {
        return netns_;
    }

private:
    void stop();

    std::string netns_;
    std::string pid_;
};


multicast_responder::multicast_responder()
    : netns_("provgate-test-" + std::to_string(getpid())) {
    stack& s = stack::get();
    const std::string in_ns = "ip netns exec " + netns_ + " ";
    const auto added = s.run("ip netns add " + netns_);
    if (added.status != 0) {
        throw std::runtime_error("cannot create network namespace \"" + netns_ +
                                 "\": " + added.err);
    }
    try {
        const auto up = s.run(in_ns + "ip link set lo up && " + in_ns +
                              "ip link set lo multicast on && " + in_ns +
                              "ip route add 224.0.0.0/4 dev lo");
        if (up.status != 0) {
            throw std::runtime_error("cannot set up loopback in \"" + netns_ +
                                     "\": " + up.err);
        }

        // The stack's configuration with the group on and unicast off, so
        // that only a datagram sent to the group can reach this responder.
        const std::string config = s.dir() + "/provgate-mcast.yaml";
        const std::string log = s.log_file("provgate-pnp-mcast.log");
        const auto started =
            s.run("sed -e 's|^  multicast: .*|  multicast: \"" +
                  std::string(pnp_group) +
                  "\"|' -e 's|^  unicast: .*|  unicast: \"\"|' " + s.dir() +
                  "/provgate.yaml >" + config + " && { " + in_ns +
                  "provgate-pnp --config " + config + " --log-file " + log +
                  " >" + s.log_file("provgate-pnp-mcast.stderr") +
                  " 2>&1 </dev/null & echo $!; }");
        pid_ = started.out.substr(0, started.out.find('\n'));
        const auto ready =
            s.run("for i in $(seq 1 100); do grep -q 'provgate-pnp started' " +
                  log + " && exit 0; kill -0 " + pid_ +
                  " || exit 1; sleep 0.1; done; "
                  "exit 1");
        if (pid_.empty() || ready.status != 0) {
            throw std::runtime_error(
                "provgate-pnp did not start in the namespace:\n" +
                read_file(s.log_file("provgate-pnp-mcast.stderr")));
        }
    } catch (...) {
        stop();
        throw;
    }
}


multicast_responder::~multicast_responder() {
    stop();
}


void multicast_responder::stop() {
    stack& s = stack::get();
    if (!pid_.empty()) {
        s.run("kill " + pid_ + "; for i in $(seq 1 50); do kill -0 " + pid_ +
              " 2>/dev/null || exit 0; sleep 0.1; done; kill -9 " + pid_);
        pid_.clear();
    }
    s.run("ip netns del " + netns_);
}


// Starts tshark in the namespace; it writes the destination address and
// the SIP method of the first datagram to port 5060 to base.out.
void capture_first_to_5060(const multicast_responder& responder,
                           const std::string& base) {
    stack::get().run(
        "ip netns exec " + responder.netns() +
        " tshark -i lo -f 'udp dst port 5060' -c 1 -a duration:20 -l "
        "-T fields -E separator='|' -e ip.dst -e sip.Method >" +
        base + ".out 2>" + base + ".err </dev/null & " +
        "for i in $(seq 1 100); do grep -q Capturing " + base +
        ".err && break; sleep 0.1; done");
}


// A PnP phone inside the namespace sends its SUBSCRIBE to the group.
sipp_result ask_over_multicast(const multicast_responder& responder,
                               const std::string& name, const std::string& user,
                               bool expect_answer) {
    const std::string scenario = pnp_phone(name, user, expect_answer);
    return run_sipp(name, scenario, free_udp_port(), pnp_group, "", 0,
                    responder.netns());
}

} // namespace


TEST_CASE("a phone accepts the re-sync NOTIFY with 200 and notify exits 0") {
    stack& s = stack::get();
    add_vendor_device("001565000701", "yealink");
    const int port = free_udp_port();

    const auto r = run_sipp(
        "notify-ok", phone_answering("notify-ok", 200, "OK", "check-sync"),
        port, "", notify_command("001565000701", port));

    CHECK(r.status == 0);
    CHECK(r.command.status == 0);
    CHECK(r.command.out == "200 OK\n");
    CHECK(r.command.err.find("transmissions=1") != std::string::npos);
    // The request as SIPp received it carries every mandatory header.
    for (const char* header :
         {"NOTIFY sip:127.0.0.1:", "\nVia: SIP/2.0/UDP 127.0.0.1:",
          ";branch=z9hG4bK", "\nFrom: <sip:provgate@127.0.0.1>;tag=",
          "\nTo: <sip:127.0.0.1:", "\nCall-ID: ", "\nCSeq: 1 NOTIFY",
          "\nMax-Forwards: 70",
          "\nContact: <sip:provgate@127.0.0.1:", "\nContent-Length: 0"}) {
        CHECK_MESSAGE(r.messages.find(header) != std::string::npos, header);
    }
    CHECK(s.sql("SELECT count(*) FROM provgate.devices WHERE mac = "
                "'001565000701'") == "1\n");
}


TEST_CASE("each vendor gets the event its phones listen for") {
    struct row {
        const char* mac;
        const char* vendor;
        const char* flag;
        const char* event; // a regular expression, as SIPp checks it
    };
    const row rows[] = {
        {"001565000711", "yealink", "", "check-sync"},
        {"0004f2000712", "polycom", "", "check-sync"},
        {"000b82000713", "grandstream", "", "check-sync"},
        {"0c383e000714", "fanvil", "", "check-sync"},
        {"001fc1000715", "htek", "", "check-sync"},
        {"000413000716", "snom", "", "check-sync;reboot=false"},
        {"000413000717", "snom", "--reboot", "check-sync;reboot=true"},
        {"7c2f80000718", "gigaset", "--reboot", "check-sync;reboot=true"},
        {"7c2f80000719", "gigaset", "", "check-sync;reboot=false"},
        {"0002fd00071a", "cisco", "", "resync"},
    };
    for (const row& r : rows) {
        CAPTURE(r.vendor);
        add_vendor_device(r.mac, r.vendor);
        const int port = free_udp_port();
        const std::string name = std::string("event-") + r.mac;

        const auto got =
            run_sipp(name, phone_answering(name, 200, "OK", r.event), port, "",
                     notify_command(r.mac, port, r.flag));

        CHECK(got.status == 0);
        CHECK(got.command.status == 0);
    }
}


TEST_CASE("a device that is not recorded gets the event of its OUI") {
    const int port = free_udp_port();

    const auto r = run_sipp(
        "event-oui",
        phone_answering("event-oui", 200, "OK", "check-sync;reboot=false"),
        port, "", notify_command("00041300ffee", port));

    CHECK(r.status == 0);
    CHECK(r.command.status == 0);
}


TEST_CASE("a phone's 481 is reported with exit status 4") {
    add_vendor_device("001565000702", "yealink");
    const int port = free_udp_port();

    const auto r = run_sipp("notify-481",
                            phone_answering("notify-481", 481,
                                            "Call/Transaction Does Not Exist",
                                            "check-sync"),
                            port, "", notify_command("001565000702", port));

    CHECK(r.status == 0);
    CHECK(r.command.status == 4);
    CHECK(r.command.out == "481 Call/Transaction Does Not Exist\n");
}


TEST_CASE("a lost first datagram is retransmitted after T1") {
    add_vendor_device("001565000703", "yealink");
    const int port = free_udp_port();

    // provgatectl starts first and sends into a port nobody listens on; the
    // phone comes up 600 ms later, well before T1 (1500 ms) has passed, so
    // only a retransmission can reach it.
    const auto r = run_sipp(
        "notify-retransmit",
        phone_answering("notify-retransmit", 200, "OK", "check-sync"), port, "",
        "provgatectl notify --mac 001565000703 --to sip:127.0.0.1:" +
            std::to_string(port) + " --t1-ms 1500",
        -600);

    CHECK(r.status == 0);
    CHECK(r.command.status == 0);
    CHECK(r.command.out == "200 OK\n");
    CHECK(r.command.err.find("transmissions=2") != std::string::npos);
    CHECK(count_of(r.messages, "UDP message received") == "1");
}


TEST_CASE("no answer ends with exit status 5 after the timeout") {
    stack& s = stack::get();
    add_vendor_device("001565000704", "yealink");
    const int port = free_udp_port(); // nobody listens

    const auto start = std::chrono::steady_clock::now();
    const auto r = s.run("provgatectl notify --mac 001565000704 --to "
                         "sip:127.0.0.1:" +
                         std::to_string(port) + " --t1-ms 50 --timeout-ms 700");
    const auto took = std::chrono::steady_clock::now() - start;

    CHECK(r.status == 5);
    CHECK(r.out.empty());
    CHECK(r.err.find("no response from \"sip:127.0.0.1:") != std::string::npos);
    // Timer E: sent at 0, 50, 150 and 350 ms; the next (750 ms) would come
    // after timer F (700 ms).
    CHECK(r.err.find("transmissions=4") != std::string::npos);
    CHECK(took >= std::chrono::milliseconds(700));
}


TEST_CASE("notify over TCP") {
    add_vendor_device("001565000705", "yealink");
    const int port = provgate::testing::free_tcp_and_udp_port();

    const auto r = run_sipp(
        "notify-tcp", phone_answering("notify-tcp", 200, "OK", "check-sync"),
        port, "-t t1",
        "provgatectl notify --mac 001565000705 --to 'sip:127.0.0.1:" +
            std::to_string(port) + ";transport=tcp'");

    CHECK(r.status == 0);
    CHECK(r.command.status == 0);
    CHECK(r.messages.find("Via: SIP/2.0/TCP") != std::string::npos);
}


TEST_CASE("tshark's SIP dissector reads the NOTIFY and the phone's 200") {
    stack& s = stack::get();
    add_vendor_device("000413000709", "snom");
    const int port = free_udp_port();
    const std::string out = s.dir() + "/tshark.out";
    const std::string err = s.dir() + "/tshark.err";

    // tshark captures the two datagrams on loopback and prints the fields
    // its own dissector found, one line per message.
    s.run("tshark -i lo -f 'udp port " + std::to_string(port) +
          "' -c 2 -a duration:20 -l -T fields -E separator='|' "
          "-e sip.Method -e sip.Status-Code -e sip.Event -e sip.Via.branch "
          "-e sip.from.tag -e sip.Call-ID -e sip.CSeq.method "
          "-e sip.Max-Forwards -e sip.Content-Length >" +
          out + " 2>" + err +
          " </dev/null & for i in $(seq 1 100); do grep -q Capturing " + err +
          " && break; sleep 0.1; done");
    const auto r = run_sipp(
        "notify-tshark",
        phone_answering("notify-tshark", 200, "OK", "check-sync;reboot=true"),
        port, "", notify_command("000413000709", port, "--reboot"));
    s.run("for i in $(seq 1 100); do [ \"$(wc -l <" + out +
          ")\" -ge 2 ] && break; sleep 0.1; done");

    CHECK(r.command.status == 0);
    const std::string lines = read_file(out);
    INFO("tshark: " << lines << read_file(err));
    const std::regex notify(
        "NOTIFY\\|\\|check-sync;reboot=true\\|z9hG4bK[0-9a-f]{24}\\|[0-9a-f]{16}"
        "\\|[0-9a-f]{32}@127\\.0\\.0\\.1\\|NOTIFY\\|70\\|0\n");
    const std::regex ok(
        "\\|200\\|\\|z9hG4bK[0-9a-f]{24}\\|[0-9a-f]{16}\\|[0-9a-f]{32}"
        "@127\\.0\\.0\\.1\\|NOTIFY\\|\\|0\n");
    CHECK(std::regex_search(lines, notify));
    CHECK(std::regex_search(lines, ok));
}


TEST_CASE("notify refuses a target that is not a SIP URI") {
    const auto r =
        stack::get().ctl("notify --mac 001565000706 --to http://127.0.0.1/");
    CHECK(r.status == 1);
    CHECK(r.err.find("invalid SIP target \"http://127.0.0.1/\"") !=
          std::string::npos);
}


TEST_CASE("plug-and-play hands a fresh URL to a MAC inside its window") {
    stack& s = stack::get();
    s.sql("INSERT INTO provgate.extensions (extension, auth_user, password, "
          "sip_server) VALUES ('pnp1', 'pnp1', 'pw-pnp1', 'pbx.example.net')");
    const auto activated = s.ctl("activate --mac 001565000801 --extension "
                                 "pnp1 --vendor yealink --pnp-window 30m");
    INFO(activated.err);
    REQUIRE(activated.status == 0);
    CHECK(activated.err.find("plug-and-play window of device "
                             "\"001565000801\" is open until") !=
          std::string::npos);

    const auto r = ask_for_url("pnp-ok", "MAC%3a001565000801", true);
    const std::string url = logged_url(r);

    REQUIRE(r.status == 0);
    REQUIRE(url.starts_with(s.base_url() + "/"));
    CHECK(url != activated.out.substr(0, activated.out.size() - 1));
    CHECK(last_outcome("001565000801") == "answered\n");
    // The responder replaced the token: the URL activate printed is dead,
    // the one the phone got works through nginx.
    CHECK(s.fetch(s.path_of(activated.out) + "001565000801.cfg").status == 404);
    const auto fetched = s.fetch(s.path_of(url) + "001565000801.cfg");
    CHECK(fetched.status == 200);
    CHECK(fetched.body.find("account.1.password = pw-pnp1\n") !=
          std::string::npos);
    // That fetch closed the window, once its audit row was written: the
    // phone (or anyone) asking again gets nothing.
    s.wait_for_audit();
    CHECK(s.sql("SELECT pnp_window_until IS NULL FROM provgate.devices "
                "WHERE mac = '001565000801'") == "t\n");
    CHECK(ask_for_url("pnp-closed", "MAC%3a001565000801", false).status == 0);
    CHECK(last_outcome("001565000801") == "outside_window\n");
    CHECK(s.fetch(s.path_of(url) + "001565000801.cfg").status == 200);
    // Only the prefix of the token is in the audit and the log.
    const std::string token = url.substr(s.base_url().size() + 1, 43);
    CHECK(s.sql("SELECT token_prefix FROM provgate.pnp_audit WHERE mac = "
                "'001565000801' AND outcome = 'answered'") ==
          token.substr(0, 6) + "...\n");
    const std::string pnp_log =
        s.log_with("provgate-pnp.log", "pnp answered mac=001565000801");
    for (const char* name : {"provgate-pnp.log", "provgate-pnp.stderr",
                             "provgate.log", "nginx-access.log"}) {
        CAPTURE(name);
        CHECK(read_file(s.log_file(name)).find(token.substr(0, 22)) ==
              std::string::npos);
    }
    CHECK(pnp_log.find("pnp answered mac=001565000801 vendor=yealink token=" +
                       token.substr(0, 6) + "...") != std::string::npos);
}


TEST_CASE("plug-and-play reads the MAC in each Request-URI form") {
    stack& s = stack::get();
    const std::pair<const char*, const char*> forms[] = {
        {"001565000811", "MAC%3a001565000811"},
        {"001565000812", "MAC:001565000812"},
        {"001565000813", "MAC=00-15-65-00-08-13"},
        {"001565000814", "mac001565000814"},
        {"001565000815", "MAC%3A00:15:65:00:08:15"},
    };
    for (const auto& form : forms) {
        const char* const mac = form.first;
        const char* const user = form.second;
        CAPTURE(user);
        add_vendor_device(mac, "yealink", "10m");

        const auto r = ask_for_url(std::string("pnp-form-") + mac, user, true);
        const std::string url = logged_url(r);

        CHECK(r.status == 0);
        CHECK(last_outcome(mac) == "answered\n");
        REQUIRE(!url.empty());
        CHECK(s.fetch(s.path_of(url) + mac + ".cfg").status == 200);
    }
}


TEST_CASE("plug-and-play gives no URL outside a window or to unknown MACs") {
    stack& s = stack::get();
    add_vendor_device("001565000821", "yealink"); // no window
    add_vendor_device("001565000822", "yealink", "1s");
    add_vendor_device("001565000823", "yealink", "10m");
    REQUIRE(s.ctl("revoke --mac 001565000823").status == 0);
    usleep(1200 * 1000); // the 1 s window closes

    CHECK(ask_for_url("pnp-nowin", "MAC%3a001565000821", false).status == 0);
    CHECK(last_outcome("001565000821") == "outside_window\n");
    CHECK(ask_for_url("pnp-expired", "MAC%3a001565000822", false).status == 0);
    CHECK(last_outcome("001565000822") == "outside_window\n");
    CHECK(ask_for_url("pnp-revoked", "MAC%3a001565000823", false).status == 0);
    CHECK(last_outcome("001565000823") == "revoked\n");
    CHECK(ask_for_url("pnp-unknown", "MAC%3a0015650008ff", false).status == 0);
    CHECK(last_outcome("0015650008ff") == "unknown_device\n");
    CHECK(ask_for_url("pnp-nomac", "provisioning", false).status == 0);
    CHECK(s.sql("SELECT count(*) > 0 FROM provgate.pnp_audit WHERE outcome "
                "= 'no_mac'") == "t\n");
}


TEST_CASE("malformed datagrams do not stop the responder") {
    stack& s = stack::get();
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(
        std::stoi(s.pnp_addr().substr(s.pnp_addr().find(':') + 1))));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    std::string binary(4096, '\0');
    for (std::size_t i = 0; i < binary.size(); ++i) {
        binary[i] = static_cast<char>(i * 37 % 256);
    }
    const std::string datagrams[] = {
        "SUBSCRIBE sip:MAC%3a001565000831@224.0.1.75 SIP/2.0\r\nVia: SIP/2.0/UDP",
        "SUBSCRIBE sip:MAC%3a001565000831@224.0.1.75 SIP/2.0\r\nEvent: "
        "ua-profile\r\n\r\n",
        std::string(65000, 'A'),
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKnothing\r\n"
        "CSeq: 1 NOTIFY\r\nCall-ID: a\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\n"
        "Content-Length: 99999\r\n\r\n",
        binary,
        "",
    };
    for (const std::string& d : datagrams) {
        sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to),
               sizeof(to));
    }
    close(fd);
    add_vendor_device("001565000831", "yealink", "10m");

    const auto r = ask_for_url("pnp-after-garbage", "MAC001565000831", true);

    CHECK(r.status == 0);
    CHECK(last_outcome("001565000831") == "answered\n");
}


TEST_CASE("a retransmitted SUBSCRIBE gets the same 200 and no new token") {
    stack& s = stack::get();
    add_vendor_device("001565000851", "yealink", "10m");
    // A bare socket stands in for a phone whose first 200 OK was lost, so
    // that it can send the very same datagram twice.
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in me{};
    me.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
    socklen_t len = sizeof(me);
    bind(fd, reinterpret_cast<sockaddr*>(&me), len);
    getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len);
    const std::string local = "127.0.0.1:" + std::to_string(ntohs(me.sin_port));
    const std::string subscribe =
        "SUBSCRIBE sip:MAC%3a001565000851@224.0.1.75 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP " +
        local +
        ";branch=z9hG4bKretrans851\r\n"
        "From: <sip:MAC%3a001565000851@224.0.1.75>;tag=ph851\r\n"
        "To: <sip:MAC%3a001565000851@224.0.1.75>\r\n"
        "Call-ID: retrans-851@127.0.0.1\r\nCSeq: 1 SUBSCRIBE\r\n"
        "Contact: <sip:" +
        local +
        ">\r\n"
        "Event: ua-profile;profile-type=\"device\"\r\n"
        "Content-Length: 0\r\n\r\n";
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(
        std::stoi(s.pnp_addr().substr(s.pnp_addr().find(':') + 1))));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    timeval wait{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
    auto receive_200 = [&] {
        std::string buf(65536, '\0');
        for (int i = 0; i < 10; ++i) {
            const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
            if (n <= 0) {
                return std::string();
            }
            if (buf.starts_with("SIP/2.0 200")) {
                return buf.substr(0, static_cast<std::size_t>(n));
            }
        }
        return std::string();
    };

    sendto(fd, subscribe.data(), subscribe.size(), 0,
           reinterpret_cast<sockaddr*>(&to), sizeof(to));
    const std::string first = receive_200();
    sendto(fd, subscribe.data(), subscribe.size(), 0,
           reinterpret_cast<sockaddr*>(&to), sizeof(to));
    const std::string second = receive_200();
    close(fd);

    CHECK(!first.empty());
    CHECK(first == second);
    CHECK(s.sql("SELECT count(*) FROM provgate.pnp_audit WHERE mac = "
                "'001565000851'") == "1\n");
}


TEST_CASE("plug-and-play answers a SUBSCRIBE sent to the multicast group") {
    if (geteuid() != 0) {
        MESSAGE("skipped: creating a network namespace needs root");
        return;
    }
    stack& s = stack::get();
    add_vendor_device("001565000861", "yealink", "10m");
    add_vendor_device("001565000862", "yealink"); // no window
    const multicast_responder responder;
    const std::string capture = s.dir() + "/pnp-mcast-tshark";
    capture_first_to_5060(responder, capture);

    const auto r =
        ask_over_multicast(responder, "pnp-mcast", "MAC%3a001565000861", true);
    const std::string url = logged_url(r);
    s.run("for i in $(seq 1 100); do [ -s " + capture +
          ".out ] && break; sleep 0.1; done");

    REQUIRE(r.status == 0);
    // The SUBSCRIBE went to the group (a socket bound to the wildcard
    // address would take a unicast one too); the 200 and the NOTIFY came
    // back by unicast to SIPp's socket, which is bound to 127.0.0.1.
    CHECK(read_file(capture + ".out") == "224.0.1.75|SUBSCRIBE\n");
    CHECK(last_outcome("001565000861") == "answered\n");
    REQUIRE(url.starts_with(s.base_url() + "/"));
    CHECK(s.fetch(s.path_of(url) + "001565000861.cfg").status == 200);
    CHECK(s.log_with("provgate-pnp-mcast.log", "pnp answered mac=001565000861")
              .find("pnp answered mac=001565000861 vendor=yealink") !=
          std::string::npos);
    CHECK(read_file(s.log_file("provgate-pnp.log")).find("001565000861") ==
          std::string::npos);

    // The group reaches the responder for a MAC without a window too (it
    // is audited) but gets no answer.
    CHECK(ask_over_multicast(responder, "pnp-mcast-nowin", "MAC%3a001565000862",
                             false)
              .status == 0);
    CHECK(last_outcome("001565000862") == "outside_window\n");
    CHECK(s.log_with("provgate-pnp-mcast.log", "mac=001565000862")
              .find("pnp refused outcome=outside_window mac=001565000862") !=
          std::string::npos);
}


TEST_CASE("the responder's role can only call its function") {
    stack& s = stack::get();

    CHECK(s.sql_as("provgate_pnp", "SELECT mac FROM provgate.devices").status !=
          0);
    CHECK(s.sql_as("provgate_pnp", "SELECT 1 FROM provgate.pnp_audit").status !=
          0);
    CHECK(s.sql_as("provgate_pnp",
                   "UPDATE provgate.devices SET pnp_window_until = now()")
              .status != 0);
    CHECK(s.sql_as("provgate_worker",
                   "SELECT * FROM provgate.pnp_answer('001565000841', "
                   "'\\x00'::bytea, 'x', NULL, '', '', '')")
              .status != 0);
    const auto r = s.sql_as("provgate_pnp",
                            "SELECT outcome FROM provgate.pnp_answer("
                            "'0015650008fe', '\\x00'::bytea, 'x', NULL, '', "
                            "'', '')");
    CHECK(r.status == 0);
    CHECK(r.out == "unknown_device\n");
}
