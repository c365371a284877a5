// Token lookups batched across the request threads of a worker process.

#include "provgate/lookup_batcher.hpp"

#include "provgate/log.hpp"
#include "provgate/metrics.hpp"
#include "provgate/request.hpp"

#include <algorithm>

namespace provgate {

namespace {

// The most tokens in one query: a storm of 64 connections never comes
// near it, and the query stays a few hundred index probes.
constexpr std::size_t max_batch = 256;


bool holds(const device_record& device, const token_digest& digest) {
    return digest_equal(device.token_hash, digest) ||
           (device.has_pending && digest_equal(device.pending_hash, digest));
}

} // namespace


lookup_batcher::lookup_batcher(std::function<database_settings()> database)
    : database_(std::move(database)), thread_([this] { run(); }) {}


lookup_batcher::~lookup_batcher() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    work_.notify_one();
    thread_.join();
}


std::optional<device_record> lookup_batcher::find(const token_digest& digest) {
    waiter w;
    w.digest = digest;
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.push_back(&w);
    if (queue_.size() == 1) {
        work_.notify_one();
    }
    w.wake.wait(lock, [&] { return w.done; });
    if (w.failed) {
        throw database_unavailable("database unavailable");
    }
    return std::move(w.found);
}


void lookup_batcher::run() {
    store db(database_());
    for (;;) {
        std::vector<waiter*> batch;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) {
                return; // stopping, and nobody waits
            }
            const std::size_t n = std::min(max_batch, queue_.size());
            batch.assign(queue_.begin(), queue_.begin() + n);
            queue_.erase(queue_.begin(), queue_.begin() + n);
        }

        std::vector<token_digest> digests;
        digests.reserve(batch.size());
        for (const waiter* w : batch) {
            digests.push_back(w->digest);
        }
        std::vector<device_record> found;
        bool failed = false;
        try {
            db.configure(database_());
            metrics().count_lookup_query();
            found = db.find_by_tokens(digests);
        } catch (const database_unavailable&) {
            failed = true; // store logged the outage
        } catch (const std::exception& e) {
            failed = true;
            PROVGATE_LOG(error) << "cannot look up tokens reason=\""
                                << sanitize(e.what(), 200) << "\"";
        }

        // Each waiter is told under the lock: once it sees done it may
        // return and its waiter is gone.
        const std::lock_guard<std::mutex> lock(mutex_);
        for (waiter* w : batch) {
            const auto match =
                std::find_if(found.begin(), found.end(), [&](const auto& d) {
                    return holds(d, w->digest);
                });
            if (match != found.end()) {
                w->found = *match;
            }
            w->failed = failed;
            w->done = true;
            w->wake.notify_one();
        }
    }
}

} // namespace provgate
