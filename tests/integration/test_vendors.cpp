// Real request lines of eight vendors' phones, path plus verbatim
// User-Agent, through the real nginx and worker: the status each gets and
// the vendor provgate served it as (read back from the audit table).

#include "stack.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>

using provgate::testing::fetch_options;
using provgate::testing::http_result;
using provgate::testing::stack;
using provgate::testing::worker_settings;

namespace {

struct device_spec {
    const char* key;
    const char* mac;
    const char* activate_args;
};

// One device per vendor; some with the vendor recorded, some left to the
// User-Agent or the OUI.
const device_spec devices[] = {
    {"yealink", "001565c00001", ""},
    {"polycom", "0004f2c00002", "--vendor polycom"},
    {"grandstream", "000b82c00003", ""},
    {"snom", "000413c00004", "--vendor snom --model D785"},
    {"cisco-spa", "0002fdc00005", ""},
    {"cisco-mpp", "00562bc00006", "--vendor cisco"},
    {"fanvil", "0c383ec00007", ""},
    {"htek", "001fc1c00008", "--vendor htek"},
    {"gigaset", "7c2f80c00009", ""},
    {"unknown-oui", "aabbccc0000a", ""},
};

struct request_line {
    const char* device;
    const char* method;
    const char* file;
    const char* user_agent; // verbatim; "" sends none
    long status;
    const char* vendor; // as audited; "" where no vendor was settled
};

const char* const yealink_ua = "Yealink SIP-T46S 66.86.0.15";

const request_line lines[] = {
    {"yealink", "GET", "001565c00001.cfg",
     "Yealink SIP-T46S 66.86.0.15 00:15:65:c0:00:01", 200, "yealink"},
    {"yealink", "GET", "001565c00001.cfg",
     "Yealink SIP-T54W  96.85.0.5  001565C00001", 200, "yealink"},
    {"yealink", "GET", "001565c00001.cfg", yealink_ua, 200, "yealink"},
    {"yealink", "GET", "001565C00001.cfg", "", 200, "yealink"},
    {"yealink", "GET", "001565c00001.cfg",
     "Yealink SIP-T46S 66.86.0.15 00:15:65:c0:00:99", 404, ""},
    {"yealink", "GET", "y000000000000.boot", yealink_ua, 200, "yealink"},
    {"yealink", "GET", "y000000000066.cfg", yealink_ua, 200, "yealink"},
    {"yealink", "GET", "y000000000096.cfg", yealink_ua, 404, "yealink"},
    {"yealink", "GET", "cfg001565c00001.xml", yealink_ua, 404, ""},
    {"polycom", "GET", "0004f2c00002.cfg",
     "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", 200,
     "polycom"},
    {"polycom", "GET", "0004f2c00002-phone.cfg",
     "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", 200,
     "polycom"},
    {"polycom", "GET", "0004f2c00002-directory.xml",
     "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Configuration", 200,
     "polycom"},
    {"polycom", "GET", "000000000000.cfg",
     "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", 200,
     "polycom"},
    {"polycom", "GET", "0004f2c00002-license.cfg",
     "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", 404,
     ""},
    {"polycom", "PUT", "0004f2c00002-boot.log",
     "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", 204,
     "polycom"},
    {"polycom", "PUT", "0004f2c00002-app.log",
     "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", 204,
     "polycom"},
    {"polycom", "GET", "0004f2c00002-app.log",
     "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", 404,
     "polycom"},
    {"grandstream", "GET", "cfg000b82c00003.xml",
     "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b82c00003", 200,
     "grandstream"},
    {"grandstream", "GET", "cfg000b82c00003",
     "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b82c00003", 200,
     "grandstream"},
    {"grandstream", "GET", "cfg000b82c00003.bin",
     "Grandstream Model HW GXP1625 SW 1.0.4.140 DevId 000b82c00003", 200,
     "grandstream"},
    {"grandstream", "GET", "cfg000b82c00003.xml",
     "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b82aa8872", 404, ""},
    {"snom", "GET", "000413C00004.xml",
     "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 "
     "2010.12-00004-g9ba52f5 000413C00004 SXM:0 UXM:0)",
     200, "snom"},
    {"snom", "GET", "snomD785-000413C00004.htm",
     "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 "
     "2010.12-00004-g9ba52f5 000413C00004 SXM:0 UXM:0)",
     200, "snom"},
    {"snom", "GET", "snomD785.htm",
     "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 "
     "2010.12-00004-g9ba52f5 000413C00004 SXM:0 UXM:0)",
     200, "snom"},
    {"snom", "GET", "000413c00004.cfg", "", 404, ""},
    {"cisco-spa", "GET", "0002fdc00005.xml",
     "Cisco/SPA508G-7.4.4 (0002FDC00005)(CBT141400UK)", 200, "cisco"},
    {"cisco-spa", "GET", "spa508G.cfg",
     "Cisco/SPA508G-7.4.4 (0002FDC00005)(CBT141400UK)", 200, "cisco"},
    {"cisco-mpp", "GET", "00562bc00006.xml",
     "Cisco-CP-7832-3PCC/11.0.1 (00562bc00006)", 200, "cisco"},
    {"fanvil", "GET", "0c383ec00007.cfg", "Fanvil X4 2.10.2.6887 0c383ec00007",
     200, "fanvil"},
    {"fanvil", "GET", "0c383ec00007.cfg", "", 200, "fanvil"},
    {"htek", "GET", "cfg001fc1c00008.xml",
     "Htek UC903 2.0.4.2 00:1f:c1:c0:00:08", 200, "htek"},
    {"htek", "GET", "cfg001fc1c00008.xml",
     "Htek UC903 2.0.4.2 00:1F:C1:C0:00:08", 200, "htek"},
    {"gigaset", "GET", "7c2f80c00009.xml",
     "Gigaset N870 IP PRO/83.V2.11.0+build.a546b91;7C2F80C00009", 200,
     "gigaset"},
    {"gigaset", "GET", "7c2f80c00009.xml",
     "Gigaset N870 IP PRO/83.V2.11.0+build.a546b91", 200, "gigaset"},
    {"unknown-oui", "GET", "aabbccc0000a.cfg", "Fanvil X4 2.10.2.6887", 200,
     "fanvil"},
    {"unknown-oui", "GET", "aabbccc0000a.cfg", yealink_ua, 200, "yealink"},
};


// The devices' folders, activated once.
const std::map<std::string, std::string>& folders() {
    static const std::map<std::string, std::string> made = [] {
        stack& s = stack::get();
        std::map<std::string, std::string> out;
        for (const device_spec& d : devices) {
            out[d.key] = s.add_device(d.mac, "Vendor Phone", d.activate_args);
        }
        // An operator's static common file for Yealink T46S phones.
        std::filesystem::create_directories(s.dir() + "/static/yealink");
        std::ofstream(s.dir() + "/static/yealink/y000000000066.cfg")
            << "#!version:1.0.0.1\nlang.gui = English\n";
        return out;
    }();
    return made;
}


const device_spec& device(const std::string& key) {
    for (const device_spec& d : devices) {
        if (key == d.key) {
            return d;
        }
    }
    FAIL("no device " << key);
    return devices[0];
}


http_result send(const std::string& path, const request_line& line) {
    fetch_options opts;
    opts.method = line.method;
    opts.user_agent = line.user_agent;
    return stack::get().fetch(path, opts);
}


// The last audit row: the tests run one request at a time.
std::string last_audit() {
    return stack::get().sql("SELECT status || ' ' || coalesce(vendor, '-') || "
                            "' ' || outcome FROM provgate.fetch_audit "
                            "ORDER BY id DESC LIMIT 1");
}

} // namespace


