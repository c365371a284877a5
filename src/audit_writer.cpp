// The audit rows' way from the request threads to PostgreSQL: a bounded
// queue and one writer thread that COPYs them in batches.

#include "provgate/audit_writer.hpp"

#include "provgate/log.hpp"
#include "provgate/metrics.hpp"
#include "provgate/request.hpp"

#include <algorithm>
#include <thread>

namespace provgate {

namespace {

// How long rows may wait for the writer when they come slower than a
// batch fills.
constexpr std::chrono::milliseconds collect_time{50};

// How long the writer waits before it tries a failed batch again.
constexpr std::chrono::milliseconds retry_delay{200};


// A batch that PostgreSQL refused for a row's contents, written again one
// row at a time; the rows refused again are counted and logged as lost.
void write_one_by_one(store& db, const std::vector<audit_record>& batch) {
    std::size_t lost = 0;
    std::string reason;
    for (const audit_record& row : batch) {
        try {
            db.record_fetches({row});
            metrics().count_audit_written(1);
        } catch (const std::exception& e) {
            // database_unavailable too: the batch is not kept for a
            // database that refused it once already.
            ++lost;
            reason = e.what();
        }
    }
    metrics().audit_queued(-static_cast<std::int64_t>(batch.size()));
    if (lost > 0) {
        metrics().count_audit_lost(lost);
        PROVGATE_LOG(error)
            << "audit rows refused by the database rows=" << lost
            << " reason=\"" << sanitize(reason, 200) << "\"";
    }
}

} // namespace


audit_queue::audit_queue(std::size_t capacity, std::size_t batch_rows)
    : capacity_(capacity), batch_rows_(std::max<std::size_t>(batch_rows, 1)) {}


bool audit_queue::push(audit_record row) {
    bool batch_full = false;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (rows_.size() >= capacity_) {
            return false;
        }
        rows_.push_back(std::move(row));
        batch_full = rows_.size() == batch_rows_;
    }
    metrics().audit_queued(1);
    if (batch_full) {
        ready_.notify_one();
    }
    return true;
}


std::vector<audit_record> audit_queue::take(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait_for(lock, wait,
                    [&] { return rows_.size() >= batch_rows_ || closed_; });
    const std::size_t n = std::min(batch_rows_, rows_.size());
    std::vector<audit_record> out(std::make_move_iterator(rows_.begin()),
                                  std::make_move_iterator(rows_.begin() + n));
    rows_.erase(rows_.begin(), rows_.begin() + n);
    return out;
}


void audit_queue::put_back(std::vector<audit_record> rows) {
    const std::lock_guard<std::mutex> lock(mutex_);
    rows_.insert(rows_.begin(), std::make_move_iterator(rows.begin()),
                 std::make_move_iterator(rows.end()));
}


void audit_queue::close() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
    }
    ready_.notify_all();
}


bool audit_queue::closed() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
}


std::size_t audit_queue::size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return rows_.size();
}


void run_audit_writer(audit_queue& queue,
                      const std::function<database_settings()>& database,
                      std::chrono::milliseconds drain_limit) {
    store db(database());
    std::optional<std::chrono::steady_clock::time_point> give_up_at;
    bool failing = false;

    for (;;) {
        std::vector<audit_record> batch = queue.take(collect_time);
        if (batch.empty()) {
            if (queue.closed() && queue.size() == 0) {
                return;
            }
            continue;
        }
        try {
            db.configure(database());
            db.record_fetches(batch);
            metrics().count_audit_written(batch.size());
            metrics().audit_queued(-static_cast<std::int64_t>(batch.size()));
            if (failing) {
                failing = false;
                PROVGATE_LOG(info)
                    << "audit rows written again queued=" << queue.size();
            }
            continue;
        } catch (const database_unavailable&) {
            // store logged the outage; the rows wait for the database.
        } catch (const audit_rejected&) {
            // A row the server refuses for its contents (it should never
            // happen: every field is sanitized) must not hold up the rows
            // behind it for ever: the batch goes again row by row, and
            // only the refused rows are lost.
            write_one_by_one(db, batch);
            continue;
        }

        failing = true;
        const auto now = std::chrono::steady_clock::now();
        if (queue.closed() && !give_up_at) {
            give_up_at = now + drain_limit;
        }
        if (give_up_at && now >= *give_up_at) {
            const std::size_t lost = batch.size() + queue.size();
            metrics().count_audit_lost(lost);
            metrics().audit_queued(-static_cast<std::int64_t>(lost));
            PROVGATE_LOG(error)
                << "audit rows lost at shutdown, the database stayed "
                   "unreachable rows="
                << lost;
            return;
        }
        queue.put_back(std::move(batch));
        std::this_thread::sleep_for(retry_delay);
    }
}

} // namespace provgate
