// Unit tests for the metrics registry: what a Prometheus scraper reads
// after a few requests, in the text exposition format.

#include "provgate/metrics.hpp"

#include <doctest/doctest.h>

#include <string>

using provgate::metrics_registry;


namespace {

bool has_line(const std::string& text, const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
}

} // namespace


TEST_CASE("requests are counted by status and vendor") {
    metrics_registry m;
    m.count_request(200, "yealink", false, 0.002);
    m.count_request(200, "yealink", false, 0.003);
    m.count_request(404, "", false, 0.0001);
    m.count_request(503, "", false, 0.001);

    const std::string text = m.render();

    CHECK(has_line(text, "# TYPE provgate_requests_total counter"));
    CHECK(has_line(
        text, "provgate_requests_total{status=\"200\",vendor=\"yealink\"} 2"));
    CHECK(has_line(
        text, "provgate_requests_total{status=\"404\",vendor=\"none\"} 1"));
    CHECK(has_line(
        text, "provgate_requests_total{status=\"503\",vendor=\"none\"} 1"));
}


TEST_CASE("the latency histogram is cumulative and ends with +Inf") {
    metrics_registry m;
    m.count_request(200, "yealink", false, 0.0004);
    m.count_request(200, "yealink", false, 0.004);
    m.count_request(200, "yealink", false, 30.0);

    const std::string text = m.render();

    CHECK(has_line(text, "# TYPE provgate_request_duration_seconds histogram"));
    CHECK(has_line(
        text, "provgate_request_duration_seconds_bucket{le=\"0.0005\"} 1"));
    CHECK(has_line(text,
                   "provgate_request_duration_seconds_bucket{le=\"0.001\"} 1"));
    CHECK(has_line(text,
                   "provgate_request_duration_seconds_bucket{le=\"0.005\"} 2"));
    CHECK(has_line(text,
                   "provgate_request_duration_seconds_bucket{le=\"2.5\"} 2"));
    CHECK(has_line(text,
                   "provgate_request_duration_seconds_bucket{le=\"+Inf\"} 3"));
    CHECK(has_line(text, "provgate_request_duration_seconds_count 3"));
}


TEST_CASE("legacy fetches, database errors and reloads have counters") {
    metrics_registry m;
    m.count_request(200, "yealink", true, 0.001);
    m.count_database_error();
    m.count_database_error();
    m.count_reload(true);
    m.count_reload(false);
    m.count_reload(true);
    m.request_started();

    const std::string text = m.render();

    CHECK(has_line(text, "provgate_legacy_fetches_total 1"));
    CHECK(has_line(text, "provgate_database_errors_total 2"));
    CHECK(has_line(text, "provgate_reloads_total{result=\"success\"} 2"));
    CHECK(has_line(text, "provgate_reloads_total{result=\"failure\"} 1"));
    CHECK(has_line(text, "provgate_requests_in_flight 1"));
}


TEST_CASE("lockouts and the requests they refuse have counters") {
    metrics_registry m;
    m.count_lockout();
    m.count_locked_out_request();
    m.count_locked_out_request();
    m.count_locked_out_request();

    const std::string text = m.render();

    CHECK(has_line(text, "# TYPE provgate_lockouts_total counter"));
    CHECK(has_line(text, "provgate_lockouts_total 1"));
    CHECK(has_line(text, "provgate_locked_out_requests_total 3"));
}
