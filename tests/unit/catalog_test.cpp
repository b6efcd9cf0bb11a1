// Catalog loading, validation messages, bands and indexes.
#include "actors/catalog/catalog.hpp"

#include <cmath>
#include <cstdlib>
#include <gtest/gtest.h>
#include <limits>
#include <string>
#include <vector>

using namespace grace;
using namespace grace::catalog;

namespace {

std::string source_dir() {
  const char* dir = std::getenv("GRACE_SOURCE_DIR");
  return dir ? dir : ".";
}

// A minimal valid catalog the error cases below mutate.
const char* valid_catalog = R"(version: 1
metrics:
  - id: api.latency_p95
    category: api
    service: grace-api
    unit: ms
    description: latency
    direction: higher_is_worse
    thresholds: {warning: 400, critical: 500}
    collection_interval: 60s
    aggregation: mean
    forecast: true
    playbooks: [scale-api-shard]
  - id: autonomy.plan_success_rate
    category: autonomy
    service: grace-autonomy
    unit: percent
    description: success
    direction: lower_is_worse
    thresholds: {warning: 90, critical: 80}
    collection_interval: 1m
    aggregation: p50
    forecast: false
    playbooks: []
    max_risk_tier: 2
    prometheus_name: plan_success
playbooks:
  - id: scale-api-shard
    description: scale
    action: {kind: simulator}
    risk_tier: 2
    mode: auto
    cooldown: 15m
    max_runs_per_hour: 4
)";

std::vector<std::string> errors_of(const std::string& yaml) {
  auto result = load_catalog_string(yaml, "test.yaml");
  std::vector<std::string> out;
  for (const auto& e : result.errors)
    out.push_back(e.to_string());
  return out;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

} // namespace

TEST(catalog_load, shipped_catalog_is_valid_and_complete) {
  auto result = load_catalog_file(source_dir() + "/config/metrics_catalog.yaml");
  for (const auto& e : result.errors)
    ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(result.catalog);
  const auto& c = *result.catalog;
  EXPECT_EQ(c.metrics().size(), 14u);
  EXPECT_EQ(c.playbooks().size(), 20u);
  EXPECT_EQ(c.categories(), (std::vector<std::string>{"api", "executor", "learning", "autonomy",
                                                      "infra", "trigger"}));
  EXPECT_EQ(c.forecast_metrics(),
            (std::vector<std::string>{"api.latency_p95", "api.error_rate", "executor.queue_depth",
                                      "autonomy.plan_success_rate", "infra.cpu_utilization",
                                      "infra.memory_utilization"}));
}

TEST(catalog_load, parses_fields_and_defaults) {
  auto result = load_catalog_string(valid_catalog, "test.yaml");
  ASSERT_TRUE(result.errors.empty()) << result.errors[0].to_string();
  const auto& c = *result.catalog;
  const auto* lat = c.find_metric("api.latency_p95");
  ASSERT_NE(lat, nullptr);
  EXPECT_EQ(lat->collection_interval_ms, 60000);
  EXPECT_EQ(lat->prometheus_name, "api_latency_p95");
  EXPECT_FALSE(lat->max_risk_tier.has_value());
  const auto* plan = c.find_metric("autonomy.plan_success_rate");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->direction, direction::lower_is_worse);
  EXPECT_EQ(plan->aggregation, aggregation::p50);
  EXPECT_EQ(plan->max_risk_tier, 2);
  EXPECT_EQ(c.find_by_prometheus_name("plan_success"), plan);
  // An RL diagnosis names its metric, qualified or not (`<metric>:sudden`).
  EXPECT_EQ(c.find_diagnosis_metric("autonomy.plan_success_rate"), plan);
  EXPECT_EQ(c.find_diagnosis_metric("autonomy.plan_success_rate:sudden"), plan);
  EXPECT_EQ(c.find_diagnosis_metric("autonomy.plan_success"), nullptr);
  EXPECT_EQ(c.find_diagnosis_metric(":sudden"), nullptr);
  EXPECT_EQ(c.find_diagnosis_metric(""), nullptr);
  const auto* pb = c.find_playbook("scale-api-shard");
  ASSERT_NE(pb, nullptr);
  EXPECT_EQ(pb->cooldown_ms, 15 * 60000);
  EXPECT_EQ(pb->mode, playbook_mode::auto_run);
  EXPECT_EQ(c.metrics_using_playbook("scale-api-shard"),
            std::vector<std::string>{"api.latency_p95"});
  EXPECT_EQ(c.metrics_of_service("grace-autonomy"),
            std::vector<std::string>{"autonomy.plan_success_rate"});
}

