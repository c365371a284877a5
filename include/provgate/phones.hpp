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

// What a file is to provgate.
enum class file_kind {
    device, // names one MAC and carries that device's account
    common, // shared by every phone of a vendor or model; no secrets
    upload, // a log the phone PUTs into its folder (Polycom)
};

// The shape of a file name: prefix, then the variable part, then suffix.
enum class name_shape {
    mac,       // twelve hex digits of the device's MAC
    model,     // a model name, e.g. "snomD785" is "snom" + "D785"
    model_mac, // "<model>-<MAC>", snom's per-device index file
    exact,     // nothing between prefix and suffix
};

// One file name a phone asks for. The vendor guides each rule follows are
// cited in phones.cpp.
struct file_rule {
    std::string_view vendor; // vendor key, as in the devices table
    file_kind kind;
    std::string_view prefix;
    name_shape shape;
    std::string_view suffix;
    std::string_view template_name; // under <templates_dir>/<vendor>/;
                                    // empty: static directory only
    file_format format;
};

// A file name matched against the rules: what its name says, and every
// rule that produces it (vendors share names such as "<mac>.cfg").
struct file_match {
    std::optional<mac_address> mac; // set for device and upload files
    std::string model;              // set for model-shaped names
    std::vector<const file_rule*> rules;
};

// The whole rule table.
const std::vector<file_rule>& file_rules();

// Matches a file name; nullopt if no rule produces it. Names carrying a MAC
// win over model-shaped names that happen to match too. MACs match in any
// case; the all-zero MAC is never a device.
std::optional<file_match> match_file(std::string_view file);

// The rule of that match for a given vendor key, or nullptr.
const file_rule* rule_for_vendor(const file_match& match,
                                 std::string_view vendor);

// The MIME type a rule's files are served with.
std::string_view content_type(const file_rule& rule);

// True for the vendor keys that the devices table accepts.
bool is_vendor_key(std::string_view vendor);

// What a phone says about itself in its User-Agent header.
struct user_agent {
    std::string vendor; // vendor key
    std::string model;
    std::string firmware;
    std::optional<mac_address> mac;
};

// Recognises the User-Agent shapes of the supported vendors (README.md has
// one example each); nullopt for anything else. Runs of whitespace count as
// one separator.
std::optional<user_agent> parse_user_agent(std::string_view text);

// The vendor key an OUI was assigned to, or an empty view.
std::string_view vendor_for_oui(const mac_address& mac);

} // namespace provgate
