// HTTP Digest per device, end to end through nginx: a device with a
// credential is challenged once its token and MAC were accepted; libcurl's
// Digest with the right password gets the file, a wrong one is refused and
// audited, a replayed Authorization header is refused (also by a worker
// process that never saw it), and a device without a credential is not
// affected.

#include "stack.hpp"

#include <doctest/doctest.h>

#include <string>

using provgate::testing::fetch_options;
using provgate::testing::http_result;
using provgate::testing::stack;

namespace {

fetch_options with_digest(const std::string& user,
                          const std::string& password) {
    fetch_options opts;
    opts.digest_user = user;
    opts.digest_password = password;
    return opts;
}


std::string last_outcome(stack& s, const std::string& mac) {
    return s.sql("SELECT outcome FROM provgate.fetch_audit WHERE mac = '" +
                 mac + "' ORDER BY id DESC LIMIT 1");
}


// The last Authorization header libcurl sent, as a header line.
std::string last_authorization(const http_result& r) {
    const std::size_t at = r.sent_headers.rfind("Authorization: Digest ");
    if (at == std::string::npos) {
        return "";
    }
    return r.sent_headers.substr(at, r.sent_headers.find('\r', at) - at);
}


// Sends a header line that was used before again: the worker must refuse
// it as a replay, with a new challenge and without the file.
void check_replay_refused(stack& s, const std::string& file,
                          const std::string& mac, const std::string& header) {
    fetch_options replay;
    replay.headers.push_back(header);
    const http_result refused = s.fetch(file, replay);
    CHECK(refused.status == 401);
    CHECK(refused.body.find("Digest Phone") == std::string::npos);
    CHECK(last_outcome(s, mac) == "digest_refused\n");
}

} // namespace


TEST_CASE("a device with a digest credential needs its password") {
    stack& s = stack::get();
    const std::string mac = "0015650d1001";
    const std::string file = s.add_device(mac, "Digest Phone") + mac + ".cfg";
    const auto set = s.ctl("digest --mac " + mac +
                           " --user prov-user "
                           "<<< 'correct horse'");
    REQUIRE(set.status == 0);
    CHECK(set.err.find("needs HTTP Digest authentication as user "
                       "\"prov-user\" in realm \"provgate\"") !=
          std::string::npos);
    CHECK(s.sql("SELECT digest_user, length(digest_ha1) FROM "
                "provgate.devices WHERE mac = '" +
                mac + "'") == "prov-user|64\n");

    const http_result challenged = s.fetch(file);
    CHECK(challenged.status == 401);
    CHECK(challenged.header("WWW-Authenticate")
              .starts_with("Digest realm=\"provgate\", qop=\"auth\", "
                           "algorithm=SHA-256, nonce=\""));
    CHECK(challenged.header("WWW-Authenticate").find("opaque=\"") !=
          std::string::npos);
    CHECK(challenged.body.find("Digest Phone") == std::string::npos);
    CHECK(last_outcome(s, mac) == "digest_required\n");

    const http_result served =
        s.fetch(file, with_digest("prov-user", "correct horse"));
    CHECK(served.status == 200);
    CHECK(served.body.find("Digest Phone") != std::string::npos);
    CHECK(last_outcome(s, mac) == "served\n");

    // The exact header that worked, sent again: same nonce, same nc.
    const std::string replayed = last_authorization(served);
    REQUIRE_FALSE(replayed.empty());
    check_replay_refused(s, file, mac, replayed);

    const http_result wrong = s.fetch(file, with_digest("prov-user", "guess"));
    CHECK(wrong.status == 401);
    CHECK(last_outcome(s, mac) == "digest_refused\n");
    CHECK(s.fetch(file, with_digest("someone", "correct horse")).status == 401);

    // A wrong token still gets the common 404, never a challenge.
    const std::string token = file.substr(6, 43);
    std::string other_token = token;
    other_token[5] = other_token[5] == 'A' ? 'B' : 'A';
    CHECK(s.fetch("/prov/" + other_token + "/" + mac + ".cfg",
                  with_digest("prov-user", "correct horse"))
              .status == 404);

    const auto off = s.ctl("digest --mac " + mac + " --off");
    REQUIRE(off.status == 0);
    CHECK(s.fetch_until(200, file).status == 200);
}


TEST_CASE("a replayed header is refused by another worker process too") {
    stack& s = stack::get();
    const std::string mac = "0015650d1003";
    const std::string file = s.add_device(mac, "Digest Phone") + mac + ".cfg";
    REQUIRE(
        s.ctl("digest --mac " + mac + " --user prov-user <<< 'pw 3'").status ==
        0);

    const http_result served = s.fetch(file, with_digest("prov-user", "pw 3"));
    REQUIRE(served.status == 200);
    const std::string captured = last_authorization(served);
    REQUIRE_FALSE(captured.empty());
    // The table is the database owner's alone; the worker only calls
    // provgate.use_digest_nonce().
    CHECK(s.sql_as("postgres",
                   "SELECT highest_nc, expires_at > now() FROM "
                   "provgate.digest_nonce_uses WHERE nonce = '" +
                       captured.substr(captured.find("nonce=\"") + 7, 96) + "'")
              .out == "1|t\n");

    // A new worker process shares the nonce key, so the nonce is genuine
    // to it, and remembers nothing of the first process's requests: only
    // the database can tell that this header was used.
    s.restart_worker("");
    check_replay_refused(s, file, mac, captured);

    CHECK(s.fetch(file, with_digest("prov-user", "pw 3")).status == 200);
    CHECK(last_outcome(s, mac) == "served\n");
}


TEST_CASE("the digest command refuses misuse, and other devices are free") {
    stack& s = stack::get();
    const std::string mac = "0015650d1002";
    const std::string file = s.add_device(mac) + mac + ".cfg";
    CHECK(s.ctl("digest --mac " + mac + " --user u </dev/null").status == 1);
    CHECK(s.ctl("digest --mac " + mac).status == 1);
    CHECK(s.ctl("digest --mac " + mac + " --user u --off").status == 1);
    CHECK(s.ctl("digest --mac 0015650d10ff --user u <<< pw").status == 1);
    CHECK(s.sql("SELECT count(*) FROM provgate.devices WHERE mac = '" + mac +
                "' AND digest_user IS NULL") == "1\n");

    CHECK(s.fetch(file).status == 200);
    CHECK(s.fetch(file, with_digest("u", "pw")).status == 200);
}
