// provgatectl: the operator's command line. Wiring only: parse the command,
// call device_admin, print. The one line on standard output of activate and
// rotate is the device's URL; everything else goes to standard error.

#include "provgate/admin.hpp"
#include "provgate/attack_admin.hpp"
#include "provgate/config.hpp"
#include "provgate/digest_auth.hpp"
#include "provgate/phones.hpp"
#include "provgate/sip_message.hpp"
#include "provgate/sip_notify.hpp"
#include "provgate/sip_pnp.hpp"
#include "provgate/sip_transport.hpp"
#include "provgate/token_seal.hpp"

#include <CLI/CLI.hpp>
#include <pqxx/except>

#include <iomanip>
#include <iostream>

#ifndef PROVGATE_SQL_DIR
#define PROVGATE_SQL_DIR "/usr/local/share/provgate/sql"
#endif

namespace {

struct options {
    std::string config_path = "/etc/provgate/provgate.yaml";
    std::string dsn; // overrides database.admin_dsn
    std::string sql_dir = PROVGATE_SQL_DIR;
    std::string mac;
    std::string extension;
    std::string vendor;
    std::string model;
    int lifetime_days = -1; // -1: token_lifetime_days from the file
    std::string pnp_window; // e.g. "30m"; empty: leave the window as it is
    std::string to;         // notify: sip:HOST[:PORT][;transport=udp|tcp]
    bool reboot = false;
    int t1_ms = 500;
    int timeout_ms = 0;           // 0: 64*T1
    std::string addr;             // lockouts clear --addr
    bool legacy = false;          // activate --legacy, flag --legacy
    bool no_legacy = false;       // flag --no-legacy
    bool require_cert = false;    // flag --require-cert
    bool no_require_cert = false; // flag --no-require-cert
    bool clear = false;           // identity --clear
    int grace_hours = 0;          // rotate --grace-hours
    std::string user;             // digest --user
    bool off = false;             // digest --off
};


// Exit statuses of notify beyond the common ones (README, "SIP").
constexpr int exit_sip_refused = 4;
constexpr int exit_sip_timeout = 5;
constexpr int exit_sip_transport = 6;


provgate::mac_address parse_mac(const std::string& text) {
    const auto mac = provgate::mac_address::parse(text);
    if (!mac) {
        throw provgate::admin_error("invalid MAC address \"" + text + "\"");
    }
    return *mac;
}


void print_summary(const provgate::device_summary& d) {
    std::cout << "mac:             " << d.mac << '\n'
              << "vendor:          " << d.vendor << '\n'
              << "model:           " << d.model << '\n'
              << "extension:       " << d.extension << '\n'
              << "state:           " << d.state << '\n'
              << "created:         " << d.created_at << '\n'
              << "token issued:    " << d.token_issued_at << '\n'
              << "expires:         "
              << (d.expires_at.empty() ? "never" : d.expires_at) << '\n'
              << "revoked:         " << d.revoked_at << '\n';
}


void print_list(const std::vector<provgate::device_summary>& devices) {
    std::cout << std::left << std::setw(13) << "MAC" << std::setw(12)
              << "VENDOR" << std::setw(12) << "MODEL" << std::setw(12)
              << "EXTENSION" << std::setw(9) << "STATE"
              << "EXPIRES" << '\n';
    for (const auto& d : devices) {
        std::cout << std::setw(13) << d.mac << std::setw(12) << d.vendor
                  << std::setw(12) << d.model << std::setw(12) << d.extension
                  << std::setw(9) << d.state
                  << (d.expires_at.empty() ? "never" : d.expires_at) << '\n';
    }
}


void print_lockouts(const std::vector<provgate::lockout_summary>& rows) {
    std::cout << std::left << std::setw(40) << "ADDRESS" << std::setw(9)
              << "STATE" << std::setw(10) << "FAILURES" << std::setw(22)
              << "LOCKED UNTIL" << std::setw(7) << "LOCKS"
              << "LAST REASON" << '\n';
    for (const auto& l : rows) {
        std::cout << std::setw(40) << l.client_addr << std::setw(9)
                  << (l.locked ? "locked" : "counting") << std::setw(10)
                  << l.failures << std::setw(22)
                  << (l.locked_until.empty() ? "-" : l.locked_until)
                  << std::setw(7) << l.lock_count << l.last_reason << '\n';
    }
}


// "lockouts list" and "lockouts clear [--addr A]".
int run_lockouts(const std::string& action, const std::string& dsn,
                 const options& opt) {
    provgate::attack_admin admin(dsn);
    if (action == "list") {
        print_lockouts(admin.lockouts());
        return 0;
    }
    const int cleared = admin.clear_lockouts(opt.addr);
    if (!opt.addr.empty() && cleared == 0) {
        throw provgate::admin_error("no failures recorded for address \"" +
                                    opt.addr + "\"");
    }
    std::cerr << "cleared " << cleared << " address"
              << (cleared == 1 ? "" : "es") << '\n';
    return 0;
}


// The URL a phone is given: the base, its token, and a slash to which the
// phone appends the file name it asks for.
std::string device_url(const provgate::config& cfg, const std::string& token) {
    return cfg.base_url + "/" + token + "/";
}


// Opens the Plug-and-Play window if --pnp-window was given.
void maybe_open_window(provgate::device_admin& admin, const options& opt) {
    if (opt.pnp_window.empty()) {
        return;
    }
    const auto window = provgate::parse_window(opt.pnp_window);
    if (!window) {
        throw provgate::admin_error("invalid plug-and-play window \"" +
                                    opt.pnp_window +
                                    "\": expected e.g. 90s, 30m, 2h or 1d");
    }
    const std::string until =
        admin.open_pnp_window(parse_mac(opt.mac), window->count());
    std::cerr << "plug-and-play window of device \""
              << parse_mac(opt.mac).to_string() << "\" is open until " << until
              << "\n";
}


// Sends the vendor's re-sync NOTIFY and reports the phone's final answer:
// "<code> <reason>" on standard output, the detail on standard error.
int notify(provgate::device_admin& admin, const options& opt) {
    const auto target = provgate::parse_notify_target(opt.to);
    if (!target) {
        throw provgate::admin_error(
            "invalid SIP target \"" + opt.to +
            "\": expected sip:HOST[:PORT][;transport=udp|tcp]");
    }
    const provgate::mac_address mac = parse_mac(opt.mac);
    const auto device = admin.show(mac);
    std::string vendor = device ? device->vendor : "";
    if (vendor.empty()) {
        vendor = std::string(provgate::vendor_for_oui(mac));
    }
    if (opt.reboot && !provgate::event_has_reboot_flag(vendor)) {
        std::cerr << "provgatectl: vendor \"" << vendor
                  << "\" has no reboot flag in its event; --reboot ignored\n";
    }
    const std::string event = provgate::check_sync_event(vendor, opt.reboot);

    provgate::sip_timers timers;
    timers.t1 = std::chrono::milliseconds(opt.t1_ms);
    timers.timeout = std::chrono::milliseconds(
        opt.timeout_ms > 0 ? opt.timeout_ms : 64 * opt.t1_ms);
    const sockaddr_in dest = provgate::resolve_ipv4(target->host, target->port);
    const auto ids =
        provgate::new_notify_ids(provgate::local_address_toward(dest));
    const auto build = [&](const std::string& host, int port) {
        return provgate::build_check_sync(*target, event, host, port, ids);
    };
    const provgate::sip_exchange result =
        target->tcp
            ? provgate::send_tcp_request(dest, build, ids.branch, timers)
            : provgate::send_udp_request(dest, build, ids.branch, timers);

    std::cerr << "sent NOTIFY event \"" << event << "\" to \"" << opt.to
              << "\" transmissions=" << result.transmissions << '\n';
    if (result.status == 0) {
        std::cerr << "provgatectl: no response from \"" << opt.to
                  << "\" within " << timers.timeout.count() << " ms\n";
        return exit_sip_timeout;
    }
    std::cout << result.status << ' ' << result.reason << std::endl;
    return result.status < 300 ? 0 : exit_sip_refused;
}


// "digest --mac M --user U" (the password on standard input, never in argv
// where ps would show it) and "digest --mac M --off".
int run_digest(const provgate::config& cfg, const std::string& dsn,
               const options& opt) {
    const provgate::mac_address mac = parse_mac(opt.mac);
    if (opt.off == !opt.user.empty()) {
        throw provgate::admin_error("specify either --user or --off");
    }
    if (opt.off) {
        provgate::attack_admin(dsn).set_digest(mac, "", "");
        std::cerr << "device \"" << mac.to_string()
                  << "\" no longer needs HTTP Digest authentication\n";
        return 0;
    }
    for (const char c : opt.user) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"' ||
            c == '\\' || c == ':') {
            throw provgate::admin_error("invalid digest user \"" + opt.user +
                                        "\": control characters, quotes, "
                                        "backslashes and colons are not "
                                        "allowed");
        }
    }
    std::string password;
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') {
        password.pop_back();
    }
    if (password.empty()) {
        throw provgate::admin_error(
            "no password given: write it to standard input");
    }
    provgate::attack_admin(dsn).set_digest(
        mac, opt.user,
        provgate::digest_ha1(opt.user, cfg.digest_realm, password));
    std::cerr << "device \"" << mac.to_string()
              << "\" needs HTTP Digest authentication as user \"" << opt.user
              << "\" in realm \"" << cfg.digest_realm << "\"\n";
    return 0;
}


