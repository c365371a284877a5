// Starting and stopping the real stack for the integration tests, and the
// small clients they use: libcurl for HTTP(S), provgatectl and psql.

#include "stack.hpp"

#include <doctest/doctest.h>

#include <curl/curl.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace provgate::testing {

namespace {

std::string env_or_throw(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) +
                                 " is not set; run the tests with meson test");
    }
    return value;
}


// A port of this type (TCP or UDP) free right now on 127.0.0.1, below the
// kernel's ephemeral range (32768 and up): there, the many short loopback
// connections of a load test could take it between this check and the
// server's bind.
int free_port(int type = SOCK_STREAM) {
    static std::mt19937 random(std::random_device{}());
    static std::set<int> given; // never the same port twice in a process
    std::uniform_int_distribution<int> ports(20000, 32767);
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = socket(AF_INET, type, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int port = ports(random);
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        const bool free =
            fd >= 0 &&
            bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
        if (fd >= 0) {
            close(fd);
        }
        if (free && given.insert(port).second) {
            return port;
        }
    }
    throw std::runtime_error("cannot find a free port");
}


std::string quote(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}


std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}


std::string lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}


// Header lines of the last response in a raw block (curl hands us all of
// them, including any 100 Continue).
std::vector<std::pair<std::string, std::string>>
parse_headers(const std::string& raw) {
    std::vector<std::pair<std::string, std::string>> headers;
    std::istringstream in(raw);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.starts_with("HTTP/")) {
            headers.clear();
            continue;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        headers.emplace_back(line.substr(0, colon), value);
    }
    return headers;
}


// Keeps the request headers curl sends (CURLOPT_DEBUGFUNCTION).
int collect_sent(CURL*, curl_infotype type, char* data, std::size_t size,
                 void* out) {
    if (type == CURLINFO_HEADER_OUT) {
        static_cast<std::string*>(out)->append(data, size);
    }
    return 0;
}

} // namespace


std::string http_result::header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
        if (lower(key) == lower(name)) {
            return value;
        }
    }
    return "";
}


std::vector<std::pair<std::string, std::string>>
http_result::stable_headers() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& header : headers) {
        if (lower(header.first) != "date") {
            out.push_back(header);
        }
    }
    return out;
}


int free_udp_port() {
    return free_port(SOCK_DGRAM);
}


int free_tcp_and_udp_port() {
    for (;;) {
        const int port = free_port(SOCK_STREAM);
        const int fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        const bool free =
            fd >= 0 &&
            bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
        close(fd);
        if (free) {
            return port;
        }
    }
}


std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}


std::string stack::log_with(const std::string& name,
                            const std::string& needle) const {
    std::string text;
    for (int i = 0; i < 50; ++i) {
        text = read_file(log_file(name));
        if (text.find(needle) != std::string::npos) {
            break;
        }
        usleep(100 * 1000);
    }
    return text;
}


stack& stack::get() {
    static stack instance(stack_options{});
    return instance;
}


stack::stack(const stack_options& opts) {
    const std::string source = env_or_throw("PROVGATE_SOURCE_DIR");
    const std::string build = env_or_throw("PROVGATE_BUILD_DIR");
    char tmpl[] = "/tmp/provgate-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
        throw std::runtime_error("cannot create a temporary directory");
    }
    dir_ = tmpl;
    https_port_ = free_port();
    http_port_ = free_port();
    std::string worker_ports;
    std::string admin_ports;
    for (int i = 0; i < opts.workers; ++i) {
        admin_ports_.push_back(free_port());
        worker_ports += (i == 0 ? "" : " ") + std::to_string(free_port());
        admin_ports +=
            (i == 0 ? "" : " ") + std::to_string(admin_ports_.back());
    }
    const int pg_port = free_port();
    pnp_port_ = free_udp_port();
    const std::string standby =
        opts.standby ? " PROVGATE_STANDBY_PORT=" + std::to_string(free_port())
                     : "";
    base_url_ = "https://127.0.0.1:" + std::to_string(https_port_) + "/prov";

    env_ = "PROVGATE_SOURCE=" + quote(source) +
           " PROVGATE_BUILD_DIR=" + quote(build) +
           " PROVGATE_HTTPS_PORT=" + std::to_string(https_port_) +
           " PROVGATE_HTTP_PORT=" + std::to_string(http_port_) +
           " PROVGATE_WORKER_PORTS=" + quote(worker_ports) +
           " PROVGATE_ADMIN_PORTS=" + quote(admin_ports) +
           " PROVGATE_PG_PORT=" + std::to_string(pg_port) +
           " PROVGATE_LOG_LEVEL=debug" + standby +
           " PROVGATE_LOCKOUT_MAX_FAILURES=5" +
           " PROVGATE_PNP_PORT=" + std::to_string(pnp_port_) +
           " PROVGATE_PNP_T1_MS=200" + " PGHOST=" + quote(dir_ + "/run-pg") +
           " PGPORT=" + std::to_string(pg_port) +
           " PGDATABASE=provgate PGUSER=provgate_admin" +
           " PROVGATE_CONFIG=" + quote(dir_ + "/provgate.yaml") +
           " PATH=" + quote(build + ":" + std::getenv("PATH"));

    const command_result up =
        run("$PROVGATE_SOURCE/deploy/stack up " + quote(dir_));
    if (up.status != 0) {
        // No destructor runs for a constructor that throws: stop what did
        // start, and keep the directory for a look at its logs.
        run("$PROVGATE_SOURCE/deploy/stack down " + quote(dir_));
        throw std::runtime_error("deploy/stack up failed (see " + dir_ +
                                 "):\n" + up.err);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
}


