#pragma once

#include <netinet/in.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

namespace provgate {

// A socket or network failure (cannot resolve, bind, connect or send);
// what() is a complete message.
class sip_transport_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// RFC 3261, section 17.1.2.2 and table 4: T1 (round-trip estimate), T2
// (largest retransmit interval) and timer F (give up), 64*T1 by default.
struct sip_timers {
    std::chrono::milliseconds t1{500};
    std::chrono::milliseconds t2{4000};
    std::chrono::milliseconds timeout{32000};
};

// The retransmission schedule of a non-INVITE client transaction over an
// unreliable transport: timer E fires after T1, then doubles up to T2; after
// a provisional response it fires every T2; timer F ends it.
class retransmit_schedule {
public:
    using clock = std::chrono::steady_clock;

    retransmit_schedule(const sip_timers& timers, clock::time_point start);

    clock::time_point next_retransmit() const {
        return next_;
    }
    clock::time_point deadline() const {
        return deadline_;
    }
    int transmissions() const {
        return transmissions_;
    }

    // Records a retransmission sent at now and sets timer E again.
    void retransmitted(clock::time_point now);

    // Records a provisional (1xx) response: retransmit every T2 from now.
    void provisional(clock::time_point now);

private:
    sip_timers timers_;
    std::chrono::milliseconds interval_;
    clock::time_point next_;
    clock::time_point deadline_;
    int transmissions_ = 1;
    bool proceeding_ = false;
};

// A numeric IPv4 address or a host name, resolved to one IPv4 address.
// Throws sip_transport_error if it does not resolve.
sockaddr_in resolve_ipv4(const std::string& host, int port);

// "a.b.c.d:port".
std::string to_string(const sockaddr_in& addr);

// The local address the kernel would send from toward dest. Throws
// sip_transport_error if there is no route.
std::string local_address_toward(const sockaddr_in& dest);

// A UDP socket bound to host:port (port 0: any). Throws sip_transport_error.
int open_udp_socket(const std::string& host, int port);

// Joins the multicast group on fd, on the interface with address
// interface_addr ("0.0.0.0": the kernel's choice). Throws
// sip_transport_error.
void join_multicast(int fd, const std::string& group,
                    const std::string& interface_addr);

// The final response to one non-INVITE request, or a timeout (status 0).
struct sip_exchange {
    int status = 0;
    std::string reason;
    int transmissions = 0;
};

// Builds a request for the local host and port it will leave from.
using request_builder =
    std::function<std::string(const std::string& host, int port)>;

// Sends the request that build returns to dest over UDP and retransmits it
// on the schedule above until a final response whose top Via carries branch
// arrives, or timer F fires. Throws sip_transport_error.
sip_exchange send_udp_request(const sockaddr_in& dest,
                              const request_builder& build,
                              const std::string& branch,
                              const sip_timers& timers);

// The same over TCP: one transmission, then wait for the final response
// until timer F (RFC 3261, section 17.1.2.2: no retransmission over a
// reliable transport). Throws sip_transport_error.
sip_exchange send_tcp_request(const sockaddr_in& dest,
                              const request_builder& build,
                              const std::string& branch,
                              const sip_timers& timers);

} // namespace provgate
