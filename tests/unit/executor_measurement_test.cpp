#include "actors/executor/measurement.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace grace;
using namespace grace::executor;

namespace {

constexpr int64_t minute = 60000;

catalog::metric_definition latency() {
  catalog::metric_definition m;
  m.id = "api.latency_p95";
  m.service = "api";
  m.direction = catalog::direction::higher_is_worse;
  m.aggregation = catalog::aggregation::p95;
  m.warning = 200.0;
  m.critical = 300.0;
  return m;
}

snapshot window(const std::string& metric, int64_t end, double p95) {
  snapshot s;
  s.metric_id = metric;
  s.window_start = end - 5 * minute;
  s.window_end = end;
  s.p95 = p95;
  s.mean = -1.0; // not the metric's statistic: must never be read
  return s;
}

forecast forecast_of(std::vector<std::pair<int64_t, double>> points) {
  forecast f;
  f.step = 5 * minute;
  for (const auto& [ts, mean] : points) {
    forecast_point p;
    p.ts = ts;
    p.mean = mean;
    f.points.push_back(p);
  }
  return f;
}

// A run started at minute 100, finished at once, measured for 30 minutes.
execution run_at_100() {
  execution e;
  e.id = "ex-1";
  e.service = "api";
  e.started_at = 100 * minute;
  e.finished_at = 100 * minute;
  e.evaluate_at = 130 * minute;
  e.state = execution_state::succeeded;
  return e;
}

measurement_spans spans() {
  measurement_spans s;
  s.evaluation_window_ms = 30 * minute;
  s.baseline_window_ms = 15 * minute;
  s.normal_window_ms = 60 * minute;
  return s;
}

} // namespace

TEST(executor_measurement, splits_before_and_after_on_the_start) {
  std::vector<snapshot> rows;
  for (int64_t m = 50; m <= 140; m += 5)
    rows.push_back(window("api.latency_p95", m * minute, static_cast<double>(m)));
  const auto in = measure_inputs(latency(), rows, forecast{}, {}, run_at_100(), spans());
  // (85, 100] before, (100, 130] after.
  EXPECT_EQ(in.before, (std::vector<double>{90, 95, 100}));
  EXPECT_EQ(in.after, (std::vector<double>{105, 110, 115, 120, 125, 130}));
  EXPECT_TRUE(in.counterfactual.empty());
  EXPECT_TRUE(std::isnan(in.counterfactual_at_action));
  EXPECT_EQ(in.warning, 200.0);
  EXPECT_TRUE(in.higher_is_worse);
}

TEST(executor_measurement, normal_level_is_the_better_quartile_of_the_longer_window) {
  std::vector<snapshot> rows;
  // (40, 100]: 12 windows valued 1..12 (higher is worse: the better quartile
  // is the low end, nearest rank (12-1)/4 = 2 -> 3).
  for (int64_t i = 1; i <= 12; ++i)
    rows.push_back(window("api.latency_p95", (40 + 5 * i) * minute, static_cast<double>(i)));
  const auto in = measure_inputs(latency(), rows, forecast{}, {}, run_at_100(), spans());
  EXPECT_EQ(in.normal_level, 3.0);
  auto lower = latency();
  lower.direction = catalog::direction::lower_is_worse;
  EXPECT_EQ(measure_inputs(lower, rows, forecast{}, {}, run_at_100(), spans()).normal_level, 10.0);
}

TEST(executor_measurement, counterfactual_follows_the_after_windows_until_a_gap) {
  std::vector<snapshot> rows;
  for (int64_t m = 95; m <= 130; m += 5)
    rows.push_back(window("api.latency_p95", m * minute, 150.0));
  // Points for 105 and 110 (a minute off), none within a step (2 min) of 115,
  // one for 125 that must not be used once the series broke off.
  auto f = forecast_of(
      {{100 * minute, 170.0}, {106 * minute, 180.0}, {111 * minute, 190.0}, {125 * minute, 250.0}});
  f.step = 2 * minute;
  const auto in = measure_inputs(latency(), rows, f, {}, run_at_100(), spans());
  EXPECT_EQ(in.counterfactual, (std::vector<double>{180.0, 190.0}));
  EXPECT_EQ(in.counterfactual_at_action, 170.0) << "the point nearest the last before-window";
}