TEST_CASE("real request lines of eight vendors get their status and vendor") {
    stack& s = stack::get();
    const auto& folder = folders();
    REQUIRE(sizeof(lines) / sizeof(lines[0]) >= 30);

    for (const request_line& line : lines) {
        const std::string path = folder.at(line.device) + line.file;
        const std::string label = std::string(line.method) + " " + line.file +
                                  " UA \"" + line.user_agent + "\"";
        CAPTURE(label);
        const http_result r = send(path, line);

        CHECK(r.status == line.status);
        const std::string audit = last_audit();
        CHECK(audit.starts_with(std::to_string(line.status) + " " +
                                (*line.vendor ? line.vendor : "-") + " "));
        if (r.status == 200 &&
            r.header("Content-Type").starts_with("application/xml")) {
            CHECK(s.run("xmllint --noout - <<'EOF'\n" + r.body + "\nEOF")
                      .status == 0);
        }
    }
}


TEST_CASE("each vendor's device file carries the device's own account") {
    stack& s = stack::get();
    const auto& folder = folders();
    const std::pair<const char*, const char*> files[] = {
        {"yealink", "001565c00001.cfg"},
        {"polycom", "0004f2c00002-phone.cfg"},
        {"grandstream", "cfg000b82c00003.xml"},
        {"snom", "000413C00004.xml"},
        {"cisco-spa", "0002fdc00005.xml"},
        {"fanvil", "0c383ec00007.cfg"},
        {"htek", "cfg001fc1c00008.xml"},
        {"gigaset", "7c2f80c00009.xml"},
    };

    for (const auto& entry : files) {
        const auto& key = entry.first;
        const auto& file = entry.second;
        CAPTURE(key);
        fetch_options opts;
        opts.user_agent = "";
        const http_result r = s.fetch(folder.at(key) + file, opts);
        CHECK(r.status == 200);
        CHECK(r.body.find("pw-x" + std::string(device(key).mac)) !=
              std::string::npos);
        // Every format points the phone back at its own secret folder.
        CHECK(r.body.find(folder.at(key).substr(6, 43)) != std::string::npos);
    }
}


