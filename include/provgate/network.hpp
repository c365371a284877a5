#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace provgate {

// An IPv4 or IPv6 address as sixteen bytes; IPv4 is kept IPv4-mapped
// (::ffff:a.b.c.d), so that one comparison covers both families.
using ip_bytes = std::array<std::uint8_t, 16>;

// A network such as "10.0.0.0/8" or "2001:db8::/32".
struct ip_network {
    ip_bytes address{};
    int prefix = 128; // in bits of the sixteen-byte form
    std::string text; // as written, for messages
};

// Parses a literal IPv4 or IPv6 address; nullopt for anything else
// (host names included).
std::optional<ip_bytes> parse_ip(std::string_view text);

// Parses "address/prefix", or a bare address meaning that host alone. Host
// bits set beyond the prefix are an error (nullopt), as in PostgreSQL's
// cidr type.
std::optional<ip_network> parse_network(std::string_view text);

// True if address (a literal, as nginx passes $remote_addr) lies in net;
// false for anything that does not parse.
bool network_contains(const ip_network& net, std::string_view address);

} // namespace provgate
