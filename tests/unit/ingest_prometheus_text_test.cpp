#include "actors/ingest/prometheus_text.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace grace;
using namespace grace::ingest;

namespace {

// The error thrown for `text`, or a failed test when none is.
text_format_error error_of(const std::string& text) {
  try {
    parse_prometheus_text(text);
  } catch (const text_format_error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return text_format_error(0, 0, "none");
}

} // namespace

TEST(PrometheusText, ParsesFamiliesSamplesLabelsAndTimestamps) {
  auto doc = parse_prometheus_text("# HELP http_requests_total The total number of requests.\n"
                                   "# TYPE http_requests_total counter\n"
                                   "http_requests_total{method=\"post\",code=\"200\"} 1027 "
                                   "1395066363000\n"
                                   "http_requests_total{method=\"post\",code=\"400\"}    3 "
                                   "1395066363000\n"
                                   "\n"
                                   "# a free comment\n"
                                   "metric_without_timestamp_and_labels 12.47\n");
  ASSERT_EQ(doc.families.size(), 1u);
  EXPECT_EQ(doc.families[0].name, "http_requests_total");
  EXPECT_EQ(doc.families[0].help, "The total number of requests.");
  EXPECT_EQ(doc.families[0].type, metric_type::counter);
  ASSERT_EQ(doc.samples.size(), 3u);
  EXPECT_EQ(doc.samples[0].name, "http_requests_total");
  EXPECT_EQ(doc.samples[0].labels.at("method"), "post");
  EXPECT_EQ(doc.samples[0].labels.at("code"), "200");
  EXPECT_DOUBLE_EQ(doc.samples[0].value, 1027);
  EXPECT_EQ(doc.samples[0].timestamp_ms, 1395066363000);
  EXPECT_EQ(doc.samples[1].labels.at("code"), "400");
  EXPECT_DOUBLE_EQ(doc.samples[1].value, 3);
  EXPECT_EQ(doc.samples[2].name, "metric_without_timestamp_and_labels");
  EXPECT_TRUE(doc.samples[2].labels.empty());
  EXPECT_DOUBLE_EQ(doc.samples[2].value, 12.47);
  EXPECT_FALSE(doc.samples[2].timestamp_ms.has_value());
  EXPECT_EQ(doc.samples[2].line, 7u);
}

TEST(PrometheusText, UnescapesLabelValuesAndHelp) {
  auto doc = parse_prometheus_text("# HELP m A \\\\ backslash\\nand a newline\n"
                                   "m{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
                                   "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n");
  EXPECT_EQ(doc.families[0].help, "A \\ backslash\nand a newline");
  EXPECT_EQ(doc.samples[0].labels.at("path"), "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(doc.samples[0].labels.at("error"), "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_DOUBLE_EQ(doc.samples[0].value, 1.458255915e9);
}

TEST(PrometheusText, ReadsNaNAndInfinities) {
  auto doc = parse_prometheus_text("a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf -0.5e-3\ng 1E3\n");
  ASSERT_EQ(doc.samples.size(), 7u);
  EXPECT_TRUE(std::isnan(doc.samples[0].value));
  EXPECT_EQ(doc.samples[1].value, INFINITY);
  EXPECT_EQ(doc.samples[2].value, -INFINITY);
  EXPECT_EQ(doc.samples[3].value, INFINITY);
  EXPECT_TRUE(std::isnan(doc.samples[4].value));
  EXPECT_DOUBLE_EQ(doc.samples[5].value, -0.0005);
  EXPECT_DOUBLE_EQ(doc.samples[6].value, 1000);
}

TEST(PrometheusText, ToleratesMissingFinalNewline) {
  auto doc = parse_prometheus_text("a 1\nb{x=\"y\"} 2 -5");
  ASSERT_EQ(doc.samples.size(), 2u);
  EXPECT_DOUBLE_EQ(doc.samples[1].value, 2);
  EXPECT_EQ(doc.samples[1].timestamp_ms, -5);
  EXPECT_TRUE(parse_prometheus_text("").samples.empty());
  EXPECT_TRUE(parse_prometheus_text("# TYPE x gauge").samples.empty());
}

TEST(PrometheusText, AcceptsBlanksTrailingCommaAndEmptyLabelSet) {
  auto doc = parse_prometheus_text("  a {x=\"1\" , y = \"2\",} 3 \t\nb{} 4\n\t\n");
  ASSERT_EQ(doc.samples.size(), 2u);
  EXPECT_EQ(doc.samples[0].labels.size(), 2u);
  EXPECT_EQ(doc.samples[0].labels.at("y"), "2");
  EXPECT_TRUE(doc.samples[1].labels.empty());
}

TEST(PrometheusText, ReadsHistogramBucketsSumAndCount) {
  auto doc = parse_prometheus_text("# HELP rpc_duration_seconds RPC latency.\n"
                                   "# TYPE rpc_duration_seconds histogram\n"
                                   "rpc_duration_seconds_bucket{le=\"0.05\"} 24054\n"
                                   "rpc_duration_seconds_bucket{le=\"0.1\"} 33444\n"
                                   "rpc_duration_seconds_bucket{le=\"+Inf\"} 144320\n"
                                   "rpc_duration_seconds_sum 53423\n"
                                   "rpc_duration_seconds_count 144320\n"
                                   "# TYPE q summary\n"
                                   "q{quantile=\"0.5\"} 4\n"
                                   "q_sum 10\n"
                                   "q_count 3\n");
  ASSERT_EQ(doc.families.size(), 2u);
  EXPECT_EQ(doc.families[0].type, metric_type::histogram);
  EXPECT_EQ(doc.families[1].type, metric_type::summary);
  ASSERT_EQ(doc.samples.size(), 8u);
  EXPECT_EQ(doc.samples[2].name, "rpc_duration_seconds_bucket");
  EXPECT_EQ(doc.samples[2].labels.at("le"), "+Inf");
  EXPECT_EQ(doc.samples[4].name, "rpc_duration_seconds_count");
}

TEST(PrometheusText, ErrorsNameLineColumnAndExpectation) {
  auto e = error_of("ok 1\nbad{x=\"1\" 2\n");
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.column(), 11u);
  EXPECT_NE(std::string(e.what()).find("line 2, column 11: expected ',' or '}'"), std::string::npos)
      << e.what();

  e = error_of("a 1\nb twelve\n");
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.column(), 3u);
  EXPECT_NE(std::string(e.what()).find("expected a float value"), std::string::npos);
}

