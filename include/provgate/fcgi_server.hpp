#pragma once

#include <functional>
#include <memory>
#include <string>

#include "provgate/http.hpp"
#include "provgate/request.hpp"

namespace provgate {

// A one-way latch: once triggered, its descriptor stays readable, so every
// thread that polls it wakes up. trigger() may be called from any thread.
// Throws std::system_error if the descriptor cannot be created.
class wakeup_latch {
public:
    wakeup_latch();
    ~wakeup_latch();

    wakeup_latch(const wakeup_latch&) = delete;
    wakeup_latch& operator=(const wakeup_latch&) = delete;

    void trigger();
    bool triggered() const;
    int fd() const {
        return fd_;
    }

private:
    int fd_;
};

// Opens the listening socket for "host:port" (IPv4 or IPv6 literal, or a
// name) or an absolute Unix socket path. Throws std::system_error.
int open_listen_socket(const std::string& listen);

// The listening socket systemd passed by socket activation (LISTEN_PID and
// LISTEN_FDS name this process), or -1 if there is none. Only the first
// passed socket is used.
int inherited_listen_socket();

// Answers one request on one thread; each thread gets its own from
// make_responder, so a responder may own a database connection.
using responder = std::function<response(const request&)>;

// Runs threads FastCGI accept loops on listen_fd until stop is triggered.
// Each loop reads a request, calls its responder and writes the response,
// keeping the connection open when nginx asks for it (fastcgi_keep_conn).
// Once stop fires no new connection is accepted (an owned socket is shut
// down, so that nginx is refused and moves on; an inherited one is left to
// systemd for the next instance), idle kept-alive connections are closed,
// and the call returns when every request already read has been answered.
// Throws std::runtime_error if libfcgi cannot be initialised.
void serve_fastcgi(int listen_fd, bool owned, int threads,
                   const std::function<responder()>& make_responder,
                   const wakeup_latch& stop);

} // namespace provgate
