#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provgate/mac_address.hpp"

namespace provgate {

// How values must be escaped in a vendor's file format.
enum class file_format {
    line, // "key = value" lines: a value must not hold a line break
    xml,  // XML elements and attributes: values are entity-escaped
};

// One file name a phone asks for: "<prefix><mac><suffix>" for files that
// carry its credentials. The vendor guide the rule comes from is cited in
// phones.cpp.
struct file_rule {
    std::string_view vendor;        // vendor key, as in the devices table
    std::string_view prefix;        // text before the MAC
    std::string_view suffix;        // text after the MAC
    std::string_view template_name; // file under <templates_dir>/<vendor>/
    std::string_view content_type;
    file_format format;
};

// A file name matched against the rules: the MAC it names and every rule
// that produces it (vendors share some names, e.g. "<mac>.cfg").
struct file_match {
    mac_address mac;
    std::vector<const file_rule*> rules;
};

// The rule table, for loading every template at start.
const std::vector<file_rule>& file_rules();

// Matches a requested file name; nullopt if no rule produces it. The MAC
// part matches case-insensitively.
std::optional<file_match> match_file(std::string_view file);

// The rule of that match for a given vendor key, or nullptr.
const file_rule* rule_for_vendor(const file_match& match,
                                 std::string_view vendor);

// True for the vendor keys that the devices table accepts.
bool is_vendor_key(std::string_view vendor);

} // namespace provgate
