// Unit tests for HTTP Digest: the Authorization header's parameters, the
// response of RFC 7616's SHA-256 example, and the nonces (fresh, expired,
// forged) with the refusal of a replayed nc, in one process and across
// processes.

#include "provgate/digest_auth.hpp"

#include <doctest/doctest.h>

#include <map>
#include <vector>

using namespace provgate;

namespace {

const std::array<std::uint8_t, 32> key{1, 2, 3, 4, 5, 6, 7, 8};
constexpr std::int64_t now = 1'800'000'000;
constexpr int lifetime = 300;


// The header a client sends for ha1 with a response it computed itself.
std::string authorization(const std::string& ha1, const std::string& nonce,
                          const std::string& nc,
                          const std::string& uri = "/prov/t/a.cfg",
                          const std::string& user = "phone") {
    const std::string cnonce = "0a4f113b";
    return "Digest username=\"" + user + "\", realm=\"provgate\", nonce=\"" +
           nonce + "\", uri=\"" + uri +
           "\", algorithm=SHA-256, qop=auth, nc=" + nc + ", cnonce=\"" +
           cnonce + "\", response=\"" +
           digest_response(ha1, "GET", uri, nonce, nc, cnonce) +
           "\", opaque=\"x\"";
}

} // namespace


TEST_CASE("the Authorization header's parameters are read") {
    const auto auth = parse_digest_authorization(
        "Digest username=\"Mu\\\"fasa\", realm=\"r\", nonce=\"n1\", "
        "uri=\"/dir/index.html\", algorithm=SHA-256, qop=auth, "
        "nc=00000001, cnonce=\"c\", response=\"ab\", opaque=\"o\", x=y");
    REQUIRE(auth);
    CHECK(auth->username == "Mu\"fasa");
    CHECK(auth->realm == "r");
    CHECK(auth->nonce == "n1");
    CHECK(auth->uri == "/dir/index.html");
    CHECK(auth->algorithm == "SHA-256");
    CHECK(auth->qop == "auth");
    CHECK(auth->nc == "00000001");
    CHECK(auth->cnonce == "c");
    CHECK(auth->response == "ab");
    CHECK(auth->opaque == "o");
    CHECK(parse_digest_authorization("digest  nonce=\"a\" , nc=1"));

    CHECK_FALSE(parse_digest_authorization(""));
    CHECK_FALSE(parse_digest_authorization("Basic dXNlcjpwYXNz"));
    CHECK_FALSE(parse_digest_authorization("Digest"));
    CHECK_FALSE(parse_digest_authorization("Digest nonce=\"a"));
    CHECK_FALSE(parse_digest_authorization("Digest nonce=\"a\" nc=1"));
    CHECK_FALSE(parse_digest_authorization("Digest nonce=\"a\", nonce=\"b\""));
    CHECK_FALSE(parse_digest_authorization("Digest nonce="));
    CHECK_FALSE(parse_digest_authorization("Digest nonce=\"a\nb\""));
    CHECK_FALSE(parse_digest_authorization("Digest nonce=\"" +
                                           std::string(5000, 'a') + "\""));
}


