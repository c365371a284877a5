// Unit tests for every vendor's templates: each file rendered for a fixed
// account equals its golden file byte for byte, the XML ones are read back
// by xmllint (an independent parser) into the values that went in, and
// hostile display names and passwords cannot add or change a setting.
//
// PROVGATE_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing;
// review the diff before committing it.

#include "provgate/phones.hpp"
#include "provgate/render.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <map>
#include <memory>

using namespace provgate;
using provgate::testing::read_text;
using provgate::testing::source_dir;

namespace {

const std::string folder_url =
    "https://prov.example.net/prov/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde/";


sip_account bob() {
    return sip_account{"2002",
                       "2002-auth",
                       "Pa55&<word>\"'",
                       "Bob O'Brien",
                       "pbx.example.net",
                       5060,
                       "tcp",
                       true};
}


struct golden_case {
    const char* vendor;
    const char* file;   // a name the rule produces
    const char* golden; // under tests/golden/
    const char* mac;
    const char* model;
};

const golden_case goldens[] = {
    {"yealink", "001565aabbcc.cfg", "yealink-mac.cfg", "001565aabbcc", ""},
    {"yealink", "y000000000000.boot", "yealink-y000000000000.boot", "", ""},
    {"polycom", "0004f2aabbcc.cfg", "polycom-mac.cfg", "0004f2aabbcc", ""},
    {"polycom", "0004f2aabbcc-phone.cfg", "polycom-mac-phone.cfg",
     "0004f2aabbcc", ""},
    {"polycom", "0004f2aabbcc-directory.xml", "polycom-mac-directory.xml",
     "0004f2aabbcc", ""},
    {"polycom", "000000000000.cfg", "polycom-000000000000.cfg", "", ""},
    {"grandstream", "cfg000b828aa872.xml", "grandstream-cfgmac.xml",
     "000b828aa872", ""},
    {"snom", "000413922D24.xml", "snom-mac.xml", "000413922d24", ""},
    {"snom", "snomD785.htm", "snom-snommodel.htm", "", "D785"},
    {"cisco", "0002fdff2103.xml", "cisco-mac.xml", "0002fdff2103", ""},
    {"cisco", "spa508G.cfg", "cisco-spamodel.cfg", "", "508G"},
    {"fanvil", "0c383e07e16c.cfg", "fanvil-mac.cfg", "0c383e07e16c", ""},
    {"htek", "cfg001fc11c22a9.xml", "htek-cfgmac.xml", "001fc11c22a9", ""},
    {"gigaset", "7c2f80e0d605.xml", "gigaset-mac.xml", "7c2f80e0d605", ""},
};


const file_rule& rule_for(const char* file, const char* vendor) {
    const auto match = match_file(file);
    REQUIRE(match);
    const file_rule* rule = rule_for_vendor(*match, vendor);
    REQUIRE(rule != nullptr);
    return *rule;
}


std::shared_ptr<const template_set> shipped() {
    static const auto set =
        template_set::load((source_dir() / "deploy" / "templates").string());
    return set;
}


std::string render(const golden_case& c, const sip_account& account) {
    const file_rule& rule = rule_for(c.file, c.vendor);
    render_input in;
    in.account = rule.kind == file_kind::device ? &account : nullptr;
    in.mac = c.mac;
    in.model = c.model;
    in.provisioning_url = folder_url;
    return shipped()->render(rule, in);
}


// Runs xmllint on text; returns its exit status and standard output.
std::pair<int, std::string> xmllint(const std::string& text,
                                    const std::string& args) {
    char path[] = "/tmp/provgate-xmllint-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size()));
    close(fd);

    const std::string command = "xmllint " + args + " " + path + " 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    std::array<char, 4096> buffer{};
    std::size_t got = 0;
    while ((got = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        out.append(buffer.data(), got);
    }
    const int status = pclose(pipe);
    unlink(path);
    // --xpath ends its answer with a newline of its own.
    if (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return {WEXITSTATUS(status), out};
}


// Where each XML device format keeps the password and the display name.
const std::map<std::string, std::pair<std::string, std::string>> xpaths = {
    {"polycom-mac-phone.cfg",
     {"string(//reg/@*[name()='reg.1.auth.password'])",
      "string(//reg/@*[name()='reg.1.displayName'])"}},
    {"grandstream-cfgmac.xml", {"string(//P34)", "string(//P3)"}},
    {"snom-mac.xml", {"string(//user_pass)", "string(//user_realname)"}},
    {"cisco-mac.xml", {"string(//Password_1_)", "string(//Display_Name_1_)"}},
    {"fanvil-mac.cfg", {"string(//RegisterPswd)", "string(//DisplayName)"}},
    {"htek-cfgmac.xml", {"string(//P34)", "string(//P3)"}},
    {"gigaset-mac.xml",
     {"string(//param[@name='SipAccount.1.AuthPassword']/@value)",
      "string(//param[@name='SipAccount.1.DisplayName']/@value)"}},
};


// "key = value" lines of a line-format file, comments skipped.
std::map<std::string, std::string> parse_lines(const std::string& text) {
    std::map<std::string, std::string> keys;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const std::size_t eq = line.find(" = ");
        REQUIRE_MESSAGE(eq != std::string::npos, "not a key line: ", line);
        keys[line.substr(0, eq)] = line.substr(eq + 3);
    }
    return keys;
}

} // namespace


TEST_CASE("every vendor's file matches its golden file byte for byte") {
    const bool update = std::getenv("PROVGATE_UPDATE_GOLDEN") != nullptr;
    for (const golden_case& c : goldens) {
        const std::string name = c.golden;
        CAPTURE(name);
        const std::string rendered = render(c, bob());
        const auto path = source_dir() / "tests" / "golden" / c.golden;
        if (update) {
            std::ofstream(path, std::ios::binary) << rendered;
        }
        CHECK(rendered == read_text(path));
    }
}


TEST_CASE("every XML file is well-formed for xmllint") {
    for (const golden_case& c : goldens) {
        const file_rule& rule = rule_for(c.file, c.vendor);
        if (rule.format != file_format::xml) {
            continue;
        }
        const std::string name = c.golden;
        CAPTURE(name);
        CHECK(xmllint(render(c, bob()), "--noout").first == 0);
    }
}


TEST_CASE("xmllint reads back the exact password and display name") {
    sip_account hostile = bob();
    hostile.display_name = "</P3><P34>x</P34><!-- \" ' & >";
    hostile.password = "]]><evil attr=\"1\"/>&amp;'\"";

    for (const golden_case& c : goldens) {
        const auto xp = xpaths.find(c.golden);
        if (xp == xpaths.end()) {
            continue;
        }
        const std::string name = c.golden;
        CAPTURE(name);
        const std::string text = render(c, hostile);
        CHECK(xmllint(text, "--noout").first == 0);
        CHECK(xmllint(text, "--xpath \"" + xp->second.first + "\"").second ==
              hostile.password);
        CHECK(xmllint(text, "--xpath \"" + xp->second.second + "\"").second ==
              hostile.display_name);
    }
}


TEST_CASE("the Yealink file parses back into exactly the expected keys") {
    const auto keys = parse_lines(render(goldens[0], bob()));

    CHECK(keys.size() == 10);
    CHECK(keys.at("account.1.password") == "Pa55&<word>\"'");
    CHECK(keys.at("account.1.display_name") == "Bob O'Brien");
    CHECK(keys.at("account.1.auth_name") == "2002-auth");
    CHECK(keys.at("account.1.sip_server.1.transport_type") == "1");
    CHECK(keys.at("static.auto_provision.server.url") == folder_url);
}


TEST_CASE("a line break in any value fails every format closed") {
    for (const char* hostile :
         {"x\naccount.1.password = y", "x\r<P34>y</P34>", "x\tz\x01"}) {
        sip_account account = bob();
        account.display_name = hostile;
        for (const golden_case& c : goldens) {
            const file_rule& rule = rule_for(c.file, c.vendor);
            if (rule.kind != file_kind::device) {
                continue;
            }
            const std::string name = c.golden;
            CAPTURE(name);
            CHECK_THROWS_AS(render(c, account), render_error);
        }
    }
}


TEST_CASE("every transport maps to the vendor's own code") {
    struct transport_case {
        const char* golden;
        const char* xpath;
        std::array<const char*, 3> codes; // udp, tcp, tls
    };
    const transport_case cases[] = {
        {"polycom-mac-phone.cfg",
         "string(//reg/@*[name()='reg.1.server.1.transport'])",
         {"UDPOnly", "TCPOnly", "TLS"}},
        {"grandstream-cfgmac.xml", "string(//P130)", {"0", "1", "2"}},
        {"cisco-mac.xml", "string(//SIP_Transport_1_)", {"UDP", "TCP", "TLS"}},
        {"fanvil-mac.cfg", "string(//Transport)", {"0", "1", "3"}},
        {"htek-cfgmac.xml", "string(//P130)", {"0", "1", "2"}},
        {"gigaset-mac.xml",
         "string(//param[@name='SipProvider.1.TransportProtocol']/@value)",
         {"1", "2", "3"}},
    };
    const std::array<const char*, 3> transports = {"udp", "tcp", "tls"};

    for (const transport_case& t : cases) {
        const golden_case* c = nullptr;
        for (const golden_case& g : goldens) {
            if (std::string(g.golden) == t.golden) {
                c = &g;
            }
        }
        REQUIRE(c != nullptr);
        for (std::size_t i = 0; i < transports.size(); ++i) {
            sip_account account = bob();
            account.transport = transports[i];
            const std::string name =
                std::string(t.golden) + " " + transports[i];
            CAPTURE(name);
            CHECK(xmllint(render(*c, account),
                          std::string("--xpath \"") + t.xpath + "\"")
                      .second == t.codes[i]);
        }
    }
}


TEST_CASE("a per-model template overrides the vendor's default") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("provgate-test-model-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::copy(source_dir() / "deploy" / "templates", dir,
                          std::filesystem::copy_options::recursive);
    std::filesystem::create_directories(dir / "yealink" / "t54w");
    std::ofstream(dir / "yealink" / "t54w" / "mac.cfg.mustache")
        << "#!version:1.0.0.1\naccount.1.label = T54W {{extension}}\n";
    const auto set = template_set::load(dir.string());
    const file_rule& rule = rule_for("001565aabbcc.cfg", "yealink");
    const sip_account account = bob();

    render_input in{&account, "001565aabbcc", "T54W", folder_url};
    CHECK(set->render(rule, in) ==
          "#!version:1.0.0.1\naccount.1.label = T54W 2002\n");
    in.model = "T46S";
    CHECK(set->render(rule, in) == render(goldens[0], account));
    std::filesystem::remove_all(dir);
}
