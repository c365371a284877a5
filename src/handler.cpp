// The provisioning request, start to end: parse the path, find the device by
// its token (or by MAC in the legacy layout), apply the policy, render the
// file, and leave one access-log line and one audit row behind.

#include "provgate/handler.hpp"

#include "provgate/log.hpp"
#include "provgate/metrics.hpp"
#include "provgate/phones.hpp"
#include "provgate/policy.hpp"

#include <chrono>
#include <iomanip>
#include <sstream>

namespace provgate {

namespace {

// What one request did, gathered while serving it for the log and audit.
struct fetch {
    outcome result = outcome::malformed_path;
    bool legacy = false;
    std::string file;
    std::string token_prefix;
    std::string mac;
    std::string vendor;
    std::optional<std::int64_t> device_id;
};


// The vendor whose file rules apply: the operator's choice if recorded,
// else the first vendor whose rule produces this file name.
const file_rule* pick_rule(const file_match& match,
                           const device_record& device) {
    if (!device.vendor.empty()) {
        return rule_for_vendor(match, device.vendor);
    }
    return match.rules.front();
}


response render_file(const settings& s, const device_record& device,
                     const file_match& match, const std::string& url,
                     const request& req, fetch& f) {
    const file_rule* rule = pick_rule(match, device);
    if (rule == nullptr) {
        f.result = outcome::wrong_vendor_file;
        return not_found();
    }
    f.vendor = std::string(rule->vendor);

    std::string body;
    try {
        body = s.templates->render(*rule, device.account, url);
    } catch (const render_error& e) {
        f.result = outcome::render_failed;
        PROVGATE_LOG(error) << "cannot render configuration"
                            << " mac=" << device.mac << " extension=\""
                            << sanitize(device.account.extension, 64)
                            << "\" reason=\"" << e.what() << "\"";
        return internal_error();
    }

    response file = file_response(std::move(body), rule->content_type);
    if (!req.if_none_match.empty() &&
        etag_matches(req.if_none_match, header_value(file, "ETag"))) {
        f.result = outcome::not_modified;
        return not_modified(file);
    }
    f.result = outcome::served;
    return file;
}


response serve(store& db, const settings& s, const request& req, fetch& f) {
    if (req.method != "GET" && req.method != "HEAD") {
        f.result = outcome::method_not_allowed;
        return method_not_allowed();
    }

    const auto path = parse_prov_path(s.cfg.base_path, req.uri);
    if (!path) {
        f.result = outcome::malformed_path;
        return not_found();
    }
    f.file = path->file;
    f.legacy = path->token.empty();
    f.token_prefix = token_prefix(path->token);

    const auto match = match_file(path->file);
    if (!match) {
        f.result = outcome::unknown_file;
        return not_found();
    }
    f.mac = match->mac.to_string();

    std::optional<device_record> device;
    std::string url = s.cfg.base_url + "/";
    if (f.legacy) {
        if (!s.cfg.disable_auto_provision_security) {
            f.result = outcome::legacy_disabled;
            return not_found();
        }
        device = db.find_by_mac(f.mac);
        f.result = device ? check_legacy_fetch(*device) : outcome::unknown_mac;
    } else {
        const token_digest digest = hash_token(path->token);
        device = db.find_by_token(digest);
        f.result = device ? check_secure_fetch(*device, digest, match->mac)
                          : outcome::unknown_token;
        url += path->token + "/";
    }
    if (device) {
        f.device_id = device->id;
    }
    if (f.result != outcome::served) {
        return not_found();
    }
    return render_file(s, *device, *match, url, req, f);
}


void log_access(const request& req, const response& r, const fetch& f,
                double duration_ms) {
    const bool reached =
        f.result == outcome::served || f.result == outcome::not_modified;
    std::ostringstream line;
    line << "fetch method=" << sanitize(req.method, 16)
         << " path=" << redact_uri(req.uri) << " status=" << r.status
         << " bytes=" << (req.method == "HEAD" ? 0 : r.body.size())
         << " duration_ms=" << std::fixed << std::setprecision(3) << duration_ms
         << " outcome=" << to_string(f.result);
    if (reached) {
        line << " mac=" << f.mac << " vendor=" << f.vendor;
    }
    if (f.legacy && reached) {
        line << " legacy=shared-directory";
    }

    // Scanners cause most failures: they are routine and logged at debug.
    // A fetch through the shared directory is the insecure mode at work.
    if (reached && f.legacy) {
        PROVGATE_LOG(warning) << line.str();
    } else if (reached) {
        PROVGATE_LOG(info) << line.str();
    } else {
        PROVGATE_LOG(debug) << line.str();
    }
}


void audit(store& db, const request& req, const response& r, const fetch& f) {
    audit_record a;
    a.client_addr = req.client_addr;
    a.method = sanitize(req.method, 16);
    a.file = redact_uri(f.file.empty() ? req.uri : f.file);
    a.token_prefix = f.token_prefix;
    a.mac = f.mac;
    a.device_id = f.device_id;
    a.vendor = f.vendor;
    a.status = r.status;
    a.outcome = to_string(f.result);
    a.legacy = f.legacy && f.result != outcome::malformed_path;
    a.user_agent = sanitize(req.user_agent, 256);
    a.request_id = sanitize(req.request_id, 64);
    db.record_fetch(a);
}

} // namespace


std::shared_ptr<const settings> load_settings(const std::string& path) {
    auto s = std::make_shared<settings>();
    s->cfg = load_config(path);
    s->templates = template_set::load(s->cfg.templates_dir);
    return s;
}


response handler::handle(const settings& s, const request& req) {
    const auto start = std::chrono::steady_clock::now();
    const request_log_scope scope(sanitize(req.request_id, 64),
                                  sanitize(req.client_addr, 64));
    metrics().request_started();

    fetch f;
    response r;
    try {
        r = serve(db_, s, req, f);
        // The audit row is written before the response leaves: if the
        // insert fails, the phone gets 503 instead of its file, so that
        // every 200 the worker sends has its row in fetch_audit.
        audit(db_, req, r, f);
    } catch (const database_unavailable&) {
        f.result = outcome::database_unavailable;
        r = service_unavailable();
    } catch (const std::exception& e) {
        f.result = outcome::internal_error;
        PROVGATE_LOG(error) << "cannot serve request reason=\""
                            << sanitize(e.what(), 200) << "\"";
        r = internal_error();
    }

    const std::chrono::duration<double> elapsed =
        std::chrono::steady_clock::now() - start;
    log_access(req, r, f, elapsed.count() * 1000);
    const bool reached =
        f.result == outcome::served || f.result == outcome::not_modified;
    metrics().count_request(r.status, reached ? f.vendor : "",
                            reached && f.legacy, elapsed.count());
    metrics().request_finished();
    return r;
}

} // namespace provgate
