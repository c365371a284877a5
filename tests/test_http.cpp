// Unit tests for the worker's HTTP responses: the one 404 that reveals
// nothing, the fixed error answers, and the ETag rules for conditional GETs.

#include "provgate/http.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace provgate;


TEST_CASE("not_found is the same response on every call") {
    const response first = not_found();
    const response second = not_found();

    CHECK(first.status == 404);
    CHECK(first.body == "not found\n");
    CHECK(header_value(first, "Content-Type") == "text/plain; charset=utf-8");

    CHECK(second.status == first.status);
    CHECK(second.headers == first.headers);
    CHECK(second.body == first.body);
}


TEST_CASE("not_found carries no ETag or other identifying header") {
    const response r = not_found();

    CHECK(r.headers.size() == 1);
    CHECK(header_value(r, "ETag").empty());
}


TEST_CASE("method_not_allowed is a 405 that allows GET and HEAD") {
    const response r = method_not_allowed();

    CHECK(r.status == 405);
    CHECK(header_value(r, "Allow") == "GET, HEAD");
}


TEST_CASE("service_unavailable is a 503 that asks the client to retry") {
    const response r = service_unavailable();

    CHECK(r.status == 503);
    CHECK_FALSE(header_value(r, "Retry-After").empty());
}


TEST_CASE("internal_error is a 500") {
    CHECK(internal_error().status == 500);
}


TEST_CASE("make_etag is a quoted 32-digit hex string") {
    const std::string etag = make_etag("account.1.enable = 1\n");

    REQUIRE(etag.size() == 34);
    CHECK(etag.front() == '"');
    CHECK(etag.back() == '"');
    for (const char c : etag.substr(1, 32)) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        CHECK(hex);
    }
}


TEST_CASE("make_etag is the first half of the body's SHA-256") {
    // printf %s '' | sha256sum
    CHECK(make_etag("") == "\"e3b0c44298fc1c149afbf4c8996fb924\"");
}


TEST_CASE("make_etag is stable for a body and differs between bodies") {
    CHECK(make_etag("body one") == make_etag("body one"));
    CHECK(make_etag("body one") != make_etag("body two"));
    CHECK(make_etag("body one") != make_etag("body one\n"));
}


TEST_CASE("etag_matches accepts the exact ETag") {
    const std::string etag = make_etag("x");

    CHECK(etag_matches(etag, etag));
    CHECK(etag_matches("  " + etag + "\t", etag));
}


TEST_CASE("etag_matches finds the ETag in a list with spaces") {
    const std::string etag = make_etag("x");

    CHECK(etag_matches("\"aaa\", " + etag + ", \"bbb\"", etag));
    CHECK(etag_matches("\"aaa\" ,  " + etag, etag));
    CHECK(etag_matches(etag + ",\"bbb\"", etag));
}


TEST_CASE("etag_matches compares weakly, ignoring a W/ prefix") {
    const std::string etag = make_etag("x");

    CHECK(etag_matches("W/" + etag, etag));
    CHECK(etag_matches("\"aaa\", W/" + etag, etag));
}


TEST_CASE("etag_matches accepts '*'") {
    CHECK(etag_matches("*", make_etag("x")));
    CHECK(etag_matches(" * ", make_etag("x")));
}


TEST_CASE("etag_matches refuses other ETags") {
    const std::string etag = make_etag("x");

    CHECK_FALSE(etag_matches("", etag));
    CHECK_FALSE(etag_matches(make_etag("y"), etag));
    CHECK_FALSE(etag_matches("\"aaa\", \"bbb\"", etag));
    CHECK_FALSE(etag_matches(etag.substr(1, 32), etag));
    CHECK_FALSE(etag_matches(etag.substr(0, 33), etag));
    CHECK_FALSE(etag_matches("w/" + etag, etag));
}


TEST_CASE("file_response carries the body, its ETag and its content type") {
    const response r = file_response("key = value\n", "text/plain");

    CHECK(r.status == 200);
    CHECK(r.body == "key = value\n");
    CHECK(header_value(r, "Content-Type") == "text/plain");
    CHECK(header_value(r, "ETag") == make_etag("key = value\n"));
}


TEST_CASE("not_modified is a 304 with the same ETag and no body") {
    const response file = file_response("key = value\n", "text/plain");
    const response r = not_modified(file);

    CHECK(r.status == 304);
    CHECK(header_value(r, "ETag") == header_value(file, "ETag"));
    CHECK(r.body.empty());
}


TEST_CASE("header_value is empty for a header that is absent") {
    const response r = file_response("x", "text/plain");

    CHECK(header_value(r, "X-Missing").empty());
}


TEST_CASE("status_line names the statuses the worker sends") {
    CHECK(status_line(200) == "200 OK");
    CHECK(status_line(304) == "304 Not Modified");
    CHECK(status_line(404) == "404 Not Found");
    CHECK(status_line(405) == "405 Method Not Allowed");
    CHECK(status_line(500) == "500 Internal Server Error");
    CHECK(status_line(503) == "503 Service Unavailable");
}


TEST_CASE("status_line falls back to the bare number") {
    CHECK(status_line(418) == "418");
}