// "flag --mac M" with --legacy or --no-legacy, --require-cert or
// --no-require-cert, or one of each.
int run_flag(const std::string& dsn, const options& opt) {
    const provgate::mac_address mac = parse_mac(opt.mac);
    if ((opt.legacy && opt.no_legacy) ||
        (opt.require_cert && opt.no_require_cert) ||
        !(opt.legacy || opt.no_legacy || opt.require_cert ||
          opt.no_require_cert)) {
        throw provgate::admin_error("specify either --legacy or --no-legacy, "
                                    "and/or either --require-cert or "
                                    "--no-require-cert");
    }
    provgate::attack_admin admin(dsn);
    if (opt.legacy || opt.no_legacy) {
        admin.set_legacy(mac, opt.legacy);
        std::cerr << "device \"" << mac.to_string() << "\" "
                  << (opt.legacy ? "may use" : "may no longer use")
                  << " the legacy shared directory\n";
    }
    if (opt.require_cert || opt.no_require_cert) {
        admin.set_require_cert(mac, opt.require_cert);
        std::cerr << "device \"" << mac.to_string() << "\" "
                  << (opt.require_cert ? "requires"
                                       : "no longer requires by itself")
                  << " a verified client certificate\n";
    }
    return 0;
}


// "identity --mac M": the certificate requirement, the remembered identity
// and the latest alerts; with --clear, forgets the remembered identity.
int run_identity(const std::string& dsn, const options& opt) {
    const provgate::mac_address mac = parse_mac(opt.mac);
    provgate::attack_admin admin(dsn);
    if (opt.clear) {
        admin.clear_identity(mac);
        std::cerr << "forgot the identity of device \"" << mac.to_string()
                  << "\"; the next phone to use its URL becomes it\n";
        return 0;
    }
    const provgate::identity_summary id = admin.identity(mac);
    const auto or_none = [](const std::string& text) {
        return text.empty() ? std::string("-") : text;
    };
    std::cout << "mac:             " << mac.to_string() << '\n'
              << "requires cert:   " << (id.require_client_cert ? "yes" : "no")
              << '\n'
              << "certificate:     " << or_none(id.cert) << '\n'
              << "user agent:      " << or_none(id.user_agent) << '\n'
              << "remembered:      " << or_none(id.seen_at) << '\n';
    for (const auto& a : id.alerts) {
        std::cout << "alert:           " << a.alerted_at << " from "
                  << or_none(a.client_addr) << " token " << a.token_prefix
                  << "... certificate \"" << a.presented_cert
                  << "\" user agent \"" << a.presented_user_agent << "\""
                  << (a.quarantined ? " quarantined" : "") << '\n';
    }
    return 0;
}


