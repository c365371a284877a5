// The legacy shared directory, fenced: limited to legacy_networks and to
// devices flagged legacy, and the one-shot bootstrap that moves a legacy
// phone to its own secret URL on its first fetch.

#include "stack.hpp"

#include <doctest/doctest.h>

using provgate::testing::fetch_options;
using provgate::testing::read_file;
using provgate::testing::stack;
using provgate::testing::worker_settings;

namespace {

// The fenced shared directory, for one test case.
constexpr const char* fenced =
    "PROVGATE_LEGACY=true PROVGATE_LEGACY_NETWORKS=127.0.0.0/30 "
    "PROVGATE_LEGACY_FLAGGED_ONLY=true PROVGATE_LEGACY_BOOTSTRAP=true";


fetch_options from(const std::string& addr) {
    fetch_options opts;
    opts.source_addr = addr;
    return opts;
}


std::string last_outcome(stack& s, const std::string& mac) {
    return s.sql("SELECT outcome FROM provgate.fetch_audit WHERE mac = '" +
                 mac + "' ORDER BY id DESC LIMIT 1");
}

} // namespace


TEST_CASE(
    "the fenced shared directory serves flagged devices on its networks") {
    stack& s = stack::get();
    s.add_device("001565000d01", "Flagged", "--legacy");
    s.add_device("001565000d02");
    const worker_settings fence(fenced);

    // Outside legacy_networks, even a flagged device's MAC is refused.
    CHECK(s.fetch("/prov/001565000d01.cfg", from("127.0.0.40")).status == 404);
    CHECK(last_outcome(s, "001565000d01") == "legacy_network\n");

    // Inside, a device not flagged legacy is refused.
    CHECK(s.fetch("/prov/001565000d02.cfg", from("127.0.0.2")).status == 404);
    CHECK(last_outcome(s, "001565000d02") == "legacy_not_flagged\n");
    CHECK(s.ctl("flag --mac 001565000d02 --legacy").status == 0);
    CHECK(s.fetch("/prov/001565000d02.cfg", from("127.0.0.2")).status == 200);
    CHECK(s.ctl("flag --mac 001565000d02").status == 1);
}


TEST_CASE("a legacy phone's first shared fetch moves it to a secret URL") {
    stack& s = stack::get();
    const std::string old_folder =
        s.add_device("001565000d03", "Bootstrap", "--legacy");
    const worker_settings fence(fenced);

    const auto first = s.fetch("/prov/001565000d03.cfg", from("127.0.0.2"));
    REQUIRE(first.status == 200);
    const std::string marker = "auto_provision.server.url = ";
    const std::size_t at = first.body.find(marker);
    REQUIRE(at != std::string::npos);
    const std::string url = first.body.substr(
        at + marker.size(), first.body.find('\n', at) - at - marker.size());
    const std::string folder = s.path_of(url);
    REQUIRE(folder.size() == std::string("/prov/").size() + 43 + 1);
    const std::string token = folder.substr(6, 43);
    CHECK(first.body.find("account.1.password = pw-x001565000d03") !=
          std::string::npos);

    // The shared directory now refuses that MAC; the new URL serves it, and
    // the URL minted at activation is retired.
    CHECK(s.fetch("/prov/001565000d03.cfg", from("127.0.0.2")).status == 404);
    CHECK(last_outcome(s, "001565000d03") == "legacy_bootstrapped\n");
    CHECK(s.fetch(folder + "001565000d03.cfg", from("127.0.0.3")).status ==
          200);
    CHECK(s.fetch(old_folder + "001565000d03.cfg").status == 404);

    // The database holds the new token's hash, never the token.
    CHECK(s.sql("SELECT count(*) FROM provgate.devices "
                "WHERE mac = '001565000d03' AND bootstrapped_at IS NOT NULL "
                "AND token_hash = sha256(convert_to('" +
                token + "', 'UTF8'))") == "1\n");
    CHECK(s.sql("SELECT count(*) FROM provgate.devices WHERE "
                "concat_ws('|', mac, extension, encode(token_hash, 'escape')) "
                "LIKE '%" +
                token.substr(0, 12) + "%'") == "0\n");
    const std::string log =
        s.log_with("provgate.log", "legacy device moved to its own URL");
    CHECK(log.find("warning legacy device moved to its own URL "
                   "mac=001565000d03 token=" +
                   token.substr(0, 6) + "... ") != std::string::npos);
    CHECK(log.find(token) == std::string::npos);

    // Flagging it again reopens the one shot.
    CHECK(s.ctl("flag --mac 001565000d03 --legacy").status == 0);
    CHECK(s.fetch("/prov/001565000d03.cfg", from("127.0.0.2")).status == 200);
    CHECK(s.fetch(folder + "001565000d03.cfg").status == 404);
}
