// Rendering a phone's configuration from its vendor template. Templates are
// mustache (kainjow's implementation); every value passes through the
// escaper of the file's format, which refuses what it cannot carry, so a
// display name can never add or change a key in the rendered file.

#include "provgate/render.hpp"

#include <kainjow/mustache.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace provgate {

namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;


std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw template_error("could not open template \"" + path + "\"");
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw template_error("could not read template \"" + path + "\"");
    }
    return text.str();
}


std::string escape_line(const std::string& field, const std::string& value) {
    // Yealink-style "key = value" files end a value at the line break; any
    // control character is refused rather than stripped, so the operator
    // sees the bad row instead of a phone with a silently altered value.
    for (const unsigned char c : value) {
        if (c < 0x20 || c == 0x7f) {
            throw render_error("field \"" + field +
                               "\" holds a control character");
        }
    }
    return value;
}


std::string escape_xml(const std::string& field, const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const unsigned char c : value) {
        // XML 1.0 allows no C0 controls but tab, LF and CR (section 2.2),
        // and a phone parser might split on those too.
        if (c < 0x20 || c == 0x7f) {
            throw render_error("field \"" + field +
                               "\" holds a control character");
        }
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += static_cast<char>(c);
        }
    }
    return out;
}


// Mustache lets a tag skip escaping with "{{{x}}}" or "{{&x}}", with
// spaces allowed after the braces, and a "{{=...=}}" tag changes the
// delimiters so that later tags escape notice. All three are refused.
bool has_unescaped_tag(const std::string& source) {
    static const std::regex unescaped(R"(\{\{\s*[{&=])");
    return std::regex_search(source, unescaped);
}


std::string lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}


std::string upper(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return text;
}


data input_data(const render_input& in) {
    // Phones that split their provisioning server into scheme and
    // "host/path" (Polycom, Grandstream, Fanvil) get both parts.
    const std::string& url = in.provisioning_url;
    const std::size_t scheme_end = url.find("://");
    const bool https = url.starts_with("https://");

    data d;
    d.set("mac", in.mac);
    d.set("mac_upper", upper(in.mac));
    d.set("model", in.model);
    d.set("provisioning_url", url);
    d.set("provisioning_https", https);
    d.set("provisioning_host_path",
          scheme_end == std::string::npos ? url : url.substr(scheme_end + 3));
    if (in.account != nullptr) {
        const sip_account& account = *in.account;
        d.set("extension", account.extension);
        d.set("auth_user", account.auth_user);
        d.set("password", account.password);
        d.set("display_name", account.display_name);
        d.set("sip_server", account.sip_server);
        d.set("sip_port", std::to_string(account.sip_port));
        d.set("transport", account.transport);
        d.set("transport_udp", account.transport == "udp");
        d.set("transport_tcp", account.transport == "tcp");
        d.set("transport_tls", account.transport == "tls");
    }
    return d;
}


// Checks every value by name before rendering: the escaper sees values
// without their names, and an error should say which column to fix.
void check_fields(const file_rule& rule, const render_input& in) {
    std::vector<std::pair<const char*, const std::string*>> fields = {
        {"mac", &in.mac},
        {"model", &in.model},
        {"provisioning_url", &in.provisioning_url},
    };
    if (in.account != nullptr) {
        fields.insert(fields.end(),
                      {
                          {"extension", &in.account->extension},
                          {"auth_user", &in.account->auth_user},
                          {"password", &in.account->password},
                          {"display_name", &in.account->display_name},
                          {"sip_server", &in.account->sip_server},
                          {"transport", &in.account->transport},
                      });
    }
    for (const auto& [name, value] : fields) {
        escape_value(rule.format, name, *value);
    }
}


// kainjow's renderer keeps state in the template object while it renders,
// so a parsed template is never shared between threads: each thread parses
// a source once and keeps its copy until the set it came from is replaced.
mustache& parsed_for_thread(std::uint64_t generation, const std::string& source,
                            file_format format) {
    thread_local std::uint64_t cached_generation = 0;
    thread_local std::map<const std::string*, std::unique_ptr<mustache>> cache;
    if (cached_generation != generation) {
        cache.clear();
        cached_generation = generation;
    }

    auto& parsed = cache[&source];
    if (!parsed) {
        parsed = std::make_unique<mustache>(source);
        parsed->set_custom_escape([format](const std::string& value) {
            return escape_value(format, "value", value);
        });
    }
    return *parsed;
}


std::string load_template(const std::string& path) {
    std::string source = read_file(path);
    if (has_unescaped_tag(source)) {
        throw template_error("template \"" + path + "\" uses an unescaped tag");
    }
    const mustache parsed(source);
    if (!parsed.is_valid()) {
        throw template_error("template \"" + path +
                             "\" is invalid: " + parsed.error_message());
    }
    return source;
}

} // namespace


std::string escape_value(file_format format, const std::string& field,
                         const std::string& value) {
    switch (format) {
    case file_format::line:
        return escape_line(field, value);
    case file_format::xml:
        return escape_xml(field, value);
    }
    throw render_error("unrecognized file format");
}


std::shared_ptr<const template_set> template_set::load(const std::string& dir) {
    namespace fs = std::filesystem;
    static std::atomic<std::uint64_t> generations{0};
    auto set = std::make_shared<template_set>();
    set->generation_ = ++generations;
    for (const file_rule& rule : file_rules()) {
        if (rule.template_name.empty()) {
            continue;
        }
        const fs::path vendor_dir = fs::path(dir) / rule.vendor;
        const std::string name(rule.template_name);
        set->sources_.emplace(std::pair(&rule, std::string()),
                              load_template((vendor_dir / name).string()));

        // Per-model overrides: any subdirectory holding the same name.
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(vendor_dir, ec)) {
            const fs::path candidate = entry.path() / name;
            if (entry.is_directory() && fs::exists(candidate)) {
                set->sources_.emplace(
                    std::pair(&rule, lower(entry.path().filename().string())),
                    load_template(candidate.string()));
            }
        }
    }
    return set;
}


std::string template_set::render(const file_rule& rule,
                                 const render_input& in) const {
    auto source = sources_.find(std::pair(&rule, lower(in.model)));
    if (source == sources_.end()) {
        source = sources_.find(std::pair(&rule, std::string()));
    }
    if (source == sources_.end()) {
        throw render_error("no template for file rule of vendor \"" +
                           std::string(rule.vendor) + "\"");
    }
    check_fields(rule, in);

    return parsed_for_thread(generation_, source->second, rule.format)
        .render(input_data(in));
}


std::string template_set::render(const file_rule& rule,
                                 const sip_account& account,
                                 const std::string& provisioning_url) const {
    return render(rule, render_input{&account, "", "", provisioning_url});
}

} // namespace provgate