TEST(PrometheusText, RejectsGarbage) {
  EXPECT_THROW(parse_prometheus_text("<html><body>502 Bad Gateway</body></html>"),
               text_format_error);
  EXPECT_THROW(parse_prometheus_text("{\"metric\": 1}"), text_format_error);
  EXPECT_EQ(error_of("a\n").column(), 2u);                    // no value
  EXPECT_EQ(error_of("a 1 2 3\n").column(), 7u);              // junk after timestamp
  EXPECT_EQ(error_of("a 1 1.5\n").column(), 5u);              // fractional timestamp
  EXPECT_EQ(error_of("9a 1\n").column(), 1u);                 // bad metric name
  EXPECT_EQ(error_of("a-b 1\n").column(), 2u);                // bad character in name
  EXPECT_EQ(error_of("a{x=1} 1\n").column(), 5u);             // unquoted label value
  EXPECT_EQ(error_of("a{x=\"1} 1\n").line(), 1u);             // unterminated label value
  EXPECT_EQ(error_of("a{x=\"\\t\"} 1\n").column(), 7u);       // unknown escape
  EXPECT_EQ(error_of("a{x=\"1\",x=\"2\"} 1\n").column(), 9u); // duplicate label
  EXPECT_EQ(error_of("a 1\r\n").column(), 4u);                // carriage return
  EXPECT_EQ(error_of("a 0x10\n").column(), 3u);               // hex float
  EXPECT_EQ(error_of("a 1e999\n").column(), 3u);              // out of range
  EXPECT_EQ(error_of("a{1x=\"1\"} 1\n").column(), 3u);        // bad label name
}

