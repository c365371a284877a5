// provgate-pnp: the SIP Plug-and-Play responder. It reads SUBSCRIBEs with
// Event: ua-profile on the PnP multicast group (and a unicast address),
// asks the database whether the MAC may have its URL now, and if so
// answers 200 OK and sends the URL in a NOTIFY, retransmitted on the RFC
// 3261 timers until the phone answers. Everything else gets silence: on a
// multicast group, another server may be the one that answers.

#include "provgate/config.hpp"
#include "provgate/log.hpp"
#include "provgate/sip_message.hpp"
#include "provgate/sip_pnp.hpp"
#include "provgate/sip_pnp_store.hpp"
#include "provgate/sip_transport.hpp"
#include "provgate/token.hpp"

#include <CLI/CLI.hpp>
#include <pqxx/except>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <iostream>
#include <map>

namespace {

using clock_type = provgate::retransmit_schedule::clock;

volatile std::sig_atomic_t stopping = 0;

// How many handled SUBSCRIBEs are remembered for their retransmissions.
constexpr std::size_t max_remembered = 10000;


void on_signal(int) {
    stopping = 1;
}


// A NOTIFY waiting for the phone's final response.
struct pending_notify {
    int fd;
    sockaddr_in dest;
    std::string bytes;
    provgate::retransmit_schedule schedule;
    std::string mac;
    std::string token_prefix;
};


// What we sent for a SUBSCRIBE we already handled, so that its
// retransmissions get the same answer (RFC 3261, section 17.2.2) instead of
// a new token: the 200 OK, or nothing for a refusal.
struct handled_subscribe {
    std::string response;
    clock_type::time_point forget_at;
};


// The local host and port a message sent from fd to dest leaves from.
std::pair<std::string, int> local_endpoint(int fd, const sockaddr_in& dest) {
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    const int port = ntohs(local.sin_port);
    if (local.sin_addr.s_addr == htonl(INADDR_ANY)) {
        return {provgate::local_address_toward(dest), port};
    }
    std::array<char, INET_ADDRSTRLEN> text{};
    inet_ntop(AF_INET, &local.sin_addr, text.data(), text.size());
    return {text.data(), port};
}


void send_to(int fd, const std::string& bytes, const sockaddr_in& dest) {
    if (sendto(fd, bytes.data(), bytes.size(), 0,
               reinterpret_cast<const sockaddr*>(&dest), sizeof(dest)) < 0) {
        PROVGATE_LOG(warning) << "could not send SIP message to \""
                              << provgate::to_string(dest) << "\"";
    }
}


class responder {
public:
    responder(const provgate::config& cfg, provgate::pnp_store& store)
        : cfg_(cfg), store_(store) {
        timers_.t1 = std::chrono::milliseconds(cfg.pnp.t1_ms);
        timers_.timeout = std::chrono::milliseconds(cfg.pnp.timeout_ms);
    }

    void run(const std::vector<int>& fds);

private:
    void on_datagram(int fd, std::string_view bytes, const sockaddr_in& from);
    void on_subscribe(int fd, const provgate::sip_message& msg,
                      const sockaddr_in& from);
    std::optional<provgate::pnp_decision>
    decide(const provgate::sip_message& msg, const sockaddr_in& from,
           const std::optional<provgate::mac_address>& mac,
           const std::string& token);
    void answer(int fd, const provgate::sip_message& msg,
                const sockaddr_in& from, const std::string& key,
                const std::optional<provgate::mac_address>& mac);
    void on_response(const provgate::sip_message& msg);
    void on_timers();
    clock_type::time_point next_wake() const;

    const provgate::config& cfg_;
    provgate::pnp_store& store_;
    provgate::sip_timers timers_;
    std::map<std::string, pending_notify> pending_;
    std::map<std::string, handled_subscribe> handled_;
    bool db_down_ = false;
};


void responder::run(const std::vector<int>& fds) {
    std::vector<pollfd> polls;
    for (const int fd : fds) {
        polls.push_back({fd, POLLIN, 0});
    }
    std::array<char, 65536> buffer{};
    while (stopping == 0) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            next_wake() - clock_type::now());
        const int ready =
            poll(polls.data(), polls.size(),
                 static_cast<int>(std::max<long long>(
                     0, std::min<long long>(wait.count(), 1000))));
        for (std::size_t i = 0; ready > 0 && i < polls.size(); ++i) {
            if ((polls[i].revents & POLLIN) == 0) {
                continue;
            }
            sockaddr_in from{};
            socklen_t len = sizeof(from);
            const ssize_t n =
                recvfrom(polls[i].fd, buffer.data(), buffer.size(), MSG_TRUNC,
                         reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0 || static_cast<std::size_t>(n) > buffer.size()) {
                PROVGATE_LOG(debug) << "ignored oversized or empty datagram"
                                    << " bytes=" << n;
                continue;
            }
            // One bad message must not stop the responder: a header that
            // libosip2 parsed but will not write back is dropped here.
            try {
                on_datagram(polls[i].fd,
                            std::string_view(buffer.data(),
                                             static_cast<std::size_t>(n)),
                            from);
            } catch (const std::exception& e) {
                PROVGATE_LOG(warning)
                    << "could not answer SIP message: " << e.what()
                    << " client=" << provgate::to_string(from);
            }
        }
        on_timers();
    }
}


