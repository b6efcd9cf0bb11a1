#include "actors/ingest/sample_batch_parser.hpp"

#include <gtest/gtest.h>
#include <set>

using namespace grace;
using namespace grace::ingest;

namespace {

const std::set<std::string> catalog = {"api.latency_p95", "api.error_rate"};

bool known(const std::string& id) {
  return catalog.count(id) != 0;
}

std::optional<std::string> resolve(const std::string& prom_name) {
  if (prom_name == "grace_api_latency_p95_ms")
    return "api.latency_p95";
  if (prom_name == "api_error_rate")
    return "api.error_rate";
  return std::nullopt;
}

constexpr timestamp_ms now = 1'700'000'000'000;
const time_rules rules{now, 60'000};

using json_parser = batch_parse_result (*)(std::string_view, const metric_id_check&,
                                           const time_rules&);

// Every JSON case runs against the fast path and the nlohmann reference.
class JsonBatch : public ::testing::TestWithParam<json_parser> {
protected:
  batch_parse_result parse(const std::string& body) { return GetParam()(body, known, rules); }
};

} // namespace

INSTANTIATE_TEST_SUITE_P(Backends, JsonBatch,
                         ::testing::Values(&parse_json_batch, &parse_json_batch_nlohmann));

TEST_P(JsonBatch, AcceptsValidSamples) {
  auto r = parse(R"([
    {"metric": "api.latency_p95", "value": 120.5, "ts": 1699999990000, "labels": {"host": "a"}},
    {"metric": "api.error_rate", "value": 3},
    {"metric": "api.error_rate", "value": -1e-3, "ts": "2023-11-14T22:13:10Z"},
    {"metric": "api.error_rate", "value": 0, "ts": null, "labels": null, "extra": [1]}
  ])");
  ASSERT_FALSE(r.malformed()) << r.error;
  EXPECT_EQ(r.total, 4u);
  EXPECT_TRUE(r.rejected.empty());
  ASSERT_EQ(r.accepted.size(), 4u);
  EXPECT_EQ(r.accepted[0].metric_id, "api.latency_p95");
  EXPECT_DOUBLE_EQ(r.accepted[0].value, 120.5);
  EXPECT_EQ(r.accepted[0].ts, 1699999990000);
  EXPECT_EQ(r.accepted[0].labels.at("host"), "a");
  EXPECT_EQ(r.accepted[1].ts, now); // no ts: now
  EXPECT_DOUBLE_EQ(r.accepted[1].value, 3);
  EXPECT_EQ(r.accepted[2].ts, 1699999990000); // RFC 3339
  EXPECT_DOUBLE_EQ(r.accepted[2].value, -0.001);
  EXPECT_EQ(r.accepted[3].ts, now);
  EXPECT_TRUE(r.accepted[3].labels.empty());
}

TEST_P(JsonBatch, RejectsSamplesWithIndexAndReason) {
  auto r = parse(R"([
    {"metric": "api.latency_p95", "value": 1},
    {"metric": "nope", "value": 1},
    {"metric": "api.latency_p95", "value": "12"},
    {"metric": "api.latency_p95"},
    {"value": 1},
    {"metric": 5, "value": 1},
    {"metric": "api.latency_p95", "value": true},
    {"metric": "api.latency_p95", "value": 1, "ts": 1700000060001},
    {"metric": "api.latency_p95", "value": 1, "ts": "2030-01-01T00:00:00Z"},
    {"metric": "api.latency_p95", "value": 1, "ts": "yesterday"},
    {"metric": "api.latency_p95", "value": 1, "ts": "1700000000"},
    {"metric": "api.latency_p95", "value": 1, "ts": 1.7e12},
    {"metric": "api.latency_p95", "value": 1, "ts": -1},
    {"metric": "api.latency_p95", "value": 1, "ts": 18446744073709551615},
    {"metric": "api.latency_p95", "value": 1, "labels": ["a"]},
    {"metric": "api.latency_p95", "value": 1, "labels": {"b": "x", "a": 1, "c": null}},
    {"metric": "api.latency_p95", "value": null},
    {"metric": "api.latency_p95", "value": 1, "ts": "1011-11-14T22:13:20.5+01:00"},
    {"metric": "api.latency_p95", "value": 2, "ts": 1700000060000}
  ])");
  ASSERT_FALSE(r.malformed()) << r.error;
  EXPECT_EQ(r.total, 19u);
  ASSERT_EQ(r.accepted.size(), 2u);
  EXPECT_EQ(r.accepted[1].ts, 1700000060000); // exactly at the limit: accepted
  std::vector<std::pair<size_t, std::string>> expected = {
      {1, "unknown metric 'nope'"},
      {2, "value is not a number"},
      {3, "missing \"value\""},
      {4, "missing \"metric\""},
      {5, "metric is not a string"},
      {6, "value is not a number"},
      {7, "ts is more than 60000 ms in the future"},
      {8, "ts is more than 60000 ms in the future"},
      {9, "ts is not an RFC 3339 timestamp"},
      {10, "ts is not an RFC 3339 timestamp"},
      {11, "ts is not an integer unix ms or an RFC 3339 string"},
      {12, "ts is negative"},
      {13, "ts is out of range"},
      {14, "labels is not an object"},
      {15, "label 'a' is not a string"},
      {16, "value is not a number"},
      {17, "ts is before 1970"}, // found by tests/fuzz/json_batch_fuzz.cpp
  };
  ASSERT_EQ(r.rejected.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.rejected[i].index, expected[i].first);
    EXPECT_EQ(r.rejected[i].reason, expected[i].second) << "index " << expected[i].first;
  }
}