TEST(PrometheusText, RejectsBadMetadata) {
  EXPECT_NE(std::string(error_of("# TYPE a countr\n").what()).find("expected a metric type"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("# TYPE a gauge\n# TYPE a gauge\n").what()).find("second TYPE"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("# HELP a x\n# HELP a y\n").what()).find("second HELP"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("a 1\n# TYPE a gauge\n").what()).find("after its samples"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("# HELP a bad \\t escape\n").what()).find("invalid escape"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("# TYPE h histogram\nh_bucket 1\n").what()).find("'le'"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n").what())
                .find("expected a float in label 'le'"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("# TYPE s summary\ns 1\n").what()).find("'quantile'"),
            std::string::npos);
  EXPECT_EQ(error_of("# TYPE a gauge extra\n").line(), 1u);
  EXPECT_NE(std::string(error_of("# TYPE h histogram\nh_sum 1\n# TYPE h histogram\n").what())
                .find("second TYPE"),
            std::string::npos);
}

TEST(PrometheusText, AnUntypedCountSeriesIsItsOwnFamily) {
  auto doc = parse_prometheus_text("jobs_count 3\n# TYPE jobs counter\njobs 7\n");
  ASSERT_EQ(doc.samples.size(), 2u);
  EXPECT_EQ(doc.families[0].type, metric_type::counter);
}

TEST(SeriesMapper, MapsBySeriesNameAndRequiredLabels) {
  series_mapper mapper({
      {"http_requests_total", {{"code", "500"}}, "api.error_count"},
      {"http_requests_total", {}, "api.request_count"},
      {"rpc_duration_seconds_bucket", {{"le", "0.5"}}, "api.fast_requests"},
  });
  auto doc = parse_prometheus_text("http_requests_total{code=\"200\",job=\"api\"} 10 1000\n"
                                   "http_requests_total{code=\"500\",job=\"api\"} 2\n"
                                   "rpc_duration_seconds_bucket{le=\"0.5\"} 7\n"
                                   "rpc_duration_seconds_bucket{le=\"1\"} 9\n"
                                   "http_requests_total{code=\"503\"} NaN\n"
                                   "other 1\n");
  auto r = mapper.map(doc.samples, 5000);
  ASSERT_EQ(r.samples.size(), 4u);
  EXPECT_EQ(r.samples[0].metric_id, "api.request_count");
  EXPECT_EQ(r.samples[0].ts, 1000);
  EXPECT_EQ(r.samples[0].labels.at("job"), "api");
  EXPECT_EQ(r.samples[1].metric_id, "api.error_count");
  EXPECT_EQ(r.samples[1].ts, 5000);
  EXPECT_DOUBLE_EQ(r.samples[1].value, 2);
  EXPECT_EQ(r.samples[2].metric_id, "api.request_count");
  EXPECT_EQ(r.samples[3].metric_id, "api.fast_requests");
  EXPECT_DOUBLE_EQ(r.samples[3].value, 7);
  EXPECT_EQ(r.unmatched, 2u); // le="1" bucket and `other`
  EXPECT_EQ(r.non_finite, 1u);
}

// Error messages go back to the client as JSON: they quote what they found
// short and as printable UTF-8, whatever the bytes.
TEST(PrometheusText, ErrorsQuoteShortAndPrintable) {
  auto e = error_of("a " + std::string(5000, '7') + "x\n");
  EXPECT_EQ(std::string(e.what()), "line 1, column 3: expected a float value (or NaN, +Inf, -Inf), "
                                   "got '"
                                       + std::string(60, '7') + "...' (5001 characters)");
  e = error_of("a \xff\xfe\n");
  EXPECT_EQ(std::string(e.what()),
            "line 1, column 3: expected a float value (or NaN, +Inf, -Inf), got '\\xff\\xfe'");
  e = error_of("a\xff 1\n");
  EXPECT_EQ(std::string(e.what()),
            "line 1, column 2: expected '{' or a blank after the metric name, got byte 0xff");
}

TEST(PrometheusText, LabelValuesAndHelpMustBeUtf8) {
  EXPECT_EQ(parse_prometheus_text("a{x=\"grüße\"} 1\n").samples.at(0).labels.at("x"), "grüße");
  auto e = error_of("a{x=\"ok\",y=\"\xc3\x28\"} 1\n");
  EXPECT_EQ(e.column(), 12u);
  EXPECT_NE(std::string(e.what()).find("expected a UTF-8 label value"), std::string::npos);
  e = error_of("# HELP a caf\xe9\n");
  EXPECT_EQ(e.column(), 10u);
  EXPECT_NE(std::string(e.what()).find("expected UTF-8 text in HELP"), std::string::npos);
}

TEST(PrometheusText, TimestampsAreWhole64BitNumbers) {
  EXPECT_EQ(parse_prometheus_text("a 1 +17\n").samples.at(0).timestamp_ms, 17);
  EXPECT_EQ(parse_prometheus_text("a 1 -17\n").samples.at(0).timestamp_ms, -17);
  EXPECT_EQ(error_of("a 1 +-17\n").column(), 5u);
  EXPECT_EQ(error_of("a 1 99999999999999999999\n").column(), 5u);
}