clock_type::time_point responder::next_wake() const {
    auto wake = clock_type::now() + std::chrono::seconds(1);
    for (const auto& [branch, p] : pending_) {
        wake = std::min(
            {wake, p.schedule.next_retransmit(), p.schedule.deadline()});
    }
    return wake;
}


void responder::on_datagram(int fd, std::string_view bytes,
                            const sockaddr_in& from) {
    const auto msg = provgate::sip_message::parse(bytes);
    if (!msg) {
        PROVGATE_LOG(debug) << "ignored datagram: not a SIP message"
                            << " bytes=" << bytes.size()
                            << " client=" << provgate::to_string(from);
        return;
    }
    if (!msg->is_request()) {
        on_response(*msg);
    } else if (msg->method() == "SUBSCRIBE" &&
               provgate::is_ua_profile_event(msg->header("Event"))) {
        on_subscribe(fd, *msg, from);
    } else {
        PROVGATE_LOG(debug) << "ignored SIP request method=" << msg->method()
                            << " client=" << provgate::to_string(from);
    }
}


void responder::on_subscribe(int fd, const provgate::sip_message& msg,
                             const sockaddr_in& from) {
    const std::string key =
        msg.top_via_branch() + "|" + msg.call_id() + "|" + msg.cseq();
    if (const auto seen = handled_.find(key); seen != handled_.end()) {
        if (!seen->second.response.empty()) {
            send_to(fd, seen->second.response,
                    provgate::response_destination(msg, from));
        }
        return;
    }

    const auto uri = msg.request_uri();
    answer(fd, msg, from, key,
           uri ? provgate::mac_from_request_user(uri->user) : std::nullopt);
}


std::optional<provgate::pnp_decision>
responder::decide(const provgate::sip_message& msg, const sockaddr_in& from,
                  const std::optional<provgate::mac_address>& mac,
                  const std::string& token) {
    const std::string client = provgate::to_string(from);
    const auto uri = msg.request_uri();
    const provgate::pnp_subscribe request{
        mac,
        client.substr(0, client.rfind(':')),
        uri ? uri->user + "@" + uri->host : "",
        msg.header("Event"),
        msg.header("User-Agent"),
    };
    try {
        auto decision = store_.answer(request, provgate::hash_token(token),
                                      provgate::token_prefix(token));
        if (db_down_) {
            PROVGATE_LOG(info) << "database is reachable again";
            db_down_ = false;
        }
        return decision;
    } catch (const pqxx::failure& e) {
        if (!db_down_) {
            PROVGATE_LOG(error) << "could not reach database: " << e.what();
            db_down_ = true;
        }
        return std::nullopt; // no answer: the phone retransmits or asks again
    }
}


void responder::answer(int fd, const provgate::sip_message& msg,
                       const sockaddr_in& from, const std::string& key,
                       const std::optional<provgate::mac_address>& mac) {
    const std::string token = provgate::mint_token();
    const std::string prefix = provgate::token_prefix(token);
    const std::string mac_text = mac ? mac->to_string() : "-";
    const auto decision = decide(msg, from, mac, token);
    if (!decision) {
        return;
    }

    const auto forget_at = clock_type::now() + timers_.timeout;
    if (decision->outcome != "answered") {
        // A flood of distinct SUBSCRIBEs must not grow this without bound;
        // a refusal that is forgotten is only audited once more.
        if (handled_.size() < max_remembered) {
            handled_[key] = {"", forget_at};
        }
        PROVGATE_LOG(debug)
            << "pnp refused outcome=" << decision->outcome
            << " mac=" << mac_text << " client=" << provgate::to_string(from);
        return;
    }

    const std::string to_tag = provgate::random_hex(16);
    const sockaddr_in notify_to = provgate::notify_destination(msg, from);
    const auto [host, port] = local_endpoint(fd, notify_to);
    const std::string ok = provgate::build_subscribe_ok(
        msg, to_tag,
        "<sip:provgate@" + host + ":" + std::to_string(port) + ">");
    send_to(fd, ok, provgate::response_destination(msg, from));
    handled_[key] = {ok, forget_at};

    const std::string url = cfg_.base_url + "/" + token + "/";
    const std::string branch = "z9hG4bK" + provgate::random_hex(24);
    const std::string notify =
        provgate::build_pnp_notify(msg, to_tag, host, port, branch, url);
    send_to(fd, notify, notify_to);
    pending_.emplace(branch, pending_notify{fd, notify_to, notify,
                                            provgate::retransmit_schedule(
                                                timers_, clock_type::now()),
                                            mac_text, prefix});
    PROVGATE_LOG(info) << "pnp answered mac=" << mac_text
                       << " vendor=" << decision->vendor << " token=" << prefix
                       << " client=" << provgate::to_string(from)
                       << " notify_to=" << provgate::to_string(notify_to);
}


