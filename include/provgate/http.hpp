#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provgate {

// An HTTP response before it is written to FastCGI. Header names are given
// as sent; Status, Content-Length and Cache-Control are added on writing.
struct response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// The one answer to every request a phone or scanner gets wrong: the same
// status, headers and bytes whatever the reason, so that it reveals nothing.
response not_found();

// HTTP Digest's challenge, with the WWW-Authenticate value given. Sent only
// once the request's token and MAC were accepted.
response unauthorized(std::string challenge);

// An accepted upload whose body is not kept.
response no_content();

// Any method but GET and HEAD (and PUT of a phone's log file).
response method_not_allowed();

// The database is unreachable: a phone should retry soon.
response service_unavailable();

// The worker could not produce the file (e.g. a value that its format
// cannot carry safely).
response internal_error();

// A file to send, with its strong ETag derived from the body.
response file_response(std::string body, std::string_view content_type);

// The same with an ETag computed before, from make_etag(body).
response file_response(std::string body, std::string_view content_type,
                       std::string etag);

// The 304 for a file whose ETag the client already holds.
response not_modified(const response& file);

// Strong ETag of a body: a quoted hex prefix of its SHA-256.
std::string make_etag(std::string_view body);

// True if an If-None-Match header value names etag (or is "*"), using the
// weak comparison of RFC 9110, section 13.1.2.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// The value of a header, or an empty view.
std::string_view header_value(const response& r, std::string_view name);

// "200 OK", "404 Not Found", ...
std::string status_line(int status);

} // namespace provgate
