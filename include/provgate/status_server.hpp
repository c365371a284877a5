#pragma once

#include <functional>
#include <string>

#include "provgate/fcgi_server.hpp"

namespace provgate {

// A page of the status listener: an HTTP status and a plain-text body.
struct status_page {
    int status = 200;
    std::string body;
};

// What the status listener serves. health is called for GET /healthz and
// metrics for GET /metrics; both run on the listener's own thread.
struct status_pages {
    std::function<status_page()> health;
    std::function<std::string()> metrics;
};

// Serves the status pages over HTTP/1.0 on listen_fd (from
// open_listen_socket), one short connection at a time, until stop fires;
// then closes listen_fd. Any other path is 404, any other method 405. A
// client gets one second to send its request. Never throws.
void serve_status(int listen_fd, const status_pages& pages,
                  const wakeup_latch& stop);

} // namespace provgate
