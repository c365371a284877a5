#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "provgate/mac_address.hpp"

namespace provgate {

// Where provgatectl notify sends: "sip:HOST[:PORT][;transport=udp|tcp]".
struct notify_target {
    std::string uri;  // as given, the Request-URI and To
    std::string host; // IPv4 address or host name
    int port = 5060;
    bool tcp = false;
};

// Parses the --to argument; nullopt unless it is a SIP URI whose transport,
// if given, is udp or tcp.
std::optional<notify_target> parse_notify_target(std::string_view text);

// The Event header of a re-sync NOTIFY that the vendor's phones understand:
// "resync" for Cisco, "check-sync;reboot=true|false" for snom and Gigaset,
// "check-sync" for the others and for an unknown vendor.
std::string check_sync_event(std::string_view vendor, bool reboot);

// True if the vendor's event carries the reboot choice.
bool event_has_reboot_flag(std::string_view vendor);

// The identifiers that make one NOTIFY unique (RFC 3261, sections 8.1.1.3,
// 8.1.1.4 and 8.1.1.7).
struct notify_ids {
    std::string branch; // starts with the magic cookie "z9hG4bK"
    std::string from_tag;
    std::string call_id;
};

// Fresh random identifiers. Throws std::system_error without randomness.
notify_ids new_notify_ids(const std::string& local_host);

// The out-of-dialog re-sync NOTIFY, as sent from local_host:local_port.
// Throws sip_error if a part is not valid SIP.
std::string build_check_sync(const notify_target& target,
                             const std::string& event,
                             const std::string& local_host, int local_port,
                             const notify_ids& ids);

} // namespace provgate
