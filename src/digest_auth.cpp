// HTTP Digest authentication (RFC 7616, SHA-256, qop=auth) apart from any
// I/O: the Authorization header's parameters, the response a client must
// compute, and the server's nonces. A nonce carries the time it was issued
// and an HMAC under a key of the process, so that the worker keeps no state
// for the nonces it hands out, only for the ones phones use, to refuse a
// replayed header.

#include "provgate/digest_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <stdexcept>

namespace provgate {

namespace {

constexpr std::size_t max_header_size = 4096;
constexpr std::size_t salt_bytes = 8;
constexpr std::size_t time_digits = 16;


std::string to_hex(const unsigned char* data, std::size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xf];
    }
    return out;
}


bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '!' || c == '#' || c == '$' || c == '%' || c == '&' ||
           c == '\'' || c == '*' || c == '+' || c == '^' || c == '`' ||
           c == '|' || c == '~' || c == '/' || c == ':' || c == '=' ||
           c == '@' || c == '?' || c == '[' || c == ']';
}


void skip_blanks(std::string_view text, std::size_t& i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
}


std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}


// Reads a token or a quoted-string (RFC 9110, section 5.6.4) at i, and
// moves i past it; false if it is empty, unterminated or holds a control
// character.
bool read_value(std::string_view text, std::size_t& i, std::string& value) {
    if (i == text.size() || text[i] != '"') {
        while (i < text.size() && is_token_char(text[i])) {
            value += text[i++];
        }
        return !value.empty();
    }

    ++i;
    while (i < text.size()) {
        char c = text[i++];
        if (c == '"') {
            return true;
        }
        if (c == '\\') {
            if (i == text.size()) {
                return false;
            }
            c = text[i++];
        }
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return false;
        }
        value += c;
    }
    return false; // no closing quote
}


// Stores one parameter; unknown ones are ignored, a repeated one is an
// error.
bool store_param(digest_authorization& out, const std::string& name,
                 std::string value) {
    std::string* field = nullptr;
    if (name == "username") {
        field = &out.username;
    } else if (name == "realm") {
        field = &out.realm;
    } else if (name == "nonce") {
        field = &out.nonce;
    } else if (name == "uri") {
        field = &out.uri;
    } else if (name == "response") {
        field = &out.response;
    } else if (name == "algorithm") {
        field = &out.algorithm;
    } else if (name == "qop") {
        field = &out.qop;
    } else if (name == "nc") {
        field = &out.nc;
    } else if (name == "cnonce") {
        field = &out.cnonce;
    } else if (name == "opaque") {
        field = &out.opaque;
    } else {
        return true;
    }
    if (!field->empty()) {
        return false;
    }
    *field = std::move(value);
    return true;
}


bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}


bool is_hex(std::string_view text) {
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

} // namespace


std::optional<digest_authorization>
parse_digest_authorization(std::string_view header) {
    if (header.size() > max_header_size) {
        return std::nullopt;
    }
    std::size_t i = 0;
    skip_blanks(header, i);
    if (header.size() - i < 7 || lower(header.substr(i, 6)) != "digest" ||
        (header[i + 6] != ' ' && header[i + 6] != '\t')) {
        return std::nullopt;
    }
    i += 6;

    digest_authorization out;
    bool any = false;
    while (true) {
        skip_blanks(header, i);
        if (i == header.size()) {
            break;
        }
        const std::size_t name_start = i;
        while (i < header.size() && is_token_char(header[i]) &&
               header[i] != '=') {
            ++i;
        }
        const std::string name =
            lower(header.substr(name_start, i - name_start));
        skip_blanks(header, i);
        if (name.empty() || i == header.size() || header[i] != '=') {
            return std::nullopt;
        }
        ++i;
        skip_blanks(header, i);
        std::string value;
        if (!read_value(header, i, value)) {
            return std::nullopt;
        }
        if (!store_param(out, name, std::move(value))) {
            return std::nullopt;
        }
        any = true;
        skip_blanks(header, i);
        if (i == header.size()) {
            break;
        }
        if (header[i] != ',') {
            return std::nullopt;
        }
        ++i;
    }
    if (!any) {
        return std::nullopt;
    }
    return out;
}


std::string sha256_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(),
                   nullptr) != 1) {
        throw std::runtime_error("could not compute SHA-256");
    }
    return to_hex(digest, size);
}


std::string digest_ha1(std::string_view user, std::string_view realm,
                       std::string_view password) {
    return sha256_hex(std::string(user) + ":" + std::string(realm) + ":" +
                      std::string(password));
}


std::string digest_response(std::string_view ha1, std::string_view method,
                            std::string_view uri, std::string_view nonce,
                            std::string_view nc, std::string_view cnonce) {
    const std::string ha2 =
        sha256_hex(std::string(method) + ":" + std::string(uri));
    return sha256_hex(std::string(ha1) + ":" + std::string(nonce) + ":" +
                      std::string(nc) + ":" + std::string(cnonce) +
                      ":auth:" + ha2);
}


