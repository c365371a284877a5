// What real phones ask for: one table of file-name rules per vendor. Nothing
// here does I/O; the worker asks this table which MAC a path names and which
// template renders it.

#include "provgate/phones.hpp"

#include <array>

namespace provgate {

namespace {

// Yealink: the phone appends "<mac>.cfg" (lower case) to its provisioning
// server URL (Yealink "Auto Provisioning User Guide", MAC-oriented files).
const std::vector<file_rule> rules = {
    {"yealink", "", ".cfg", "mac.cfg.mustache", "text/plain; charset=utf-8",
     file_format::line},
};

constexpr std::array<std::string_view, 8> vendor_keys = {
    "yealink", "polycom", "grandstream", "snom",
    "cisco",   "fanvil",  "htek",        "gigaset",
};

} // namespace


const std::vector<file_rule>& file_rules() {
    return rules;
}


std::optional<file_match> match_file(std::string_view file) {
    std::optional<file_match> match;
    for (const file_rule& rule : rules) {
        const std::size_t fixed = rule.prefix.size() + rule.suffix.size();
        if (file.size() != fixed + 12 || !file.starts_with(rule.prefix) ||
            !file.ends_with(rule.suffix)) {
            continue;
        }

        const auto mac =
            mac_address::parse(file.substr(rule.prefix.size(), 12));
        if (!mac) {
            continue;
        }
        if (!match) {
            match = file_match{*mac, {}};
        }
        match->rules.push_back(&rule);
    }
    return match;
}


const file_rule* rule_for_vendor(const file_match& match,
                                 std::string_view vendor) {
    for (const file_rule* rule : match.rules) {
        if (rule->vendor == vendor) {
            return rule;
        }
    }
    return nullptr;
}


bool is_vendor_key(std::string_view vendor) {
    for (const std::string_view key : vendor_keys) {
        if (key == vendor) {
            return true;
        }
    }
    return false;
}

} // namespace provgate
