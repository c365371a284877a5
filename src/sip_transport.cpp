// Moving SIP messages over UDP and TCP: sockets, the retransmission timers
// of a non-INVITE client transaction (RFC 3261, section 17.1.2) and the
// matching of responses to it by Via branch (section 17.1.3). What the
// messages say is sip_message's business.

#include "provgate/sip_transport.hpp"

#include "provgate/sip_message.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace provgate {

namespace {

using clock = retransmit_schedule::clock;


// Closes a descriptor when it goes out of scope.
class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    ~fd_guard() {
        if (fd_ >= 0) {
            close(fd_);
        }
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;

    int get() const {
        return fd_;
    }

private:
    int fd_;
};


[[noreturn]] void fail(const std::string& what) {
    throw sip_transport_error(what + ": " + std::strerror(errno));
}


int poll_ms(clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
}


// The final response to our branch, if bytes are one; provisional
// responses are reported through provisional.
std::optional<sip_message> match_response(std::string_view bytes,
                                          const std::string& branch) {
    auto msg = sip_message::parse(bytes);
    if (!msg || msg->is_request() || msg->top_via_branch() != branch) {
        return std::nullopt;
    }
    return msg;
}


void send_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n =
            send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fail("could not send SIP request");
        }
        sent += static_cast<std::size_t>(n);
    }
}


// Where a message framed on a stream ends (RFC 3261, section 18.3:
// Content-Length is mandatory over TCP), or 0 if more bytes are needed.
std::size_t stream_message_end(const std::string& buffer) {
    const std::size_t head_end = buffer.find("\r\n\r\n");
    if (head_end == std::string::npos) {
        return 0;
    }
    std::size_t length = 0;
    std::string head = buffer.substr(0, head_end + 2);
    std::transform(head.begin(), head.end(), head.begin(), ::tolower);
    for (const char* name : {"\r\ncontent-length:", "\r\nl:"}) {
        const std::size_t at = head.find(name);
        if (at != std::string::npos) {
            length = std::strtoul(head.c_str() + at + std::strlen(name),
                                  nullptr, 10);
            break;
        }
    }
    const std::size_t end = head_end + 4 + length;
    return buffer.size() >= end ? end : 0;
}

} // namespace


retransmit_schedule::retransmit_schedule(const sip_timers& timers,
                                         clock::time_point start)
    : timers_(timers), interval_(timers.t1), next_(start + timers.t1),
      deadline_(start + timers.timeout) {}


void retransmit_schedule::retransmitted(clock::time_point now) {
    ++transmissions_;
    if (!proceeding_) {
        interval_ = std::min(interval_ * 2, timers_.t2);
    }
    next_ = now + interval_;
}


void retransmit_schedule::provisional(clock::time_point now) {
    proceeding_ = true;
    interval_ = timers_.t2;
    next_ = now + interval_;
}


sockaddr_in resolve_ipv4(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
        throw sip_transport_error("could not resolve host \"" + host +
                                  "\": " + gai_strerror(rc));
    }
    sockaddr_in addr{};
    std::memcpy(&addr, found->ai_addr, sizeof(addr));
    freeaddrinfo(found);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    return addr;
}


std::string to_string(const sockaddr_in& addr) {
    std::array<char, INET_ADDRSTRLEN> text{};
    inet_ntop(AF_INET, &addr.sin_addr, text.data(), text.size());
    return std::string(text.data()) + ":" +
           std::to_string(ntohs(addr.sin_port));
}


std::string local_address_toward(const sockaddr_in& dest) {
    // Connecting a UDP socket sends nothing; it only asks the kernel for
    // the route and the source address it would use.
    const fd_guard fd(socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    if (fd.get() < 0 ||
        connect(fd.get(), reinterpret_cast<const sockaddr*>(&dest),
                sizeof(dest)) != 0 ||
        getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) {
        fail("could not find a route to \"" + to_string(dest) + "\"");
    }
    std::array<char, INET_ADDRSTRLEN> text{};
    inet_ntop(AF_INET, &local.sin_addr, text.data(), text.size());
    return text.data();
}


int open_udp_socket(const std::string& host, int port) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail("could not create UDP socket");
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in addr = resolve_ipv4(host, port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        const int saved = errno;
        close(fd);
        errno = saved;
        fail("could not bind UDP socket to \"" + host + ":" +
             std::to_string(port) + "\"");
    }
    return fd;
}


