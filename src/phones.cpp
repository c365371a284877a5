// What real phones ask for and how they introduce themselves: one table of
// file-name rules, User-Agent recognisers and the vendors' OUIs. Nothing
// here does I/O. The facts come from the vendors' provisioning guides and
// are collected in README.md ("Supported phones").

#include "provgate/phones.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace provgate {

namespace {

using enum file_kind;
using enum name_shape;
using enum file_format;

// The rule table. Device files first: match_file prefers them over common
// files whose model-shaped names can look alike.
const std::vector<file_rule> rules = {
    // Yealink Auto Provisioning Guide: "<mac>.cfg" after the common
    // "y000000000000.boot" / "y0000000000XX.cfg" (XX the hardware id).
    {"yealink", device, "", mac, ".cfg", "mac.cfg.mustache", line},
    {"yealink", common, "y000000000000", exact, ".boot",
     "y000000000000.boot.mustache", line},
    {"yealink", common, "y000000000", model, ".cfg", "", line},

    // Poly UC Software admin guide: the per-phone master "<mac>.cfg" lists
    // "<mac>-phone.cfg"; the phone also asks for its directory and licence
    // and PUTs its boot and application logs.
    {"polycom", device, "", mac, ".cfg", "mac.cfg.mustache", xml},
    {"polycom", device, "", mac, "-phone.cfg", "mac-phone.cfg.mustache", xml},
    {"polycom", device, "", mac, "-directory.xml", "mac-directory.xml.mustache",
     xml},
    {"polycom", upload, "", mac, "-boot.log", "", xml},
    {"polycom", upload, "", mac, "-app.log", "", xml},
    {"polycom", common, "000000000000", exact, ".cfg",
     "000000000000.cfg.mustache", xml},

    // Grandstream provisioning guide: "cfg<mac>.xml", and the legacy names
    // "cfg<mac>" and "cfg<mac>.bin"; "cfg<model>.xml" and "cfg.xml" are
    // shared.
    {"grandstream", device, "cfg", mac, ".xml", "cfgmac.xml.mustache", xml},
    {"grandstream", device, "cfg", mac, "", "cfgmac.xml.mustache", xml},
    {"grandstream", device, "cfg", mac, ".bin", "cfgmac.xml.mustache", xml},
    {"grandstream", common, "cfg", exact, ".xml", "", xml},
    {"grandstream", common, "cfg", model, ".xml", "", xml},

    // snom auto-provisioning: "<MAC>.xml", the older per-device index
    // "snom<model>-<MAC>.htm" and the shared "snom<model>.htm".
    {"snom", device, "", mac, ".xml", "mac.xml.mustache", xml},
    {"snom", device, "snom", model_mac, ".htm", "mac.xml.mustache", xml},
    {"snom", common, "snom", model, ".htm", "snommodel.htm.mustache", xml},

    // Cisco SPA and MPP (3PCC) provisioning guides: Profile_Rule "$MA.xml";
    // shared "spa<model>.cfg", "init.cfg", "<model>-3PCC.xml" and
    // "cp-phone.xml".
    {"cisco", device, "", mac, ".xml", "mac.xml.mustache", xml},
    {"cisco", common, "spa", model, ".cfg", "spamodel.cfg.mustache", xml},
    {"cisco", common, "init", exact, ".cfg", "spamodel.cfg.mustache", xml},
    {"cisco", common, "", model, "-3PCC.xml", "", xml},
    {"cisco", common, "cp-phone", exact, ".xml", "", xml},

    // Fanvil auto provisioning guide: "<mac>.cfg" in its XML form, and
    // model files such as "f0X4hw1.100.cfg".
    {"fanvil", device, "", mac, ".cfg", "mac.cfg.mustache", xml},
    {"fanvil", common, "f0", model, ".cfg", "", xml},

    // Htek provisioning guide: "cfg<mac>.xml" and "cfg00XX.xml".
    {"htek", device, "cfg", mac, ".xml", "cfgmac.xml.mustache", xml},
    {"htek", common, "cfg", model, ".xml", "", xml},

    // Gigaset N870 IP PRO provisioning: "<mac>.xml".
    {"gigaset", device, "", mac, ".xml", "mac.xml.mustache", xml},
};

constexpr std::array<std::string_view, 8> vendor_keys = {
    "yealink", "polycom", "grandstream", "snom",
    "cisco",   "fanvil",  "htek",        "gigaset",
};

struct oui_entry {
    std::string_view oui;
    std::string_view vendor;
};

// IEEE assignments as listed in README.md; Cisco's many blocks are not.
constexpr std::array<oui_entry, 24> ouis = {{
    {"001565", "yealink"},     {"805ec0", "yealink"},
    {"805e0c", "yealink"},     {"e434d7", "yealink"},
    {"249ad8", "yealink"},     {"44dbd2", "yealink"},
    {"c4fc22", "yealink"},     {"0004f2", "polycom"},
    {"64167f", "polycom"},     {"482567", "polycom"},
    {"00907a", "polycom"},     {"000b82", "grandstream"},
    {"c074ad", "grandstream"}, {"ec74d7", "grandstream"},
    {"000413", "snom"},        {"00087b", "snom"},
    {"0c383e", "fanvil"},      {"00a859", "fanvil"},
    {"001fc1", "htek"},        {"7c2f80", "gigaset"},
    {"002104", "gigaset"},     {"589ec6", "gigaset"},
    {"14b370", "gigaset"},     {"0002fd", "cisco"},
}};

constexpr std::size_t max_model_length = 24;


bool is_model_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
           c == '.' || c == '-';
}


