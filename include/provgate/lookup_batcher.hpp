#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "provgate/config.hpp"
#include "provgate/store.hpp"
#include "provgate/token.hpp"

namespace provgate {

// The token lookups that miss the device cache, for a whole worker
// process: one thread with its own connection takes every token the
// request threads are waiting for and looks them all up in one query.
//
// In a boot storm most requests are a phone's first and miss the cache.
// Queried one by one, each costs a round trip, two wake-ups of a
// PostgreSQL backend and an executor start-up; batched, a query serves as
// many requests as arrived while the previous one ran, and the cost per
// lookup falls as the load rises. A lone request pays one hand-over to the
// thread and back. Thread-safe.
class lookup_batcher {
public:
    // database() is called before every query, so that a reload's new
    // DSN (or read_dsn) is followed.
    explicit lookup_batcher(std::function<database_settings()> database);

    // Stops the thread; requests must no longer call find().
    ~lookup_batcher();

    lookup_batcher(const lookup_batcher&) = delete;
    lookup_batcher& operator=(const lookup_batcher&) = delete;

    // The device holding this token hash as its current or pending token.
    // Blocks until the batch holding it was looked up. Throws
    // database_unavailable if that query failed.
    std::optional<device_record> find(const token_digest& digest);

private:
    // One request's lookup, on the stack of the request thread.
    struct waiter {
        token_digest digest;
        std::optional<device_record> found;
        bool done = false;
        bool failed = false;
        std::condition_variable wake;
    };

    void run();

    const std::function<database_settings()> database_;
    std::mutex mutex_;
    std::condition_variable work_;
    std::vector<waiter*> queue_;
    bool stop_ = false;
    std::thread thread_;
};

} // namespace provgate
