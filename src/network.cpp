// IP addresses and networks for the lockout's exempt list: parsing the
// literals of the configuration and of nginx's $remote_addr, and the
// prefix test. Pure: no I/O, no name resolution.

#include "provgate/network.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace provgate {

std::optional<ip_bytes> parse_ip(std::string_view text) {
    // inet_pton wants a terminated string; 45 characters is the longest
    // IPv6 literal (an IPv4-mapped one in full).
    if (text.empty() || text.size() > 45) {
        return std::nullopt;
    }
    const std::string copy(text);

    ip_bytes out{};
    if (copy.find(':') == std::string::npos) {
        std::array<std::uint8_t, 4> v4{};
        if (inet_pton(AF_INET, copy.c_str(), v4.data()) != 1) {
            return std::nullopt;
        }
        out[10] = 0xff;
        out[11] = 0xff;
        std::copy(v4.begin(), v4.end(), out.begin() + 12);
        return out;
    }
    if (inet_pton(AF_INET6, copy.c_str(), out.data()) != 1) {
        return std::nullopt;
    }
    return out;
}


std::optional<ip_network> parse_network(std::string_view text) {
    const std::size_t slash = text.find('/');
    const auto address = parse_ip(text.substr(0, slash));
    if (!address) {
        return std::nullopt;
    }
    const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;

    int bits = v4 ? 32 : 128;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), bits);
        if (ec != std::errc() || end != digits.data() + digits.size() ||
            digits.empty() || bits < 0 || bits > (v4 ? 32 : 128)) {
            return std::nullopt;
        }
    }

    ip_network net{*address, v4 ? bits + 96 : bits, std::string(text)};
    for (int bit = net.prefix; bit < 128; ++bit) {
        if ((net.address[bit / 8] & (0x80 >> (bit % 8))) != 0) {
            return std::nullopt;
        }
    }
    return net;
}


bool network_contains(const ip_network& net, std::string_view address) {
    const auto ip = parse_ip(address);
    if (!ip) {
        return false;
    }
    const int whole = net.prefix / 8;
    for (int i = 0; i < whole; ++i) {
        if ((*ip)[i] != net.address[i]) {
            return false;
        }
    }
    const int rest = net.prefix % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return ((*ip)[whole] & mask) == (net.address[whole] & mask);
}

} // namespace provgate
