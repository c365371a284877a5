// The SIP side of Plug-and-Play, without I/O: reading the MAC a phone puts
// in its SUBSCRIBE, the window length an operator types, and building the
// 200 OK and the NOTIFY with the URL. The responder's loop
// (provgate_pnp_main.cpp) and its database work (sip_pnp_store) use these.

#include "provgate/sip_pnp.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace provgate {

namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) !=
            std::tolower(static_cast<unsigned char>(prefix[i]))) {
            return false;
        }
    }
    return true;
}


std::string trim(std::string_view text) {
    const std::size_t begin = text.find_first_not_of(" \t");
    if (begin == std::string_view::npos) {
        return "";
    }
    const std::size_t end = text.find_last_not_of(" \t");
    return std::string(text.substr(begin, end - begin + 1));
}

} // namespace


std::optional<mac_address> mac_from_request_user(std::string_view user) {
    if (!starts_with_nocase(user, "MAC")) {
        return std::nullopt;
    }
    std::string_view rest = user.substr(3);
    // The separators phones use between "MAC" and the address, the escaped
    // colon first (PHONES.md, "Plug-and-Play").
    for (const std::string_view sep : {"%3a", ":", "="}) {
        if (starts_with_nocase(rest, sep)) {
            rest.remove_prefix(sep.size());
            break;
        }
    }
    if (rest.size() > 17) {
        return std::nullopt;
    }
    return mac_address::parse(rest);
}


bool is_ua_profile_event(std::string_view event) {
    const std::string package = trim(event.substr(0, event.find(';')));
    return package.size() == 10 && starts_with_nocase(package, "ua-profile");
}


std::optional<std::chrono::seconds> parse_window(std::string_view text) {
    if (text.size() < 2 || text.size() > 8) {
        return std::nullopt;
    }
    long long n = 0;
    for (const char c : text.substr(0, text.size() - 1)) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
            return std::nullopt;
        }
        n = n * 10 + (c - '0');
    }
    long long unit = 0;
    switch (text.back()) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return std::nullopt;
    }
    const std::chrono::seconds window(n * unit);
    if (window < std::chrono::seconds(1) ||
        window > std::chrono::hours(24 * 7)) {
        return std::nullopt;
    }
    return window;
}


std::string build_subscribe_ok(const sip_message& subscribe,
                               const std::string& to_tag,
                               const std::string& contact) {
    std::vector<sip_header> headers;
    for (const std::string& via : subscribe.vias()) {
        headers.push_back({"Via", via});
    }
    const std::string to = subscribe.to_tag().empty()
                               ? subscribe.to() + ";tag=" + to_tag
                               : subscribe.to();
    headers.push_back({"From", subscribe.from()});
    headers.push_back({"To", to});
    headers.push_back({"Call-ID", subscribe.call_id()});
    headers.push_back({"CSeq", subscribe.cseq()});
    headers.push_back({"Contact", contact});
    headers.push_back({"Expires", "0"});
    return build_response(200, "OK", headers);
}


std::string build_pnp_notify(const sip_message& subscribe,
                             const std::string& to_tag,
                             const std::string& local_host, int local_port,
                             const std::string& branch,
                             const std::string& url) {
    const std::string local = local_host + ":" + std::to_string(local_port);
    // In the dialog the SUBSCRIBE created, our From is its To (with our
    // tag) and our To is its From (RFC 3261, section 12.2.1.1); the target
    // is the phone's Contact, or its From URI when it sent none.
    std::string from = subscribe.to();
    if (subscribe.to_tag().empty()) {
        from += ";tag=" + to_tag;
    }
    std::string target;
    if (const auto contact = subscribe.contact_uri()) {
        target = "sip:" + (contact->user.empty() ? "" : contact->user + "@") +
                 contact->host +
                 (contact->port ? ":" + std::to_string(contact->port) : "");
    } else {
        const std::string f = subscribe.from();
        const std::size_t lt = f.find('<');
        const std::size_t gt = f.find('>', lt);
        target = lt != std::string::npos && gt != std::string::npos
                     ? f.substr(lt + 1, gt - lt - 1)
                     : f.substr(0, f.find(';'));
    }
    return build_request(
        "NOTIFY", target,
        {
            {"Via", "SIP/2.0/UDP " + local + ";branch=" + branch + ";rport"},
            {"Max-Forwards", "70"},
            {"From", from},
            {"To", subscribe.from()},
            {"Call-ID", subscribe.call_id()},
            {"CSeq", "1 NOTIFY"},
            {"Contact", "<sip:provgate@" + local + ">"},
            {"Event", subscribe.header("Event")},
            {"Subscription-State", "terminated;reason=timeout"},
            {"Content-Type", "application/url"},
            {"User-Agent", "provgate-pnp"},
        },
        url);
}


sockaddr_in response_destination(const sip_message& request,
                                 const sockaddr_in& source) {
    sockaddr_in dest = source;
    if (!request.top_via_has_rport()) {
        const int port = request.top_via_port();
        dest.sin_port = htons(static_cast<std::uint16_t>(port ? port : 5060));
    }
    return dest;
}


sockaddr_in notify_destination(const sip_message& subscribe,
                               const sockaddr_in& source) {
    const auto contact = subscribe.contact_uri();
    in_addr addr{};
    if (contact && inet_pton(AF_INET, contact->host.c_str(), &addr) == 1 &&
        addr.s_addr != htonl(INADDR_ANY)) {
        sockaddr_in dest{};
        dest.sin_family = AF_INET;
        dest.sin_addr = addr;
        dest.sin_port = htons(
            static_cast<std::uint16_t>(contact->port ? contact->port : 5060));
        return dest;
    }
    return response_destination(subscribe, source);
}

} // namespace provgate
