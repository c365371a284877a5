// Unit tests for the phone tables: which file names each vendor asks for and
// what they carry, how User-Agents are read, and which vendor keys and OUIs
// are known.

#include "provgate/phones.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace provgate;

namespace {

struct name_case {
    const char* file;
    const char* vendor; // one vendor whose rule must produce it
    file_kind kind;
    const char* mac;   // "" when the name carries none
    const char* model; // "" when the name carries none
};

// Every file name in the vendor guides that README.md lists.
const name_case names[] = {
    {"001565aabbcc.cfg", "yealink", file_kind::device, "001565aabbcc", ""},
    {"001565AABBCC.cfg", "yealink", file_kind::device, "001565aabbcc", ""},
    {"y000000000000.boot", "yealink", file_kind::common, "", ""},
    {"y000000000066.cfg", "yealink", file_kind::common, "", "066"},
    {"0004f2aabbcc.cfg", "polycom", file_kind::device, "0004f2aabbcc", ""},
    {"0004f2aabbcc-phone.cfg", "polycom", file_kind::device, "0004f2aabbcc",
     ""},
    {"0004f2aabbcc-directory.xml", "polycom", file_kind::device, "0004f2aabbcc",
     ""},
    {"0004f2aabbcc-boot.log", "polycom", file_kind::upload, "0004f2aabbcc", ""},
    {"0004f2aabbcc-app.log", "polycom", file_kind::upload, "0004f2aabbcc", ""},
    {"000000000000.cfg", "polycom", file_kind::common, "", ""},
    {"cfg000b828aa872.xml", "grandstream", file_kind::device, "000b828aa872",
     ""},
    {"cfg000b828aa872", "grandstream", file_kind::device, "000b828aa872", ""},
    {"cfg000b828aa872.bin", "grandstream", file_kind::device, "000b828aa872",
     ""},
    {"cfg.xml", "grandstream", file_kind::common, "", ""},
    {"cfggrp2614.xml", "grandstream", file_kind::common, "", "grp2614"},
    {"000413922D24.xml", "snom", file_kind::device, "000413922d24", ""},
    {"snomD785-000413922D24.htm", "snom", file_kind::device, "000413922d24",
     "D785"},
    {"snomD785.htm", "snom", file_kind::common, "", "D785"},
    {"0002fdff2103.xml", "cisco", file_kind::device, "0002fdff2103", ""},
    {"spa508G.cfg", "cisco", file_kind::common, "", "508G"},
    {"init.cfg", "cisco", file_kind::common, "", ""},
    {"CP-7832-3PCC.xml", "cisco", file_kind::common, "", "CP-7832"},
    {"cp-phone.xml", "cisco", file_kind::common, "", ""},
    {"0c383e07e16c.cfg", "fanvil", file_kind::device, "0c383e07e16c", ""},
    {"f0X4hw1.100.cfg", "fanvil", file_kind::common, "", "X4hw1.100"},
    {"cfg001fc11c22a9.xml", "htek", file_kind::device, "001fc11c22a9", ""},
    {"cfg0013.xml", "htek", file_kind::common, "", "0013"},
    {"7c2f80e0d605.xml", "gigaset", file_kind::device, "7c2f80e0d605", ""},
};


const file_rule* rule_of(const file_match& match, const char* vendor) {
    return rule_for_vendor(match, vendor);
}

} // namespace


TEST_CASE("every vendor's file names match with their MAC or model") {
    for (const name_case& c : names) {
        const std::string file = c.file;
        CAPTURE(file);
        const auto match = match_file(c.file);
        REQUIRE(match);
        const file_rule* rule = rule_of(*match, c.vendor);
        REQUIRE(rule != nullptr);
        CHECK(rule->kind == c.kind);
        CHECK((match->mac ? match->mac->to_string() : "") == c.mac);
        if (*c.model != '\0') {
            CHECK(match->model == c.model);
        }
    }
}


TEST_CASE("a shared name lists every vendor that asks for it") {
    const auto cfg = match_file("001565aabbcc.cfg");
    REQUIRE(cfg);
    CHECK(rule_of(*cfg, "yealink") != nullptr);
    CHECK(rule_of(*cfg, "polycom") != nullptr);
    CHECK(rule_of(*cfg, "fanvil") != nullptr);
    CHECK(rule_of(*cfg, "snom") == nullptr);

    const auto xml = match_file("001565aabbcc.xml");
    REQUIRE(xml);
    CHECK(rule_of(*xml, "snom") != nullptr);
    CHECK(rule_of(*xml, "cisco") != nullptr);
    CHECK(rule_of(*xml, "gigaset") != nullptr);
    CHECK(rule_of(*xml, "yealink") == nullptr);
}


TEST_CASE("a name with a MAC is a device file even if a model could match") {
    // "cfg<12 hex>.xml" also fits Grandstream's "cfg<model>.xml".
    const auto match = match_file("cfg000b828aa872.xml");

    REQUIRE(match);
    for (const file_rule* rule : match->rules) {
        CHECK(rule->kind == file_kind::device);
    }
}


TEST_CASE("names no phone asks for do not match") {
    for (const char* file :
         {"", ".cfg", "001565aabbc.cfg", "001565aabbcc0.cfg",
          "x001565aabbcc.cfg", "00156Xaabbcc.cfg", "001565aabbcc.CFG",
          "001565aabbcc.cfg.bak", "00:15:65:aa:bb:cc.cfg", "index.html",
          "y000000000000.cfg.bak", "snom-000413922D24.htm", "passwd",
          "0004f2aabbcc-license.cfg"}) {
        const std::string name = file;
        CAPTURE(name);
        CHECK_FALSE(match_file(name));
    }
}


