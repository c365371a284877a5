#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace provgate {

// The parameters of an "Authorization: Digest ..." header (RFC 7616,
// section 3.4). Values are unquoted; absent ones are empty.
struct digest_authorization {
    std::string username;
    std::string realm;
    std::string nonce;
    std::string uri;
    std::string response;
    std::string algorithm;
    std::string qop;
    std::string nc;
    std::string cnonce;
    std::string opaque;
};

// Parses an Authorization header of the Digest scheme; nullopt for another
// scheme, a malformed list, or a header longer than 4096 bytes.
std::optional<digest_authorization>
parse_digest_authorization(std::string_view header);

// Lower-case hex of SHA-256(text).
std::string sha256_hex(std::string_view text);

// HA1 for algorithm SHA-256: hex of SHA-256("user:realm:password"). This is
// all the server stores of a device's password.
std::string digest_ha1(std::string_view user, std::string_view realm,
                       std::string_view password);

// The response a client computes for qop=auth (RFC 7616, section 3.4.1).
std::string digest_response(std::string_view ha1, std::string_view method,
                            std::string_view uri, std::string_view nonce,
                            std::string_view nc, std::string_view cnonce);

// What a nonce presented by a client turns out to be.
enum class nonce_state { fresh, expired, forged };

// The outcome of checking an Authorization header against a credential.
enum class digest_verdict {
    accepted,
    // No Digest header, one for another realm, or the right password with
    // a nonce this process did not issue (another worker's, or from before
    // a restart): challenge, without counting a failure.
    missing,
    stale,   // the right password with a genuine but expired nonce
    refused, // wrong password or user, forged nonce, replay, wrong URI
};

// Issues and checks the server's nonces, and refuses replays. A nonce is
// "<time><salt><mac>" in hex: the second it was issued, eight random bytes
// and an HMAC-SHA-256 over both under a key of the process, so that a
// nonce needs no state until it is used. The highest nc seen per nonce is
// kept in memory until the nonce expires (and, through verify's shared
// record, in PostgreSQL for the other processes); while max_tracked nonces
// are in use, the first use of another is refused. Thread-safe.
class digest_nonces {
public:
    static constexpr std::size_t max_tracked = 100000;

    // A random key, drawn from OpenSSL's generator.
    digest_nonces();
    explicit digest_nonces(const std::array<std::uint8_t, 32>& key);

    // Replaces the key, e.g. with one from a file that every worker
    // process of the host shares: nonces of the old key become forged.
    void set_key(const std::array<std::uint8_t, 32>& key);

    // A new nonce issued at now (seconds since the epoch).
    std::string mint(std::int64_t now) const;

    // The opaque value of the challenge: fixed for the process.
    std::string opaque() const;

    nonce_state check(std::string_view nonce, std::int64_t now,
                      int lifetime_seconds) const;

    // Records nc for a fresh nonce; false if nc is not above the highest
    // one seen for it (a replay) or the nonce is no longer tracked.
    bool accept_count(const std::string& nonce, std::uint64_t nc,
                      std::int64_t now, int lifetime_seconds);

    // Records, where every worker process sees it, that nc was used with
    // nonce, which expires at expires_at (seconds since the epoch); false
    // if a count as high was used before (store::use_digest_nonce).
    using shared_uses = std::function<bool(
        const std::string& nonce, std::uint64_t nc, std::int64_t expires_at)>;

    // Checks header against the device's credential for a request of
    // method and uri. A use that this process accepts is also offered to
    // shared, if given, which may still refuse it as a replay.
    digest_verdict verify(std::string_view header, std::string_view method,
                          std::string_view uri, std::string_view user,
                          std::string_view ha1, std::string_view realm,
                          std::int64_t now, int lifetime_seconds,
                          const shared_uses& shared = {});

private:
    std::string sign(std::string_view data) const;
    void prune(std::int64_t now, int lifetime_seconds);

    std::array<std::uint8_t, 32> key_{};
    mutable std::mutex mutex_; // guards key_, seen_ and pruned_at_
    std::int64_t pruned_at_ = 0;
    // nonce -> (time issued, highest nc seen)
    std::map<std::string, std::pair<std::int64_t, std::uint64_t>> seen_;
};

// The WWW-Authenticate value of a 401 challenge.
std::string digest_challenge(std::string_view realm, std::string_view nonce,
                             std::string_view opaque, bool stale);

} // namespace provgate
