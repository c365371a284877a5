// The provisioning request, start to end: parse the path, find the device by
// its token (or by MAC in the legacy layout), apply the policy, render the
// file, and leave one access-log line and one audit row behind.

#include "provgate/handler.hpp"

#include "provgate/client_identity.hpp"
#include "provgate/digest_auth.hpp"
#include "provgate/legacy_fence.hpp"
#include "provgate/lockout.hpp"
#include "provgate/log.hpp"
#include "provgate/metrics.hpp"
#include "provgate/network.hpp"
#include "provgate/phones.hpp"
#include "provgate/policy.hpp"
#include "provgate/token_seal.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <fstream>
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


// Everything known about a request once its path is parsed.
struct context {
    store& db;
    device_cache& cache;
    lookup_batcher& lookups;
    const settings& s;
    const request& req;
    file_match match;
    std::optional<user_agent> ua;
    std::string url; // the folder the phone fetched through
    std::optional<device_record> device;
};


// The vendor whose rules apply: the operator's record, else what the phone
// says, else the MAC's OUI, else the first vendor that uses this name.
const file_rule* pick_rule(const context& c) {
    std::string vendor;
    if (c.device && !c.device->vendor.empty()) {
        vendor = c.device->vendor;
    } else if (c.ua) {
        vendor = c.ua->vendor;
    } else if (c.device) {
        vendor =
            std::string(vendor_for_oui(*mac_address::parse(c.device->mac)));
    } else if (c.match.mac) {
        vendor = std::string(vendor_for_oui(*c.match.mac));
    }
    if (vendor.empty()) {
        return c.match.rules.front();
    }
    return rule_for_vendor(c.match, vendor);
}


// The model a per-model template is chosen by.
std::string pick_model(const context& c) {
    if (c.device && !c.device->model.empty()) {
        return c.device->model;
    }
    if (!c.match.model.empty()) {
        return c.match.model;
    }
    return c.ua ? c.ua->model : "";
}


