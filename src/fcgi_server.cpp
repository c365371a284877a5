// The FastCGI side of the worker: the listening socket, one libfcgi accept
// loop per thread, and the translation between FastCGI parameters and the
// request and response values the rest of provgate works with. It also
// knows how to stop: every loop waits on its connection (or the listening
// socket) and on a stop latch, so that SIGTERM can end idle loops while busy
// ones finish.

#include "provgate/fcgi_server.hpp"

#include <fcgiapp.h>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

namespace provgate {

namespace {

constexpr int listen_backlog = 1024;


int open_unix_socket(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) {
        throw std::system_error(ENAMETOOLONG, std::generic_category(),
                                "cannot listen on \"" + path + "\"");
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(),
                                "could not create socket");
    }
    ::unlink(path.c_str()); // a socket left behind by an earlier run
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd, listen_backlog) != 0) {
        const int saved = errno;
        ::close(fd);
        throw std::system_error(saved, std::generic_category(),
                                "could not listen on \"" + path + "\"");
    }
    return fd;
}


int open_tcp_socket(const std::string& listen) {
    const std::size_t colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    const std::string port = listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
        throw std::system_error(EINVAL, std::generic_category(),
                                "could not resolve \"" + listen +
                                    "\": " + gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found,
                                                             freeaddrinfo);

    const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(),
                                "could not create socket");
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 ||
        ::listen(fd, listen_backlog) != 0) {
        const int saved = errno;
        ::close(fd);
        throw std::system_error(saved, std::generic_category(),
                                "could not listen on \"" + listen + "\"");
    }
    return fd;
}


std::string param(const FCGX_Request& req, const char* name) {
    const char* value = FCGX_GetParam(name, req.envp);
    return value != nullptr ? value : "";
}


request read_request(const FCGX_Request& fcgi) {
    request req;
    req.method = param(fcgi, "REQUEST_METHOD");
    req.uri = param(fcgi, "REQUEST_URI");
    req.user_agent = param(fcgi, "HTTP_USER_AGENT");
    req.client_addr = param(fcgi, "REMOTE_ADDR");
    req.if_none_match = param(fcgi, "HTTP_IF_NONE_MATCH");
    req.authorization = param(fcgi, "HTTP_AUTHORIZATION");
    req.request_id = param(fcgi, "PROVGATE_REQUEST_ID");
    req.client_cert_verify = param(fcgi, "SSL_CLIENT_VERIFY");
    req.client_cert_subject = param(fcgi, "SSL_CLIENT_S_DN");
    req.client_cert_issuer = param(fcgi, "SSL_CLIENT_I_DN");
    return req;
}


void write_response(FCGX_Request& fcgi, const response& r, bool head) {
    std::string out = "Status: " + status_line(r.status) + "\r\n";
    out += "Cache-Control: no-store\r\n";
    for (const auto& [name, value] : r.headers) {
        out += name + ": " + value + "\r\n";
    }
    // RFC 9110, section 8.6: a 304 carries no Content-Length of its own; a
    // HEAD answer carries the length the GET body would have.
    const bool bodiless = r.status == 204 || r.status == 304;
    if (!bodiless) {
        out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    }
    out += "\r\n";
    if (!head && !bodiless) {
        out += r.body;
    }
    FCGX_PutStr(out.data(), static_cast<int>(out.size()), fcgi.out);
}


// A thread's wait for a new connection: an epoll set holding the listening
// socket with EPOLLEXCLUSIVE and the stop latch. poll(2) on a socket that
// every idle thread shares would wake all of them for each connection nginx
// opens beyond its kept-alive ones; EPOLLEXCLUSIVE wakes one.
class idle_wait {
public:
    idle_wait(int listen_fd, const wakeup_latch& stop)
        : fd_(epoll_create1(EPOLL_CLOEXEC)), stop_fd_(stop.fd()) {
        if (fd_ < 0) {
            throw std::system_error(errno, std::generic_category(),
                                    "could not create epoll set");
        }
        epoll_event listening{};
        listening.events = EPOLLIN | EPOLLEXCLUSIVE;
        listening.data.fd = listen_fd;
        epoll_event stopping{};
        stopping.events = EPOLLIN;
        stopping.data.fd = stop_fd_;
        if (epoll_ctl(fd_, EPOLL_CTL_ADD, listen_fd, &listening) != 0 ||
            epoll_ctl(fd_, EPOLL_CTL_ADD, stop_fd_, &stopping) != 0) {
            const int saved = errno;
            ::close(fd_);
            throw std::system_error(saved, std::generic_category(),
                                    "could not watch the listening socket");
        }
    }

    ~idle_wait() {
        ::close(fd_);
    }