void join_multicast(int fd, const std::string& group,
                    const std::string& interface_addr) {
    ip_mreq req{};
    if (inet_pton(AF_INET, group.c_str(), &req.imr_multiaddr) != 1 ||
        inet_pton(AF_INET, interface_addr.c_str(), &req.imr_interface) != 1) {
        throw sip_transport_error("invalid multicast group \"" + group +
                                  "\" or interface \"" + interface_addr + "\"");
    }
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &req, sizeof(req)) != 0) {
        fail("could not join multicast group \"" + group + "\"");
    }
}


sip_exchange send_udp_request(const sockaddr_in& dest,
                              const request_builder& build,
                              const std::string& branch,
                              const sip_timers& timers) {
    const std::string local_host = local_address_toward(dest);
    const fd_guard fd(open_udp_socket(local_host, 0));
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len);
    const std::string request = build(local_host, ntohs(local.sin_port));

    // The socket stays unconnected: a response may come from another
    // address than the one we sent to (RFC 3261, section 18.2.2), and an
    // ICMP error for a lost datagram must not end the transaction early.
    auto send_once = [&] {
        if (sendto(fd.get(), request.data(), request.size(), 0,
                   reinterpret_cast<const sockaddr*>(&dest),
                   sizeof(dest)) < 0) {
            fail("could not send SIP request to \"" + to_string(dest) + "\"");
        }
    };
    send_once();
    retransmit_schedule schedule(timers, clock::now());

    std::array<char, 65536> buffer{};
    while (clock::now() < schedule.deadline()) {
        const auto wake =
            std::min(schedule.next_retransmit(), schedule.deadline());
        pollfd p{fd.get(), POLLIN, 0};
        const int ready = poll(&p, 1, poll_ms(wake));
        if (ready < 0 && errno != EINTR) {
            fail("could not wait for SIP response");
        }
        if (ready > 0) {
            const ssize_t n = recv(fd.get(), buffer.data(), buffer.size(), 0);
            if (n <= 0) {
                continue; // ICMP errors surface here; keep waiting
            }
            const auto response = match_response(
                std::string_view(buffer.data(), static_cast<std::size_t>(n)),
                branch);
            if (response && response->status() >= 200) {
                return {response->status(), response->reason(),
                        schedule.transmissions()};
            }
            if (response) {
                schedule.provisional(clock::now());
            }
            continue;
        }
        if (clock::now() >= schedule.next_retransmit() &&
            clock::now() < schedule.deadline()) {
            send_once();
            schedule.retransmitted(clock::now());
        }
    }
    return {0, "", schedule.transmissions()};
}


sip_exchange send_tcp_request(const sockaddr_in& dest,
                              const request_builder& build,
                              const std::string& branch,
                              const sip_timers& timers) {
    const auto deadline = clock::now() + timers.timeout;
    const fd_guard fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0 ||
        connect(fd.get(), reinterpret_cast<const sockaddr*>(&dest),
                sizeof(dest)) != 0) {
        fail("could not connect to \"" + to_string(dest) + "\"");
    }
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len);
    std::array<char, INET_ADDRSTRLEN> host{};
    inet_ntop(AF_INET, &local.sin_addr, host.data(), host.size());
    send_all(fd.get(), build(host.data(), ntohs(local.sin_port)));

    std::string buffer;
    std::array<char, 4096> chunk{};
    while (clock::now() < deadline) {
        pollfd p{fd.get(), POLLIN, 0};
        if (poll(&p, 1, poll_ms(deadline)) <= 0) {
            continue;
        }
        const ssize_t n = recv(fd.get(), chunk.data(), chunk.size(), 0);
        if (n <= 0) {
            throw sip_transport_error("connection to \"" + to_string(dest) +
                                      "\" closed before a final response");
        }
        buffer.append(chunk.data(), static_cast<std::size_t>(n));
        while (const std::size_t end = stream_message_end(buffer)) {
            const auto response =
                match_response(std::string_view(buffer).substr(0, end), branch);
            buffer.erase(0, end);
            if (response && response->status() >= 200) {
                return {response->status(), response->reason(), 1};
            }
        }
        if (buffer.size() > 65536) {
            throw sip_transport_error("response from \"" + to_string(dest) +
                                      "\" is too large");
        }
    }
    return {0, "", 1};
}

} // namespace provgate
