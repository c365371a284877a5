// The lockout of client addresses that guess: which refusals count, the
// exempt networks, and the two calls into PostgreSQL that keep the counts
// (sql/004_attack.sql), so that every worker process of a host shares them
// and they survive a restart.

#include "provgate/lockout.hpp"

#include "provgate/log.hpp"
#include "provgate/metrics.hpp"

#include <algorithm>

namespace provgate {

bool counts_as_failure(outcome result) {
    switch (result) {
    case outcome::unknown_token:
    case outcome::mac_mismatch:
    case outcome::ua_mac_mismatch:
    case outcome::unknown_mac:
    case outcome::cert_mac_mismatch:
    case outcome::decoy:
    case outcome::digest_refused:
        return true;
    default:
        return false;
    }
}


bool lockout_exempt(const lockout_settings& settings, std::string_view addr) {
    return std::any_of(
        settings.exempt.begin(), settings.exempt.end(),
        [&](const ip_network& net) { return network_contains(net, addr); });
}


std::optional<bool> lockout_list::locked(const ip_bytes& addr,
                                         clock::time_point now) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!live_) {
        return std::nullopt;
    }
    for (const auto& [locked_addr, until] : entries_) {
        if (locked_addr == addr && until > now) {
            return true;
        }
    }
    return false;
}


void lockout_list::replace(std::vector<entry> entries) {
    const std::lock_guard<std::mutex> lock(mutex_);
    entries_ = std::move(entries);
    live_ = true;
}


void lockout_list::add(const ip_bytes& addr, clock::time_point until) {
    const std::lock_guard<std::mutex> lock(mutex_);
    entries_.emplace_back(addr, until);
}


void lockout_list::set_unknown() {
    const std::lock_guard<std::mutex> lock(mutex_);
    live_ = false;
    entries_.clear();
}


bool client_locked_out(store& db, const lockout_list& list,
                       const lockout_settings& settings,
                       const std::string& addr) {
    // An address that is not a literal IP (a Unix socket peer) cannot be
    // counted, so it cannot be locked either.
    const auto ip = parse_ip(addr);
    if (!settings.enabled || !ip || lockout_exempt(settings, addr)) {
        return false;
    }
    if (const auto known = list.locked(*ip)) {
        return *known;
    }
    return db.client_locked(addr);
}


void note_outcome(store& db, lockout_list& list,
                  const lockout_settings& settings, const std::string& addr,
                  outcome result, const std::string& mac) {
    if (!counts_as_failure(result)) {
        return;
    }
    const bool decoy = result == outcome::decoy;
    const bool countable =
        settings.enabled && parse_ip(addr) && !lockout_exempt(settings, addr);
    if (decoy) {
        // Nobody's phone holds a decoy's URL: whoever fetched it found it
        // in a leaked file or walked MACs. The operator must look.
        PROVGATE_LOG(error) << "decoy device fetched alert=decoy mac="
                            << (mac.empty() ? "-" : mac)
                            << " locked=" << (countable ? "yes" : "exempt");
    }
    if (!countable) {
        return;
    }

    const bool locked = db.note_failure(
        addr, to_string(result), decoy ? 1 : settings.max_failures,
        settings.window_seconds, settings.duration_seconds);
    if (locked) {
        list.add(*parse_ip(addr),
                 lockout_list::clock::now() +
                     std::chrono::seconds(settings.duration_seconds));
        metrics().count_lockout();
        PROVGATE_LOG(warning)
            << "client locked out reason=" << to_string(result)
            << " max_failures=" << (decoy ? 1 : settings.max_failures)
            << " window_s=" << settings.window_seconds
            << " duration_s=" << settings.duration_seconds;
    }
}

} // namespace provgate
