// The status listener: /healthz and /metrics for load balancers, rolling
// restarts and Prometheus, on an address of its own (admin_listen) so that
// they never appear on the phones' listener. It speaks just enough
// HTTP/1.0 (RFC 1945) for curl and a Prometheus scraper: one request per
// connection, answered and closed.

#include "provgate/status_server.hpp"

#include "provgate/http.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace provgate {

namespace {

constexpr std::size_t max_request_head = 4096;


// The request head, up to its blank line; empty if the client sends
// nothing useful within the receive timeout.
std::string read_head(int fd) {
    std::string head;
    char buffer[1024];
    while (head.size() < max_request_head &&
           head.find("\r\n\r\n") == std::string::npos &&
           head.find("\n\n") == std::string::npos) {
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) {
            break;
        }
        head.append(buffer, static_cast<std::size_t>(got));
    }
    return head;
}


status_page route(const std::string& head, const status_pages& pages,
                  bool& is_metrics) {
    const std::string_view line(head.data(), head.find_first_of("\r\n"));
    const std::size_t method_end = line.find(' ');
    const std::size_t target_end = line.find(' ', method_end + 1);
    if (method_end == std::string_view::npos) {
        return {400, "bad request\n"};
    }
    const std::string_view method = line.substr(0, method_end);
    std::string_view target =
        line.substr(method_end + 1, target_end - method_end - 1);
    target = target.substr(0, target.find('?'));

    if (target != "/healthz" && target != "/metrics") {
        return {404, "not found\n"};
    }
    if (method != "GET" && method != "HEAD") {
        return {405, "method not allowed\n"};
    }
    if (target == "/healthz") {
        return pages.health();
    }
    is_metrics = true;
    return {200, pages.metrics()};
}


void answer(int fd, const status_pages& pages) {
    const timeval timeout{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));

    const std::string head = read_head(fd);
    bool is_metrics = false;
    status_page page;
    try {
        page = route(head, pages, is_metrics);
    } catch (const std::exception&) {
        page = {500, "internal error\n"};
    }

    // The Prometheus text format's own content type (version 0.0.4).
    const char* type = is_metrics ? "text/plain; version=0.0.4; charset=utf-8"
                                  : "text/plain; charset=utf-8";
    std::string out = "HTTP/1.0 " + status_line(page.status) + "\r\n";
    out += "Content-Type: " + std::string(type) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    out += "Content-Length: " + std::to_string(page.body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (!head.starts_with("HEAD ")) {
        out += page.body;
    }

    std::size_t sent = 0;
    while (sent < out.size()) {
        const ssize_t n =
            ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        sent += static_cast<std::size_t>(n);
    }
}

} // namespace


void serve_status(int listen_fd, const status_pages& pages,
                  const wakeup_latch& stop) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
    for (;;) {
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
            break;
        }
        if (fds[1].revents != 0) {
            break;
        }
        if (fds[0].revents == 0) {
            continue;
        }
        const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        answer(fd, pages);
        ::close(fd);
    }
    ::close(listen_fd);
}

} // namespace provgate