TEST_P(JsonBatch, RejectsMalformedBodiesWhole) {
  for (const char* body : {
           "",
           "not json",
           "{\"metric\": \"api.latency_p95\", \"value\": 1}",       // not an array
           "[{\"metric\": \"api.latency_p95\", \"value\": 1}, 42]", // element not an object
           "[{\"metric\": \"api.latency_p95\", \"value\": 1}",      // truncated
           "[{\"metric\": \"api.latency_p95\", \"value\": 1}] x",   // trailing garbage
           "[{\"metric\": \"api.latency_p95\", \"value\": NaN}]",   // NaN is not JSON
           "[{\"metric\": \"api.latency_p95\", \"value\": 1e999}]", // overflows a double
           "[{\"metric\": \"api.latency_p95\", \"value\": 1,}]",
           "[{\"metric\": \"api.latency_p95\", \"value\": 1, \"labels\": {\"a\": \"\\ud800\"}}]",
           "[{\"metric\": \"api.latency_p95\", \"value\": 1, \"labels\": {\"a\": \"\xff\"}}]",
       }) {
    auto r = parse(body);
    EXPECT_TRUE(r.malformed()) << body;
    EXPECT_EQ(r.error.rfind("malformed JSON body: ", 0), 0u) << r.error;
    EXPECT_TRUE(r.accepted.empty()) << body;
    EXPECT_TRUE(r.rejected.empty()) << body;
  }
  auto r = parse("[1]");
  EXPECT_EQ(r.error, "malformed JSON body: element 0 is not an object");
  r = parse("{}");
  EXPECT_EQ(r.error, "malformed JSON body: expected an array of samples");
}

TEST_P(JsonBatch, EmptyArrayAcceptsNothing) {
  auto r = parse("[]");
  EXPECT_FALSE(r.malformed());
  EXPECT_EQ(r.total, 0u);
  EXPECT_TRUE(r.accepted.empty());
}

TEST_P(JsonBatch, RepeatedKeysKeepTheirLastValue) {
  auto r = parse(R"([
    {"metric": "nope", "metric": "api.error_rate", "value": "x", "value": 7,
     "labels": {"a": 1, "a": "ok", "b": "first", "b": 2, "b": "last"}},
    {"metric": "api.error_rate", "value": 1, "labels": {"a": "x", "a": 1}}
  ])");
  ASSERT_FALSE(r.malformed());
  ASSERT_EQ(r.accepted.size(), 1u);
  EXPECT_EQ(r.accepted[0].metric_id, "api.error_rate");
  EXPECT_DOUBLE_EQ(r.accepted[0].value, 7);
  EXPECT_EQ(r.accepted[0].labels.at("a"), "ok");
  EXPECT_EQ(r.accepted[0].labels.at("b"), "last");
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].reason, "label 'a' is not a string");
}

TEST_P(JsonBatch, NumbersOfEveryKindAreValues) {
  auto r = parse(R"([
    {"metric": "api.error_rate", "value": 18446744073709551615},
    {"metric": "api.error_rate", "value": -9223372036854775808},
    {"metric": "api.error_rate", "value": 123456789012345678901234567890},
    {"metric": "api.error_rate", "value": 2.5E+2}
  ])");
  ASSERT_FALSE(r.malformed()) << r.error;
  ASSERT_EQ(r.accepted.size(), 4u);
  EXPECT_DOUBLE_EQ(r.accepted[0].value, 18446744073709551615.0);
  EXPECT_DOUBLE_EQ(r.accepted[1].value, -9223372036854775808.0);
  EXPECT_DOUBLE_EQ(r.accepted[2].value, 1.2345678901234568e29);
  EXPECT_DOUBLE_EQ(r.accepted[3].value, 250);
}

TEST(JsonBatchBackend, IsNamed) {
  std::string b = json_batch_backend();
  EXPECT_TRUE(b == "simdjson" || b == "nlohmann");
}