TEST(executor_measurement, other_kpis_are_relative_deltas_and_zero_references_left_out) {
  auto errors = latency();
  errors.id = "api.error_rate";
  errors.aggregation = catalog::aggregation::mean;
  auto saturation = errors;
  saturation.id = "api.saturation";
  std::vector<other_metric_rows> others(2);
  others[0].metric = &errors;
  others[1].metric = &saturation;
  for (int64_t m : {90, 100}) {
    auto s = window(errors.id, m * minute, 0.0);
    s.mean = 4.0;
    others[0].rows.push_back(s);
    s.mean = 0.0; // a zero reference: no relative delta
    others[1].rows.push_back(s);
  }
  for (int64_t m : {110, 120}) {
    auto s = window(errors.id, m * minute, 0.0);
    s.mean = 3.0;
    others[0].rows.push_back(s);
    others[1].rows.push_back(s);
  }
  const auto in = measure_inputs(latency(), {}, forecast{}, others, run_at_100(), spans());
  ASSERT_EQ(in.other_kpi_deltas.size(), 1u);
  EXPECT_DOUBLE_EQ(in.other_kpi_deltas.at("api.error_rate.delta_vs_before"), -0.25);
}

TEST(executor_measurement, a_measurement_cut_short_says_so) {
  std::vector<snapshot> rows;
  for (int64_t m = 90; m <= 130; m += 5)
    rows.push_back(window("api.latency_p95", m * minute, 120.0));
  auto run = run_at_100();
  const auto full = measure_outcome(latency(), rows, forecast{}, {}, run, spans());
  EXPECT_EQ(full.result.summary.find("measured over"), std::string::npos);
  EXPECT_EQ(full.inputs.after.size(), 6u);
  run.evaluate_at = 110 * minute;
  const auto cut = measure_outcome(latency(), rows, forecast{}, {}, run, spans());
  EXPECT_EQ(cut.inputs.after.size(), 2u);
  EXPECT_NE(cut.result.summary.find("(measured over 10m: the next run on api started)"),
            std::string::npos)
      << cut.result.summary;
}

TEST(executor_measurement, the_query_reaches_back_over_the_longer_window) {
  EXPECT_EQ(measurement_since(run_at_100(), spans()), 40 * minute);
  auto s = spans();
  s.baseline_window_ms = 90 * minute;
  EXPECT_EQ(measurement_since(run_at_100(), s), 10 * minute);
}

TEST(executor_measurement, a_later_run_on_the_service_ends_the_evaluation) {
  std::deque<execution> runs{run_at_100()};
  EXPECT_EQ(evaluation_end(runs, runs[0], 102 * minute, spans()), 132 * minute);
  execution other_service = run_at_100();
  other_service.id = "ex-2";
  other_service.service = "db";
  other_service.started_at = 101 * minute;
  runs.push_back(other_service);
  EXPECT_EQ(evaluation_end(runs, runs[0], 102 * minute, spans()), 132 * minute);
  execution later = run_at_100();
  later.id = "ex-3";
  later.started_at = 101 * minute;
  runs.push_back(later);
  EXPECT_EQ(evaluation_end(runs, runs[0], 102 * minute, spans()), 101 * minute);
}

TEST(executor_measurement, a_start_cuts_the_runs_still_measured_on_its_service) {
  std::deque<execution> runs;
  auto measured = run_at_100(); // measured until 130
  runs.push_back(measured);
  auto done = run_at_100();
  done.id = "ex-done";
  done.evaluate_at = 110 * minute; // already over at 120
  runs.push_back(done);
  auto failed = run_at_100();
  failed.id = "ex-failed";
  failed.state = execution_state::failed;
  runs.push_back(failed);
  auto elsewhere = run_at_100();
  elsewhere.id = "ex-db";
  elsewhere.service = "db";
  runs.push_back(elsewhere);
  auto busy = run_at_100();
  busy.id = "ex-busy";
  runs.push_back(busy);
  auto starting = run_at_100();
  starting.id = "ex-new";
  starting.started_at = 120 * minute;
  runs.push_back(starting);
  EXPECT_EQ(cut_by_start(runs, starting, 120 * minute, {"ex-busy"}),
            (std::vector<std::string>{"ex-1"}));
}

TEST(executor_measurement, the_attribution_windows_are_those_ending_within_the_span) {
  std::vector<snapshot> rows;
  for (int64_t m = 50; m <= 140; m += 5)
    rows.push_back(window("api.latency_p95", m * minute, 250.0));
  auto s = spans();
  EXPECT_EQ(measure_inputs(latency(), rows, forecast{}, {}, run_at_100(), s).attribution_windows,
            0u); // not set: any window may show the recovery
  s.attribution_window_ms = 10 * minute;
  // The windows ending at 105 and 110.
  EXPECT_EQ(measure_inputs(latency(), rows, forecast{}, {}, run_at_100(), s).attribution_windows,
            2u);
  s.attribution_window_ms = 1 * minute; // shorter than a window: the first one
  EXPECT_EQ(measure_inputs(latency(), rows, forecast{}, {}, run_at_100(), s).attribution_windows,
            1u);
}

