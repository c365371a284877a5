// Device identity from the phone's factory certificate. nginx asks for a
// client certificate, verifies it against the configured phone CA bundle
// and passes the result and the subject (nginx/provgate-client-cert.conf);
// this file reads the MAC out of the subject and decides whether the
// request may be served the device's file.

#include "provgate/client_identity.hpp"

#include "provgate/log.hpp"

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


outcome check_client_certificate(const config& cfg, const request& req,
                                 const std::string& device_mac) {
    // Only a certificate nginx verified against the phone CA says anything;
    // an unverified one is as good as none.
    if (req.client_cert_verify != "SUCCESS") {
        return cfg.require_client_cert ? outcome::cert_required
                                       : outcome::served;
    }
    const auto mac = certificate_mac(req.client_cert_subject);
    if (!mac || mac->to_string() != device_mac) {
        return outcome::cert_mac_mismatch;
    }
    return outcome::served;
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
