// The re-sync NOTIFY that provgatectl notify sends: which event each vendor
// listens for, and the request itself. Pure: the transport is
// sip_transport's, the grammar libosip2's (through sip_message).

#include "provgate/sip_notify.hpp"

#include "provgate/sip_message.hpp"

#include <utility>

namespace provgate {

std::optional<notify_target> parse_notify_target(std::string_view text) {
    const auto uri = parse_sip_uri(text);
    if (!uri || uri->host.empty() ||
        (uri->transport != "" && uri->transport != "udp" &&
         uri->transport != "tcp")) {
        return std::nullopt;
    }
    notify_target target;
    target.uri = std::string(text);
    target.host = uri->host;
    target.port = uri->port == 0 ? 5060 : uri->port;
    target.tcp = uri->transport == "tcp";
    return target;
}


bool event_has_reboot_flag(std::string_view vendor) {
    return vendor == "snom" || vendor == "gigaset";
}


std::string check_sync_event(std::string_view vendor, bool reboot) {
    // Cisco SPA and MPP phones resync on "Event: resync"; snom and Gigaset
    // read the reboot choice from the event parameter; Yealink, Polycom,
    // Grandstream, Fanvil and Htek act on a plain check-sync (PHONES.md,
    // "Pushing the URL and re-sync over SIP").
    if (vendor == "cisco") {
        return "resync";
    }
    if (event_has_reboot_flag(vendor)) {
        return reboot ? "check-sync;reboot=true" : "check-sync;reboot=false";
    }
    return "check-sync";
}


notify_ids new_notify_ids(const std::string& local_host) {
    return notify_ids{"z9hG4bK" + random_hex(24), random_hex(16),
                      random_hex(32) + "@" + local_host};
}


std::string build_check_sync(const notify_target& target,
                             const std::string& event,
                             const std::string& local_host, int local_port,
                             const notify_ids& ids) {
    const std::string transport = target.tcp ? "TCP" : "UDP";
    const std::string local = local_host + ":" + std::to_string(local_port);
    // RFC 3261, section 8.1.1: the headers every request carries; rport
    // (RFC 3581) asks the phone to answer to the port we sent from.
    return build_request(
        "NOTIFY", target.uri,
        {
            {"Via", "SIP/2.0/" + transport + " " + local +
                        ";branch=" + ids.branch + ";rport"},
            {"Max-Forwards", "70"},
            {"From", "<sip:provgate@" + local_host + ">;tag=" + ids.from_tag},
            {"To", "<" + target.uri + ">"},
            {"Call-ID", ids.call_id},
            {"CSeq", "1 NOTIFY"},
            {"Contact", "<sip:provgate@" + local +
                            (target.tcp ? ";transport=tcp" : "") + ">"},
            {"Event", event},
            {"User-Agent", "provgate"},
        });
}

} // namespace provgate