bool is_model(std::string_view text) {
    return !text.empty() && text.size() <= max_model_length &&
           std::isalnum(static_cast<unsigned char>(text[0])) != 0 &&
           std::all_of(text.begin(), text.end(), is_model_char);
}


std::optional<mac_address> device_mac(std::string_view text) {
    auto mac = mac_address::parse(text);
    if (mac && mac->to_string() == "000000000000") {
        return std::nullopt;
    }
    return mac;
}


// Matches the part between prefix and suffix against a rule's shape.
bool match_middle(const file_rule& rule, std::string_view middle,
                  file_match& out) {
    switch (rule.shape) {
    case exact:
        return middle.empty();
    case mac:
        if (middle.size() != 12) {
            return false;
        }
        out.mac = device_mac(middle);
        return out.mac.has_value();
    case model:
        out.model = std::string(middle);
        return is_model(middle);
    case model_mac: {
        const std::size_t dash = middle.rfind('-');
        if (dash == std::string_view::npos || middle.size() - dash != 13 ||
            !is_model(middle.substr(0, dash))) {
            return false;
        }
        out.model = std::string(middle.substr(0, dash));
        out.mac = device_mac(middle.substr(dash + 1));
        return out.mac.has_value();
    }
    }
    return false;
}


std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() &&
               std::isspace(static_cast<unsigned char>(text[i])) != 0) {
            ++i;
        }
        const std::size_t start = i;
        while (i < text.size() &&
               std::isspace(static_cast<unsigned char>(text[i])) == 0) {
            ++i;
        }
        if (i > start) {
            words.push_back(text.substr(start, i - start));
        }
    }
    return words;
}


std::string_view word(const std::vector<std::string_view>& words,
                      std::size_t i) {
    return i < words.size() ? words[i] : std::string_view();
}


// The first run of 12 hex digits, or MAC with separators, inside text.
std::optional<mac_address> find_mac(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        for (const std::size_t len : {std::size_t{17}, std::size_t{12}}) {
            if (i + len <= text.size()) {
                if (auto mac = device_mac(text.substr(i, len))) {
                    return mac;
                }
            }
        }
    }
    return std::nullopt;
}


std::string_view between(std::string_view text, std::string_view after,
                         std::string_view before) {
    const std::size_t start = text.find(after);
    if (start == std::string_view::npos) {
        return {};
    }
    text.remove_prefix(start + after.size());
    return text.substr(0, text.find(before));
}

} // namespace


const std::vector<file_rule>& file_rules() {
    return rules;
}


