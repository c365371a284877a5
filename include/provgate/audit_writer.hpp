#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "provgate/config.hpp"
#include "provgate/store.hpp"

namespace provgate {

// The audit rows of answered requests, on their way to PostgreSQL. Request
// threads push; one writer thread (run_audit_writer) takes them in batches
// and COPYs them, so that no phone waits for an audit insert.
//
// The queue is bounded: when the database is slow or down long enough to
// fill it, push() refuses and the request is answered 503 instead of its
// file, so a file is never served without its row on the way. Rows in the
// queue are lost only if the process dies without stopping (kill -9, a
// crash) or the database stays down through the whole drain at shutdown;
// both are logged and counted where they can be. Thread-safe.
class audit_queue {
public:
    // At most capacity rows wait; the writer takes them batch_rows at a
    // time.
    explicit audit_queue(std::size_t capacity, std::size_t batch_rows = 1000);

    // Queues a row; false, and the row is dropped, if the queue is full.
    bool push(audit_record row);

    // Up to batch_rows rows, oldest first, once that many are queued, the
    // queue is closed, or wait has passed. Waiting for a batch to fill
    // keeps the writer asleep while rows trickle in: under load a request
    // thread never wakes it, and a quiet worker's rows still reach the
    // table within wait. Empty if none came, or once closed and empty.
    std::vector<audit_record> take(std::chrono::milliseconds wait);

    // Returns rows that could not be written to the front of the queue, in
    // their order, even beyond the capacity.
    void put_back(std::vector<audit_record> rows);

    // No more pushes will come: take() stops waiting.
    void close();
    bool closed() const;

    std::size_t size() const;

private:
    const std::size_t capacity_;
    const std::size_t batch_rows_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<audit_record> rows_;
    bool closed_ = false;
};

// The writer thread's loop: takes a batch at least every 50 ms and COPYs
// it through its own connection; on a database failure it keeps the
// batch, waits and tries again. Returns once the queue is closed and
// drained, or drain_limit after it was closed if the database stays away
// (then the rows left are counted as lost and logged). database() is
// called before every batch, so a reload's new DSN is picked up.
void run_audit_writer(audit_queue& queue,
                      const std::function<database_settings()>& database,
                      std::chrono::milliseconds drain_limit);

} // namespace provgate