TEST_CASE("the all-zero MAC is never a device") {
    const auto match = match_file("000000000000.cfg");

    REQUIRE(match);
    CHECK_FALSE(match->mac);
    CHECK(match->rules.front()->kind == file_kind::common);
    CHECK_FALSE(match_file("000000000000.xml"));
}


TEST_CASE("XML formats are served as XML and line formats as text") {
    const auto yealink = match_file("001565aabbcc.cfg");
    const auto snom = match_file("000413aabbcc.xml");
    REQUIRE(yealink);
    REQUIRE(snom);

    CHECK(content_type(*rule_of(*yealink, "yealink")) ==
          "text/plain; charset=utf-8");
    CHECK(content_type(*rule_of(*yealink, "polycom")) ==
          "application/xml; charset=utf-8");
    CHECK(content_type(*rule_of(*snom, "snom")) ==
          "application/xml; charset=utf-8");
}


TEST_CASE("each vendor's User-Agent gives vendor, model, firmware and MAC") {
    struct ua_case {
        const char* text;
        const char* vendor;
        const char* model;
        const char* firmware;
        const char* mac;
    };
    const ua_case cases[] = {
        {"Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37", "yealink", "T46G",
         "28.72.0.1", "0015654aa937"},
        {"Yealink SIP-T54W  96.85.0.5  805ec0aabbcc", "yealink", "T54W",
         "96.85.0.5", "805ec0aabbcc"},
        {"Yealink SIP-T46S 66.86.0.15", "yealink", "T46S", "66.86.0.15", ""},
        {"FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application",
         "polycom", "VVX_400", "4.1.4.7430", ""},
        {"Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872",
         "grandstream", "GXP2135", "1.0.7.97", "000b828aa872"},
        {"Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 "
         "2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)",
         "snom", "D785", "10.1.33.33", "000413922d24"},
        {"Cisco/SPA508G-7.4.4 (0002FDFF2103)(CBT141400UK)", "cisco", "SPA508G",
         "7.4.4", "0002fdff2103"},
        {"Cisco-CP-7832-3PCC/11.0.1 (00562b043615)", "cisco", "CP-7832-3PCC",
         "11.0.1", "00562b043615"},
        {"Fanvil X4 2.10.2.6887 0c383e07e16c", "fanvil", "X4", "2.10.2.6887",
         "0c383e07e16c"},
        {"Htek UC903 2.0.4.2 00:1f:c1:1c:22:a9", "htek", "UC903", "2.0.4.2",
         "001fc11c22a9"},
        {"Gigaset N870 IP PRO/83.V2.11.0+build.a546b91;7C2F80E0D605", "gigaset",
         "N870 IP PRO", "83.V2.11.0+build.a546b91", "7c2f80e0d605"},
    };
    for (const ua_case& c : cases) {
        const std::string text = c.text;
        CAPTURE(text);
        const auto ua = parse_user_agent(c.text);
        REQUIRE(ua);
        CHECK(ua->vendor == c.vendor);
        CHECK(ua->model == c.model);
        CHECK(ua->firmware == c.firmware);
        CHECK((ua->mac ? ua->mac->to_string() : "") == c.mac);
    }
}


TEST_CASE("other User-Agents are not taken for a phone") {
    for (const char* text :
         {"", "curl/7.88.1", "Mozilla/5.0 (X11; Linux x86_64)", "   ",
          "Wget/1.21", "python-requests/2.31"}) {
        const std::string ua = text;
        CAPTURE(ua);
        CHECK_FALSE(parse_user_agent(ua));
    }
}


TEST_CASE("a garbled MAC in a User-Agent is ignored, not trusted") {
    const auto ua = parse_user_agent("Yealink SIP-T46G 28.72.0.1 00:15:65:zz");

    REQUIRE(ua);
    CHECK_FALSE(ua->mac);
}


TEST_CASE("OUIs map to their vendors") {
    CHECK(vendor_for_oui(*mac_address::parse("001565aabbcc")) == "yealink");
    CHECK(vendor_for_oui(*mac_address::parse("0004f2aabbcc")) == "polycom");
    CHECK(vendor_for_oui(*mac_address::parse("000b82aabbcc")) == "grandstream");
    CHECK(vendor_for_oui(*mac_address::parse("000413aabbcc")) == "snom");
    CHECK(vendor_for_oui(*mac_address::parse("0c383eaabbcc")) == "fanvil");
    CHECK(vendor_for_oui(*mac_address::parse("001fc1aabbcc")) == "htek");
    CHECK(vendor_for_oui(*mac_address::parse("7c2f80aabbcc")) == "gigaset");
    CHECK(vendor_for_oui(*mac_address::parse("0002fdaabbcc")) == "cisco");
    CHECK(vendor_for_oui(*mac_address::parse("aabbccddeeff")).empty());
}


TEST_CASE("is_vendor_key accepts the eight vendor keys") {
    for (const char* key : {"yealink", "polycom", "grandstream", "snom",
                            "cisco", "fanvil", "htek", "gigaset"}) {
        CAPTURE(key);
        CHECK(is_vendor_key(key));
    }
}


TEST_CASE("is_vendor_key refuses any other text") {
    for (const char* key : {"", "Yealink", "YEALINK", "yealink ", " snom",
                            "avaya", "polycom2", "gigase", "htekk"}) {
        CAPTURE(key);
        CHECK_FALSE(is_vendor_key(key));
    }
}