TEST_CASE("the response of RFC 7616's SHA-256 example (section 3.9.1)") {
    const std::string ha1 =
        digest_ha1("Mufasa", "http-auth@example.org", "Circle of Life");
    CHECK(ha1 == sha256_hex("Mufasa:http-auth@example.org:Circle of Life"));
    CHECK(ha1.size() == 64);
    CHECK(digest_response(ha1, "GET", "/dir/index.html",
                          "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                          "00000001",
                          "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ") ==
          "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    CHECK(sha256_hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}


TEST_CASE("nonces are fresh for their lifetime, and only under their key") {
    digest_nonces nonces(key);
    const std::string nonce = nonces.mint(now);
    CHECK(nonce != nonces.mint(now));
    CHECK(nonces.check(nonce, now, lifetime) == nonce_state::fresh);
    CHECK(nonces.check(nonce, now + lifetime - 1, lifetime) ==
          nonce_state::fresh);
    CHECK(nonces.check(nonce, now + lifetime, lifetime) ==
          nonce_state::expired);

    std::string altered = nonce;
    altered[3] = altered[3] == '0' ? '1' : '0';
    CHECK(nonces.check(altered, now, lifetime) == nonce_state::forged);
    CHECK(nonces.check("", now, lifetime) == nonce_state::forged);
    CHECK(nonces.check(nonce.substr(1), now, lifetime) == nonce_state::forged);
    CHECK(digest_nonces().check(nonce, now, lifetime) == nonce_state::forged);
    CHECK(nonces.opaque() == digest_nonces(key).opaque());
}


TEST_CASE("a header used with another process is refused by the shared "
          "record of nonce counts") {
    digest_nonces first_process(key);
    digest_nonces second_process(key);
    const std::string ha1 = digest_ha1("phone", "provgate", "secret");
    const std::string uri = "/prov/t/a.cfg";
    const std::string nonce = first_process.mint(now);

    // What PostgreSQL's provgate.digest_nonce_uses does for every process.
    std::map<std::string, std::uint64_t> highest;
    std::vector<std::int64_t> expiries;
    const digest_nonces::shared_uses shared =
        [&](const std::string& n, std::uint64_t nc, std::int64_t expires_at) {
            expiries.push_back(expires_at);
            if (highest.contains(n) && highest[n] >= nc) {
                return false;
            }
            highest[n] = nc;
            return true;
        };
    const auto verify = [&](digest_nonces& process, const std::string& header,
                            std::int64_t at) {
        return process.verify(header, "GET", uri, "phone", ha1, "provgate", at,
                              lifetime, shared);
    };

    const std::string header = authorization(ha1, nonce, "00000001");
    CHECK(verify(first_process, header, now) == digest_verdict::accepted);
    CHECK(highest.at(nonce) == 1);
    CHECK(expiries.back() == now + lifetime);
    // The same header captured and sent to another process: that process
    // has never seen it, the shared record has.
    CHECK(verify(second_process, header, now + 1) == digest_verdict::refused);
    CHECK(verify(second_process, authorization(ha1, nonce, "00000002"),
                 now + 1) == digest_verdict::accepted);
    CHECK(highest.at(nonce) == 2);

    // A wrong password or a forged nonce never reaches the shared record.
    const std::size_t calls = expiries.size();
    CHECK(verify(first_process,
                 authorization(digest_ha1("phone", "provgate", "guess"),
                               first_process.mint(now), "00000001"),
                 now) == digest_verdict::refused);
    CHECK(verify(first_process,
                 authorization(ha1, digest_nonces().mint(now), "00000001"),
                 now) == digest_verdict::missing);
    CHECK(expiries.size() == calls);
}


TEST_CASE("a header is accepted once per nc, with the right password only") {
    digest_nonces nonces(key);
    const std::string ha1 = digest_ha1("phone", "provgate", "secret");
    const std::string uri = "/prov/t/a.cfg";
    const std::string nonce = nonces.mint(now);
    const auto verify = [&](const std::string& header, std::int64_t at) {
        return nonces.verify(header, "GET", uri, "phone", ha1, "provgate", at,
                             lifetime);
    };

    CHECK(verify("", now) == digest_verdict::missing);
    CHECK(verify("Basic cGhvbmU6c2VjcmV0", now) == digest_verdict::missing);

    const std::string first = authorization(ha1, nonce, "00000001");
    CHECK(verify(first, now) == digest_verdict::accepted);
    CHECK(verify(first, now + 1) == digest_verdict::refused); // a replay
    CHECK(verify(authorization(ha1, nonce, "00000002"), now + 1) ==
          digest_verdict::accepted);
    CHECK(verify(authorization(ha1, nonce, "00000002"), now + 1) ==
          digest_verdict::refused);

    const std::string wrong = digest_ha1("phone", "provgate", "guess");
    CHECK(verify(authorization(wrong, nonces.mint(now), "00000001"), now) ==
          digest_verdict::refused);
    CHECK(verify(authorization(ha1, nonces.mint(now), "00000001", "/other"),
                 now) == digest_verdict::refused);
    CHECK(verify(authorization(ha1, nonces.mint(now), "00000001", uri, "x"),
                 now) == digest_verdict::refused);

    // An expired nonce of this process is stale for the right password,
    // refused for a wrong one. A nonce of another key with the right
    // password (another worker's) is challenged again, not refused.
    const std::string old = nonces.mint(now - lifetime);
    CHECK(verify(authorization(ha1, old, "00000001"), now) ==
          digest_verdict::stale);
    CHECK(verify(authorization(wrong, old, "00000001"), now) ==
          digest_verdict::refused);
    const std::string forged = digest_nonces().mint(now);
    CHECK(verify(authorization(ha1, forged, "00000001"), now) ==
          digest_verdict::missing);
    CHECK(verify(authorization(wrong, forged, "00000001"), now) ==
          digest_verdict::refused);
    CHECK(verify(authorization(ha1, forged + "0", "00000001"), now) ==
          digest_verdict::missing);

    // A shared key: another instance's nonces are genuine.
    digest_nonces other;
    other.set_key(key);
    CHECK(other.check(nonces.mint(now), now, lifetime) == nonce_state::fresh);

    const std::string challenge =
        digest_challenge("provgate", nonce, nonces.opaque(), true);
    CHECK(challenge == "Digest realm=\"provgate\", qop=\"auth\", "
                       "algorithm=SHA-256, nonce=\"" +
                           nonce + "\", opaque=\"" + nonces.opaque() +
                           "\", stale=true");
}
