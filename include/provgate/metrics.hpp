#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace provgate {

// The worker's counters, exported in Prometheus' text format (version
// 0.0.4) on the status listener. Every member is thread-safe.
class metrics_registry {
public:
    // Upper bounds of the latency histogram's buckets, in seconds.
    static constexpr std::array<double, 12> latency_buckets = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

    // One answered request: its status, the vendor whose file it was (empty
    // if the request never got that far), whether it came through the
    // legacy shared directory, and how long it took.
    void count_request(int status, std::string_view vendor, bool legacy,
                       double seconds);

    // One failed database call (connect, query or insert).
    void count_database_error();

    // A client address locked out by its failures (or by a decoy fetch).
    void count_lockout();

    // A request refused because its address is locked out.
    void count_locked_out_request();

    // One SIGHUP handled; ok is false if the new configuration was refused.
    void count_reload(bool ok);

    // Audit rows: pending, from push (+1) until written or given up (-n);
    // written by the writer thread, refused because the queue was full, and
    // given up at shutdown because the database stayed away.
    void audit_queued(std::int64_t rows);
    void count_audit_written(std::uint64_t rows);
    void count_audit_dropped();
    void count_audit_lost(std::uint64_t rows);

    // A token lookup answered by device_cache, or sent to the database.
    void count_cache_lookup(bool hit);

    // A file taken from render_cache, or rendered from its template.
    void count_render(bool cached);

    // One query of lookup_batcher, for however many tokens.
    void count_lookup_query();

    // Requests being served right now, for the in-flight gauge.
    void request_started();
    void request_finished();

    // The whole exposition, one metric family after the other.
    std::string render() const;

private:
    mutable std::mutex mutex_;
    std::map<std::pair<int, std::string>, std::uint64_t> requests_;
    std::array<std::uint64_t, latency_buckets.size()> bucket_counts_{};
    std::uint64_t latency_count_ = 0;
    double latency_sum_ = 0;

    std::atomic<std::uint64_t> database_errors_{0};
    std::atomic<std::uint64_t> legacy_fetches_{0};
    std::atomic<std::uint64_t> lockouts_{0};
    std::atomic<std::uint64_t> locked_out_requests_{0};
    std::atomic<std::uint64_t> reloads_ok_{0};
    std::atomic<std::uint64_t> reloads_failed_{0};
    std::atomic<std::int64_t> in_flight_{0};
    std::atomic<std::int64_t> audit_pending_rows_{0};
    std::atomic<std::uint64_t> audit_written_{0};
    std::atomic<std::uint64_t> audit_dropped_{0};
    std::atomic<std::uint64_t> audit_lost_{0};
    std::atomic<std::uint64_t> cache_hits_{0};
    std::atomic<std::uint64_t> cache_misses_{0};
    std::atomic<std::uint64_t> lookup_queries_{0};
    std::atomic<std::uint64_t> renders_cached_{0};
    std::atomic<std::uint64_t> renders_done_{0};
};

// The process-wide registry.
metrics_registry& metrics();

} // namespace provgate
