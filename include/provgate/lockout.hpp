#pragma once

#include <string>
#include <string_view>

#include "provgate/config.hpp"
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

// Must a request from addr be refused because the address is locked out?
// Costs one primary-key probe in PostgreSQL unless the lockout is off or
// the address exempt. Throws database_unavailable.
bool client_locked_out(store& db, const lockout_settings& settings,
                       const std::string& addr);

// Counts the outcome of a request from addr toward its lockout, if it
// counts, and logs the moment the address is locked. A decoy locks at once
// and is logged as an alert even from an exempt address (which is never
// locked). mac is the device's, for the alert. Throws database_unavailable.
void note_outcome(store& db, const lockout_settings& settings,
                  const std::string& addr, outcome result,
                  const std::string& mac);

} // namespace provgate