TEST(catalog_validation, unknown_key_names_line_column_and_path) {
  auto errors =
      errors_of(replace(valid_catalog, "    unit: ms\n", "    unit: ms\n    colour: red\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:7:5: metrics[0].colour: unknown key (allowed: id, category, "
                       "service, unit, description, direction, thresholds, collection_interval, "
                       "aggregation, forecast, playbooks, max_risk_tier, symptom_of, "
                       "prometheus_name, promql)");
}

TEST(catalog_validation, missing_field) {
  auto errors = errors_of(replace(valid_catalog, "    unit: ms\n", ""));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:3:5: metrics[0].unit: missing required key");
}

TEST(catalog_validation, duplicate_metric_id) {
  auto errors =
      errors_of(replace(valid_catalog, "id: autonomy.plan_success_rate", "id: api.latency_p95"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:14:9: metrics[1].id: duplicate metric id 'api.latency_p95'");
}

TEST(catalog_validation, thresholds_in_wrong_order_for_direction) {
  auto up = errors_of(
      replace(valid_catalog, "{warning: 400, critical: 500}", "{warning: 500, critical: 400}"));
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0], "test.yaml:9:17: metrics[0].thresholds: for higher_is_worse the warning "
                   "threshold must be below the critical one (warning 500, critical 400)");
  auto down = errors_of(
      replace(valid_catalog, "{warning: 90, critical: 80}", "{warning: 80, critical: 90}"));
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0], "test.yaml:20:17: metrics[1].thresholds: for lower_is_worse the warning "
                     "threshold must be above the critical one (warning 80, critical 90)");
}

