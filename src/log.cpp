// Logging through Boost.Log: one line per event, "time level message
// key=value...", with the request's id and client address appended as
// attributes, never repeated by hand at call sites.

#include "provgate/log.hpp"

#include <boost/core/null_deleter.hpp>
#include <boost/log/attributes/constant.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/async_frontend.hpp>
#include <boost/log/sinks/block_on_overflow.hpp>
#include <boost/log/sinks/bounded_fifo_queue.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/support/date_time.hpp>
#include <boost/log/utility/setup/common_attributes.hpp>
#include <boost/make_shared.hpp>

#include <pthread.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace provgate {

namespace logging = boost::log;
namespace expr = boost::log::expressions;

namespace {

BOOST_LOG_ATTRIBUTE_KEYWORD(severity_kw, "Severity", log_level)
BOOST_LOG_ATTRIBUTE_KEYWORD(request_id_kw, "RequestId", std::string)
BOOST_LOG_ATTRIBUTE_KEYWORD(client_kw, "Client", std::string)
BOOST_LOG_ATTRIBUTE_KEYWORD(timestamp_kw, "TimeStamp", boost::posix_time::ptime)


// "2026-12-04T05:13:01.123456", the form of Boost's
// to_iso_extended_string with the fraction always written. Written by hand:
// Boost's version builds a stream with its own locale for every line.
void write_timestamp(logging::formatting_ostream& out,
                     const boost::posix_time::ptime& ts) {
    const auto date = ts.date().year_month_day();
    const auto time = ts.time_of_day();
    std::array<char, 40> text{};
    const int n = std::snprintf(
        text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%06d ",
        static_cast<int>(date.year), static_cast<int>(date.month),
        static_cast<int>(date.day), static_cast<int>(time.hours()),
        static_cast<int>(time.minutes()), static_cast<int>(time.seconds()),
        static_cast<int>(time.fractional_seconds() * 1000000 /
                         boost::posix_time::time_duration::ticks_per_second()));
    out.write(text.data(), n);
}


void format_record(const logging::record_view& rec,
                   logging::formatting_ostream& out) {
    if (const auto ts = rec[timestamp_kw]) {
        write_timestamp(out, *ts);
    }
    if (const auto level = rec[severity_kw]) {
        out << to_string(*level) << ' ';
    }
    out << rec[expr::smessage];
    if (const auto id = rec[request_id_kw]) {
        out << " request_id=" << *id;
    }
    if (const auto client = rec[client_kw]) {
        out << " client=" << *client;
    }
}

} // namespace


logger_type& logger() {
    static logger_type instance;
    return instance;
}


namespace {

// Records are formatted and written by one feeding thread, so a request
// thread only queues its line: with a synchronous sink every worker thread
// queued on one mutex around write(2). The queue is bounded; when it is
// full a request thread waits rather than a line being lost.
using text_backend = logging::sinks::text_ostream_backend;
using async_text_sink = logging::sinks::asynchronous_sink<
    text_backend, logging::sinks::bounded_fifo_queue<
                      65536, logging::sinks::block_on_overflow>>;


boost::shared_ptr<async_text_sink> make_sink(const std::string& file) {
    auto backend = boost::make_shared<text_backend>();
    if (file.empty()) {
        backend->add_stream(
            boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter()));
    } else {
        auto stream = boost::make_shared<std::ofstream>(file, std::ios::app);
        if (!*stream) {
            throw std::runtime_error("could not open log file \"" + file +
                                     "\"");
        }
        backend->add_stream(stream);
    }
    // The feeding thread flushes once per round, not once per line.
    backend->auto_flush(false);

    auto sink = boost::make_shared<async_text_sink>(backend, false);
    sink->set_formatter(&format_record);
    return sink;
}


// The sink in use, replaced on a reload.
boost::shared_ptr<async_text_sink> current_sink;
std::mutex sink_mutex;

// The feeding thread writes the queued lines every feed_interval. Boost's
// own feeding thread would be woken by the first line after each idle
// moment, which under load means a context switch for most requests; this
// one sleeps on a timer, and a line reaches the file within the interval.
constexpr std::chrono::milliseconds feed_interval{50};

struct feeder_state {
    std::thread thread;
    std::mutex mutex;
    std::condition_variable wake;
    bool stop = false;
};

feeder_state feeder;


void feed_loop() {
    std::unique_lock<std::mutex> lock(feeder.mutex);
    while (!feeder.stop) {
        feeder.wake.wait_for(lock, feed_interval);
        lock.unlock();
        flush_logging();
        lock.lock();
    }
}


// At exit: the feeding thread ends and the last lines are written.
void finish_logging() {
    {
        const std::lock_guard<std::mutex> lock(feeder.mutex);
        feeder.stop = true;
    }
    feeder.wake.notify_all();
    if (feeder.thread.joinable()) {
        feeder.thread.join();
    }
    flush_logging();
}

} // namespace


void init_logging(log_level level, const std::string& file) {
    // The new sink is added before the old one goes, so that another
    // thread's record is never dropped (at worst written twice); reopening
    // the file also lets logrotate move it away and send SIGHUP.
    auto sink = make_sink(file);
    const std::lock_guard<std::mutex> lock(sink_mutex);
    auto core = logging::core::get();
    if (!current_sink) {
        core->add_global_attribute("TimeStamp",
                                   logging::attributes::utc_clock());
        // Whatever way a program ends, queued lines reach the file.
        std::atexit(finish_logging);
        // The thread must never take a signal meant for the program's own
        // sigwait (provgate_main.cpp): it starts with all of them blocked.
        sigset_t all;
        sigset_t previous;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &previous);
        feeder.thread = std::thread(feed_loop);
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
    core->add_sink(sink);
    core->set_filter(severity_kw >= level);
    if (current_sink) {
        core->remove_sink(current_sink);
        current_sink->stop();
        current_sink->flush();
    }
    current_sink = sink;
}


void flush_logging() {
    const std::lock_guard<std::mutex> lock(sink_mutex);
    if (current_sink) {
        current_sink->flush();
    }
}


request_log_scope::request_log_scope(const std::string& request_id,
                                     const std::string& client_addr) {
    auto core = logging::core::get();
    request_id_ =
        core->add_thread_attribute(
                "RequestId",
                logging::attributes::constant<std::string>(request_id))
            .first;
    client_ = core->add_thread_attribute(
                      "Client",
                      logging::attributes::constant<std::string>(client_addr))
                  .first;
}


request_log_scope::~request_log_scope() {
    auto core = logging::core::get();
    core->remove_thread_attribute(request_id_);
    core->remove_thread_attribute(client_);
}

} // namespace provgate
