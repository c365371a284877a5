#pragma once

#include <functional>
#include <memory>
#include <string>

#include "provgate/http.hpp"
#include "provgate/request.hpp"

namespace provgate {

// Opens the listening socket for "host:port" (IPv4 or IPv6 literal, or a
// name) or an absolute Unix socket path. Throws std::system_error.
int open_listen_socket(const std::string& listen);

// Answers one request on one thread; each thread gets its own from
// make_responder, so a responder may own a database connection.
using responder = std::function<response(const request&)>;

// Runs threads FastCGI accept loops on listen_fd until the process exits.
// Each loop reads a request, calls its responder and writes the response,
// keeping the connection open when nginx asks for it (fastcgi_keep_conn).
void serve_fastcgi(int listen_fd, int threads,
                   const std::function<responder()>& make_responder);

} // namespace provgate
