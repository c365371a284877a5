// Parsing and printing of device MAC addresses. Every other part of provgate
// works with the normalised twelve-digit lower-case form this file produces.

#include "provgate/mac_address.hpp"

namespace provgate {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}


constexpr char hex_digits[] = "0123456789abcdef";

} // namespace


std::optional<mac_address> mac_address::parse(std::string_view text) {
    // Either 12 bare digits, or 17 characters with one separator between each
    // pair; the separator must be the same throughout.
    char separator = '\0';
    if (text.size() == 17) {
        separator = text[2];
        if (separator != ':' && separator != '-') {
            return std::nullopt;
        }
    } else if (text.size() != 12) {
        return std::nullopt;
    }

    const std::size_t stride = separator != '\0' ? 3 : 2;
    mac_address mac;
    for (std::size_t i = 0; i < 6; ++i) {
        const std::size_t at = i * stride;
        const int high = hex_value(text[at]);
        const int low = hex_value(text[at + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        if (separator != '\0' && i < 5 && text[at + 2] != separator) {
            return std::nullopt;
        }
        mac.octets_[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return mac;
}


std::string mac_address::to_string() const {
    std::string out;
    out.reserve(12);
    for (const std::uint8_t octet : octets_) {
        out += hex_digits[octet >> 4];
        out += hex_digits[octet & 0x0f];
    }
    return out;
}


std::string mac_address::oui() const {
    return to_string().substr(0, 6);
}

} // namespace provgate
