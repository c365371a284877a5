#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "provgate/config.hpp"
#include "provgate/policy.hpp"
#include "provgate/store.hpp"

namespace provgate {

// May a client at addr use the legacy shared directory at all? True if
// legacy_networks is empty or holds the address.
bool legacy_network_allowed(const config& cfg, std::string_view addr);

// The fence around a device found by MAC in the shared directory (its
// state already checked): refused if legacy_flagged_only is set and the
// device is not flagged, or if the bootstrap already moved it.
outcome check_legacy_fence(const config& cfg, const device_record& device);

// The one-shot bootstrap: mints a token for the device, stores only its
// hash, closes the shared directory for it and returns the folder URL its
// configuration must point to; nullopt if a concurrent request won. Throws
// database_unavailable.
std::optional<std::string> bootstrap_legacy_device(store& db, const config& cfg,
                                                   const device_record& device);

} // namespace provgate