int run(const std::string& command, const std::string& action,
        const options& opt) {
    const provgate::config cfg = provgate::load_config(opt.config_path);
    const std::string dsn = opt.dsn.empty() ? cfg.database.admin_dsn : opt.dsn;
    const int days =
        opt.lifetime_days >= 0 ? opt.lifetime_days : cfg.token_lifetime_days;

    if (command == "migrate") {
        provgate::apply_migrations(dsn, opt.sql_dir, std::cerr);
        return 0;
    }

    if (command == "lockouts") {
        return run_lockouts(action, dsn, opt);
    }
    if (command == "release") {
        provgate::attack_admin(dsn).release(parse_mac(opt.mac));
        std::cerr << "released device \"" << parse_mac(opt.mac).to_string()
                  << "\" from quarantine\n";
        return 0;
    }
    if (command == "flag") {
        return run_flag(dsn, opt);
    }
    if (command == "identity") {
        return run_identity(dsn, opt);
    }
    if (command == "digest") {
        return run_digest(cfg, dsn, opt);
    }
    if (command == "decoy") {
        provgate::attack_admin attacks(dsn);
        const auto minted =
            attacks.add_decoy(parse_mac(opt.mac), opt.vendor, opt.model);
        std::cerr << "created decoy device \"" << parse_mac(opt.mac).to_string()
                  << "\"; any fetch of its URL locks the client out\n";
        std::cout << device_url(cfg, minted.token) << std::endl;
        return 0;
    }

    provgate::device_admin admin(dsn);
    if (command == "activate") {
        const auto minted = admin.activate(parse_mac(opt.mac), opt.extension,
                                           opt.vendor, opt.model, days);
        std::cerr << "activated device \"" << parse_mac(opt.mac).to_string()
                  << "\" for extension \"" << opt.extension << "\"\n";
        maybe_open_window(admin, opt);
        if (opt.legacy) {
            provgate::attack_admin(dsn).set_legacy(parse_mac(opt.mac), true);
        }
        std::cout << device_url(cfg, minted.token) << std::endl;
    } else if (command == "rotate" && opt.grace_hours > 0) {
        if (cfg.token_seal_key_file.empty()) {
            throw provgate::admin_error(
                "cannot rotate with a grace period: token_seal_key_file is "
                "not set in \"" +
                opt.config_path + "\"");
        }
        const auto minted = provgate::attack_admin(dsn).rotate_with_grace(
            parse_mac(opt.mac), opt.grace_hours,
            provgate::load_seal_key(cfg.token_seal_key_file));
        std::cerr << "rotated token of device \""
                  << parse_mac(opt.mac).to_string()
                  << "\"; the previous URL works for " << opt.grace_hours
                  << " hours or until the new one is used\n";
        std::cout << device_url(cfg, minted.token) << std::endl;
    } else if (command == "rotate") {
        const auto minted = admin.rotate(parse_mac(opt.mac), days);
        std::cerr << "rotated token of device \""
                  << parse_mac(opt.mac).to_string()
                  << "\"; the previous URL no longer works\n";
        maybe_open_window(admin, opt);
        std::cout << device_url(cfg, minted.token) << std::endl;
    } else if (command == "revoke") {
        admin.revoke(parse_mac(opt.mac));
        std::cerr << "revoked device \"" << parse_mac(opt.mac).to_string()
                  << "\"\n";
    } else if (command == "notify") {
        return notify(admin, opt);
    } else if (command == "list") {
        print_list(admin.list());
    } else if (command == "show") {
        const auto device = admin.show(parse_mac(opt.mac));
        if (!device) {
            throw provgate::admin_error("device \"" +
                                        parse_mac(opt.mac).to_string() +
                                        "\" does not exist");
        }
        print_summary(*device);
    }
    return 0;
}

} // namespace


