// Unit tests for device identity from client certificates: the MAC in a
// subject's CN, and the policy applied to nginx's verification result.

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


TEST_CASE("only a verified certificate counts, and it must name the MAC") {
    config cfg;
    request req;
    CHECK(check_client_certificate(cfg, req, "001565a1b2c3") ==
          outcome::served);

    req.client_cert_verify = "SUCCESS";
    req.client_cert_subject = "CN=001565a1b2c3";
    CHECK(check_client_certificate(cfg, req, "001565a1b2c3") ==
          outcome::served);
    CHECK(check_client_certificate(cfg, req, "001565000000") ==
          outcome::cert_mac_mismatch);
    req.client_cert_subject = "CN=no mac here";
    CHECK(check_client_certificate(cfg, req, "001565a1b2c3") ==
          outcome::cert_mac_mismatch);

    req.client_cert_verify = "FAILED:unable to get issuer certificate";
    CHECK(check_client_certificate(cfg, req, "001565000000") ==
          outcome::served);
    cfg.require_client_cert = true;
    CHECK(check_client_certificate(cfg, req, "001565000000") ==
          outcome::cert_required);
    req.client_cert_verify = "NONE";
    CHECK(check_client_certificate(cfg, req, "001565000000") ==
          outcome::cert_required);
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
