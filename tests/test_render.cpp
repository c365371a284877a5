// Unit tests for rendering: the shipped Yealink template gives exactly the
// golden file, no account value can add or change a key, values are escaped
// per format, and a bad template is refused when it is loaded.

#include "provgate/render.hpp"

#include "provgate/phones.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

using namespace provgate;
using provgate::testing::read_text;
using provgate::testing::source_dir;


namespace {

std::shared_ptr<const template_set> shipped_templates() {
    return template_set::load((source_dir() / "deploy" / "templates").string());
}


const file_rule& yealink_rule() {
    const auto match = match_file("001565aabbcc.cfg");
    REQUIRE(match);
    const file_rule* rule = rule_for_vendor(*match, "yealink");
    REQUIRE(rule != nullptr);
    return *rule;
}


sip_account alice() {
    sip_account account;
    account.extension = "1001";
    account.auth_user = "1001a";
    account.password = "s3cret&<>";
    account.display_name = "Alice Example";
    account.sip_server = "pbx.example.net";
    account.sip_port = 5061;
    account.transport = "tls";
    account.enabled = true;
    return account;
}


constexpr const char* alice_url = "https://prov.example.net/prov/TOKEN/";


// The message of the render_error that rendering account throws, or a
// marker that names no field if it renders.
std::string render_failure(const sip_account& account,
                           const std::string& url = alice_url) {
    try {
        shipped_templates()->render(yealink_rule(), account, url);
    } catch (const render_error& e) {
        return e.what();
    }
    return "(rendered without error)";
}


// The message of the template_error that loading dir throws, or a marker.
std::string load_failure(const std::string& dir) {
    try {
        template_set::load(dir);
    } catch (const template_error& e) {
        return e.what();
    }
    return "(loaded without error)";
}


// A templates directory of its own holding one Yealink template, removed
// with everything in it when the test ends.
class temp_templates {
public:
    explicit temp_templates(const std::string* yealink_source) {
        static std::atomic<int> counter{0};
        std::random_device random;
        path_ = std::filesystem::temp_directory_path() /
                ("provgate-test-render-" + std::to_string(getpid()) + "-" +
                 std::to_string(counter++) + "-" + std::to_string(random()));
        // The shipped set, with the Yealink device template replaced by
        // the one under test, or removed.
        std::filesystem::copy(source_dir() / "deploy" / "templates", path_,
                              std::filesystem::copy_options::recursive);
        std::filesystem::remove(template_path());
        if (yealink_source != nullptr) {
            std::ofstream out(template_path(), std::ios::binary);
            out << *yealink_source;
        }
    }

    ~temp_templates() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    temp_templates(const temp_templates&) = delete;
    temp_templates& operator=(const temp_templates&) = delete;

    std::string dir() const {
        return path_.string();
    }

    std::string template_path() const {
        return (path_ / "yealink" / "mac.cfg.mustache").string();
    }


private:
    std::filesystem::path path_;
};

} // namespace


TEST_CASE("the Yealink file for an account matches the golden file") {
    const std::string rendered =
        shipped_templates()->render(yealink_rule(), alice(), alice_url);
    const std::string golden =
        read_text(source_dir() / "tests" / "golden" / "yealink-basic.cfg");

    CHECK(rendered == golden);
}


TEST_CASE("the Yealink file has the expected header, transport and URL") {
    const std::string rendered =
        shipped_templates()->render(yealink_rule(), alice(), alice_url);

    CHECK(rendered.starts_with("#!version:1.0.0.1\n"));
    CHECK(rendered.find("\naccount.1.sip_server.1.port = 5061\n") !=
          std::string::npos);
    CHECK(rendered.find("\naccount.1.sip_server.1.transport_type = 2\n") !=
          std::string::npos);
    CHECK(rendered.find("\nstatic.auto_provision.server.url = "
                        "https://prov.example.net/prov/TOKEN/") !=
          std::string::npos);
}


TEST_CASE("each transport gets its Yealink transport_type") {
    const auto templates = shipped_templates();

    for (const auto& pair : {std::pair{"udp", "0"}, std::pair{"tcp", "1"},
                             std::pair{"tls", "2"}}) {
        // Named copies, not a structured binding: clang 14 cannot capture
        // one in the lambda that INFO expands to.
        const std::string transport = pair.first;
        const std::string type = pair.second;
        sip_account account = alice();
        account.transport = transport;
        const std::string rendered =
            templates->render(yealink_rule(), account, alice_url);
        INFO("transport: ", transport);
        CHECK(rendered.find("transport_type = " + type + "\n") !=
              std::string::npos);
    }
}


TEST_CASE("every line of the Yealink file is a comment or key = value") {
    const std::string rendered =
        shipped_templates()->render(yealink_rule(), alice(), alice_url);
    const std::set<std::string> expected_keys = {
        "account.1.enable",
        "account.1.label",
        "account.1.display_name",
        "account.1.auth_name",
        "account.1.user_name",
        "account.1.password",
        "account.1.sip_server.1.address",
        "account.1.sip_server.1.port",
        "account.1.sip_server.1.transport_type",
        "static.auto_provision.server.url",
    };

    std::set<std::string> keys;
    std::istringstream lines(rendered);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.starts_with("#")) {
            continue;
        }
        INFO("line: ", line);
        const std::size_t equals = line.find(" = ");
        REQUIRE(equals != std::string::npos);
        const std::string key = line.substr(0, equals);
        CHECK(key.find_first_of(" =\t") == std::string::npos);
        CHECK_FALSE(key.empty());
        CHECK(keys.insert(key).second);
    }
    CHECK(keys == expected_keys);
}


