#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace provgate {

// One HTTP request as the worker sees it, copied out of the FastCGI
// parameters that nginx sends (see nginx/snippets/provgate-locations.conf).
struct request {
    std::string method;
    std::string uri; // raw request target, not percent-decoded
    std::string user_agent;
    std::string client_addr;
    std::string if_none_match;
    std::string request_id; // nginx's $request_id, for log correlation
    // nginx's $ssl_client_verify ("SUCCESS", "FAILED:...", "NONE"; empty
    // on plain HTTP), $ssl_client_s_dn and $ssl_client_i_dn: the phone's
    // client certificate.
    std::string client_cert_verify;
    std::string client_cert_subject;
    std::string client_cert_issuer;
    std::string authorization; // the Authorization header, if any
};

// Longest request target the worker looks at; longer ones are malformed.
inline constexpr std::size_t max_uri_length = 512;

// A provisioning path split into its parts. token is empty for the legacy
// shared layout "<prefix>/<file>".
struct prov_path {
    std::string token;
    std::string file;
};

// Splits "<prefix>/<token>/<file>" or "<prefix>/<file>" (query ignored).
// Anything else is nullopt: other prefixes, empty or extra segments, any
// percent-encoding, dot segments, or characters outside the token and file
// name alphabets. prefix is the path of the configured base URL, e.g. "/prov".
std::optional<prov_path> parse_prov_path(std::string_view prefix,
                                         std::string_view uri);

// A loggable form of a request target: every segment that could be a token
// cut to a short prefix, the query dropped, anything unprintable replaced,
// and the whole capped in length.
std::string redact_uri(std::string_view uri);

// Printable ASCII only, capped at max_size bytes: safe to log or store.
std::string sanitize(std::string_view text, std::size_t max_size);

} // namespace provgate
