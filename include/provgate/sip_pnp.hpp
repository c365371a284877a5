#pragma once

#include <netinet/in.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "provgate/mac_address.hpp"
#include "provgate/sip_message.hpp"

namespace provgate {

// The MAC in the user part of a PnP SUBSCRIBE's Request-URI: "MAC%3a<mac>",
// "MAC:<mac>", "MAC=<mac>" or "MAC<mac>", case-insensitive, the MAC with or
// without separators. nullopt for anything else.
std::optional<mac_address> mac_from_request_user(std::string_view user);

// True if an Event header value names the ua-profile package (RFC 6080,
// section 4.1), whatever its parameters.
bool is_ua_profile_event(std::string_view event);

// An operator's window length: "<n>s", "<n>m", "<n>h" or "<n>d", from one
// second to seven days. nullopt for anything else.
std::optional<std::chrono::seconds> parse_window(std::string_view text);

// The 200 OK to a SUBSCRIBE (RFC 3261, section 8.2.6.2: Via, From, Call-ID
// and CSeq echoed, To with our tag; RFC 6665, section 4.2.1.1: Expires 0
// ends the subscription after the one NOTIFY). Throws sip_error.
std::string build_subscribe_ok(const sip_message& subscribe,
                               const std::string& to_tag,
                               const std::string& contact);

// The NOTIFY that carries the device's URL inside the SUBSCRIBE's dialog
// (RFC 6080, section 4.1.4; RFC 6665, section 4.2.2): our tag on From,
// the phone's on To, Event echoed, the subscription terminated and the URL
// as an application/url body. Throws sip_error.
std::string build_pnp_notify(const sip_message& subscribe,
                             const std::string& to_tag,
                             const std::string& local_host, int local_port,
                             const std::string& branch, const std::string& url);

// Where a response to a request received over UDP from source goes (RFC
// 3261, section 18.2.2, with RFC 3581 rport): the source address, and the
// source port if rport was asked for, else the Via port (default 5060).
sockaddr_in response_destination(const sip_message& request,
                                 const sockaddr_in& source);

// Where the NOTIFY goes: the Contact's numeric IPv4 address and port if it
// has one, else where the response went.
sockaddr_in notify_destination(const sip_message& subscribe,
                               const sockaddr_in& source);

} // namespace provgate