void responder::on_response(const provgate::sip_message& msg) {
    const auto p = pending_.find(msg.top_via_branch());
    if (p == pending_.end() || msg.method() != "NOTIFY") {
        return;
    }
    if (msg.status() < 200) {
        p->second.schedule.provisional(clock_type::now());
        return;
    }
    if (msg.status() < 300) {
        PROVGATE_LOG(info) << "pnp notify accepted mac=" << p->second.mac
                           << " token=" << p->second.token_prefix
                           << " status=" << msg.status();
    } else {
        PROVGATE_LOG(warning)
            << "pnp notify refused by phone mac=" << p->second.mac
            << " status=" << msg.status();
    }
    pending_.erase(p);
}


void responder::on_timers() {
    const auto now = clock_type::now();
    for (auto it = pending_.begin(); it != pending_.end();) {
        pending_notify& p = it->second;
        if (now >= p.schedule.deadline()) {
            PROVGATE_LOG(warning)
                << "pnp notify timed out mac=" << p.mac
                << " transmissions=" << p.schedule.transmissions();
            it = pending_.erase(it);
            continue;
        }
        if (now >= p.schedule.next_retransmit()) {
            send_to(p.fd, p.bytes, p.dest);
            p.schedule.retransmitted(now);
        }
        ++it;
    }
    std::erase_if(handled_, [&](const auto& entry) {
        return now >= entry.second.forget_at;
    });
}


std::vector<int> open_sockets(const provgate::pnp_settings& pnp) {
    std::vector<int> fds;
    if (!pnp.unicast.empty()) {
        const std::size_t colon = pnp.unicast.rfind(':');
        fds.push_back(provgate::open_udp_socket(
            pnp.unicast.substr(0, colon),
            std::stoi(pnp.unicast.substr(colon + 1))));
    }
    if (!pnp.multicast.empty()) {
        const std::size_t colon = pnp.multicast.rfind(':');
        // Bound to the wildcard address: a socket bound to the group
        // itself could receive but not send from a unicast source.
        const int fd = provgate::open_udp_socket(
            "0.0.0.0", std::stoi(pnp.multicast.substr(colon + 1)));
        provgate::join_multicast(fd, pnp.multicast.substr(0, colon),
                                 pnp.interface);
        fds.push_back(fd);
    }
    return fds;
}

} // namespace


int main(int argc, char** argv) {
    CLI::App app{"provgate-pnp: SIP Plug-and-Play responder"};
    std::string config_path = "/etc/provgate/provgate.yaml";
    bool check_only = false;
    app.add_option("-c,--config", config_path, "configuration file")
        ->envname("PROVGATE_CONFIG");
    std::string log_file;
    app.add_option("--log-file", log_file,
                   "log file, instead of log.file of the configuration");
    app.add_flag("--check", check_only, "validate the configuration and exit");
    CLI11_PARSE(app, argc, argv);

    provgate::config cfg;
    try {
        cfg = provgate::load_config(config_path);
        if (!cfg.has_pnp) {
            throw provgate::config_error(config_path +
                                         ":1:1: key \"pnp\": missing required "
                                         "section for provgate-pnp");
        }
        if (cfg.pnp.unicast.empty() && cfg.pnp.multicast.empty()) {
            throw provgate::config_error(
                config_path + ":1:1: key \"pnp\": neither \"unicast\" nor "
                              "\"multicast\" is set");
        }
        provgate::init_logging(cfg.log.level,
                               log_file.empty() ? cfg.log.file : log_file);
    } catch (const std::exception& e) {
        std::cerr << "provgate-pnp: " << e.what() << '\n';
        return 2;
    }
    if (check_only) {
        std::cerr << "provgate-pnp: configuration \"" << config_path
                  << "\" is valid\n";
        return 0;
    }

    std::vector<int> fds;
    try {
        fds = open_sockets(cfg.pnp);
    } catch (const std::exception& e) {
        PROVGATE_LOG(error) << e.what();
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    PROVGATE_LOG(info) << "provgate-pnp started unicast=\"" << cfg.pnp.unicast
                       << "\" multicast=\"" << cfg.pnp.multicast
                       << "\" t1_ms=" << cfg.pnp.t1_ms;
    provgate::pnp_store store(cfg.pnp.dsn);
    responder(cfg, store).run(fds);
    PROVGATE_LOG(info) << "provgate-pnp stopped";
    for (const int fd : fds) {
        close(fd);
    }
    return 0;
}
