#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "provgate/config.hpp"
#include "provgate/mac_address.hpp"
#include "provgate/policy.hpp"
#include "provgate/request.hpp"
#include "provgate/store.hpp"

namespace provgate {

// The MAC a client certificate's subject names: the one run of exactly
// twelve hex digits in its CN, after dropping ':' and '-' (Yealink and
// Polycom "001565a1b2c3", Cisco "SEP001565A1B2C3"). nullopt if the CN names
// none or more than one. subject_dn is nginx's $ssl_client_s_dn (RFC 2253).
std::optional<mac_address> certificate_mac(std::string_view subject_dn);

// The client certificate policy for a request that may otherwise be served
// the file of device_mac: a certificate nginx verified against the phone
// CA must name that MAC (else cert_mac_mismatch); with
// require_client_cert, a verified certificate is required (else
// cert_required). outcome::served if the request may go on.
outcome check_client_certificate(const config& cfg, const request& req,
                                 const std::string& device_mac);

// After a request through the device's own folder ended with result: if
// that was a second identity presenting the device's token (a User-Agent
// or verified certificate naming another MAC), logs an alert and, with
// quarantine_on_second_identity, quarantines the device until the
// operator releases it. Throws database_unavailable.
void note_second_identity(store& db, const config& cfg,
                          const device_record& device, outcome result);

} // namespace provgate
