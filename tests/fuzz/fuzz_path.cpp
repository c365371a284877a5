// libFuzzer harness for the request target: parse_prov_path must accept
// only well-formed provisioning paths, and redact_uri must never let a
// whole token or an unprintable byte through to a log.

#include "provgate/request.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

bool token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

} // namespace


extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
    const std::string_view uri(reinterpret_cast<const char*>(data), size);

    if (const auto path = provgate::parse_prov_path("/prov", uri)) {
        // What the parser lets through has no separators or encodings
        // left in it, whatever the input held.
        if (path->file.empty() || path->file.size() > 64 ||
            path->file.front() == '.' ||
            path->file.find_first_of("/%\\") != std::string::npos ||
            path->token.find_first_of("/%.") != std::string::npos ||
            uri.size() > provgate::max_uri_length) {
            std::abort();
        }
    }

    const std::string redacted = provgate::redact_uri(uri);
    std::size_t run = 0;
    for (const char c : redacted) {
        if (c < 0x20 || c > 0x7e) {
            std::abort(); // an unprintable byte would reach the log
        }
        run = token_char(c) ? run + 1 : 0;
        if (run >= 22) {
            std::abort(); // most of a token would reach the log
        }
    }
    return 0;
}