    idle_wait(const idle_wait&) = delete;
    idle_wait& operator=(const idle_wait&) = delete;

    // True when a connection may be waiting, false once stop has fired.
    bool wait() const {
        epoll_event events[2];
        for (;;) {
            const int n = epoll_wait(fd_, events, 2, -1);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return false;
            }
            for (int i = 0; i < n; ++i) {
                if (events[i].data.fd == stop_fd_) {
                    return false;
                }
            }
            if (n > 0) {
                return true;
            }
        }
    }

private:
    int fd_;
    int stop_fd_;
};


// Waits until there is work: a request on the kept-alive connection, or,
// without one, a new connection. False once stop has fired and nothing is
// waiting on the kept-alive connection: the loop then ends.
bool wait_for_work(const FCGX_Request& fcgi, const idle_wait& idle,
                   const wakeup_latch& stop) {
    // XXX: ipcFd is below the line libfcgi's header marks as private, but it
    // is the only way to poll a kept-alive connection; libfcgi 2.4 has kept
    // the field in place for two decades.
    if (fcgi.ipcFd < 0) {
        return idle.wait();
    }
    pollfd fds[2] = {{fcgi.ipcFd, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        // A request that nginx already sent is answered even while stopping.
        if (fds[0].revents != 0) {
            return true;
        }
        if (fds[1].revents != 0) {
            return false;
        }
    }
}


void accept_loop(int listen_fd, const responder& respond,
                 const wakeup_latch& stop) {
    const idle_wait idle(listen_fd, stop);
    FCGX_Request fcgi;
    FCGX_InitRequest(&fcgi, listen_fd, 0);

    // libfcgi keeps a kept-alive connection inside the request object and
    // reads from it in the next accept, so no lock is held around the call.
    // The listening socket is non-blocking: when several loops wake for one
    // connection, the losers get EAGAIN and wait again.
    while (wait_for_work(fcgi, idle, stop)) {
        const int rc = FCGX_Accept_r(&fcgi);
        if (rc < 0) {
            if (rc != -EAGAIN && rc != -EWOULDBLOCK) {
                // Out of descriptors, say: do not spin on it.
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            continue;
        }
        const request req = read_request(fcgi);
        const response r = respond(req);
        write_response(fcgi, r, req.method == "HEAD");
        FCGX_Finish_r(&fcgi);
    }
    FCGX_Free(&fcgi, 1);
}

} // namespace


int open_listen_socket(const std::string& listen) {
    if (listen.starts_with("/")) {
        return open_unix_socket(listen);
    }
    return open_tcp_socket(listen);
}


wakeup_latch::wakeup_latch() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(),
                                "could not create eventfd");
    }
}


wakeup_latch::~wakeup_latch() {
    ::close(fd_);
}


void wakeup_latch::trigger() {
    // Never read back: the counter stays non-zero and the descriptor stays
    // readable for every poller.
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof(one));
}


bool wakeup_latch::triggered() const {
    pollfd fds{fd_, POLLIN, 0};
    return poll(&fds, 1, 0) > 0;
}


int inherited_listen_socket() {
    // sd_listen_fds(3): the passed sockets start at descriptor 3.
    constexpr int first_passed_fd = 3;
    const char* pid = std::getenv("LISTEN_PID");
    const char* count = std::getenv("LISTEN_FDS");
    if (pid == nullptr || count == nullptr ||
        std::strtol(pid, nullptr, 10) != getpid() ||
        std::strtol(count, nullptr, 10) < 1) {
        return -1;
    }
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    ::fcntl(first_passed_fd, F_SETFD, FD_CLOEXEC);
    return first_passed_fd;
}


void serve_fastcgi(int listen_fd, bool owned, int threads,
                   const std::function<responder()>& make_responder,
                   const wakeup_latch& stop) {
    if (FCGX_Init() != 0) {
        throw std::runtime_error("cannot initialise libfcgi");
    }
    const int flags = ::fcntl(listen_fd, F_GETFL);
    ::fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);

    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        pool.emplace_back([listen_fd, respond = make_responder(), &stop] {
            accept_loop(listen_fd, respond, stop);
        });
    }

    pollfd stopped{stop.fd(), POLLIN, 0};
    while (poll(&stopped, 1, -1) < 0 && errno == EINTR) {
    }
    // Connections still in the backlog are reset, so nginx tries the next
    // upstream server at once. systemd's socket stays open for the next
    // instance, which takes over its backlog.
    if (owned) {
        ::shutdown(listen_fd, SHUT_RDWR);
    }
    for (std::thread& t : pool) {
        t.join();
    }
    if (owned) {
        ::close(listen_fd);
    }
}

} // namespace provgate
