// Sealing a pending token for rotation with overlap: the new token must be
// put into the file served at the old URL during the grace period, so the
// worker needs it in clear then; the database holds it only encrypted
// (AES-256-GCM) under a key kept in a file outside the database.

#include "provgate/token_seal.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fstream>
#include <memory>
#include <vector>

namespace provgate {

namespace {

constexpr int nonce_size = 12;
constexpr int tag_size = 16;

using cipher_ctx =
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;


std::string hex(const std::vector<unsigned char>& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}


std::optional<std::vector<unsigned char>> unhex(std::string_view text) {
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    std::vector<unsigned char> out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const auto value = [](char c) -> int {
            if (c >= '0' && c <= '9') {
                return c - '0';
            }
            if (c >= 'a' && c <= 'f') {
                return c - 'a' + 10;
            }
            return -1;
        };
        const int hi = value(text[i]);
        const int lo = value(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<unsigned char>(hi * 16 + lo));
    }
    return out;
}

} // namespace


std::string load_seal_key(const std::string& path) {
    std::ifstream in(path);
    std::string text;
    in >> text;
    const auto key = unhex(text);
    if (!in || !key || key->size() != 32) {
        throw seal_error("cannot read token sealing key \"" + path +
                         "\": expected 64 lower-case hex digits");
    }
    return std::string(key->begin(), key->end());
}


std::string seal_token(const std::string& key, std::string_view token) {
    std::vector<unsigned char> out(nonce_size + token.size() + tag_size);
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    int len = 0;
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    if (key.size() != 32 || !ctx || RAND_bytes(out.data(), nonce_size) != 1 ||
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k,
                           out.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out.data() + nonce_size, &len,
                          reinterpret_cast<const unsigned char*>(token.data()),
                          static_cast<int>(token.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out.data() + nonce_size + len, &len) !=
            1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size,
                            out.data() + nonce_size + token.size()) != 1) {
        throw seal_error("cannot seal token");
    }
    return hex(out);
}


std::optional<std::string> unseal_token(const std::string& key,
                                        std::string_view sealed) {
    auto bytes = unhex(sealed);
    if (key.size() != 32 || !bytes || bytes->size() <= nonce_size + tag_size) {
        return std::nullopt;
    }
    const std::size_t text_size = bytes->size() - nonce_size - tag_size;
    std::string out(text_size, '\0');
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    int len = 0;
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    auto* plain = reinterpret_cast<unsigned char*>(out.data());
    if (!ctx ||
        EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k,
                           bytes->data()) != 1 ||
        EVP_DecryptUpdate(ctx.get(), plain, &len, bytes->data() + nonce_size,
                          static_cast<int>(text_size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size,
                            bytes->data() + nonce_size + text_size) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), plain + len, &len) != 1) {
        return std::nullopt;
    }
    return out;
}

} // namespace provgate
