// Parsing of the request target. This is the first thing an untrusted
// request meets, so it is strict: one alphabet for tokens, one for file
// names, no decoding, and everything else is refused before any lookup.

#include "provgate/request.hpp"

#include "provgate/token.hpp"

#include <algorithm>
#include <cctype>

namespace provgate {

namespace {

constexpr std::size_t max_file_length = 64;

// Shorter than a token, longer than any file name a phone asks for.
constexpr std::size_t max_logged_file_length = 32;


bool is_file_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}


bool is_file_name(std::string_view name) {
    if (name.empty() || name.size() > max_file_length || name[0] == '.') {
        return false;
    }
    for (const char c : name) {
        if (!is_file_char(c)) {
            return false;
        }
    }
    return true;
}


// The path below the prefix ("token/file" or "file"), or nullopt.
std::optional<std::string_view> below_prefix(std::string_view prefix,
                                             std::string_view uri) {
    if (uri.size() > max_uri_length) {
        return std::nullopt;
    }
    const std::size_t query = uri.find('?');
    if (query != std::string_view::npos) {
        uri = uri.substr(0, query);
    }
    if (!uri.starts_with(prefix) || uri.size() <= prefix.size() ||
        uri[prefix.size()] != '/') {
        return std::nullopt;
    }
    return uri.substr(prefix.size() + 1);
}


// The longest run of token characters in text. 22 of them are half a
// token (132 bits), the same bound nginx's redacting log format uses;
// found by tests/fuzz/fuzz_path.cpp in a segment such as "<25 token chars>.L".
std::size_t longest_token_run(std::string_view text) {
    std::size_t longest = 0;
    std::size_t run = 0;
    for (const char c : text) {
        const bool token_char =
            std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        run = token_char ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    return longest;
}

} // namespace


std::optional<prov_path> parse_prov_path(std::string_view prefix,
                                         std::string_view uri) {
    const auto rest = below_prefix(prefix, uri);
    if (!rest) {
        return std::nullopt;
    }

    const std::size_t slash = rest->find('/');
    if (slash == std::string_view::npos) {
        if (!is_file_name(*rest)) {
            return std::nullopt;
        }
        return prov_path{"", std::string(*rest)};
    }

    const std::string_view token = rest->substr(0, slash);
    const std::string_view file = rest->substr(slash + 1);
    if (!is_token_format(token) || !is_file_name(file)) {
        return std::nullopt;
    }
    return prov_path{std::string(token), std::string(file)};
}


std::string redact_uri(std::string_view uri) {
    uri = uri.substr(0, max_uri_length);
    const std::size_t query = uri.find('?');
    const std::string_view path = uri.substr(0, query);

    // Tokens never contain a dot and file names always do, so any segment
    // without one, or long enough to hide a token beside its dot, might be a
    // token, valid, mistyped or encoded: it never reaches a log in full. The
    // query string is dropped for the same reason.
    std::string out;
    std::size_t begin = 0;
    while (begin <= path.size()) {
        std::size_t end = path.find('/', begin);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        const std::string_view segment = path.substr(begin, end - begin);
        const bool file_like = segment.find('.') != std::string_view::npos &&
                               segment.size() <= max_logged_file_length &&
                               longest_token_run(segment) < 22;
        out += file_like ? std::string(segment) : token_prefix(segment);
        if (end < path.size()) {
            out += '/';
        }
        begin = end + 1;
    }
    if (query != std::string_view::npos) {
        out += "?...";
    }
    return sanitize(out, 160);
}


std::string sanitize(std::string_view text, std::size_t max_size) {
    std::string out;
    out.reserve(std::min(text.size(), max_size));
    for (const char c : text.substr(0, max_size)) {
        out += (c >= 0x21 && c <= 0x7e) || c == ' ' ? c : '?';
    }
    return out;
}

} // namespace provgate
