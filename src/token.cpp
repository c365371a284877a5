// Minting, checking and hashing of the per-device folder tokens. Clear tokens
// exist only in the output of provgatectl and in the phones' URLs; the
// database and every log hold the SHA-256 digest or a short prefix.

#include "provgate/token.hpp"

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/random.h>

namespace provgate {

namespace {

constexpr char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


bool is_base64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}


void fill_random(std::uint8_t* out, std::size_t size) {
    std::size_t filled = 0;
    while (filled < size) {
        // getrandom(2) blocks until the kernel pool is initialised and never
        // returns short reads for requests of up to 256 bytes, but a signal
        // can still interrupt it.
        const ssize_t got = getrandom(out + filled, size - filled, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            throw std::system_error(errno, std::generic_category(),
                                    "could not read random bytes");
        }
        filled += static_cast<std::size_t>(got);
    }
}


std::string base64url(const std::uint8_t* data, std::size_t size) {
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const std::uint32_t v =
            (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        out += base64url_alphabet[(v >> 18) & 63];
        out += base64url_alphabet[(v >> 12) & 63];
        out += base64url_alphabet[(v >> 6) & 63];
        out += base64url_alphabet[v & 63];
    }
    if (size - i == 1) {
        const std::uint32_t v = data[i] << 16;
        out += base64url_alphabet[(v >> 18) & 63];
        out += base64url_alphabet[(v >> 12) & 63];
    } else if (size - i == 2) {
        const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
        out += base64url_alphabet[(v >> 18) & 63];
        out += base64url_alphabet[(v >> 12) & 63];
        out += base64url_alphabet[(v >> 6) & 63];
    }
    return out;
}

} // namespace


std::string mint_token() {
    std::array<std::uint8_t, token_bytes> raw{};
    fill_random(raw.data(), raw.size());

    std::string token = base64url(raw.data(), raw.size());
    OPENSSL_cleanse(raw.data(), raw.size());
    return token;
}


bool is_token_format(std::string_view text) {
    if (text.size() != token_length) {
        return false;
    }
    for (const char c : text) {
        if (!is_base64url_char(c)) {
            return false;
        }
    }

    // 32 bytes leave 2 unused bits in the last character; a canonical
    // encoding has them zero, so only every 4th character can end a token.
    const char last = text.back();
    const char* const found =
        std::char_traits<char>::find(base64url_alphabet, 64, last);
    return found != nullptr && ((found - base64url_alphabet) & 3) == 0;
}


token_digest sha256(std::string_view bytes) {
    // Fetched once: handing EVP_sha256() to EVP_Digest makes OpenSSL 3 look
    // the implementation up again on every call, which costs more than
    // hashing a token.
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);

    token_digest digest{};
    unsigned int size = 0;
    if (md == nullptr ||
        EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, md,
                   nullptr) != 1 ||
        size != digest.size()) {
        throw std::runtime_error("cannot compute SHA-256 digest");
    }
    return digest;
}


token_digest hash_token(std::string_view token) {
    return sha256(token);
}


std::string to_hex(const token_digest& digest) {
    constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(digest.size() * 2);
    for (const std::uint8_t byte : digest) {
        out += hex[byte >> 4];
        out += hex[byte & 0x0f];
    }
    return out;
}


std::string token_prefix(std::string_view token) {
    if (token.size() <= token_prefix_length) {
        return std::string(token);
    }
    return std::string(token.substr(0, token_prefix_length)) + "...";
}


bool digest_equal(const token_digest& a, const token_digest& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace provgate
