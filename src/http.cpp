// The few HTTP responses the worker sends, and the ETag rules it follows.
// Error responses are fixed byte strings so that no two failures differ.

#include "provgate/http.hpp"

#include "provgate/token.hpp"

#include <string>

namespace provgate {

namespace {

constexpr std::string_view not_found_body = "not found\n";


response plain(int status, std::string_view body) {
    response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    r.body = std::string(body);
    return r;
}


std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

} // namespace


response not_found() {
    return plain(404, not_found_body);
}


response unauthorized(std::string challenge) {
    response r = plain(401, "unauthorized\n");
    r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
    return r;
}


response no_content() {
    response r;
    r.status = 204;
    return r;
}


response method_not_allowed() {
    response r = plain(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
}


response service_unavailable() {
    response r = plain(503, "service unavailable\n");
    r.headers.emplace_back("Retry-After", "10");
    return r;
}


response internal_error() {
    return plain(500, "internal server error\n");
}


response file_response(std::string body, std::string_view content_type) {
    std::string etag = make_etag(body);
    return file_response(std::move(body), content_type, std::move(etag));
}


response file_response(std::string body, std::string_view content_type,
                       std::string etag) {
    response r;
    r.headers.emplace_back("Content-Type", std::string(content_type));
    r.headers.emplace_back("ETag", std::move(etag));
    r.body = std::move(body);
    return r;
}


response not_modified(const response& file) {
    response r;
    r.status = 304;
    r.headers.emplace_back("ETag", std::string(header_value(file, "ETag")));
    return r;
}


std::string make_etag(std::string_view body) {
    const token_digest digest = sha256(body);

    constexpr char hex[] = "0123456789abcdef";
    std::string etag = "\"";
    for (std::size_t i = 0; i < 16; ++i) {
        etag += hex[digest[i] >> 4];
        etag += hex[digest[i] & 0x0f];
    }
    etag += '"';
    return etag;
}


bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    if (trim(if_none_match) == "*") {
        return true;
    }

    std::size_t begin = 0;
    while (begin < if_none_match.size()) {
        std::size_t end = if_none_match.find(',', begin);
        if (end == std::string_view::npos) {
            end = if_none_match.size();
        }
        std::string_view candidate =
            trim(if_none_match.substr(begin, end - begin));
        if (candidate.starts_with("W/")) {
            candidate.remove_prefix(2);
        }
        if (candidate == etag) {
            return true;
        }
        begin = end + 1;
    }
    return false;
}


std::string_view header_value(const response& r, std::string_view name) {
    for (const auto& [key, value] : r.headers) {
        if (key == name) {
            return value;
        }
    }
    return {};
}


std::string status_line(int status) {
    switch (status) {
    case 200:
        return "200 OK";
    case 204:
        return "204 No Content";
    case 304:
        return "304 Not Modified";
    case 400:
        return "400 Bad Request";
    case 401:
        return "401 Unauthorized";
    case 404:
        return "404 Not Found";
    case 405:
        return "405 Method Not Allowed";
    case 500:
        return "500 Internal Server Error";
    case 503:
        return "503 Service Unavailable";
    default:
        return std::to_string(status);
    }
}

} // namespace provgate