stack::~stack() {
    run("$PROVGATE_SOURCE/deploy/stack down " + quote(dir_));
    if (std::getenv("PROVGATE_KEEP_TEST_STACK") == nullptr) {
        run("rm -rf " + quote(dir_));
    }
}


command_result stack::run(const std::string& command) const {
    // One file per call: the operations tests run commands from two
    // threads at once.
    static std::atomic<int> calls{0};
    const std::string err_file =
        dir_ + "/command-" + std::to_string(calls++) + ".err";
    const std::string line =
        "env " + env_ + " bash -c " + quote(command) + " 2>" + quote(err_file);

    command_result result;
    FILE* pipe = popen(line.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("cannot run " + command);
    }
    std::array<char, 4096> buffer{};
    std::size_t got = 0;
    while ((got = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        result.out.append(buffer.data(), got);
    }
    const int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = read_file(err_file);
    std::remove(err_file.c_str());
    return result;
}


int stack::worker_pid(int n) const {
    const std::string pid =
        read_file(dir_ + "/run/provgate" +
                  (n == 1 ? "" : "-" + std::to_string(n)) + ".pid");
    return pid.empty() ? 0 : std::stoi(pid);
}


http_result stack::fetch(const std::string& path, const fetch_options& opts) {
    const std::string url =
        opts.plain_http
            ? "http://127.0.0.1:" + std::to_string(http_port_) + path
            : "https://127.0.0.1:" + std::to_string(https_port_) + path;
    CURL* curl = curl_easy_init();
    std::string raw_headers;
    http_result result;
    curl_slist* header_list = nullptr;
    for (const std::string& h : opts.headers) {
        header_list = curl_slist_append(header_list, h.c_str());
    }
    const std::string ca = dir_ + "/tls/cert.pem";

    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, opts.path_as_is ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
    if (!opts.user_agent.empty()) {
        curl_easy_setopt(curl, CURLOPT_USERAGENT, opts.user_agent.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &raw_headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    if (!opts.client_cert.empty()) {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, opts.client_cert.c_str());
        curl_easy_setopt(curl, CURLOPT_SSLKEY, opts.client_key.c_str());
    }
    if (!opts.source_addr.empty()) {
        curl_easy_setopt(curl, CURLOPT_INTERFACE, opts.source_addr.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, collect_sent);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &result.sent_headers);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    if (!opts.digest_user.empty()) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
        curl_easy_setopt(curl, CURLOPT_USERNAME, opts.digest_user.c_str());
        curl_easy_setopt(curl, CURLOPT_PASSWORD, opts.digest_password.c_str());
    }
    if (opts.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (opts.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, opts.method.c_str());
    }

    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    curl_slist_free_all(header_list);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        throw std::runtime_error(std::string("fetch failed: ") +
                                 curl_easy_strerror(rc));
    }
    result.headers = parse_headers(raw_headers);
    return result;
}