TEST(executor_measurement, a_cause_in_trouble_during_the_evaluation_confounds_the_reward) {
  auto cpu = latency();
  cpu.id = "infra.cpu";
  cpu.service = "infra";
  std::vector<other_metric_rows> others(1);
  others[0].metric = &cpu;
  others[0].cause = true;
  // In the warning band before the run only: not confounded.
  auto s = window(cpu.id, 95 * minute, 250.0);
  s.level = band::warning;
  others[0].rows.push_back(s);
  for (int64_t m = 105; m <= 130; m += 5) {
    auto good = window(cpu.id, m * minute, 100.0);
    good.level = band::good;
    others[0].rows.push_back(good);
  }
  std::vector<snapshot> rows;
  for (int64_t m = 90; m <= 130; m += 5)
    rows.push_back(window("api.latency_p95", m * minute, m <= 100 ? 250.0 : 120.0));
  auto clean = measure_outcome(latency(), rows, forecast{}, others, run_at_100(), spans());
  EXPECT_TRUE(clean.inputs.causes_in_trouble.empty());
  EXPECT_FALSE(clean.result.confounded);
  EXPECT_TRUE(clean.inputs.other_kpi_deltas.empty()); // a cause is no KPI of the service
  // In the critical band in an after-window: confounded, and it says which.
  others[0].rows[3].level = band::critical;
  auto mixed = measure_outcome(latency(), rows, forecast{}, others, run_at_100(), spans());
  EXPECT_EQ(mixed.inputs.causes_in_trouble, (std::vector<std::string>{"infra.cpu"}));
  EXPECT_TRUE(mixed.result.confounded);
  EXPECT_EQ(mixed.result.reward, clean.result.reward); // the reward itself is unchanged
  EXPECT_NE(mixed.result.summary.find("confounded: its cause infra.cpu was in trouble"),
            std::string::npos)
      << mixed.result.summary;
  // Reported as an outcome with no incident seen only with causes_confound.
  ASSERT_TRUE(mixed.result.incident_seen());
  auto sp = spans();
  EXPECT_TRUE(report_incident_seen(mixed.result, sp));
  sp.causes_confound = true;
  EXPECT_FALSE(report_incident_seen(mixed.result, sp));
  EXPECT_TRUE(report_incident_seen(clean.result, sp));
}

TEST(executor_measurement, an_evaluation_reads_the_service_then_the_metrics_declared_causes) {
  const char* yaml = R"(version: 1
metrics:
  - {id: api.latency, category: api, service: api, unit: ms, description: latency, direction: higher_is_worse, thresholds: {warning: 400, critical: 500}, collection_interval: 60s, aggregation: mean, forecast: true, playbooks: [p], symptom_of: [api.requests, infra.cpu]}
  - {id: api.requests, category: api, service: api, unit: rps, description: requests, direction: higher_is_worse, thresholds: {warning: 400, critical: 500}, collection_interval: 60s, aggregation: mean, forecast: true, playbooks: [p]}
  - {id: infra.cpu, category: infra, service: infra, unit: percent, description: cpu, direction: higher_is_worse, thresholds: {warning: 80, critical: 95}, collection_interval: 60s, aggregation: mean, forecast: true, playbooks: [p]}
playbooks:
  - {id: p, description: p, action: {kind: noop}, risk_tier: 1, mode: auto, cooldown: 1m, max_runs_per_hour: 10}
)";
  auto loaded = catalog::load_catalog_string(yaml, "measurement-test");
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors.front().to_string();
  size_t causes_from = 0;
  // A cause on the same service is read once, as one of the service's.
  EXPECT_EQ(evaluation_metrics(*loaded.catalog, "api.latency", "api", causes_from),
            (std::vector<std::string>{"api.latency", "api.requests", "infra.cpu"}));
  EXPECT_EQ(causes_from, 2u);
  EXPECT_EQ(evaluation_metrics(*loaded.catalog, "infra.cpu", "infra", causes_from),
            (std::vector<std::string>{"infra.cpu"}));
  EXPECT_EQ(causes_from, 1u);
}
