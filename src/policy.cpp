// The decisions of the secure path, apart from any I/O: given what the
// database holds for a token or MAC, may this file be served?

#include "provgate/policy.hpp"

namespace provgate {

namespace {

// Checks common to both paths, once the device is known.
outcome check_device_state(const device_record& device) {
    if (device.revoked) {
        return outcome::revoked;
    }
    if (device.quarantined) {
        return outcome::quarantined;
    }
    if (device.expired) {
        return outcome::expired;
    }
    if (!device.has_account) {
        return outcome::no_account;
    }
    if (!device.account.enabled) {
        return outcome::disabled;
    }
    return outcome::served;
}

} // namespace


const char* to_string(outcome o) {
    switch (o) {
    case outcome::served:
        return "served";
    case outcome::not_modified:
        return "not_modified";
    case outcome::method_not_allowed:
        return "method_not_allowed";
    case outcome::malformed_path:
        return "malformed_path";
    case outcome::unknown_file:
        return "unknown_file";
    case outcome::unknown_token:
        return "unknown_token";
    case outcome::mac_mismatch:
        return "mac_mismatch";
    case outcome::ua_mac_mismatch:
        return "ua_mac_mismatch";
    case outcome::upload_discarded:
        return "upload_discarded";
    case outcome::revoked:
        return "revoked";
    case outcome::expired:
        return "expired";
    case outcome::no_account:
        return "no_account";
    case outcome::disabled:
        return "disabled";
    case outcome::wrong_vendor_file:
        return "wrong_vendor_file";
    case outcome::legacy_disabled:
        return "legacy_disabled";
    case outcome::unknown_mac:
        return "unknown_mac";
    case outcome::render_failed:
        return "render_failed";
    case outcome::internal_error:
        return "internal_error";
    case outcome::database_unavailable:
        return "database_unavailable";
    case outcome::locked_out:
        return "locked_out";
    case outcome::decoy:
        return "decoy";
    case outcome::legacy_network:
        return "legacy_network";
    case outcome::legacy_not_flagged:
        return "legacy_not_flagged";
    case outcome::legacy_bootstrapped:
        return "legacy_bootstrapped";
    case outcome::cert_mac_mismatch:
        return "cert_mac_mismatch";
    case outcome::cert_required:
        return "cert_required";
    case outcome::quarantined:
        return "quarantined";
    case outcome::second_identity:
        return "second_identity";
    case outcome::digest_required:
        return "digest_required";
    case outcome::digest_refused:
        return "digest_refused";
    }
    return "unknown";
}


outcome check_secure_fetch(const device_record& device,
                           const token_digest& presented,
                           const std::optional<mac_address>& requested) {
    const bool current = digest_equal(device.token_hash, presented);
    const bool pending =
        device.has_pending && digest_equal(device.pending_hash, presented);
    if (!current && !pending) {
        return outcome::unknown_token;
    }
    if (current && device.has_pending && !device.in_grace) {
        return outcome::unknown_token; // rotated, and the grace period is over
    }
    if (device.decoy) {
        return outcome::decoy;
    }
    if (requested && device.mac != requested->to_string()) {
        return outcome::mac_mismatch;
    }
    return check_device_state(device);
}


outcome check_user_agent_mac(const std::optional<mac_address>& stated,
                             const std::string& expected_mac) {
    if (stated && stated->to_string() != expected_mac) {
        return outcome::ua_mac_mismatch;
    }
    return outcome::served;
}


outcome check_legacy_fetch(const device_record& device) {
    if (device.decoy) {
        return outcome::decoy;
    }
    return check_device_state(device);
}

} // namespace provgate