// A common file from the static directory, if the operator put one there.
std::optional<std::string> static_file(const settings& s, const file_rule& rule,
                                       const std::string& file) {
    if (s.cfg.static_dir.empty()) {
        return std::nullopt;
    }
    std::ifstream in(s.cfg.static_dir + "/" + std::string(rule.vendor) + "/" +
                         file,
                     std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream body;
    body << in.rdbuf();
    return body.str();
}


response with_etag(response file, const request& req, fetch& f) {
    if (!req.if_none_match.empty() &&
        etag_matches(req.if_none_match, header_value(file, "ETag"))) {
        f.result = outcome::not_modified;
        return not_modified(file);
    }
    f.result = outcome::served;
    return file;
}


// The file of rule rendered from in, from the render cache if it is there.
// Throws render_error as template_set::render does.
response rendered(const settings& s, const file_rule& rule,
                  const render_input& in) {
    const std::string key = render_key(rule, in);
    auto file = s.renders->find(key);
    metrics().count_render(file != nullptr);
    if (!file) {
        std::string body = s.templates->render(rule, in);
        std::string etag = make_etag(body);
        file = std::make_shared<const rendered_file>(
            rendered_file{std::move(body), std::move(etag)});
        s.renders->put(key, file);
    }
    return file_response(file->body, content_type(rule), file->etag);
}


response serve_rule(const context& c, const file_rule& rule, fetch& f) {
    if (rule.kind == file_kind::upload) {
        // Polycom PUTs its logs into its folder and retries on any error;
        // they are accepted and discarded (nginx drops the body).
        if (c.req.method != "PUT") {
            f.result = outcome::unknown_file;
            return not_found();
        }
        f.result = outcome::upload_discarded;
        return no_content();
    }

    if (rule.kind == file_kind::common) {
        if (auto body = static_file(c.s, rule, f.file)) {
            return with_etag(
                file_response(std::move(*body), content_type(rule)), c.req, f);
        }
        if (rule.template_name.empty()) {
            f.result = outcome::unknown_file;
            return not_found();
        }
    }

    render_input in;
    in.account = rule.kind == file_kind::device && c.device ? &c.device->account
                                                            : nullptr;
    in.mac = c.device ? c.device->mac : "";
    in.model = pick_model(c);
    in.provisioning_url = c.url;
    try {
        return with_etag(rendered(c.s, rule, in), c.req, f);
    } catch (const render_error& e) {
        f.result = outcome::render_failed;
        PROVGATE_LOG(error)
            << "cannot render configuration mac="
            << (c.device ? c.device->mac : "-") << " file=" << f.file
            << " reason=\"" << e.what() << "\"";
        return internal_error();
    }
}


// A rotated device: its new token's first use retires the old one; the
// old token, in its grace period, gets a file that points to the new URL.
void follow_rotation(const context& c, const token_digest& digest,
                     const device_record& device, std::string& url) {
    if (digest_equal(device.pending_hash, digest)) {
        if (c.db.promote_token(device.id, digest)) {
            // The old token ends now, in this process at once and in the
            // others when the change notification reaches them.
            c.cache.invalidate_device(device.id);
            PROVGATE_LOG(info) << "rotation completed mac=" << device.mac;
        }
        return;
    }
    const settings& s = c.s;
    if (const auto token = unseal_token(s.seal_key, device.pending_sealed)) {
        url = s.cfg.base_url + "/" + *token + "/";
    }
}


// The nonces of this process, under a random key unless
// digest_nonce_key_file gives one that all worker processes share.
digest_nonces& process_nonces() {
    static digest_nonces nonces;
    return nonces;
}


// HTTP Digest for a device that has a credential, once its token and MAC
// were accepted: the 401 challenge unless the request carries a valid
// Authorization header with a fresh nonce, else nullopt.
std::optional<response> check_digest(store& db, const settings& s,
                                     const request& req,
                                     const device_record& device, fetch& f) {
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
    digest_nonces& nonces = process_nonces();
    const digest_verdict verdict = nonces.verify(
        req.authorization, req.method, req.uri, device.digest_user,
        device.digest_ha1, s.cfg.digest_realm, now, s.cfg.digest_nonce_seconds,
        [&db](const std::string& nonce, std::uint64_t nc,
              std::int64_t expires_at) {
            return db.use_digest_nonce(nonce, nc, expires_at);
        });
    if (verdict == digest_verdict::accepted) {
        return std::nullopt;
    }
    f.result = verdict == digest_verdict::refused ? outcome::digest_refused
                                                  : outcome::digest_required;
    return unauthorized(digest_challenge(s.cfg.digest_realm, nonces.mint(now),
                                         nonces.opaque(),
                                         verdict == digest_verdict::stale));
}


// The device holding the token, from the cache if it is there.
std::optional<device_record> find_by_token(context& c,
                                           const token_digest& digest) {
    if (auto cached = c.cache.find(digest)) {
        metrics().count_cache_lookup(true);
        return cached;
    }
    metrics().count_cache_lookup(false);
    const std::uint64_t generation = c.cache.generation();
    auto found = c.lookups.find(digest);
    if (found) {
        c.cache.put(digest, *found, generation);
    }
    return found;
}


// Finds the device and applies the policy; outcome::served if the request
// may go on.
outcome check_device(const std::string& token, context& c) {
    store& db = c.db;
    if (token.empty()) {
        if (!c.s.cfg.disable_auto_provision_security) {
            return outcome::legacy_disabled;
        }
        if (!legacy_network_allowed(c.s.cfg, c.req.client_addr)) {
            return outcome::legacy_network;
        }
        if (!c.match.mac) {
            return outcome::served; // a common file of the shared directory
        }
        c.device = db.find_by_mac(c.match.mac->to_string());
        if (!c.device) {
            return outcome::unknown_mac;
        }
        const outcome state = check_legacy_fetch(*c.device);
        return state == outcome::served ? check_legacy_fence(c.s.cfg, *c.device)
                                        : state;
    }

    const token_digest digest = hash_token(token);
    c.device = find_by_token(c, digest);
    if (!c.device) {
        return outcome::unknown_token;
    }
    const outcome result = check_secure_fetch(*c.device, digest, c.match.mac);
    if (result == outcome::served && c.device->has_pending) {
        follow_rotation(c, digest, *c.device, c.url);
    }
    return result;
}


response serve(store& db, device_cache& cache, lookup_batcher& lookups,
               const settings& s, const request& req, fetch& f) {
    const bool put = req.method == "PUT";
    if (req.method != "GET" && req.method != "HEAD" && !put) {
        f.result = outcome::method_not_allowed;
        return method_not_allowed();
    }

    const auto path = parse_prov_path(s.cfg.base_path, req.uri);
    auto match = path ? match_file(path->file) : std::nullopt;
    const bool upload =
        match &&
        std::any_of(match->rules.begin(), match->rules.end(),
                    [](auto* r) { return r->kind == file_kind::upload; });
    if (put && !upload) {
        f.result = outcome::method_not_allowed;
        return method_not_allowed();
    }
    if (!path) {
        f.result = outcome::malformed_path;
        return not_found();
    }
    f.file = path->file;
    f.legacy = path->token.empty();
    f.token_prefix = token_prefix(path->token);
    if (!match) {
        f.result = outcome::unknown_file;
        return not_found();
    }

    context c{db,
              cache,
              lookups,
              s,
              req,
              std::move(*match),
              parse_user_agent(req.user_agent),
              s.cfg.base_url + "/" + (f.legacy ? "" : path->token + "/"),
              std::nullopt};
    if (c.match.mac) {
        f.mac = c.match.mac->to_string();
    }
    f.result = check_device(path->token, c);
    if (c.device) {
        f.device_id = c.device->id;
        f.mac = c.device->mac;
    }
    if (f.result == outcome::served && c.ua && !f.mac.empty()) {
        f.result = check_user_agent_mac(c.ua->mac, f.mac);
    }
    if (f.result == outcome::served && c.device) {
        f.result = check_client_certificate(s.cfg, req, *c.device);
    }
    if (!f.legacy && c.device) {
        note_second_identity(db, s.cfg, *c.device, f.result);
        if (f.result != outcome::served) {
            // The refusal may have quarantined the device: this process's
            // next request must see that, not wait for the notification.
            cache.invalidate_device(c.device->id);
        }
    }
    if (f.result != outcome::served) {
        return not_found();
    }
    if (c.device && !c.device->digest_ha1.empty()) {
        if (auto challenge = check_digest(c.db, s, req, *c.device, f)) {
            return std::move(*challenge);
        }
    }
    // Only a request that passed every check above is remembered as the
    // device's identity, so that a token alone cannot claim it.
    if (!f.legacy && c.device) {
        f.result = check_remembered_identity(
            db, s.cfg, req, identity_of(req, c.ua), *c.device, f.token_prefix);
        if (f.result != outcome::served) {
            cache.invalidate_device(c.device->id); // quarantined
            return not_found();
        }
    }

    const file_rule* rule = pick_rule(c);
    if (rule == nullptr) {
        f.result = outcome::wrong_vendor_file;
        return not_found();
    }
    f.vendor = std::string(rule->vendor);
    if (f.legacy && s.cfg.legacy_bootstrap && c.device &&
        rule->kind == file_kind::device) {
        const auto url = bootstrap_legacy_device(db, s.cfg, *c.device);
        if (!url) {
            f.result = outcome::legacy_bootstrapped; // a racing fetch won
            return not_found();
        }
        c.url = *url;
    }
    return serve_rule(c, *rule, f);
}


void log_access(const request& req, const response& r, const fetch& f,
                double duration_ms) {
    const bool reached = f.result == outcome::served ||
                         f.result == outcome::not_modified ||
                         f.result == outcome::upload_discarded;
    // Built by appending rather than with a stream: this runs for every
    // request, and a stream's locale and state cost more than the line.
    std::string line;
    line.reserve(200);
    line += "fetch method=";
    line += sanitize(req.method, 16);
    line += " path=";
    line += redact_uri(req.uri);
    line += " status=";
    line += std::to_string(r.status);
    line += " bytes=";
    line += std::to_string(req.method == "HEAD" ? 0 : r.body.size());
    line += " duration_ms=";
    std::array<char, 32> ms{};
    const auto printed =
        std::to_chars(ms.data(), ms.data() + ms.size(), duration_ms,
                      std::chars_format::fixed, 3);
    line.append(ms.data(), printed.ptr);
    line += " outcome=";
    line += to_string(f.result);
    if (reached) {
        line += " mac=";
        line += f.mac.empty() ? "-" : f.mac;
        line += " vendor=";
        line += f.vendor;
    }
    if (f.legacy && reached) {
        line += " legacy=shared-directory";
    }

    // Scanners cause most failures: they are routine and logged at debug.
    // A fetch through the shared directory is the insecure mode at work.
    if (reached && f.legacy) {
        PROVGATE_LOG(warning) << line;
    } else if (reached) {
        PROVGATE_LOG(info) << line;
    } else {
        PROVGATE_LOG(debug) << line;
    }
}


// Queues the request's audit row; false if the queue is full.
bool audit(audit_queue& queue, const request& req, const response& r,
           const fetch& f) {
    audit_record a;
    // The column is inet: a peer that is not a literal IP (a Unix socket)
    // is recorded as NULL rather than making the batch fail.
    a.client_addr = parse_ip(req.client_addr) ? req.client_addr : "";
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

    // Logged when the queue fills and when it takes rows again, not for
    // every row in between.
    static std::atomic<bool> full{false};
    if (!queue.push(std::move(a))) {
        metrics().count_audit_dropped();
        if (!full.exchange(true)) {
            PROVGATE_LOG(error)
                << "audit queue full, files are refused with 503 until the "
                   "database takes the queued rows";
        }
        return false;
    }
    if (full.load() && full.exchange(false)) {
        PROVGATE_LOG(info) << "audit queue accepts rows again";
    }
    return true;
}

} // namespace


