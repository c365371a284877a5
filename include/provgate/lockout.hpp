#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provgate/config.hpp"
#include "provgate/network.hpp"
#include "provgate/policy.hpp"
#include "provgate/store.hpp"

namespace provgate {

// Does a request that ended so count toward its client's lockout? Only
// refusals that guess at something that could have been served count (an
// unknown token, another MAC in a real folder, an unknown MAC in the open
// shared directory, a decoy); never a success, nor a state the operator
// set (revoked, expired, disabled), nor a path that can never serve a file.
bool counts_as_failure(outcome result);

// Is the address in one of the exempt networks?
bool lockout_exempt(const lockout_settings& settings, std::string_view addr);

// The client addresses locked out now, as a worker process last read them
// from PostgreSQL: cache_listener.hpp reads the list whenever a lockout
// starts or is cleared (sql/007_cache.sql), and marks it not live while
// it cannot hear of such changes. Thread-safe.
class lockout_list {
public:
    using clock = std::chrono::steady_clock;
    using entry = std::pair<ip_bytes, clock::time_point>; // address, until

    // Whether addr is locked now; nullopt if the list is not live and the
    // database must be asked.
    std::optional<bool> locked(const ip_bytes& addr,
                               clock::time_point now = clock::now()) const;

    // The whole list as read from the database; makes it live.
    void replace(std::vector<entry> entries);

    // One address this process has just locked, before the notification
    // of it comes back.
    void add(const ip_bytes& addr, clock::time_point until);

    // Not live: locked() answers nullopt until the next replace().
    void set_unknown();

private:
    mutable std::mutex mutex_;
    bool live_ = false;
    std::vector<entry> entries_; // few: only addresses locked right now
};

// Must a request from addr be refused because the address is locked out?
// Answered from the process's lockout list while it is live, else by one
// primary-key probe in PostgreSQL; never asked if the lockout is off or
// the address exempt. Throws database_unavailable.
bool client_locked_out(store& db, const lockout_list& list,
                       const lockout_settings& settings,
                       const std::string& addr);

// Counts the outcome of a request from addr toward its lockout, if it
// counts, and logs the moment the address is locked. A decoy locks at once
// and is logged as an alert even from an exempt address (which is never
// locked). mac is the device's, for the alert. Throws database_unavailable.
void note_outcome(store& db, lockout_list& list,
                  const lockout_settings& settings, const std::string& addr,
                  outcome result, const std::string& mac);

} // namespace provgate