std::optional<file_match> match_file(std::string_view file) {
    file_match device_files;
    file_match common_files;
    for (const file_rule& rule : rules) {
        if (file.size() < rule.prefix.size() + rule.suffix.size() ||
            !file.starts_with(rule.prefix) || !file.ends_with(rule.suffix)) {
            continue;
        }
        const std::string_view middle =
            file.substr(rule.prefix.size(),
                        file.size() - rule.prefix.size() - rule.suffix.size());

        file_match& into = rule.kind == common ? common_files : device_files;
        file_match candidate;
        if (!match_middle(rule, middle, candidate)) {
            continue;
        }
        into.mac = candidate.mac;
        into.model = candidate.model;
        into.rules.push_back(&rule);
    }

    if (!device_files.rules.empty()) {
        return device_files;
    }
    if (!common_files.rules.empty()) {
        return common_files;
    }
    return std::nullopt;
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


std::string_view content_type(const file_rule& rule) {
    return rule.format == xml ? "application/xml; charset=utf-8"
                              : "text/plain; charset=utf-8";
}


bool is_vendor_key(std::string_view vendor) {
    return std::find(vendor_keys.begin(), vendor_keys.end(), vendor) !=
           vendor_keys.end();
}


std::optional<user_agent> parse_user_agent(std::string_view text) {
    const auto words = split_words(text);
    const std::string_view first = word(words, 0);
    user_agent ua;

    if (first == "Yealink") {
        // "Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37"
        std::string_view model = word(words, 1);
        if (model.starts_with("SIP-")) {
            model.remove_prefix(4);
        }
        ua = {"yealink", std::string(model), std::string(word(words, 2)),
              device_mac(word(words, 3))};
    } else if (const auto poly = std::find_if(
                   words.begin(), words.end(),
                   [](auto w) { return w.starts_with("Polycom"); });
               poly != words.end()) {
        // "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application"
        ua = {"polycom", std::string(between(*poly, "-", "-UA/")),
              std::string(between(*poly, "/", " ")), std::nullopt};
    } else if (first == "Grandstream") {
        // "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872"
        const auto after = [&](std::string_view key) {
            const auto it = std::find(words.begin(), words.end(), key);
            return it != words.end() && it + 1 != words.end() ? *(it + 1) : "";
        };
        ua = {"grandstream", std::string(after("HW")), std::string(after("SW")),
              device_mac(after("DevId"))};
    } else if (text.find("snom") != std::string_view::npos) {
        // "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 ... 000413922D24
        // SXM:0 UXM:0)"
        const auto it = std::find_if(words.begin(), words.end(), [](auto w) {
            return w.starts_with("snom");
        });
        if (it == words.end()) {
            return std::nullopt;
        }
        std::optional<mac_address> mac;
        for (auto w = it + 1; w != words.end() && !mac; ++w) {
            mac = w->size() == 12 ? device_mac(*w) : std::nullopt;
        }
        ua = {"snom", std::string(between(*it, "snom", "-SIP")),
              std::string(word(
                  words, static_cast<std::size_t>(it - words.begin() + 1))),
              mac};
    } else if (first.starts_with("Cisco/") || first.starts_with("Cisco-")) {
        // "Cisco/SPA508G-7.4.4 (0002FDFF2103)(CBT141400UK)" and
        // "Cisco-CP-7832-3PCC/11.0.1 (00562b043615)"
        const bool spa = first.starts_with("Cisco/");
        const std::string_view product = first.substr(6);
        const std::size_t split = spa ? product.find('-') : product.find('/');
        ua = {"cisco", std::string(product.substr(0, split)),
              split == std::string_view::npos
                  ? std::string()
                  : std::string(product.substr(split + 1)),
              find_mac(between(text, "(", ")"))};
    } else if (first == "Fanvil" || first == "Htek") {
        // "Fanvil X4 2.10.2.6887 0c383e07e16c", "Htek UC903 2.0.4.2
        // 00:1f:c1:1c:22:a9"
        ua = {first == "Fanvil" ? "fanvil" : "htek",
              std::string(word(words, 1)), std::string(word(words, 2)),
              device_mac(word(words, 3))};
    } else if (first == "Gigaset") {
        // "Gigaset N870 IP PRO/83.V2.11.0+build.a546b91;7C2F80E0D605"
        ua = {"gigaset", std::string(between(text, "Gigaset ", "/")),
              std::string(between(text, "/", ";")),
              device_mac(between(text, ";", " "))};
    } else {
        return std::nullopt;
    }
    return ua;
}


std::string_view vendor_for_oui(const mac_address& mac) {
    const std::string oui = mac.oui();
    for (const oui_entry& entry : ouis) {
        if (entry.oui == oui) {
            return entry.vendor;
        }
    }
    return {};
}

} // namespace provgate
