// The process-wide cache of token lookups. One mutex guards it: an entry is
// found or stored in well under a microsecond, next to the database round
// trip it saves, so sharding would buy nothing measurable on the machines
// provgate runs on.

#include "provgate/device_cache.hpp"

#include <charconv>
#include <cstring>

namespace provgate {

device_cache::device_cache(std::size_t max_entries,
                           std::chrono::milliseconds ttl)
    : max_entries_(max_entries), ttl_(ttl) {}


std::size_t device_cache::digest_hash::operator()(const token_digest& d) const {
    // The digest is SHA-256 output: any eight of its bytes are uniform.
    std::size_t h = 0;
    std::memcpy(&h, d.data(), sizeof(h));
    return h;
}


std::optional<device_record> device_cache::find(const token_digest& digest,
                                                clock::time_point now) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!live_) {
        return std::nullopt;
    }
    const auto found = by_digest_.find(digest);
    if (found == by_digest_.end()) {
        return std::nullopt;
    }
    if (found->second->ends <= now) {
        erase(found->second);
        return std::nullopt;
    }
    return found->second->device;
}


std::uint64_t device_cache::generation() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return generation_;
}


void device_cache::put(const token_digest& digest, const device_record& device,
                       std::uint64_t generation, clock::time_point now) {
    if (max_entries_ == 0) {
        return;
    }
    clock::time_point ends = now + ttl_;
    // Compared first in seconds: an expiry centuries away would overflow
    // the clock's nanoseconds.
    const std::chrono::duration<double> ttl = ttl_;
    if (device.state_changes_in >= 0 && device.state_changes_in < ttl.count()) {
        const auto change =
            now + std::chrono::duration_cast<clock::duration>(
                      std::chrono::duration<double>(device.state_changes_in));
        ends = std::min(ends, change);
    }

    const std::lock_guard<std::mutex> lock(mutex_);
    if (!live_ || generation != generation_ || ends <= now) {
        return;
    }
    if (const auto old = by_digest_.find(digest); old != by_digest_.end()) {
        erase(old->second);
    }
    while (entries_.size() >= max_entries_) {
        erase(entries_.begin());
    }
    const auto it = entries_.insert(entries_.end(), {digest, device, ends});
    by_digest_.emplace(digest, it);
    by_device_.emplace(device.id, it);
}


void device_cache::erase(entry_list::iterator it) {
    by_digest_.erase(it->digest);
    auto [first, last] = by_device_.equal_range(it->device.id);
    for (; first != last; ++first) {
        if (first->second == it) {
            by_device_.erase(first);
            break;
        }
    }
    entries_.erase(it);
}


void device_cache::invalidate_device(std::int64_t device_id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    auto [first, last] = by_device_.equal_range(device_id);
    std::vector<entry_list::iterator> doomed;
    for (; first != last; ++first) {
        doomed.push_back(first->second);
    }
    for (const auto it : doomed) {
        erase(it);
    }
}


void device_cache::clear() {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    by_digest_.clear();
    by_device_.clear();
    entries_.clear();
}


void device_cache::set_live(bool live) {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    live_ = live;
    by_digest_.clear();
    by_device_.clear();
    entries_.clear();
}


bool device_cache::live() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return live_;
}


std::size_t device_cache::size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}


std::optional<std::vector<std::int64_t>>
devices_to_invalidate(const std::string& payload) {
    constexpr std::string_view prefix = "device ";
    if (!payload.starts_with(prefix)) {
        return std::nullopt;
    }
    std::vector<std::int64_t> ids;
    const char* p = payload.data() + prefix.size();
    const char* const end = payload.data() + payload.size();
    while (p < end) {
        std::int64_t id = 0;
        const auto [next, ec] = std::from_chars(p, end, id);
        if (ec != std::errc() || (next != end && *next != ',')) {
            return std::nullopt; // not ours to understand: drop everything
        }
        ids.push_back(id);
        p = next == end ? end : next + 1;
    }
    if (ids.empty()) {
        return std::nullopt;
    }
    return ids;
}

} // namespace provgate
