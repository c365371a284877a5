#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "provgate/phones.hpp"

namespace provgate {

// One row of provgate.sip_accounts (see sql/ and README.md).
struct sip_account {
    std::string extension;
    std::string auth_user;
    std::string password;
    std::string display_name;
    std::string sip_server;
    int sip_port = 5060;
    std::string transport; // "udp", "tcp" or "tls"
    bool enabled = false;
};

// A template could not be loaded; what() names the file.
class template_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A value cannot be written safely in the file's format; what() names the
// field but never its value.
class render_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What a template is rendered from.
struct render_input {
    const sip_account* account = nullptr; // null for common files
    std::string mac;                      // lower-case; empty if unknown
    std::string model;                    // as the device or phone names it
    std::string provisioning_url;         // the folder URL, ending in "/"
};

// The templates of every file rule, parsed once at start.
class template_set {
public:
    // Loads <dir>/<vendor>/<template_name> for every rule that names one,
    // and any per-model override <dir>/<vendor>/<model>/<template_name>.
    // Throws template_error for a missing, unreadable or invalid template,
    // and for one that uses unescaped tags ("{{{x}}}", "{{&x}}").
    static std::shared_ptr<const template_set> load(const std::string& dir);

    // Renders the file of rule, from the model's override if there is one
    // (model names compare case-insensitively). The template sets
    // provisioning_url as the phone's own provisioning server. Throws
    // render_error if a value cannot be represented safely in the rule's
    // format, or if the rule has no template.
    std::string render(const file_rule& rule, const render_input& in) const;

    // The device file of rule for account, with no model override.
    std::string render(const file_rule& rule, const sip_account& account,
                       const std::string& provisioning_url) const;

private:
    // Keyed by rule and lower-case model; "" is the vendor's default.
    std::map<std::pair<const file_rule*, std::string>, std::string> sources_;

    // Tells this set's parsed copies from those of a set it replaced.
    std::uint64_t generation_ = 0;
};

// Escaping per format, exposed for the tests. Throws render_error naming
// field if value holds a character the format cannot carry.
std::string escape_value(file_format format, const std::string& field,
                         const std::string& value);

} // namespace provgate
