// Device identity from the phone's factory certificate and its
// User-Agent. nginx asks for a client certificate, verifies it against the
// configured phone CA bundle and passes the result, the subject and the
// issuer (nginx/provgate-client-cert.conf); this file reads the MAC out of
// the subject, decides whether the request may be served the device's
// file, and compares who presents a token with who used it before.

#include "provgate/client_identity.hpp"

#include "provgate/log.hpp"

#include <algorithm>
#include <cctype>

namespace provgate {

namespace {

// The value of the CN attribute of an RFC 2253 distinguished name, with
// escaped characters taken as they are; "" if there is none.
std::string common_name(std::string_view dn) {
    std::size_t at = 0;
    while (at < dn.size()) {
        if (dn.substr(at, 3) == "CN=") {
            std::string value;
            for (std::size_t i = at + 3; i < dn.size() && dn[i] != ','; ++i) {
                if (dn[i] == '\\' && i + 1 < dn.size()) {
                    ++i;
                }
                value += dn[i];
            }
            return value;
        }
        // The next attribute starts after an unescaped comma.
        while (at < dn.size() && dn[at] != ',') {
            at += dn[at] == '\\' ? 2 : 1;
        }
        ++at;
    }
    return "";
}


// A part of an identity contradicts the remembered one only if both sides
// have it: a request that does not state a part says nothing about it.
bool part_differs(const std::string& remembered, const std::string& now) {
    return !remembered.empty() && !now.empty() && remembered != now;
}


// "cert", "user_agent" or both, for the alert; "-" if only the database
// saw a difference (the row read for the request was older).
std::string differing_parts(const device_record& device,
                            const presented_identity& presented) {
    std::string parts;
    if (part_differs(device.identity_cert, presented.cert)) {
        parts = "cert";
    }
    if (part_differs(device.identity_user_agent, presented.user_agent)) {
        parts += parts.empty() ? "user_agent" : ",user_agent";
    }
    return parts.empty() ? "-" : parts;
}

} // namespace


std::optional<mac_address> certificate_mac(std::string_view subject_dn) {
    std::string cn;
    for (const char c : common_name(subject_dn)) {
        if (c != ':' && c != '-') {
            cn += c;
        }
    }

    std::optional<mac_address> found;
    std::size_t run = 0;
    for (std::size_t i = 0; i <= cn.size(); ++i) {
        if (i < cn.size() &&
            std::isxdigit(static_cast<unsigned char>(cn[i])) != 0) {
            ++run;
            continue;
        }
        if (run == 12) {
            if (found) {
                return std::nullopt; // two MACs: which one is meant?
            }
            found = mac_address::parse(cn.substr(i - 12, 12));
        }
        run = 0;
    }
    return found;
}


bool client_cert_required(const config& cfg, const device_record& device) {
    if (cfg.require_client_cert || device.require_client_cert) {
        return true;
    }
    if (cfg.require_client_cert_vendors.empty()) {
        return false;
    }
    // The vendor whose factory certificates the phone carries: the one the
    // operator recorded, else the OUI's. Never the User-Agent's, which the
    // client chooses.
    std::string vendor = device.vendor;
    if (vendor.empty()) {
        if (const auto mac = mac_address::parse(device.mac)) {
            vendor = std::string(vendor_for_oui(*mac));
        }
    }
    const auto& vendors = cfg.require_client_cert_vendors;
    return std::find(vendors.begin(), vendors.end(), vendor) != vendors.end();
}


outcome check_client_certificate(const config& cfg, const request& req,
                                 const device_record& device) {
    // Only a certificate nginx verified against the phone CA says anything;
    // an unverified one is as good as none.
    if (req.client_cert_verify != "SUCCESS") {
        return client_cert_required(cfg, device) ? outcome::cert_required
                                                 : outcome::served;
    }
    const auto mac = certificate_mac(req.client_cert_subject);
    if (!mac || mac->to_string() != device.mac) {
        return outcome::cert_mac_mismatch;
    }
    return outcome::served;
}


presented_identity identity_of(const request& req,
                               const std::optional<user_agent>& ua) {
    presented_identity id;
    // Subject and issuer together: only the CA that nginx verified the
    // certificate against can issue another with the same names, and a
    // certificate the vendor renews keeps them, where a fingerprint would
    // change. Cut and sanitized as the database stores them, so that an
    // unchanged identity compares equal to the remembered one.
    if (req.client_cert_verify == "SUCCESS" &&
        !req.client_cert_subject.empty()) {
        id.cert = sanitize(req.client_cert_subject, 250);
        if (!req.client_cert_issuer.empty()) {
            id.cert += " issued by " + sanitize(req.client_cert_issuer, 250);
        }
    }
    // Vendor and model only: the same phone states them in every firmware,
    // while the version changes with each upgrade. A User-Agent that does
    // not state both says nothing.
    if (ua && !ua->vendor.empty() && !ua->model.empty()) {
        id.user_agent = sanitize(ua->vendor + " " + ua->model, 128);
        std::transform(
            id.user_agent.begin(), id.user_agent.end(), id.user_agent.begin(),
            [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    return id;
}


identity_match compare_identity(const device_record& device,
                                const presented_identity& presented) {
    if (part_differs(device.identity_cert, presented.cert) ||
        part_differs(device.identity_user_agent, presented.user_agent)) {
        return identity_match::differs;
    }
    if ((device.identity_cert.empty() && !presented.cert.empty()) ||
        (device.identity_user_agent.empty() && !presented.user_agent.empty())) {
        return identity_match::new_parts;
    }
    return identity_match::same;
}


outcome check_remembered_identity(store& db, const config& cfg,
                                  const request& req,
                                  const presented_identity& presented,
                                  const device_record& device,
                                  const std::string& token_prefix) {
    // The common case, the device's own phone again, costs no query.
    const identity_match match = compare_identity(device, presented);
    if (match == identity_match::same) {
        return outcome::served;
    }

    // The function decides again under the row's lock: the row read for
    // this request may be older than another request's update.
    const bool quarantine = cfg.quarantine_on_second_identity;
    if (!db.note_identity(device.id, presented.cert, presented.user_agent,
                          req.client_addr, token_prefix, quarantine)) {
        return outcome::served;
    }

    // A phone replaced under the same record, or a certificate the
    // operator reinstalled, also lands here: the operator clears the
    // remembered identity (provgatectl identity --clear) once satisfied.
    PROVGATE_LOG(error) << "device token presented by a second identity "
                           "alert=second_identity mac="
                        << device.mac << " reason=identity_differs differs="
                        << differing_parts(device, presented)
                        << " token=" << token_prefix
                        << " quarantined=" << (quarantine ? "yes" : "no");
    return quarantine ? outcome::second_identity : outcome::served;
}


void note_second_identity(store& db, const config& cfg,
                          const device_record& device, outcome result) {
    if (result != outcome::ua_mac_mismatch &&
        result != outcome::cert_mac_mismatch) {
        return;
    }
    // Only a holder of the token gets here, so a quarantine cannot be
    // triggered by guessing; but a phone with a misconfigured User-Agent
    // would quarantine itself, hence the setting.
    PROVGATE_LOG(error) << "device token presented by a second identity "
                           "alert=second_identity mac="
                        << device.mac << " reason=" << to_string(result)
                        << " quarantined="
                        << (cfg.quarantine_on_second_identity ? "yes" : "no");
    if (cfg.quarantine_on_second_identity) {
        db.quarantine_device(device.id, to_string(result));
    }
}

} // namespace provgate
