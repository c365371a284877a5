// provgate: the FastCGI worker behind nginx. Wiring only: read and check the
// configuration, open the socket, and run the accept loops.

#include "provgate/fcgi_server.hpp"
#include "provgate/handler.hpp"
#include "provgate/log.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

namespace {

void warn_if_insecure(const provgate::config& cfg) {
    if (!cfg.disable_auto_provision_security) {
        return;
    }
    PROVGATE_LOG(warning)
        << "auto provision security is disabled: anyone who knows or "
           "guesses a MAC can download that phone's credentials from the "
           "shared directory"
        << " key=disable_auto_provision_security file=\"" << cfg.source << "\"";
}

} // namespace


int main(int argc, char** argv) {
    CLI::App app{"provgate: secure provisioning worker (FastCGI)"};
    std::string config_path = "/etc/provgate/provgate.yaml";
    bool check_only = false;
    app.add_option("-c,--config", config_path, "configuration file")
        ->envname("PROVGATE_CONFIG");
    app.add_flag("--check", check_only,
                 "validate the configuration and templates, then exit");
    CLI11_PARSE(app, argc, argv);

    std::shared_ptr<const provgate::settings> settings;
    try {
        settings = provgate::load_settings(config_path);
        provgate::init_logging(settings->cfg.log.level, settings->cfg.log.file);
    } catch (const std::exception& e) {
        std::cerr << "provgate: " << e.what() << '\n';
        return 2;
    }
    if (check_only) {
        std::cerr << "provgate: configuration \"" << config_path
                  << "\" is valid\n";
        return 0;
    }

    const provgate::config& cfg = settings->cfg;
    warn_if_insecure(cfg);
    std::signal(SIGPIPE, SIG_IGN);

    int fd = -1;
    try {
        fd = provgate::open_listen_socket(cfg.listen);
    } catch (const std::exception& e) {
        PROVGATE_LOG(error) << e.what();
        return 1;
    }
    PROVGATE_LOG(info) << "provgate started listen=\"" << cfg.listen
                       << "\" threads=" << cfg.threads << " base_url=\""
                       << cfg.base_url << "\"";

    provgate::serve_fastcgi(fd, cfg.threads, [&] {
        auto db = std::make_shared<provgate::store>(
            cfg.database.dsn, cfg.database.statement_timeout_ms);
        auto h = std::make_shared<provgate::handler>(*db);
        return [db, h, settings](const provgate::request& req) {
            return h->handle(*settings, req);
        };
    });
    return 0;
}