http_result stack::fetch_until(int status, const std::string& path,
                               const fetch_options& opts,
                               std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    for (;;) {
        http_result r = fetch(path, opts);
        if (r.status == status || std::chrono::steady_clock::now() > deadline) {
            return r;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}


command_result stack::ctl(const std::string& args) {
    command_result r = run("provgatectl " + args);
    // activate, rotate and decoy print "<base_url>/<token>/".
    const std::string prefix = base_url_ + "/";
    if (r.out.starts_with(prefix) && r.out.size() >= prefix.size() + 43) {
        minted_.push_back(r.out.substr(prefix.size(), 43));
    }
    return r;
}


void stack::wait_for_audit() const {
    constexpr std::string_view gauge = "\nprovgate_audit_pending_rows ";
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (const int port : admin_ports_) {
        const std::string url =
            "http://127.0.0.1:" + std::to_string(port) + "/metrics";
        for (;;) {
            std::string body;
            CURL* curl = curl_easy_init();
            curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
            curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
            curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
            curl_easy_setopt(curl, CURLOPT_TIMEOUT, 2L);
            const CURLcode rc = curl_easy_perform(curl);
            curl_easy_cleanup(curl);
            // A stopped worker wrote its rows before it exited.
            const std::size_t at = body.find(gauge);
            if (rc != CURLE_OK || at == std::string::npos ||
                body.compare(at + gauge.size(), 2, "0\n") == 0 ||
                std::chrono::steady_clock::now() > deadline) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
}


std::string stack::sql(const std::string& statement) {
    if (statement.find("fetch_audit") != std::string::npos) {
        wait_for_audit();
    }
    const command_result r = sql_as("provgate_admin", statement);
    if (r.status != 0) {
        throw std::runtime_error("SQL failed: " + r.err);
    }
    return r.out;
}


std::string stack::standby_sql(const std::string& statement) {
    const command_result r = run("$PROVGATE_SOURCE/deploy/stack standby-sql " +
                                 quote(dir_) + " " + quote(statement));
    if (r.status != 0) {
        throw std::runtime_error("SQL on the standby failed: " + r.err);
    }
    return r.out;
}


void stack::check_denied(const std::string& role,
                         std::initializer_list<const char*> statements) {
    for (const char* statement : statements) {
        CAPTURE(statement);
        const command_result r = sql_as(role, statement);
        CHECK(r.status != 0);
        CHECK(r.err.find("permission denied") != std::string::npos);
    }
}


command_result stack::sql_as(const std::string& role,
                             const std::string& statement) {
    return run("psql -X -q -tA -v ON_ERROR_STOP=1 -U " + quote(role) + " -c " +
               quote(statement));
}


void stack::restart_worker(const std::string& env_assignments) {
    const command_result r =
        run(env_assignments + " $PROVGATE_SOURCE/deploy/stack restart-worker " +
            quote(dir_));
    if (r.status != 0) {
        throw std::runtime_error("cannot restart the worker: " + r.err);
    }
}


void stack::reload_nginx(const std::string& env_assignments) {
    const command_result r =
        run(env_assignments + " $PROVGATE_SOURCE/deploy/stack reload-nginx " +
            quote(dir_));
    if (r.status != 0) {
        throw std::runtime_error("cannot reload nginx: " + r.err);
    }
}


nginx_settings::nginx_settings(const std::string& env_assignments) {
    stack::get().reload_nginx(env_assignments);
}


nginx_settings::~nginx_settings() {
    try {
        stack::get().reload_nginx("");
    } catch (const std::exception& e) {
        FAIL_CHECK(e.what());
    }
}


fetch_options with_cert(stack& s, const std::string& cn, bool own_ca,
                        const std::string& org) {
    const std::string dir = s.dir() + "/client-certs";
    std::string name = cn + (own_ca ? "-rogue" : "");
    if (org != "Test Phones") {
        name += "-" + org;
    }
    const std::string base = dir + "/" + name;
    const std::string ca =
        own_ca ? dir + "/rogue-ca" : s.dir() + "/tls/phone-ca";
    const auto r = s.run(
        "set -e; mkdir -p " + dir + "; cd " + dir + "; " +
        (own_ca ? "[ -f rogue-ca.pem ] || openssl req -x509 -newkey ec "
                  "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                  "-subj '/CN=rogue CA' -keyout rogue-ca.key "
                  "-out rogue-ca.pem 2>/dev/null; "
                : "") +
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -subj '/O=" +
        org + "/CN=" + cn + "' -keyout '" + base + ".key' -out '" + base +
        ".csr' 2>/dev/null; "
        "openssl x509 -req -in '" +
        base + ".csr' -CA " + ca + ".pem -CAkey " + ca +
        ".key -CAcreateserial -days 2 -out '" + base + ".pem' 2>/dev/null");
    REQUIRE(r.status == 0);
    fetch_options opts;
    opts.client_cert = base + ".pem";
    opts.client_key = base + ".key";
    return opts;
}


worker_settings::worker_settings(const std::string& env_assignments) {
    stack::get().restart_worker(env_assignments);
}


worker_settings::~worker_settings() {
    // A destructor must not throw; a failed restart fails the test case.
    try {
        stack::get().restart_worker("");
    } catch (const std::exception& e) {
        FAIL_CHECK(e.what());
    }
}


std::string stack::add_device(const std::string& mac,
                              const std::string& display_name,
                              const std::string& extra_args) {
    const std::string ext = "x" + mac;
    sql("INSERT INTO provgate.extensions (extension, auth_user, password, "
        "display_name, sip_server) VALUES ('" +
        ext + "', 'auth" + ext + "', 'pw-" + ext + "', '" + display_name +
        "', 'pbx.example.net')");
    const command_result r =
        ctl("activate --mac " + mac + " --extension " + ext + " " + extra_args);
    if (r.status != 0) {
        throw std::runtime_error("activate failed: " + r.err);
    }
    return path_of(r.out);
}


std::string stack::path_of(const std::string& url) const {
    std::string line = url.substr(0, url.find('\n'));
    const std::size_t host_end = line.find('/', line.find("://") + 3);
    return line.substr(host_end);
}

} // namespace provgate::testing