TEST(PrometheusBatch, MapsByPrometheusNameAndRejectsPerSample) {
  auto r = parse_prometheus_batch("# TYPE grace_api_latency_p95_ms gauge\n"
                                  "grace_api_latency_p95_ms{host=\"a\"} 120 1699999990000\n"
                                  "grace_api_latency_p95_ms{host=\"b\"} NaN\n"
                                  "api_error_rate +Inf\n"
                                  "unknown_series 1\n"
                                  "api_error_rate 1 1700000060001\n"
                                  "api_error_rate 2",
                                  resolve, rules);
  ASSERT_FALSE(r.malformed()) << r.error;
  EXPECT_EQ(r.total, 6u);
  ASSERT_EQ(r.accepted.size(), 2u);
  EXPECT_EQ(r.accepted[0].metric_id, "api.latency_p95");
  EXPECT_EQ(r.accepted[0].ts, 1699999990000);
  EXPECT_EQ(r.accepted[0].labels.at("host"), "a");
  EXPECT_EQ(r.accepted[1].metric_id, "api.error_rate");
  EXPECT_EQ(r.accepted[1].ts, now);
  ASSERT_EQ(r.rejected.size(), 4u);
  EXPECT_EQ(r.rejected[0].index, 1u);
  EXPECT_EQ(r.rejected[0].reason, "line 3: value is not finite (NaN)");
  EXPECT_EQ(r.rejected[1].index, 2u);
  EXPECT_EQ(r.rejected[1].reason, "line 4: value is not finite (+Inf)");
  EXPECT_EQ(r.rejected[2].index, 3u);
  EXPECT_EQ(r.rejected[2].reason,
            "line 5: unknown metric 'unknown_series' (no catalog metric has this "
            "prometheus_name)");
  EXPECT_EQ(r.rejected[3].index, 4u);
  EXPECT_EQ(r.rejected[3].reason, "line 6: ts is more than 60000 ms in the future");
}

TEST(PrometheusBatch, RejectsMalformedTextWhole) {
  auto r = parse_prometheus_batch("api_error_rate 1\napi_error_rate{x=\"1} 2\n", resolve, rules);
  EXPECT_TRUE(r.malformed());
  EXPECT_EQ(r.error.rfind("malformed Prometheus text: line 2, column", 0), 0u) << r.error;
  EXPECT_TRUE(r.accepted.empty());
}

TEST(PrometheusBatch, RejectsNegativeTimestampsPerSample) {
  auto r = parse_prometheus_batch("api_error_rate 1 -1\napi_error_rate 2 -9223372036854775808\n"
                                  "api_error_rate 3 9223372036854775807\n",
                                  resolve, rules);
  ASSERT_FALSE(r.malformed()) << r.error;
  ASSERT_EQ(r.rejected.size(), 3u);
  EXPECT_EQ(r.rejected[0].reason, "line 1: ts is negative");
  EXPECT_EQ(r.rejected[1].reason, "line 2: ts is negative");
  EXPECT_EQ(r.rejected[2].reason, "line 3: ts is more than 60000 ms in the future");
}

// What comes back to the client is JSON: quoted input is cut short, and bytes
// that are not UTF-8 are escaped.
TEST(SampleBatch, ErrorsAreShortAndPrintable) {
  auto json = parse_json_batch_nlohmann("[{\"metric\": \"\xff\"}]", known, rules);
  ASSERT_TRUE(json.malformed());
  EXPECT_EQ(json.error.find('\xff'), std::string::npos) << json.error;
  EXPECT_NE(json.error.find("\\xff"), std::string::npos) << json.error;
  auto fast = parse_json_batch("[{\"metric\": \"\xff\"}]", known, rules);
  EXPECT_EQ(fast.error, json.error);
  auto unknown = parse_json_batch(
      "[{\"metric\": \"" + std::string(1000, 'm') + "\", \"value\": 1}]", known, rules);
  ASSERT_EQ(unknown.rejected.size(), 1u);
  EXPECT_EQ(unknown.rejected[0].reason,
            "unknown metric '" + std::string(60, 'm') + "...' (1000 characters)");
  auto prom = parse_prometheus_batch("up{x=\"\xff\"} 1\n", resolve, rules);
  ASSERT_TRUE(prom.malformed());
  EXPECT_EQ(prom.error,
            "malformed Prometheus text: line 1, column 6: expected a UTF-8 label value");
}

TEST(ContentType, SelectsTheBodyFormat) {
  EXPECT_EQ(format_for_content_type("application/json"), body_format::json);
  EXPECT_EQ(format_for_content_type("Application/JSON; charset=utf-8"), body_format::json);
  EXPECT_EQ(format_for_content_type(""), body_format::json);
  EXPECT_EQ(format_for_content_type("text/plain"), body_format::prometheus_text);
  EXPECT_EQ(format_for_content_type("text/plain; version=0.0.4; charset=utf-8"),
            body_format::prometheus_text);
  EXPECT_EQ(format_for_content_type("text/plain; version=1.0.0"), body_format::unsupported);
  EXPECT_EQ(format_for_content_type("application/openmetrics-text; version=1.0.0"),
            body_format::unsupported);
  EXPECT_EQ(format_for_content_type("application/xml"), body_format::unsupported);
}
