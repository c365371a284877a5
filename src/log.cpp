// Logging through Boost.Log: one line per event, "time level message
// key=value...", with the request's id and client address appended as
// attributes, never repeated by hand at call sites.

#include "provgate/log.hpp"

#include <boost/log/attributes/constant.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/sink.hpp>
#include <boost/log/support/date_time.hpp>
#include <boost/log/utility/setup/common_attributes.hpp>
#include <boost/log/utility/setup/console.hpp>
#include <boost/log/utility/setup/file.hpp>

#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>

namespace provgate {

namespace logging = boost::log;
namespace expr = boost::log::expressions;

namespace {

BOOST_LOG_ATTRIBUTE_KEYWORD(severity_kw, "Severity", log_level)
BOOST_LOG_ATTRIBUTE_KEYWORD(request_id_kw, "RequestId", std::string)
BOOST_LOG_ATTRIBUTE_KEYWORD(client_kw, "Client", std::string)
BOOST_LOG_ATTRIBUTE_KEYWORD(timestamp_kw, "TimeStamp", boost::posix_time::ptime)


void format_record(const logging::record_view& rec,
                   logging::formatting_ostream& out) {
    if (const auto ts = rec[timestamp_kw]) {
        out << boost::posix_time::to_iso_extended_string(*ts) << ' ';
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


void init_logging(log_level level, const std::string& file) {
    // The sink in use, replaced on a reload. The new sink is added before
    // the old one goes, so that another thread's record is never dropped
    // (at worst written twice); reopening the file also lets logrotate
    // move it away and send SIGHUP.
    static boost::shared_ptr<logging::sinks::sink> current;
    static std::mutex mutex;
    const std::lock_guard<std::mutex> lock(mutex);

    auto core = logging::core::get();
    if (!current) {
        core->add_global_attribute("TimeStamp",
                                   logging::attributes::utc_clock());
    }

    boost::shared_ptr<logging::sinks::sink> sink;
    if (file.empty()) {
        auto console = logging::add_console_log(std::clog);
        console->set_formatter(&format_record);
        console->locked_backend()->auto_flush(true);
        sink = console;
    } else {
        // Opening it here first turns a bad path into a startup error
        // instead of a silently missing log.
        if (!std::ofstream(file, std::ios::app)) {
            throw std::runtime_error("could not open log file \"" + file +
                                     "\"");
        }
        auto text =
            logging::add_file_log(logging::keywords::file_name = file,
                                  logging::keywords::open_mode = std::ios::app,
                                  logging::keywords::auto_flush = true);
        text->set_formatter(&format_record);
        sink = text;
    }
    core->set_filter(severity_kw >= level);
    if (current) {
        core->remove_sink(current);
    }
    current = sink;
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