TEST(catalog_validation, link_to_undefined_playbook) {
  auto errors =
      errors_of(replace(valid_catalog, "playbooks: []", "playbooks: [restart-everything]"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(
      errors[0],
      "test.yaml:24:17: metrics[1].playbooks[0]: links to undefined playbook 'restart-everything'");
}

TEST(catalog_validation, non_positive_interval) {
  auto errors =
      errors_of(replace(valid_catalog, "collection_interval: 60s", "collection_interval: 0s"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:10:26: metrics[0].collection_interval: must be positive");
  auto bad =
      errors_of(replace(valid_catalog, "collection_interval: 60s", "collection_interval: soon"));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], "test.yaml:10:26: metrics[0].collection_interval: expected a duration such as "
                    "500ms, 30s, 15m, 6h or 7d, found 'soon'");
}

TEST(catalog_validation, reports_every_error_at_once) {
  std::string yaml = replace(valid_catalog, "    unit: ms\n", "");
  yaml = replace(yaml, "aggregation: p50", "aggregation: median");
  yaml = replace(yaml, "mode: auto", "mode: yolo");
  auto errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("playbooks[0].mode: expected auto, approval or dry-run, found 'yolo'"),
            std::string::npos);
  EXPECT_NE(errors[1].find("metrics[0].unit: missing required key"), std::string::npos);
  EXPECT_NE(errors[2].find("metrics[1].aggregation: expected one of mean, min, max, p50, p95, "
                           "last; found 'median'"),
            std::string::npos);
}

TEST(catalog_load, symptom_of_names_the_causes) {
  auto result = load_catalog_string(
      replace(valid_catalog, "    playbooks: [scale-api-shard]\n",
              "    playbooks: [scale-api-shard]\n    symptom_of: [autonomy.plan_success_rate]\n"),
      "test.yaml");
  ASSERT_TRUE(result.errors.empty()) << result.errors[0].to_string();
  EXPECT_EQ(result.catalog->find_metric("api.latency_p95")->symptom_of,
            std::vector<std::string>{"autonomy.plan_success_rate"});
  EXPECT_TRUE(result.catalog->find_metric("autonomy.plan_success_rate")->symptom_of.empty());
}

TEST(catalog_load, symptoms_of_follows_chains_of_causes) {
  auto result = load_catalog_file(source_dir() + "/config/metrics_catalog.yaml");
  ASSERT_TRUE(result.catalog);
  const auto& c = *result.catalog;
  // The shipped topology: traffic -> CPU -> latency -> errors -> failed
  // plans -> approvals.
  EXPECT_EQ(
      c.symptoms_of("api.request_rate"),
      (std::vector<std::string>{"api.latency_p95", "api.error_rate", "autonomy.plan_success_rate",
                                "autonomy.pending_approvals", "infra.cpu_utilization"}));
  EXPECT_EQ(c.symptoms_of("api.error_rate"),
            (std::vector<std::string>{"autonomy.plan_success_rate", "autonomy.pending_approvals"}));
  EXPECT_EQ(c.symptoms_of("autonomy.pending_approvals"), std::vector<std::string>{});
  EXPECT_EQ(c.symptoms_of("no.such_metric"), std::vector<std::string>{});
}

TEST(catalog_validation, symptom_of_undefined_self_twice_or_in_a_cycle) {
  const std::string lat_line = "    playbooks: [scale-api-shard]\n";
  auto undefined =
      errors_of(replace(valid_catalog, lat_line, lat_line + "    symptom_of: [infra.cpu]\n"));
  ASSERT_EQ(undefined.size(), 1u);
  EXPECT_EQ(undefined[0],
            "test.yaml:14:18: metrics[0].symptom_of[0]: names undefined metric 'infra.cpu'");
  auto self =
      errors_of(replace(valid_catalog, lat_line, lat_line + "    symptom_of: [api.latency_p95]\n"));
  ASSERT_EQ(self.size(), 1u);
  EXPECT_EQ(self[0], "test.yaml:14:18: metrics[0].symptom_of[0]: a metric cannot be a symptom of "
                     "itself");
  auto twice = errors_of(replace(valid_catalog, lat_line,
                                 lat_line
                                     + "    symptom_of: [autonomy.plan_success_rate, "
                                       "autonomy.plan_success_rate]\n"));
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_NE(twice[0].find("metrics[0].symptom_of[1]: metric 'autonomy.plan_success_rate' listed "
                          "twice"),
            std::string::npos);
  // Each waiting for the other would leave both breaches alone.
  std::string cycle =
      replace(valid_catalog, lat_line, lat_line + "    symptom_of: [autonomy.plan_success_rate]\n");
  cycle = replace(cycle, "    max_risk_tier: 2\n",
                  "    max_risk_tier: 2\n    symptom_of: [api.latency_p95]\n");
  auto cyclic = errors_of(cycle);
  ASSERT_EQ(cyclic.size(), 1u) << ::testing::PrintToString(cyclic);
  EXPECT_NE(cyclic[0].find("symptom_of makes a cycle: api.latency_p95 -> "
                           "autonomy.plan_success_rate -> api.latency_p95"),
            std::string::npos)
      << cyclic[0];
  EXPECT_FALSE(load_catalog_string(cycle, "test.yaml").catalog);
}

TEST(catalog_validation, command_playbook_needs_absolute_argv) {
  auto errors = errors_of(replace(valid_catalog, "action: {kind: simulator}",
                                  "action: {kind: command, argv: [kubectl, scale]}"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("playbooks[0].action.argv: expected a non-empty list whose first "
                           "element is an absolute path"),
            std::string::npos);
}

TEST(catalog_validation, syntax_error_and_missing_file) {
  auto errors = errors_of("version: 1\nmetrics: [\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("test.yaml:", 0), 0u);
  EXPECT_NE(errors[0].find("YAML syntax"), std::string::npos);
  auto directory = load_catalog_file("/");
  ASSERT_EQ(directory.errors.size(), 1u);
  EXPECT_EQ(directory.errors[0].to_string(), "/: is a directory, not a file");
  auto missing = load_catalog_file("/nonexistent/catalog.yaml");
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].to_string(),
            "/nonexistent/catalog.yaml: cannot open the file for reading");
}

TEST(catalog_band, higher_is_worse) {
  metric_definition m;
  m.direction = direction::higher_is_worse;
  m.warning = 400;
  m.critical = 500;
  EXPECT_EQ(band_of(m, 100), band::good);
  EXPECT_EQ(band_of(m, 399.9), band::good);
  EXPECT_EQ(band_of(m, 400), band::warning);
  EXPECT_EQ(band_of(m, 499), band::warning);
  EXPECT_EQ(band_of(m, 500), band::critical);
  EXPECT_EQ(band_of(m, 1e9), band::critical);
}

TEST(catalog_band, lower_is_worse) {
  metric_definition m;
  m.direction = direction::lower_is_worse;
  m.warning = 90;
  m.critical = 80;
  EXPECT_EQ(band_of(m, 99), band::good);
  EXPECT_EQ(band_of(m, 90.1), band::good);
  EXPECT_EQ(band_of(m, 90), band::warning);
  EXPECT_EQ(band_of(m, 80.5), band::warning);
  EXPECT_EQ(band_of(m, 80), band::critical);
  EXPECT_EQ(band_of(m, 0), band::critical);
}

TEST(catalog_durations, parse_and_format) {
  using grace::config::format_duration;
  using grace::config::parse_duration_ms;
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("30s"), 30000);
  EXPECT_EQ(parse_duration_ms("15m"), 900000);
  EXPECT_EQ(parse_duration_ms("6h"), 21600000);
  EXPECT_EQ(parse_duration_ms("7d"), 604800000);
  EXPECT_EQ(parse_duration_ms("1.5h"), 5400000);
  EXPECT_FALSE(parse_duration_ms("15"));
  EXPECT_FALSE(parse_duration_ms("-5m"));
  EXPECT_FALSE(parse_duration_ms("m"));
  EXPECT_EQ(format_duration(900000), "15m");
  EXPECT_EQ(format_duration(1500), "1.5s");
}

