// The worker's counters and their Prometheus text exposition. Counting is
// cheap next to a request's database round trips: one short mutex for the
// per-status table and the histogram, atomics for the rest.

#include "provgate/metrics.hpp"

#include <iomanip>
#include <sstream>

namespace provgate {

namespace {

void family(std::ostringstream& out, const char* name, const char* type,
            const char* help) {
    out << "# HELP " << name << ' ' << help << '\n';
    out << "# TYPE " << name << ' ' << type << '\n';
}

} // namespace


void metrics_registry::count_request(int status, std::string_view vendor,
                                     bool legacy, double seconds) {
    if (legacy) {
        ++legacy_fetches_;
    }

    const std::lock_guard<std::mutex> lock(mutex_);
    ++requests_[{status, vendor.empty() ? "none" : std::string(vendor)}];
    for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
        if (seconds <= latency_buckets[i]) {
            ++bucket_counts_[i];
            break;
        }
    }
    ++latency_count_;
    latency_sum_ += seconds;
}


void metrics_registry::count_database_error() {
    ++database_errors_;
}


void metrics_registry::count_lockout() {
    ++lockouts_;
}


void metrics_registry::count_locked_out_request() {
    ++locked_out_requests_;
}


void metrics_registry::count_reload(bool ok) {
    ++(ok ? reloads_ok_ : reloads_failed_);
}


void metrics_registry::request_started() {
    ++in_flight_;
}


void metrics_registry::request_finished() {
    --in_flight_;
}


std::string metrics_registry::render() const {
    std::ostringstream out;
    out << std::setprecision(9);

    family(out, "provgate_requests_total", "counter",
           "Requests answered, by HTTP status and vendor.");
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [key, count] : requests_) {
            out << "provgate_requests_total{status=\"" << key.first
                << "\",vendor=\"" << key.second << "\"} " << count << '\n';
        }

        family(out, "provgate_request_duration_seconds", "histogram",
               "Time from reading a request to having its response ready.");
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
            cumulative += bucket_counts_[i];
            out << "provgate_request_duration_seconds_bucket{le=\""
                << latency_buckets[i] << "\"} " << cumulative << '\n';
        }
        out << "provgate_request_duration_seconds_bucket{le=\"+Inf\"} "
            << latency_count_ << '\n';
        out << "provgate_request_duration_seconds_sum " << latency_sum_ << '\n';
        out << "provgate_request_duration_seconds_count " << latency_count_
            << '\n';
    }

    family(out, "provgate_requests_in_flight", "gauge",
           "Requests being served right now.");
    out << "provgate_requests_in_flight " << in_flight_.load() << '\n';

    family(out, "provgate_database_errors_total", "counter",
           "Failed database calls: connects, lookups and audit inserts.");
    out << "provgate_database_errors_total " << database_errors_.load() << '\n';

    family(out, "provgate_legacy_fetches_total", "counter",
           "Requests through the legacy shared directory.");
    out << "provgate_legacy_fetches_total " << legacy_fetches_.load() << '\n';

    family(out, "provgate_lockouts_total", "counter",
           "Client addresses locked out by failed fetches or a decoy.");
    out << "provgate_lockouts_total " << lockouts_.load() << '\n';

    family(out, "provgate_locked_out_requests_total", "counter",
           "Requests refused because their address was locked out.");
    out << "provgate_locked_out_requests_total " << locked_out_requests_.load()
        << '\n';

    family(out, "provgate_reloads_total", "counter",
           "SIGHUP reloads, by result.");
    out << "provgate_reloads_total{result=\"success\"} " << reloads_ok_.load()
        << '\n';
    out << "provgate_reloads_total{result=\"failure\"} "
        << reloads_failed_.load() << '\n';

    family(out, "provgate_audit_pending_rows", "gauge",
           "Audit rows not yet written: queued, or in the batch being "
           "written.");
    out << "provgate_audit_pending_rows " << audit_pending_rows_.load() << '\n';

    family(out, "provgate_audit_rows_total", "counter",
           "Audit rows by fate: written, dropped (queue full, answered 503) "
           "or lost (database away through the drain at shutdown).");
    out << "provgate_audit_rows_total{result=\"written\"} "
        << audit_written_.load() << '\n';
    out << "provgate_audit_rows_total{result=\"dropped\"} "
        << audit_dropped_.load() << '\n';
    out << "provgate_audit_rows_total{result=\"lost\"} " << audit_lost_.load()
        << '\n';

    family(out, "provgate_cache_lookups_total", "counter",
           "Token lookups, answered by the device cache or the database.");
    out << "provgate_cache_lookups_total{result=\"hit\"} " << cache_hits_.load()
        << '\n';
    out << "provgate_cache_lookups_total{result=\"miss\"} "
        << cache_misses_.load() << '\n';

    family(out, "provgate_lookup_queries_total", "counter",
           "Queries for the token lookups that missed the cache; each "
           "serves every request that waited for one.");
    out << "provgate_lookup_queries_total " << lookup_queries_.load() << '\n';

    family(out, "provgate_renders_total", "counter",
           "Files rendered from their template, or taken from the render "
           "cache.");
    out << "provgate_renders_total{result=\"cached\"} "
        << renders_cached_.load() << '\n';
    out << "provgate_renders_total{result=\"rendered\"} "
        << renders_done_.load() << '\n';
    return out.str();
}


void metrics_registry::audit_queued(std::int64_t rows) {
    audit_pending_rows_ += rows;
}


void metrics_registry::count_audit_written(std::uint64_t rows) {
    audit_written_ += rows;
}


void metrics_registry::count_audit_dropped() {
    ++audit_dropped_;
}


void metrics_registry::count_audit_lost(std::uint64_t rows) {
    audit_lost_ += rows;
}


void metrics_registry::count_cache_lookup(bool hit) {
    ++(hit ? cache_hits_ : cache_misses_);
}


void metrics_registry::count_render(bool cached) {
    ++(cached ? renders_cached_ : renders_done_);
}


void metrics_registry::count_lookup_query() {
    ++lookup_queries_;
}


metrics_registry& metrics() {
    static metrics_registry instance;
    return instance;
}

} // namespace provgate