std::string digest_challenge(std::string_view realm, std::string_view nonce,
                             std::string_view opaque, bool stale) {
    std::string out = "Digest realm=\"" + std::string(realm) +
                      "\", qop=\"auth\", algorithm=SHA-256, nonce=\"" +
                      std::string(nonce) + "\", opaque=\"" +
                      std::string(opaque) + "\"";
    if (stale) {
        out += ", stale=true";
    }
    return out;
}


digest_nonces::digest_nonces() {
    if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
        throw std::runtime_error("could not draw a random nonce key");
    }
}


digest_nonces::digest_nonces(const std::array<std::uint8_t, 32>& key)
    : key_(key) {}


void digest_nonces::set_key(const std::array<std::uint8_t, 32>& key) {
    const std::lock_guard<std::mutex> lock(mutex_);
    key_ = key;
}


std::string digest_nonces::sign(std::string_view data) const {
    std::array<std::uint8_t, 32> key{};
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        key = key_;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(),
             mac, &size) == nullptr) {
        throw std::runtime_error("could not compute HMAC-SHA-256");
    }
    return to_hex(mac, size);
}


std::string digest_nonces::mint(std::int64_t now) const {
    char time_hex[time_digits + 1];
    std::snprintf(time_hex, sizeof time_hex, "%016llx",
                  static_cast<unsigned long long>(now));
    unsigned char salt[salt_bytes];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        throw std::runtime_error("could not draw a random nonce salt");
    }
    const std::string data = std::string(time_hex) + to_hex(salt, sizeof salt);
    return data + sign(data);
}


std::string digest_nonces::opaque() const {
    return sign("opaque").substr(0, 32);
}


nonce_state digest_nonces::check(std::string_view nonce, std::int64_t now,
                                 int lifetime_seconds) const {
    const std::size_t data_size = time_digits + 2 * salt_bytes;
    if (nonce.size() != data_size + 64 || !is_hex(nonce)) {
        return nonce_state::forged;
    }
    const std::string_view data = nonce.substr(0, data_size);
    if (!constant_time_equal(sign(data), nonce.substr(data_size))) {
        return nonce_state::forged;
    }
    const auto issued = static_cast<std::int64_t>(
        std::stoull(std::string(nonce.substr(0, time_digits)), nullptr, 16));
    if (issued > now + 1 || now - issued >= lifetime_seconds) {
        return nonce_state::expired;
    }
    return nonce_state::fresh;
}


void digest_nonces::prune(std::int64_t now, int lifetime_seconds) {
    if (now == pruned_at_ && seen_.size() < max_tracked) {
        return;
    }
    pruned_at_ = now;
    for (auto it = seen_.begin(); it != seen_.end();) {
        if (now - it->second.first >= lifetime_seconds) {
            it = seen_.erase(it);
        } else {
            ++it;
        }
    }
}


bool digest_nonces::accept_count(const std::string& nonce, std::uint64_t nc,
                                 std::int64_t now, int lifetime_seconds) {
    const std::lock_guard<std::mutex> lock(mutex_);
    prune(now, lifetime_seconds);
    const auto it = seen_.find(nonce);
    if (it == seen_.end()) {
        if (seen_.size() >= max_tracked) {
            return false;
        }
        const auto issued = static_cast<std::int64_t>(
            std::stoull(nonce.substr(0, time_digits), nullptr, 16));
        seen_.emplace(nonce, std::make_pair(issued, nc));
        return true;
    }
    if (nc <= it->second.second) {
        return false;
    }
    it->second.second = nc;
    return true;
}


digest_verdict digest_nonces::verify(
    std::string_view header, std::string_view method, std::string_view uri,
    std::string_view user, std::string_view ha1, std::string_view realm,
    std::int64_t now, int lifetime_seconds, const shared_uses& shared) {
    const auto auth = parse_digest_authorization(header);
    if (!auth) {
        return digest_verdict::missing;
    }
    if (auth->realm != realm) {
        return digest_verdict::missing;
    }
    if (auth->username != user || lower(auth->algorithm) != "sha-256" ||
        auth->qop != "auth" || auth->nc.size() != 8 || !is_hex(auth->nc) ||
        auth->cnonce.empty() || auth->uri != uri) {
        return digest_verdict::refused;
    }
    const std::string expected = digest_response(
        ha1, method, auth->uri, auth->nonce, auth->nc, auth->cnonce);
    if (!constant_time_equal(expected, lower(auth->response))) {
        return digest_verdict::refused;
    }
    switch (check(auth->nonce, now, lifetime_seconds)) {
    case nonce_state::forged:
        return digest_verdict::missing;
    case nonce_state::expired:
        return digest_verdict::stale;
    case nonce_state::fresh:
        break;
    }
    const std::uint64_t nc = std::stoull(auth->nc, nullptr, 16);
    if (!accept_count(auth->nonce, nc, now, lifetime_seconds)) {
        return digest_verdict::refused;
    }
    if (shared) {
        const auto issued = static_cast<std::int64_t>(
            std::stoull(auth->nonce.substr(0, time_digits), nullptr, 16));
        if (!shared(auth->nonce, nc, issued + lifetime_seconds)) {
            return digest_verdict::refused;
        }
    }
    return digest_verdict::accepted;
}

} // namespace provgate