TEST(catalog_durations, bounded_and_exception_free) {
  using grace::config::max_duration_ms;
  using grace::config::parse_duration_ms;
  std::string problem;
  EXPECT_EQ(parse_duration_ms(" 2 h ", &problem), 7200000);
  EXPECT_EQ(parse_duration_ms("36500d"), max_duration_ms);
  EXPECT_FALSE(parse_duration_ms("36501d", &problem));
  EXPECT_EQ(problem, "out of range");
  // 309 digits: beyond a double, where std::stod threw.
  EXPECT_FALSE(parse_duration_ms(std::string(309, '9') + "s", &problem));
  EXPECT_EQ(problem, "out of range");
  EXPECT_FALSE(parse_duration_ms("0." + std::string(5000, '1') + "s", &problem) == std::nullopt);
  for (const char* bad :
       {"", "s", ".5s", "5.s", "1e3s", "+5m", "5 minutes", "0x10s", "infs", "5mm"}) {
    EXPECT_FALSE(parse_duration_ms(bad, &problem)) << bad;
    EXPECT_EQ(problem, "not a duration") << bad;
  }
}

TEST(catalog_numbers, decimals_and_whole_numbers_are_bounded) {
  using grace::config::parse_decimal;
  using grace::config::parse_whole_number;
  std::string problem;
  EXPECT_EQ(parse_decimal("-2"), -2.0);
  EXPECT_EQ(parse_decimal("+0.5"), 0.5);
  EXPECT_EQ(parse_decimal(".5"), 0.5);
  EXPECT_EQ(parse_decimal("5."), 5.0);
  EXPECT_EQ(parse_decimal("1e3"), 1000.0);
  EXPECT_EQ(parse_decimal("1E-3"), 0.001);
  EXPECT_FALSE(parse_decimal("1e400", &problem));
  EXPECT_EQ(problem, "out of range");
  EXPECT_FALSE(parse_decimal(std::string(400, '9'), &problem));
  EXPECT_EQ(problem, "out of range");
  for (const char* bad :
       {"", "-", ".", "e5", "1e", "1e+", "0x10", ".inf", "nan", "1,5", "--1", "1 "}) {
    EXPECT_FALSE(parse_decimal(bad, &problem)) << bad;
    EXPECT_EQ(problem, "not a number") << bad;
  }
  EXPECT_EQ(parse_whole_number("42"), 42);
  EXPECT_EQ(parse_whole_number("+7"), 7);
  EXPECT_EQ(parse_whole_number("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_FALSE(parse_whole_number("9223372036854775808", &problem));
  EXPECT_EQ(problem, "out of range");
  for (const char* bad : {"", "+", "-", "+-1", "1.0", "1e3", "0x1f", " 1"}) {
    EXPECT_FALSE(parse_whole_number(bad, &problem)) << bad;
    EXPECT_EQ(problem, "not a whole number") << bad;
  }
}

TEST(catalog_errors, quoted_values_are_short_and_printable) {
  using grace::config::is_valid_utf8;
  using grace::config::quote_for_error;
  EXPECT_EQ(quote_for_error("abc"), "'abc'");
  EXPECT_EQ(quote_for_error(std::string(100, 'x')),
            "'" + std::string(60, 'x') + "...' (100 characters)");
  // Never cut inside a character; bytes that are not UTF-8 are escaped.
  EXPECT_EQ(quote_for_error(std::string(59, 'x') + "\xc3\xa9" + std::string(10, 'y')),
            "'" + std::string(59, 'x') + "...' (71 characters)");
  EXPECT_EQ(quote_for_error("a\xff\n"), "'a\\xff\\x0a'");
  EXPECT_TRUE(is_valid_utf8("grüße ✓ 😀"));
  for (const char* bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
    EXPECT_FALSE(is_valid_utf8(bad)) << ::testing::PrintToString(std::string(bad));
}

// Each input below once crashed the reader (validate-catalog exit 139 or an
// uncaught exception, a live reload took the node down): now each is one
// error naming the path.
TEST(catalog_validation, hostile_values_are_errors_not_crashes) {
  auto long_id =
      errors_of(replace(valid_catalog, "id: api.latency_p95", "id: a" + std::string(39999, 'b')));
  ASSERT_EQ(long_id.size(), 1u) << ::testing::PrintToString(long_id);
  EXPECT_EQ(long_id[0], "test.yaml:3:9: metrics[0].id: 'a" + std::string(59, 'b')
                            + "...' (40000 characters) is too long for a metric id (at most 128 "
                              "characters)");
  auto long_duration = errors_of(replace(valid_catalog, "collection_interval: 60s",
                                         "collection_interval: " + std::string(309, '9') + "s"));
  ASSERT_EQ(long_duration.size(), 1u);
  EXPECT_EQ(long_duration[0], "test.yaml:10:26: metrics[0].collection_interval: the duration '"
                                  + std::string(60, '9')
                                  + "...' (310 characters) is out of range (at most 36500d)");
  auto no_thresholds =
      errors_of(replace(valid_catalog, "    thresholds: {warning: 400, critical: 500}\n", ""));
  ASSERT_EQ(no_thresholds.size(), 1u);
  EXPECT_EQ(no_thresholds[0], "test.yaml:3:5: metrics[0].thresholds: missing required key");
  auto no_action = errors_of(replace(valid_catalog, "    action: {kind: simulator}\n", ""));
  ASSERT_EQ(no_action.size(), 1u);
  EXPECT_EQ(no_action[0], "test.yaml:28:5: playbooks[0].action: missing required key");
  // A long playbook id, a long link to one, a long category.
  auto long_names = errors_of(
      replace(replace(valid_catalog, "category: api", "category: " + std::string(129, 'c')),
              "- id: scale-api-shard", "- id: " + std::string(200, 's')));
  ASSERT_EQ(long_names.size(), 3u) << ::testing::PrintToString(long_names);
  EXPECT_NE(long_names[0].find("playbooks[0].id: '" + std::string(60, 's')
                               + "...' (200 characters) is too long for a playbook id"),
            std::string::npos);
  EXPECT_NE(long_names[1].find("metrics[0].category: '" + std::string(60, 'c')
                               + "...' (129 characters) is too long for a category"),
            std::string::npos);
  EXPECT_NE(
      long_names[2].find("metrics[0].playbooks[0]: links to undefined playbook 'scale-api-shard'"),
      std::string::npos);
}

TEST(catalog_validation, wrong_shapes_are_errors_not_crashes) {
  auto shapes =
      errors_of("version: 1\nmetrics: [1, [2], {id: x, thresholds: 3, playbooks: {a: b}}]\n"
                "playbooks: [{id: p, action: 7}, {action: {kind: webhook, headers: [1]}}]\n");
  EXPECT_GT(shapes.size(), 10u);
  for (const char* expected : {"metrics[0]: expected a mapping", "metrics[1]: expected a mapping",
                               "metrics[2].thresholds: expected a mapping",
                               "metrics[2].playbooks: expected a list of strings",
                               "playbooks[0].action: expected a mapping with a 'kind'",
                               "playbooks[1].action.headers: expected a mapping of strings"}) {
    bool found = false;
    for (const auto& e : shapes)
      found = found || e.find(expected) != std::string::npos;
    EXPECT_TRUE(found) << expected << " in " << ::testing::PrintToString(shapes);
  }
  EXPECT_EQ(errors_of("[1, 2]"), std::vector<std::string>{"test.yaml:1:1: expected a mapping"});
  EXPECT_EQ(errors_of("just text"), std::vector<std::string>{"test.yaml:1:1: expected a mapping"});
}

TEST(catalog_validation, text_must_be_utf8) {
  auto surrogate =
      errors_of(replace(valid_catalog, "description: latency", "description: \"\\uD800\""));
  ASSERT_EQ(surrogate.size(), 1u);
  EXPECT_NE(surrogate[0].find("YAML syntax"), std::string::npos);
  auto raw = errors_of(replace(valid_catalog, "unit: ms", "unit: m\xff\xfe"));
  ASSERT_EQ(raw.size(), 1u) << ::testing::PrintToString(raw);
  EXPECT_EQ(raw[0], "test.yaml:6:11: metrics[0].unit: expected UTF-8 text, found 'm\\xff\\xfe'");
}

TEST(catalog_validation, a_long_chain_of_causes_is_checked_in_one_pass) {
  // 3000 metrics, each a symptom of the next, the last of the first: one
  // cycle through all of them, found without a search per entry.
  std::string yaml = "version: 1\nplaybooks: []\nmetrics:\n";
  const int n = 3000;
  for (int i = 0; i < n; ++i)
    yaml += "  - {id: m.x" + std::to_string(i)
            + ", category: c, service: s, unit: u, description: d, direction: higher_is_worse,"
              " thresholds: {warning: 1, critical: 2}, collection_interval: 1m,"
              " aggregation: mean, forecast: false, playbooks: [], symptom_of: [m.x"
            + std::to_string((i + 1) % n) + "]}\n";
  auto errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(
      errors[0].find("metrics[0].symptom_of[0]: symptom_of makes a cycle: m.x0 -> m.x1 -> "
                     "m.x2 -> m.x3 -> ... (2993 more) -> m.x2997 -> m.x2998 -> m.x2999 -> m.x0"),
      std::string::npos)
      << errors[0];
}

TEST(catalog_statistics, better_quartile_respects_the_direction) {
  const std::vector<double> v = {5, 1, 4, 2, 3, std::numeric_limits<double>::quiet_NaN(), 6, 7, 8};
  EXPECT_DOUBLE_EQ(better_quartile(v, true), 2.0);  // low is good
  EXPECT_DOUBLE_EQ(better_quartile(v, false), 7.0); // high is good
  EXPECT_TRUE(std::isnan(better_quartile({}, true)));
}

TEST(catalog_load, promql_expression_is_kept) {
  auto yaml =
      replace(valid_catalog, "    playbooks: [scale-api-shard]\n",
              "    playbooks: [scale-api-shard]\n"
              "    promql: 'histogram_quantile(0.95, sum by (le) "
              "(rate(http_request_duration_seconds_bucket{path=~\"/a(b\"}[5m]))) # p95 ('\n");
  auto result = load_catalog_string(yaml, "test.yaml");
  ASSERT_TRUE(result.catalog) << (result.errors.empty() ? "" : result.errors[0].to_string());
  EXPECT_NE(result.catalog->find_metric("api.latency_p95")->promql.find("histogram_quantile"),
            std::string::npos);
  EXPECT_TRUE(result.catalog->find_metric("autonomy.plan_success_rate")->promql.empty());
}

TEST(catalog_validation, promql_shape_is_checked) {
  const std::pair<const char*, const char*> cases[] = {
      {"''", "must not be empty"},
      {"'sum(rate(x[5m])'", "unclosed bracket (expected ')')"},
      {"'sum(rate(x[5m)))'", "unmatched ')'"},
      {"'x{job=\"api}'", "never closed"},
      {"[1, 2]", "expected a string"},
  };
  for (const auto& [value, problem] : cases) {
    auto yaml =
        replace(valid_catalog, "    playbooks: [scale-api-shard]\n",
                std::string("    playbooks: [scale-api-shard]\n    promql: ") + value + "\n");
    auto errors = errors_of(yaml);
    ASSERT_EQ(errors.size(), 1u) << value;
    EXPECT_NE(errors[0].find("metrics[0].promql"), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find(problem), std::string::npos) << errors[0];
  }
  EXPECT_NE(promql_shape_problem(std::string(5000, 'x')).find("too long"), std::string::npos);
  EXPECT_NE(promql_shape_problem("up\x01").find("control character"), std::string::npos);
  EXPECT_EQ(promql_shape_problem("sum by (job) (rate(x{a=\"\\\")\"}[5m]))\n# note (("), "");
}
