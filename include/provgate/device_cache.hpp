#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "provgate/store.hpp"
#include "provgate/token.hpp"

namespace provgate {

// The devices recently looked up by token, shared by every thread of a
// worker process, so that the second and later files a phone fetches
// through its folder cost no database round trip.
//
// An entry is trusted only while the cache is live: a LISTEN connection
// (cache_listener.hpp) hears PostgreSQL's NOTIFY of every change to
// provgate.devices and drops the entries it names, and the cache is
// emptied and bypassed whenever that connection is down. A revocation,
// rotation or quarantine therefore reaches every worker within the
// notification's delay. The DBA's account tables need not notify: an entry
// also ends ttl after it was read, and at the device's expiry or the end of
// its grace period, whichever comes first.
//
// Thread-safe. Lookups that miss must pass put() the generation() they
// read before querying: an invalidation in between wins over their result,
// which may predate the change.
class device_cache {
public:
    using clock = std::chrono::steady_clock;

    device_cache(std::size_t max_entries, std::chrono::milliseconds ttl);

    // The device cached under this token digest, if the cache is live and
    // the entry has not ended by now.
    std::optional<device_record> find(const token_digest& digest,
                                      clock::time_point now = clock::now());

    // The current generation, to pass to put().
    std::uint64_t generation() const;

    // Caches a device read from the database under the digest it was
    // found by, unless the cache is not live or anything was invalidated
    // since generation was read. When full, the least recently stored
    // entry goes.
    void put(const token_digest& digest, const device_record& device,
             std::uint64_t generation, clock::time_point now = clock::now());

    // Drops every entry of the device.
    void invalidate_device(std::int64_t device_id);

    // Drops everything.
    void clear();

    // Live while the change notifications are heard; not live empties the
    // cache and turns find() and put() into no-ops.
    void set_live(bool live);
    bool live() const;

    std::size_t size() const;

private:
    struct entry {
        token_digest digest;
        device_record device;
        clock::time_point ends;
    };
    struct digest_hash {
        std::size_t operator()(const token_digest& d) const;
    };
    using entry_list = std::list<entry>;

    void erase(entry_list::iterator it);

    const std::size_t max_entries_;
    const std::chrono::milliseconds ttl_;

    mutable std::mutex mutex_;
    bool live_ = false;
    std::uint64_t generation_ = 0;
    entry_list entries_; // oldest first
    std::unordered_map<token_digest, entry_list::iterator, digest_hash>
        by_digest_;
    std::unordered_multimap<std::int64_t, entry_list::iterator> by_device_;
};

// Parses a payload of the provgate_cache channel (sql/006_cache.sql):
// "device 12,15" names changed devices, anything else ("all", "accounts")
// asks for everything to go. Returns the device ids, or nullopt for all.
std::optional<std::vector<std::int64_t>>
devices_to_invalidate(const std::string& payload);

} // namespace provgate
