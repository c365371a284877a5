#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace provgate {

// Folder tokens: 32 bytes from the kernel's CSPRNG, written as 43 characters
// of unpadded base64url (RFC 4648, section 5), so they are safe in a URL path.
inline constexpr std::size_t token_bytes = 32;
inline constexpr std::size_t token_length = 43;

// How many leading characters of a token may appear in logs and audit rows.
inline constexpr std::size_t token_prefix_length = 6;

using token_digest = std::array<std::uint8_t, 32>;

// Mints a new token. Throws std::system_error if the kernel cannot supply
// random bytes.
std::string mint_token();

// True if text has the exact shape mint_token() produces.
bool is_token_format(std::string_view text);

// SHA-256 of any bytes. Throws std::runtime_error if OpenSSL fails.
token_digest sha256(std::string_view bytes);

// SHA-256 of the token's text: the only form the database ever stores.
token_digest hash_token(std::string_view token);

// Lower-case hex of a digest, the form the SQL queries bind and decode.
std::string to_hex(const token_digest& digest);

// The loggable prefix of a token-shaped string, followed by "..." when cut.
std::string token_prefix(std::string_view token);

// Compares two digests in time independent of their contents.
bool digest_equal(const token_digest& a, const token_digest& b);

} // namespace provgate