TEST_CASE("a User-Agent MAC that differs from the path is audited") {
    stack& s = stack::get();
    const auto& folder = folders();
    fetch_options opts;
    opts.user_agent = "Htek UC903 2.0.4.2 00:1f:c1:00:00:01";
    const http_result reference = s.fetch("/prov/no-such-thing");

    const http_result r =
        s.fetch(folder.at("htek") + "cfg001fc1c00008.xml", opts);

    CHECK(r.status == 404);
    CHECK(r.body == reference.body);
    CHECK(last_audit() == "404 - ua_mac_mismatch\n");
}


TEST_CASE("another device's common file and foreign file names are refused") {
    stack& s = stack::get();
    const auto& folder = folders();
    fetch_options opts;
    opts.user_agent = "";

    // A Yealink folder does not serve snom's or Polycom's files.
    CHECK(s.fetch(folder.at("yealink") + "snomD785.htm", opts).status == 404);
    CHECK(
        s.fetch(folder.at("yealink") + "001565c00001-phone.cfg", opts).status ==
        404);
    // Another device's file in a real folder stays a 404.
    CHECK(s.fetch(folder.at("snom") + "7c2f80c00009.xml", opts).status == 404);
}


TEST_CASE("with the shared directory on, every vendor is served by MAC") {
    stack& s = stack::get();
    folders();
    const worker_settings legacy("PROVGATE_LEGACY=true");
    const std::pair<const char*, const char*> files[] = {
        {"0004f2c00002-phone.cfg", "polycom"},
        {"cfg000b82c00003.xml", "grandstream"},
        {"000413C00004.xml", "snom"},
        {"0002fdc00005.xml", "cisco"},
        {"0c383ec00007.cfg", "fanvil"},
        {"cfg001fc1c00008.xml", "htek"},
        {"7c2f80c00009.xml", "gigaset"},
        {"001565c00001.cfg", "yealink"},
        {"y000000000000.boot", "yealink"},
        {"snomD785.htm", "snom"},
    };

    for (const auto& [file, vendor] : files) {
        const std::string name = file;
        CAPTURE(name);
        fetch_options opts;
        opts.user_agent = "";
        const http_result r = s.fetch("/prov/" + name, opts);
        CHECK(r.status == 200);
        CHECK(last_audit() == "200 " + std::string(vendor) + " served\n");
    }
    fetch_options mismatch;
    mismatch.user_agent = "Fanvil X4 2.10.2.6887 0c383e000001";
    CHECK(s.fetch("/prov/0c383ec00007.cfg", mismatch).status == 404);
    CHECK(last_audit() == "404 - ua_mac_mismatch\n");
}


TEST_CASE("a Polycom log PUT outside its own folder is the usual 404") {
    stack& s = stack::get();
    const auto& folder = folders();
    fetch_options put;
    put.method = "PUT";
    put.user_agent =
        "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application";
    const http_result reference = s.fetch("/prov/no-such-thing");

    const http_result foreign =
        s.fetch(folder.at("yealink") + "0004f2c00002-boot.log", put);
    const http_result unknown = s.fetch(
        "/prov/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/0004f2c00002-boot.log",
        put);
    const http_result not_a_log =
        s.fetch(folder.at("polycom") + "0004f2c00002-phone.cfg", put);

    CHECK(foreign.status == 404);
    CHECK(foreign.body == reference.body);
    CHECK(unknown.status == 404);
    CHECK(unknown.body == reference.body);
    CHECK(not_a_log.status == 405);
}