int main(int argc, char** argv) {
    CLI::App app{"provgatectl: manage provgate devices and schema"};
    app.require_subcommand(1);
    options opt;
    app.add_option("-c,--config", opt.config_path, "configuration file")
        ->envname("PROVGATE_CONFIG");
    app.add_option("--dsn", opt.dsn,
                   "libpq connection string (default: database.admin_dsn)");

    auto* migrate = app.add_subcommand("migrate", "apply pending migrations");
    migrate->add_option("--sql-dir", opt.sql_dir, "migration directory");

    auto* activate =
        app.add_subcommand("activate", "bind a MAC to an extension, print URL");
    activate->add_option("--mac", opt.mac, "device MAC")->required();
    activate->add_option("--extension", opt.extension, "extension")->required();
    activate->add_option("--vendor", opt.vendor, "vendor key, e.g. yealink");
    activate->add_option("--model", opt.model, "phone model, e.g. T46S");
    activate->add_flag("--legacy", opt.legacy,
                       "flag as legacy: may use the fenced shared directory");
    activate
        ->add_option("--lifetime-days", opt.lifetime_days,
                     "token lifetime in days, 0 for none")
        ->check(CLI::Range(0, 36500));

    activate->add_option("--pnp-window", opt.pnp_window,
                         "open a SIP plug-and-play window, e.g. 30m");

    auto* rotate = app.add_subcommand("rotate", "mint a new URL for a device");
    rotate->add_option("--pnp-window", opt.pnp_window,
                       "open a SIP plug-and-play window, e.g. 30m");
    rotate->add_option("--mac", opt.mac, "device MAC")->required();
    rotate
        ->add_option("--lifetime-days", opt.lifetime_days,
                     "token lifetime in days, 0 for none")
        ->check(CLI::Range(0, 36500));

    rotate
        ->add_option("--grace-hours", opt.grace_hours,
                     "keep the old URL working this long (needs "
                     "token_seal_key_file)")
        ->check(CLI::Range(0, 8760));

    auto* revoke = app.add_subcommand("revoke", "stop a device's URL");
    revoke->add_option("--mac", opt.mac, "device MAC")->required();

    auto* notify_cmd =
        app.add_subcommand("notify", "send a re-sync SIP NOTIFY to a phone");
    notify_cmd->add_option("--mac", opt.mac, "device MAC")->required();
    notify_cmd
        ->add_option("--to", opt.to, "sip:HOST[:PORT][;transport=udp|tcp]")
        ->required();
    notify_cmd->add_flag("--reboot", opt.reboot,
                         "ask snom and Gigaset phones to reboot");
    notify_cmd->add_option("--t1-ms", opt.t1_ms, "RFC 3261 T1 in ms")
        ->check(CLI::Range(1, 60000));
    notify_cmd
        ->add_option("--timeout-ms", opt.timeout_ms,
                     "give up after this many ms (default 64*T1)")
        ->check(CLI::Range(1, 600000));

    app.add_subcommand("list", "list devices (never tokens)");
    auto* show = app.add_subcommand("show", "show one device");
    show->add_option("--mac", opt.mac, "device MAC")->required();

    auto* release = app.add_subcommand("release", "lift a device's quarantine");
    release->add_option("--mac", opt.mac, "device MAC")->required();

    auto* flag = app.add_subcommand("flag", "set or clear a device's flags");
    flag->add_option("--mac", opt.mac, "device MAC")->required();
    flag->add_flag("--legacy", opt.legacy,
                   "may use the fenced shared directory (reopens bootstrap)");
    flag->add_flag("--no-legacy", opt.no_legacy,
                   "may no longer use the shared directory");
    flag->add_flag("--require-cert", opt.require_cert,
                   "serve only a client with a verified certificate");
    flag->add_flag("--no-require-cert", opt.no_require_cert,
                   "drop the device's own certificate requirement");

    auto* identity = app.add_subcommand(
        "identity", "show or forget the identity remembered for a device");
    identity->add_option("--mac", opt.mac, "device MAC")->required();
    identity->add_flag("--clear", opt.clear,
                       "forget it: the next phone to use the URL becomes it");

    auto* digest = app.add_subcommand(
        "digest", "set (password on standard input) or remove a device's "
                  "HTTP Digest credential");
    digest->add_option("--mac", opt.mac, "device MAC")->required();
    digest->add_option("--user", opt.user, "provisioning user of the phone");
    digest->add_flag("--off", opt.off, "remove the credential");

    auto* decoy = app.add_subcommand(
        "decoy", "create a decoy device whose fetch locks the client out");
    decoy->add_option("--mac", opt.mac, "decoy MAC")->required();
    decoy->add_option("--vendor", opt.vendor, "vendor key, e.g. yealink");
    decoy->add_option("--model", opt.model, "phone model, e.g. T46S");

    auto* lockouts =
        app.add_subcommand("lockouts", "list or clear locked-out addresses");
    lockouts->require_subcommand(1);
    lockouts->add_subcommand("list", "addresses with failures or a lockout");
    auto* clear = lockouts->add_subcommand(
        "clear", "forget the failures of one address, or of all");
    clear->add_option("--addr", opt.addr, "client IP address (default: all)");

    CLI11_PARSE(app, argc, argv);

    try {
        const CLI::App* command = app.get_subcommands().front();
        const std::string action =
            command->get_subcommands().empty()
                ? ""
                : command->get_subcommands().front()->get_name();
        return run(command->get_name(), action, opt);
    } catch (const provgate::config_error& e) {
        std::cerr << "provgatectl: " << e.what() << '\n';
        return 2;
    } catch (const provgate::sip_transport_error& e) {
        std::cerr << "provgatectl: " << e.what() << '\n';
        return exit_sip_transport;
    } catch (const provgate::sip_error& e) {
        std::cerr << "provgatectl: " << e.what() << '\n';
        return 1;
    } catch (const provgate::seal_error& e) {
        std::cerr << "provgatectl: " << e.what() << '\n';
        return 2;
    } catch (const provgate::admin_error& e) {
        std::cerr << "provgatectl: " << e.what() << '\n';
        return 1;
    } catch (const pqxx::broken_connection& e) {
        std::cerr << "provgatectl: could not connect to database: " << e.what();
        return 3;
    } catch (const pqxx::sql_error& e) {
        std::cerr << "provgatectl: database error: " << e.what();
        return 3;
    }
}
