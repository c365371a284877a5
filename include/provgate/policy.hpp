#pragma once

#include <optional>

#include "provgate/mac_address.hpp"
#include "provgate/store.hpp"
#include "provgate/token.hpp"

namespace provgate {

// Why a request ended as it did: logged and stored in the audit table. Only
// served and not_modified send the file; every other outcome a client can
// cause looks the same to it (one 404).
enum class outcome {
    served,
    not_modified,
    method_not_allowed,
    malformed_path,
    unknown_file,
    unknown_token,
    mac_mismatch,
    ua_mac_mismatch,
    revoked,
    expired,
    no_account,
    disabled,
    wrong_vendor_file,
    legacy_disabled,
    unknown_mac,
    upload_discarded,
    render_failed,
    internal_error,
    database_unavailable,
    locked_out,          // the client address is locked out (see lockout.hpp)
    decoy,               // a decoy device was fetched: an alert
    legacy_network,      // shared directory from outside legacy_networks
    legacy_not_flagged,  // shared directory for a device not flagged legacy
    legacy_bootstrapped, // shared directory for a device moved off it
    cert_mac_mismatch,   // a verified client certificate of another MAC
    cert_required,       // require_client_cert, and none was verified
    quarantined,         // a second identity used the device's token
    second_identity,     // another identity than the remembered one
    digest_required,     // no (or a stale) Digest Authorization: challenged
    digest_refused,      // a wrong, forged or replayed Digest Authorization
};

// The name stored in fetch_audit.outcome.
const char* to_string(outcome o);

// May the device found by a presented token receive the file that names
// requested (nullopt for a common file, which names no MAC)? The digest is
// compared again in constant time, so that the decision never rests on the
// database's comparison alone. The token of a decoy is outcome::decoy,
// whatever file it is presented with.
outcome check_secure_fetch(const device_record& device,
                           const token_digest& presented,
                           const std::optional<mac_address>& requested);

// Does the MAC a phone states in its User-Agent (if any) agree with the MAC
// the request is for? A disagreement means a copied URL, not a phone.
outcome check_user_agent_mac(const std::optional<mac_address>& stated,
                             const std::string& expected_mac);

// May the device found by MAC receive its file through the legacy shared
// path (already known to be enabled)? A decoy never may.
outcome check_legacy_fetch(const device_record& device);

} // namespace provgate
