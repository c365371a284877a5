// The benchmark's ceiling for the FastCGI hop: a libfcgi responder that
// answers every request with the same bytes, no parsing, no database. Run
// behind the same nginx as provgate, it shows what the hop itself costs.
//
//   trivial_fcgi HOST:PORT THREADS BODY_FILE

#include <fcgiapp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

int listen_on(const std::string& host_port) {
    const std::size_t colon = host_port.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(
        static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1))));
    inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr);

    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd, 1024) != 0) {
        std::cerr << "trivial_fcgi: cannot listen on " << host_port << '\n';
        std::exit(1);
    }
    return fd;
}


void serve(int fd, const std::string& reply) {
    FCGX_Request req;
    FCGX_InitRequest(&req, fd, 0);
    while (FCGX_Accept_r(&req) >= 0) {
        FCGX_PutStr(reply.data(), static_cast<int>(reply.size()), req.out);
        FCGX_Finish_r(&req);
    }
}

} // namespace


int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: trivial_fcgi HOST:PORT THREADS BODY_FILE\n";
        return 2;
    }
    std::ifstream in(argv[3], std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    const std::string reply =
        "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Cache-Control: no-store\r\nContent-Length: " +
        std::to_string(body.str().size()) + "\r\n\r\n" + body.str();

    FCGX_Init();
    const int fd = listen_on(argv[1]);
    std::vector<std::thread> pool;
    for (int i = 0; i < std::atoi(argv[2]); ++i) {
        pool.emplace_back(serve, fd, reply);
    }
    for (auto& t : pool) {
        t.join();
    }
}
