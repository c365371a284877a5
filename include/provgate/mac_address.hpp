#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace provgate {

// A device's Ethernet address. Phones spell it in lower or upper case, with
// ":" or "-" between the octets or with no separator at all.
class mac_address {
public:
    // Parses any of the spellings above; nullopt for anything else.
    static std::optional<mac_address> parse(std::string_view text);

    // Twelve lower-case hex digits, the form stored in the database.
    std::string to_string() const;

    // The first three octets, as six lower-case hex digits.
    std::string oui() const;

    bool operator==(const mac_address& other) const = default;

private:
    std::array<std::uint8_t, 6> octets_{};
};

} // namespace provgate
