#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace provgate {

// A SIP message that cannot be built from the parts given (libosip2 refused
// a header value); what() names the header.
class sip_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One header line as written: "Name: value".
struct sip_header {
    std::string name;
    std::string value;
};

// A SIP or SIPS URI taken apart (RFC 3261, section 19.1.1). user keeps the
// whole userinfo, so "sip:MAC:0004f2...@h" gives user "MAC:0004f2...".
struct sip_uri {
    std::string user;
    std::string host;
    int port = 0;          // 0: none given
    std::string transport; // the transport parameter, lower case, or ""
};

// Parses a SIP URI with libosip2; nullopt if it is not one.
std::optional<sip_uri> parse_sip_uri(std::string_view text);

// A received message, parsed by libosip2 and owned by this object.
class sip_message {
public:
    // nullopt for anything libosip2 does not accept as a SIP message.
    static std::optional<sip_message> parse(std::string_view bytes);

    sip_message(sip_message&&) noexcept;
    sip_message& operator=(sip_message&&) noexcept;
    ~sip_message();

    bool is_request() const;
    std::string method() const; // of a request, or of the CSeq of a response
    int status() const;         // of a response, else 0
    std::string reason() const;

    // The request target, or nullopt if it is not a SIP URI.
    std::optional<sip_uri> request_uri() const;

    // First value of a header by case-insensitive name (long form), or "".
    std::string header(std::string_view name) const;

    // Every Via, From, To, Call-ID and CSeq as libosip2 writes them back: what
    // a response must echo (RFC 3261, section 8.2.6.2).
    std::vector<std::string> vias() const;
    std::string from() const;
    std::string to() const;
    std::string call_id() const;
    std::string cseq() const;

    std::string top_via_branch() const; // "" if none
    std::string top_via_host() const;   // sent-by host
    int top_via_port() const;           // sent-by port, 0 if absent
    bool top_via_has_rport() const;     // RFC 3581
    std::string to_tag() const;         // "" if none
    std::optional<sip_uri> contact_uri() const;
    std::string body() const;

    struct impl;

private:
    explicit sip_message(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

// Writes a request line, the headers in order and the body, with
// Content-Length set from the body. Throws sip_error if libosip2 rejects the
// URI or a header.
std::string build_request(const std::string& method, const std::string& uri,
                          const std::vector<sip_header>& headers,
                          const std::string& body = "");

// The same for a status line.
std::string build_response(int status, const std::string& reason,
                           const std::vector<sip_header>& headers,
                           const std::string& body = "");

// A random token of n lower-case hex digits for branches, tags and Call-IDs.
// Throws std::system_error if the kernel cannot supply random bytes.
std::string random_hex(std::size_t n);

} // namespace provgate
