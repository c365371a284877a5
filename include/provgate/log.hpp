#pragma once

#include <string>

#include <boost/log/attributes/attribute_set.hpp>
#include <boost/log/sources/record_ostream.hpp>
#include <boost/log/sources/severity_logger.hpp>

#include "provgate/config.hpp"

namespace provgate {

using logger_type = boost::log::sources::severity_logger_mt<log_level>;

// The process-wide logger; use it through PROVGATE_LOG.
logger_type& logger();

// Sends records at level and above to file (append), or to standard error
// when file is empty. Called again (on SIGHUP), it replaces the sink and
// reopens the file. Throws std::runtime_error if file cannot be opened;
// the previous sink then stays.
void init_logging(log_level level, const std::string& file);

// Writes out every record queued so far; call before the process exits.
void flush_logging();

// Attaches request context (request id and client address) to every record
// the calling thread logs while the scope lives.
class request_log_scope {
public:
    request_log_scope(const std::string& request_id,
                      const std::string& client_addr);
    ~request_log_scope();

    request_log_scope(const request_log_scope&) = delete;
    request_log_scope& operator=(const request_log_scope&) = delete;

private:
    boost::log::attribute_set::iterator request_id_;
    boost::log::attribute_set::iterator client_;
};

} // namespace provgate

// One event per line: a lower-case message, then key=value fields.
#define PROVGATE_LOG(level)                                                    \
    BOOST_LOG_SEV(::provgate::logger(), ::provgate::log_level::level)