TEST_CASE("a line break in display_name cannot add a key") {
    for (const std::string value :
         {"Bob\naccount.1.password = x", "Bob\raccount.1.password = x",
          "Bob\r\naccount.1.password = x"}) {
        sip_account account = alice();
        account.display_name = value;

        const std::string error = render_failure(account);
        INFO("error: ", error);
        CHECK(error.find("\"display_name\"") != std::string::npos);
        CHECK(error.find("Bob") == std::string::npos);
        CHECK(error.find("account.1.password") == std::string::npos);
    }
}


TEST_CASE("a line break in the password is refused naming the field") {
    sip_account account = alice();
    account.password = "hunter2\nstatic.x = 1";

    const std::string error = render_failure(account);

    CHECK(error.find("\"password\"") != std::string::npos);
    CHECK(error.find("hunter2") == std::string::npos);
}


TEST_CASE("a control character in any other field is refused by name") {
    SUBCASE("extension") {
        sip_account account = alice();
        account.extension = "10\t01";
        CHECK(render_failure(account).find("\"extension\"") !=
              std::string::npos);
    }
    SUBCASE("sip_server") {
        sip_account account = alice();
        account.sip_server = "pbx\x7f";
        CHECK(render_failure(account).find("\"sip_server\"") !=
              std::string::npos);
    }
    SUBCASE("provisioning_url") {
        CHECK(render_failure(alice(), "https://x/\n")
                  .find("\"provisioning_url\"") != std::string::npos);
    }
}


TEST_CASE("escape_value for xml escapes the five special characters") {
    CHECK(escape_value(file_format::xml, "f", "a&b<c>d\"e'f") ==
          "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    CHECK(escape_value(file_format::xml, "f", "plain text") == "plain text");
    CHECK(escape_value(file_format::xml, "f", "caf\xc3\xa9") == "caf\xc3\xa9");
}


TEST_CASE("escape_value for xml refuses control characters") {
    for (const char bad : {'\n', '\r', '\t', '\0', '\x1b', '\x7f'}) {
        const std::string value = std::string("a") + bad + "b";
        INFO("character code: ", static_cast<int>(bad));
        CHECK_THROWS_WITH_AS(escape_value(file_format::xml, "label", value),
                             doctest::Contains("\"label\""), render_error);
    }
}


TEST_CASE("escape_value for line format passes '=' and '#' through") {
    CHECK(escape_value(file_format::line, "f", "a = b # c") == "a = b # c");
    CHECK(escape_value(file_format::line, "f", "s3cret&<>") == "s3cret&<>");
}


TEST_CASE("escape_value for line format refuses control characters") {
    for (const char bad : {'\n', '\r', '\t', '\0', '\x1b', '\x7f'}) {
        const std::string value = std::string("a") + bad + "b";
        INFO("character code: ", static_cast<int>(bad));
        CHECK_THROWS_WITH_AS(escape_value(file_format::line, "label", value),
                             doctest::Contains("\"label\""), render_error);
    }
}


TEST_CASE("a templates directory without the Yealink template is refused") {
    const temp_templates dir(nullptr);

    const std::string error = load_failure(dir.dir());

    CHECK(error.find(dir.template_path()) != std::string::npos);
}


TEST_CASE("a template with a triple-brace tag is refused") {
    const std::string source = "account.1.password = {{{password}}}\n";
    const temp_templates dir(&source);

    const std::string error = load_failure(dir.dir());

    CHECK(error.find("unescaped") != std::string::npos);
    CHECK(error.find(dir.template_path()) != std::string::npos);
}


TEST_CASE("a template with an ampersand tag is refused") {
    const std::string source = "account.1.password = {{&password}}\n";
    const temp_templates dir(&source);

    CHECK(load_failure(dir.dir()).find("unescaped") != std::string::npos);
}


TEST_CASE("a template with a spaced ampersand tag is refused") {
    const std::string source = "account.1.password = {{ &password}}\n";
    const temp_templates dir(&source);

    CHECK(load_failure(dir.dir()).find("unescaped") != std::string::npos);
}


TEST_CASE("a template that changes the tag delimiters is refused") {
    const std::string source =
        "{{=<% %>=}}\naccount.1.password = <%&password%>\n";
    const temp_templates dir(&source);

    CHECK(load_failure(dir.dir()).find("unescaped") != std::string::npos);
}


TEST_CASE("an invalid template is refused") {
    const std::string source = "{{#a}}\n";
    const temp_templates dir(&source);

    const std::string error = load_failure(dir.dir());

    CHECK(error.find("invalid") != std::string::npos);
    CHECK(error.find(dir.template_path()) != std::string::npos);
}


TEST_CASE("a template directory with a valid template loads") {
    const std::string source = "account.1.label = {{extension}}\n";
    const temp_templates dir(&source);

    const auto templates = template_set::load(dir.dir());

    CHECK(templates->render(yealink_rule(), alice(), alice_url) ==
          "account.1.label = 1001\n");
}
