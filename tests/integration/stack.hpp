#pragma once

// The real stack the integration tests talk to: a private PostgreSQL
// cluster, the provgate worker and nginx with TLS, started once per test
// binary by deploy/stack on free loopback ports, and fetched from with
// libcurl as a phone would.

#include <chrono>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace provgate::testing {

struct http_result {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // as received
    std::string body;
    std::string sent_headers; // every request header block curl sent

    // The first value of a header, by case-insensitive name, or "".
    std::string header(const std::string& name) const;

    // Every header but Date, for comparing two responses.
    std::vector<std::pair<std::string, std::string>> stable_headers() const;
};

struct fetch_options {
    std::string method = "GET";
    std::vector<std::string> headers; // "Name: value"
    bool plain_http = false;          // the optional HTTP listener
    bool path_as_is = true;           // send dot segments unchanged
    std::string user_agent = "Yealink SIP-T46S 66.86.0.15"; // "" for none
    std::string source_addr; // e.g. "127.0.0.7" to be another client
    std::string client_cert; // PEM certificate and key files to present
    std::string client_key;
    // HTTP Digest: libcurl answers the server's challenge with these.
    std::string digest_user;
    std::string digest_password;
};

struct command_result {
    int status = 0;
    std::string out; // standard output
    std::string err; // standard error
};

// How a stack is started.
struct stack_options {
    int workers = 1;      // worker instances behind nginx's upstream
    bool standby = false; // a hot standby that the workers read from
};

class stack {
public:
    // The one shared stack of this process, started on first use.
    static stack& get();

    // A stack of its own, for tests that stop and kill its parts. Throws
    // std::runtime_error if deploy/stack cannot start it.
    explicit stack(const stack_options& opts);

    ~stack();

    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;

    // GET (or opts.method) of a path such as "/prov/<token>/<file>".
    http_result fetch(const std::string& path, const fetch_options& opts = {});

    // Fetches path until it answers status, for at most within: by
    // default one second, the time a change made in PostgreSQL may take
    // to reach the workers' device caches. Returns the last answer.
    http_result
    fetch_until(int status, const std::string& path,
                const fetch_options& opts = {},
                std::chrono::milliseconds within = std::chrono::seconds(1));

    // Runs provgatectl with the stack's configuration and admin role.
    command_result ctl(const std::string& args);

    // Runs SQL as the admin role (a DBA); returns the unaligned rows. A
    // statement that names provgate.fetch_audit runs once wait_for_audit()
    // returns, as the workers write audit rows a moment after the response.
    std::string sql(const std::string& statement);

    // Waits (at most 15 s) until no running worker has an audit row left
    // to write, by its provgate_audit_pending_rows gauge.
    void wait_for_audit() const;

    // Runs SQL as superuser on the hot standby; returns the unaligned rows.
    std::string standby_sql(const std::string& statement);

    // Runs SQL as an arbitrary role of the cluster.
    command_result sql_as(const std::string& role, const std::string& sql);

    // Runs each statement as role and checks that PostgreSQL refuses it
    // for lack of privilege.
    void check_denied(const std::string& role,
                      std::initializer_list<const char*> statements);

    // Restarts the worker with deploy/stack settings changed for this one
    // start, e.g. "PROVGATE_LOCKOUT_MAX_FAILURES=3".
    void restart_worker(const std::string& env_assignments);

    // Rewrites nginx's configuration with deploy/stack settings changed
    // for this one reload, e.g. "PROVGATE_LIMIT_BURST=20", and reloads it;
    // returns once nginx's old workers are gone.
    void reload_nginx(const std::string& env_assignments);

    // Activates a device for a new extension created on the fly; returns
    // the device's URL path ("/prov/<token>/"). extra_args go to
    // provgatectl activate, e.g. "--vendor snom --model D785".
    std::string add_device(const std::string& mac,
                           const std::string& display_name = "Test Phone",
                           const std::string& extra_args = "");

    // The path part of a URL printed by provgatectl.
    std::string path_of(const std::string& url) const;

    const std::string& dir() const {
        return dir_;
    }
    const std::string& base_url() const {
        return base_url_;
    }
    // "127.0.0.1:<port>" of the Plug-and-Play responder's unicast socket.
    std::string pnp_addr() const {
        return "127.0.0.1:" + std::to_string(pnp_port_);
    }
    // The text of a log once it holds needle, or as it is after a few
    // seconds: the worker's log lines are written by a logging thread, a
    // moment after the response that they describe.
    std::string log_with(const std::string& name,
                         const std::string& needle) const;

    int https_port() const {
        return https_port_;
    }
    int http_port() const {
        return http_port_;
    }
    std::string log_file(const std::string& name) const {
        return dir_ + "/log/" + name;
    }
    // The status listener (admin_listen) of worker n, counted from 1.
    int admin_port(int n) const {
        return admin_ports_.at(static_cast<std::size_t>(n - 1));
    }
    // The process id of worker n, from its pid file; 0 if there is none.
    int worker_pid(int n) const;

    // Every token provgatectl printed in this process, for the final
    // sweep of logs and tables (zz_sweep.cpp).
    const std::vector<std::string>& minted_tokens() const {
        return minted_;
    }

    // Runs a shell command line with the stack's environment.
    command_result run(const std::string& command) const;

private:
    std::string dir_;
    std::string env_;
    std::string base_url_;
    int https_port_ = 0;
    int http_port_ = 0;
    int pnp_port_ = 0;
    std::vector<int> admin_ports_;
    std::vector<std::string> minted_;
};

// A UDP port that the kernel considers free right now on 127.0.0.1.
int free_udp_port();

// A port free for both TCP and UDP on 127.0.0.1 (a SIP peer on TCP).
int free_tcp_and_udp_port();

// The worker of the shared stack restarted with deploy/stack settings for
// one test case, e.g. "PROVGATE_LEGACY=true", and with the defaults again
// when the scope ends, also when the test case fails.
class worker_settings {
public:
    explicit worker_settings(const std::string& env_assignments);
    ~worker_settings();

    worker_settings(const worker_settings&) = delete;
    worker_settings& operator=(const worker_settings&) = delete;
};

// nginx of the shared stack reloaded with deploy/stack settings for one
// test case, e.g. "PROVGATE_LIMIT_BURST=20" (lower limits than the shipped
// ones), and with the shipped configuration again when the scope ends.
class nginx_settings {
public:
    explicit nginx_settings(const std::string& env_assignments);
    ~nginx_settings();

    nginx_settings(const nginx_settings&) = delete;
    nginx_settings& operator=(const nginx_settings&) = delete;
};

// Issues a client certificate with the subject "/O=<org>/CN=<cn>", signed
// by the stack's phone CA (or, with own_ca, by a CA of its own that nginx
// does not know), and returns options that present it.
fetch_options with_cert(stack& s, const std::string& cn, bool own_ca = false,
                        const std::string& org = "Test Phones");

// The contents of a file, or "" if it cannot be read.
std::string read_file(const std::string& path);

} // namespace provgate::testing
