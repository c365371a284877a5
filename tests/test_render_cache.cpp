// The render cache's rules: a key names every input of a render, and the
// cache stays within its byte budget, dropping the least recently used.

#include "provgate/render_cache.hpp"

#include <doctest/doctest.h>

#include <string>

using provgate::render_cache;
using provgate::render_input;
using provgate::render_key;
using provgate::rendered_file;
using provgate::sip_account;

namespace {

std::shared_ptr<const rendered_file> file_of(const std::string& body) {
    return std::make_shared<const rendered_file>(
        rendered_file{body, "\"" + body.substr(0, 4) + "\""});
}


sip_account account() {
    sip_account a;
    a.extension = "1001";
    a.auth_user = "1001";
    a.password = "s3cret";
    a.display_name = "Reception";
    a.sip_server = "pbx.example.net";
    a.sip_port = 5060;
    a.transport = "udp";
    a.enabled = true;
    return a;
}


const provgate::file_rule& rule(std::size_t i) {
    return provgate::file_rules().at(i);
}

} // namespace


TEST_CASE("render_key changes with every input of the render") {
    const sip_account a = account();
    render_input in;
    in.account = &a;
    in.mac = "001565a1b2c3";
    in.model = "T54W";
    in.provisioning_url = "https://prov.example.net/prov/tok/";
    const std::string base = render_key(rule(0), in);
    CHECK(render_key(rule(0), in) == base);
    CHECK(render_key(rule(1), in) != base);

    const auto changed = [&](auto change) {
        sip_account b = a;
        render_input other = in;
        other.account = &b;
        change(other, b);
        return render_key(rule(0), other) != base;
    };
    CHECK(
        changed([](render_input& i, sip_account&) { i.mac = "001565a1b2c4"; }));
    CHECK(changed([](render_input& i, sip_account&) { i.model = "T46U"; }));
    CHECK(changed([](render_input& i, sip_account&) {
        i.provisioning_url = "https://prov.example.net/prov/new/";
    }));
    CHECK(changed([](render_input& i, sip_account&) { i.account = nullptr; }));
    CHECK(changed([](render_input&, sip_account& b) { b.extension = "1002"; }));
    CHECK(changed([](render_input&, sip_account& b) { b.auth_user = "x"; }));
    CHECK(changed([](render_input&, sip_account& b) { b.password = "other"; }));
    CHECK(changed([](render_input&, sip_account& b) { b.display_name = "x"; }));
    CHECK(changed([](render_input&, sip_account& b) { b.sip_server = "x"; }));
    CHECK(changed([](render_input&, sip_account& b) { b.sip_port = 5061; }));
    CHECK(changed([](render_input&, sip_account& b) { b.transport = "tls"; }));
    CHECK(changed([](render_input&, sip_account& b) { b.enabled = false; }));
}


TEST_CASE("render_key keeps fields apart that concatenate alike") {
    sip_account a = account();
    sip_account b = account();
    a.auth_user = "10";
    a.password = "01secret";
    b.auth_user = "1001";
    b.password = "secret";
    render_input in;
    in.account = &a;
    const std::string first = render_key(rule(0), in);
    in.account = &b;
    CHECK(render_key(rule(0), in) != first);

    render_input x;
    render_input y;
    x.mac = "ab";
    x.model = "c";
    y.mac = "a";
    y.model = "bc";
    CHECK(render_key(rule(0), x) != render_key(rule(0), y));
}


TEST_CASE("render_cache returns what was put under the same key only") {
    render_cache cache(1 << 20);
    CHECK(cache.find("a") == nullptr);
    cache.put("a", file_of("body of a"));
    const auto found = cache.find("a");
    REQUIRE(found != nullptr);
    CHECK(found->body == "body of a");
    CHECK(cache.find("b") == nullptr);
    CHECK(cache.size() == 1);
}


TEST_CASE("render_cache stays within its budget, dropping the least "
          "recently used") {
    const std::string body(1000, 'x');
    render_cache cache(10000);
    for (int i = 0; i < 5; ++i) {
        cache.put("k" + std::to_string(i), file_of(body));
    }
    REQUIRE(cache.size() == 5);
    CHECK(cache.find("k0") != nullptr); // k0 is now the most recent

    for (int i = 5; i < 20; ++i) {
        cache.put("k" + std::to_string(i), file_of(body));
        CHECK(cache.bytes() <= 10000);
    }
    CHECK(cache.find("k1") == nullptr);
    CHECK(cache.find("k19") != nullptr);
    CHECK(cache.size() < 10);
}


TEST_CASE("render_cache keeps no file larger than a quarter of its budget, "
          "and nothing when off") {
    render_cache small(4000);
    small.put("big", file_of(std::string(1500, 'x')));
    CHECK(small.find("big") == nullptr);
    small.put("fits", file_of(std::string(500, 'x')));
    CHECK(small.find("fits") != nullptr);

    render_cache off(0);
    off.put("a", file_of("body"));
    CHECK(off.find("a") == nullptr);
    CHECK(off.size() == 0);
}
