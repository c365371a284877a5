#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace provgate {

// A sealing key that cannot be read or used.
class seal_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Reads the token sealing key: a file holding 64 hex digits (32 bytes),
// e.g. from "openssl rand -hex 32". Returns the 32 raw bytes. Throws
// seal_error naming the file.
std::string load_seal_key(const std::string& path);

// Seals a token with AES-256-GCM under key (32 bytes): hex of a random
// 12-byte nonce, the ciphertext and the 16-byte tag. The database keeps
// only this form of a pending token, so a dump without the key file leaks
// nothing. Throws seal_error.
std::string seal_token(const std::string& key, std::string_view token);

// The token sealed by seal_token under key; nullopt if sealed was not
// made with that key or was altered.
std::optional<std::string> unseal_token(const std::string& key,
                                        std::string_view sealed);

} // namespace provgate