std::shared_ptr<const settings> load_settings(const std::string& path) {
    auto s = std::make_shared<settings>();
    s->cfg = load_config(path);
    s->templates = template_set::load(s->cfg.templates_dir);
    s->renders = std::make_shared<render_cache>(
        static_cast<std::size_t>(s->cfg.render_cache.max_bytes));
    if (!s->cfg.token_seal_key_file.empty()) {
        s->seal_key = load_seal_key(s->cfg.token_seal_key_file);
    }
    if (!s->cfg.digest_nonce_key_file.empty()) {
        const std::string key = load_seal_key(s->cfg.digest_nonce_key_file);
        std::array<std::uint8_t, 32> bytes{};
        std::copy(key.begin(), key.end(), bytes.begin());
        process_nonces().set_key(bytes);
    }
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
        // A locked-out address gets the common 404 before its request is
        // looked at: it can no longer tell a good guess from a bad one.
        if (client_locked_out(db_, lockouts_, s.cfg.lockout, req.client_addr)) {
            metrics().count_locked_out_request();
            f.result = outcome::locked_out;
            r = not_found();
        } else {
            r = serve(db_, cache_, lookups_, s, req, f);
        }
        note_outcome(db_, lockouts_, s.cfg.lockout, req.client_addr, f.result,
                     f.mac);
    } catch (const database_unavailable&) {
        f.result = outcome::database_unavailable;
        r = service_unavailable();
    } catch (const std::exception& e) {
        f.result = outcome::internal_error;
        PROVGATE_LOG(error) << "cannot serve request reason=\""
                            << sanitize(e.what(), 200) << "\"";
        r = internal_error();
    }
    // The audit row is queued before the response leaves: if the queue is
    // full, the phone gets 503 instead of its file, so that every file the
    // worker sends has its row on the way to fetch_audit.
    if (!audit(audit_, req, r, f) && r.status < 400) {
        f.result = outcome::database_unavailable;
        r = service_unavailable();
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
