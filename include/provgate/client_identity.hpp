#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "provgate/config.hpp"
#include "provgate/mac_address.hpp"
#include "provgate/phones.hpp"
#include "provgate/policy.hpp"
#include "provgate/request.hpp"
#include "provgate/store.hpp"

namespace provgate {

// The MAC a client certificate's subject names: the one run of exactly
// twelve hex digits in its CN, after dropping ':' and '-' (Yealink and
// Polycom "001565a1b2c3", Cisco "SEP001565A1B2C3"). nullopt if the CN names
// none or more than one. subject_dn is nginx's $ssl_client_s_dn (RFC 2253).
std::optional<mac_address> certificate_mac(std::string_view subject_dn);

// Must the device's files go only to a client with a verified
// certificate? Yes with require_client_cert, for a device whose vendor (the
// recorded one, else its OUI's) is in require_client_cert_vendors, and for
// a device flagged require_client_cert.
bool client_cert_required(const config& cfg, const device_record& device);

// The client certificate policy for a request that may otherwise be served
// the device's file: a certificate nginx verified against the phone CA
// must name the device's MAC (else cert_mac_mismatch); if
// client_cert_required, a verified certificate is required (else
// cert_required). outcome::served if the request may go on.
outcome check_client_certificate(const config& cfg, const request& req,
                                 const device_record& device);

// What a request says about who is asking, in the form the device row
// remembers (sql/006_identity.sql); a part is empty when the request does
// not state it. cert: a verified certificate's "<subject> issued by
// <issuer>". user_agent: "<vendor> <model>" in lower case when the
// User-Agent states both; the firmware version is left out, as an upgrade
// changes it.
struct presented_identity {
    std::string cert;
    std::string user_agent;
};

presented_identity identity_of(const request& req,
                               const std::optional<user_agent>& ua);

enum class identity_match {
    same,      // nothing to do
    new_parts, // a part the device does not remember yet: remember it
    differs,   // a part that contradicts the remembered one: an alert
};

// Compares a presented identity with the one the device row remembers,
// part by part, and only parts that both sides have.
identity_match compare_identity(const device_record& device,
                                const presented_identity& presented);

// After a request through the device's own folder ended with result: if
// that was a second identity presenting the device's token (a User-Agent
// or verified certificate naming another MAC), logs an alert and, with
// quarantine_on_second_identity, quarantines the device until the
// operator releases it. Throws database_unavailable.
void note_second_identity(store& db, const config& cfg,
                          const device_record& device, outcome result);

// Once a request with the device's token has been accepted: remembers the
// identity it presents if the device has none yet, and if it contradicts
// the remembered one, logs an alert, records it and, with
// quarantine_on_second_identity, quarantines the device. The database is
// called only when compare_identity says so. outcome::second_identity if
// the device was quarantined by this request, else outcome::served.
// Throws database_unavailable.
outcome check_remembered_identity(store& db, const config& cfg,
                                  const request& req,
                                  const presented_identity& presented,
                                  const device_record& device,
                                  const std::string& token_prefix);

} // namespace provgate
