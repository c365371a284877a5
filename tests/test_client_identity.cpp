// Unit tests for device identity: the MAC in a client certificate's CN, the
// policy applied to nginx's verification result, per vendor and per device,
// and the identity a request presents compared with the remembered one.

#include "provgate/client_identity.hpp"

#include <doctest/doctest.h>

using namespace provgate;


TEST_CASE("the MAC is read from the CN in the vendors' shapes") {
    CHECK(certificate_mac("CN=001565a1b2c3,O=Yealink")->to_string() ==
          "001565a1b2c3");
    CHECK(certificate_mac("O=Polycom,CN=0004F2A1B2C3")->to_string() ==
          "0004f2a1b2c3");
    CHECK(certificate_mac("CN=CP-8841-3PCC-SEP0002FDFF2103,O=Cisco")
              ->to_string() == "0002fdff2103");
    CHECK(certificate_mac("CN=00:15:65:a1:b2:c3")->to_string() ==
          "001565a1b2c3");
}


TEST_CASE("a CN with no MAC, or two, names none") {
    CHECK_FALSE(certificate_mac(""));
    CHECK_FALSE(certificate_mac("O=001565a1b2c3,CN=phone"));
    CHECK_FALSE(certificate_mac("CN=001565a1b2c3 001565a1b2c4"));
    CHECK_FALSE(certificate_mac("CN=ab001565a1b2c3")); // 14 hex digits
    CHECK_FALSE(certificate_mac("CN=001565a1b2"));
    // An escaped comma stays inside the CN.
    CHECK(certificate_mac("CN=phone\\, 001565a1b2c3,O=x")->to_string() ==
          "001565a1b2c3");
}


namespace {

device_record device_with_mac(const std::string& mac) {
    device_record d;
    d.mac = mac;
    return d;
}

} // namespace


TEST_CASE("only a verified certificate counts, and it must name the MAC") {
    config cfg;
    request req;
    const device_record phone = device_with_mac("001565a1b2c3");
    const device_record other = device_with_mac("001565000000");
    CHECK(check_client_certificate(cfg, req, phone) == outcome::served);

    req.client_cert_verify = "SUCCESS";
    req.client_cert_subject = "CN=001565a1b2c3";
    CHECK(check_client_certificate(cfg, req, phone) == outcome::served);
    CHECK(check_client_certificate(cfg, req, other) ==
          outcome::cert_mac_mismatch);
    req.client_cert_subject = "CN=no mac here";
    CHECK(check_client_certificate(cfg, req, phone) ==
          outcome::cert_mac_mismatch);

    req.client_cert_verify = "FAILED:unable to get issuer certificate";
    CHECK(check_client_certificate(cfg, req, other) == outcome::served);
    cfg.require_client_cert = true;
    CHECK(check_client_certificate(cfg, req, other) == outcome::cert_required);
    req.client_cert_verify = "NONE";
    CHECK(check_client_certificate(cfg, req, other) == outcome::cert_required);
}


TEST_CASE("a certificate can be required per vendor and per device") {
    config cfg;
    cfg.require_client_cert_vendors = {"polycom", "snom"};
    device_record yealink = device_with_mac("001565a1b2c3");
    device_record polycom_by_oui = device_with_mac("0004f2a1b2c3");
    CHECK_FALSE(client_cert_required(cfg, yealink));
    CHECK(client_cert_required(cfg, polycom_by_oui));

    // The recorded vendor wins over the OUI, both ways.
    yealink.vendor = "snom";
    CHECK(client_cert_required(cfg, yealink));
    polycom_by_oui.vendor = "yealink";
    CHECK_FALSE(client_cert_required(cfg, polycom_by_oui));

    // An OUI no vendor owns is in no vendor's list.
    CHECK_FALSE(client_cert_required(cfg, device_with_mac("aabbcc000001")));

    // The device's own flag, and the global setting, apply to any vendor.
    device_record flagged = device_with_mac("aabbcc000002");
    flagged.require_client_cert = true;
    CHECK(client_cert_required(cfg, flagged));
    config global;
    global.require_client_cert = true;
    CHECK(client_cert_required(global, device_with_mac("aabbcc000003")));

    request req;
    CHECK(check_client_certificate(cfg, req, flagged) ==
          outcome::cert_required);
    CHECK(check_client_certificate(cfg, req, polycom_by_oui) ==
          outcome::served);
    req.client_cert_verify = "SUCCESS";
    req.client_cert_subject = "CN=aabbcc000002";
    CHECK(check_client_certificate(cfg, req, flagged) == outcome::served);
}


