// The fence around the legacy shared directory (DHCP option 66): which
// networks and which devices may still use it, and the one-shot bootstrap
// that hands a legacy phone its own secret URL on its first fetch, after
// which the shared directory refuses that MAC.

#include "provgate/legacy_fence.hpp"

#include "provgate/log.hpp"
#include "provgate/token.hpp"

#include <algorithm>

namespace provgate {

bool legacy_network_allowed(const config& cfg, std::string_view addr) {
    return cfg.legacy_networks.empty() ||
           std::any_of(cfg.legacy_networks.begin(), cfg.legacy_networks.end(),
                       [&](const ip_network& net) {
                           return network_contains(net, addr);
                       });
}


outcome check_legacy_fence(const config& cfg, const device_record& device) {
    if (cfg.legacy_flagged_only && !device.legacy) {
        return outcome::legacy_not_flagged;
    }
    if (device.bootstrapped) {
        return outcome::legacy_bootstrapped;
    }
    return outcome::served;
}


std::optional<std::string>
bootstrap_legacy_device(store& db, const config& cfg,
                        const device_record& device) {
    // The token exists in clear only here and in the file sent to the
    // phone; the database keeps its hash, as for provgatectl's tokens.
    const std::string token = mint_token();
    if (!db.bootstrap_device(device.id, hash_token(token))) {
        return std::nullopt;
    }
    PROVGATE_LOG(warning) << "legacy device moved to its own URL mac="
                          << device.mac << " token=" << token_prefix(token);
    return cfg.base_url + "/" + token + "/";
}

} // namespace provgate