TEST_CASE("the presented identity leaves out what an upgrade changes") {
    request req;
    req.user_agent = "Yealink SIP-T46S 66.86.0.15 00:15:65:a1:b2:c3";
    const auto before = identity_of(req, parse_user_agent(req.user_agent));
    req.user_agent = "Yealink SIP-T46S 66.86.0.160";
    const auto after = identity_of(req, parse_user_agent(req.user_agent));
    CHECK(before.user_agent == "yealink t46s");
    CHECK(after.user_agent == before.user_agent);
    CHECK(before.cert.empty());

    // No recognised User-Agent, or one without a model, states nothing.
    CHECK(identity_of(req, std::nullopt).user_agent.empty());
    CHECK(identity_of(req, user_agent{"yealink", "", "1.0", std::nullopt})
              .user_agent.empty());

    // Only a verified certificate is an identity: subject and issuer.
    req.client_cert_subject = "CN=001565a1b2c3,O=Yealink";
    req.client_cert_issuer = "CN=Yealink Equipment Issuing CA";
    CHECK(identity_of(req, std::nullopt).cert.empty());
    req.client_cert_verify = "SUCCESS";
    CHECK(identity_of(req, std::nullopt).cert ==
          "CN=001565a1b2c3,O=Yealink issued by CN=Yealink Equipment Issuing "
          "CA");
    req.client_cert_subject = "CN=a\nb";
    req.client_cert_issuer = "CN=\x01";
    CHECK(identity_of(req, std::nullopt).cert == "CN=a?b issued by CN=?");
}


TEST_CASE("identities are compared part by part, when both sides have it") {
    device_record d = device_with_mac("001565a1b2c3");
    const presented_identity none;
    const presented_identity ua_only{"", "yealink t46s"};
    const presented_identity cert_a{"CN=a issued by CN=ca", "yealink t46s"};
    const presented_identity cert_b{"CN=b issued by CN=ca", "yealink t46s"};

    CHECK(compare_identity(d, none) == identity_match::same);
    CHECK(compare_identity(d, ua_only) == identity_match::new_parts);

    d.identity_user_agent = "yealink t46s";
    CHECK(compare_identity(d, ua_only) == identity_match::same);
    CHECK(compare_identity(d, none) == identity_match::same);
    CHECK(compare_identity(d, cert_a) == identity_match::new_parts);
    CHECK(compare_identity(d, {"", "yealink t54w"}) == identity_match::differs);

    d.identity_cert = cert_a.cert;
    CHECK(compare_identity(d, cert_a) == identity_match::same);
    CHECK(compare_identity(d, cert_b) == identity_match::differs);
    // Without a certificate the request says nothing about it: not a
    // second identity (require a certificate for that).
    CHECK(compare_identity(d, ua_only) == identity_match::same);
}


TEST_CASE("a quarantined device is refused on both paths") {
    const std::string token = mint_token();
    device_record d;
    d.mac = "001565a1b2c3";
    d.token_hash = hash_token(token);
    d.has_account = true;
    d.account.enabled = true;
    REQUIRE(check_secure_fetch(d, hash_token(token), std::nullopt) ==
            outcome::served);
    d.quarantined = true;
    CHECK(check_secure_fetch(d, hash_token(token), std::nullopt) ==
          outcome::quarantined);
    CHECK(check_legacy_fetch(d) == outcome::quarantined);
    CHECK(std::string(to_string(outcome::quarantined)) == "quarantined");
    CHECK_FALSE(config{}.quarantine_on_second_identity);
    CHECK_FALSE(config{}.require_client_cert);
}
