// The analytics core: accuracy maths, the health-score formula against
// hand-computed inputs, the summaries and the Prometheus exposition.
#include "actors/analytics/dashboard_reports.hpp"
#include "actors/analytics/exposition.hpp"
#include "actors/analytics/forecast_accuracy.hpp"
#include "actors/analytics/health_score.hpp"
#include "actors/analytics/reports.hpp"
#include "messages/json.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace grace;
using namespace grace::analytics;
using nlohmann::json;

namespace {

constexpr int64_t minute = 60000;

forecast_point point(int64_t ts, double mean, double half80, double half95) {
  return {ts, mean, mean - half80, mean + half80, mean - half95, mean + half95};
}

} // namespace

TEST(AnalyticsAccuracy, HandComputedErrorsAndCoverage) {
  forecast f;
  f.metric_id = "m";
  f.generated_at = 0;
  f.step = 5 * minute;
  // Forecasts 10 and 20 at +5 and +10 min; actuals 12 and 20 (and 9 at 0).
  f.points = {point(5 * minute, 10.0, 1.0, 3.0), point(10 * minute, 20.0, 1.0, 3.0)};
  std::vector<actual_point> actuals = {{0, 9.0}, {5 * minute, 12.0}, {10 * minute, 20.0}};
  const auto m = score_metric("m", {f}, actuals, 0, 10 * minute, 2 * minute);
  ASSERT_EQ(m.overall.points, 2u);
  EXPECT_DOUBLE_EQ(*m.overall.mae, 1.0); // (2 + 0) / 2
  // sMAPE = 2 x mean(|F-A|/(|F|+|A|)) = 2 x (2/22 + 0) / 2
  EXPECT_NEAR(*m.overall.smape, 2.0 / 22.0, 1e-12);
  EXPECT_NEAR(*m.overall.accuracy_pct, 100.0 * (1.0 - 1.0 / 22.0), 1e-9);
  // 12 is outside 10 +- 1 but inside 10 +- 3; 20 is inside both.
  EXPECT_DOUBLE_EQ(*m.overall.coverage80, 0.5);
  EXPECT_DOUBLE_EQ(*m.overall.coverage95, 1.0);
  // Naive scale: mean(|12-9|, |20-12|) = 5.5 -> MASE = 1 / 5.5.
  EXPECT_NEAR(*m.overall.mase, 1.0 / 5.5, 1e-12);
  ASSERT_EQ(m.by_horizon.size(), 2u);
  EXPECT_EQ(m.by_horizon[0].horizon_minutes, 5);
  EXPECT_DOUBLE_EQ(*m.by_horizon[0].figures.mae, 2.0);
  EXPECT_EQ(m.by_horizon[1].horizon_minutes, 10);
  EXPECT_DOUBLE_EQ(*m.by_horizon[1].figures.mae, 0.0);
  // No actuals a day before: no seasonal naive forecast to compare with.
  EXPECT_FALSE(m.overall.skill.has_value());
}

TEST(AnalyticsAccuracy, SkillIsAgainstYesterdaysValuesAtTheSameTime) {
  constexpr int64_t day = seasonal_period_ms;
  forecast f;
  f.generated_at = day;
  f.step = 5 * minute;
  f.points = {point(day + 5 * minute, 10.0, 1.0, 3.0), point(day + 10 * minute, 20.0, 1.0, 3.0)};
  // Yesterday 8 and 20; today 12 and 20. Model errors 2 + 0, naive 4 + 0.
  std::vector<actual_point> actuals = {
      {5 * minute, 8.0}, {10 * minute, 20.0}, {day + 5 * minute, 12.0}, {day + 10 * minute, 20.0}};
  const auto m = score_metric("m", {f}, actuals, day, day + 10 * minute, 2 * minute);
  ASSERT_TRUE(m.overall.skill.has_value());
  EXPECT_DOUBLE_EQ(*m.overall.skill, 0.5);
  ASSERT_EQ(m.by_horizon.size(), 2u);
  EXPECT_DOUBLE_EQ(*m.by_horizon[0].figures.skill, 0.5); // 1 - 2/4
  // At +10 min the naive forecast was exact: nothing to beat, no skill.
  EXPECT_FALSE(m.by_horizon[1].figures.skill.has_value());

  // A point more than a day ahead compares with the day before it was made:
  // two days back, not yesterday's value it could not have known.
  forecast far;
  far.generated_at = day;
  far.step = 60 * minute;
  far.points = {point(2 * day + 60 * minute, 30.0, 1.0, 3.0)};
  std::vector<actual_point> two_days = {
      {60 * minute, 10.0}, {day + 60 * minute, 31.0}, {2 * day + 60 * minute, 32.0}};
  const auto f2 = score_metric("m", {far}, two_days, day, 3 * day, 2 * minute);
  ASSERT_TRUE(f2.overall.skill.has_value());
  EXPECT_DOUBLE_EQ(*f2.overall.skill, 1.0 - 2.0 / 22.0); // |30-32| vs |10-32|
}

TEST(AnalyticsAccuracy, PointsWithoutActualOrOutsideTheWindowAreSkipped) {
  forecast f;
  f.generated_at = 0;
  f.points = {point(5 * minute, 1.0, 1, 2), point(10 * minute, 1.0, 1, 2),
              point(60 * minute, 1.0, 1, 2)};
  // No actual near +10 min (nearest is 4 min away, tolerance 2); +60 is
  // after the window.
  std::vector<actual_point> actuals = {{5 * minute, 1.0}, {14 * minute, 1.0}};
  const auto m = score_metric("m", {f}, actuals, 0, 30 * minute, 2 * minute);
  EXPECT_EQ(m.overall.points, 1u);
  const auto none = score_metric("m", {}, actuals, 0, 30 * minute, 2 * minute);
  EXPECT_EQ(none.overall.points, 0u);
  EXPECT_FALSE(none.overall.accuracy_pct.has_value());
}

TEST(AnalyticsAccuracy, PoolingSumsPointsAndAveragesMase) {
  metric_accuracy a, b;
  a.sums.add(10, 10, 9, 11, 8, 12);
  a.overall.mase = 0.5;
  b.sums.add(1, 3, 0, 2, -1, 4);
  b.overall.mase = 1.5;
  a.overall.skill = 0.5;
  b.overall.skill = -0.1;
  const auto p = pool({a, b});
  EXPECT_DOUBLE_EQ(*p.overall.skill, 0.2); // each metric once, whatever its unit
  EXPECT_EQ(p.overall.points, 2u);
  EXPECT_FALSE(p.overall.mae.has_value()); // units differ between metrics
  EXPECT_DOUBLE_EQ(*p.overall.mase, 1.0);
  EXPECT_DOUBLE_EQ(*p.overall.coverage80, 0.5);
  EXPECT_DOUBLE_EQ(*p.overall.coverage95, 1.0);
}

TEST(AnalyticsHealth, AllPartsHandComputed) {
  health_inputs in;
  in.accuracy_pct = 80.0;
  in.accuracy_points = 100;
  in.skill = -0.2;      // 50 x 0.8 = 40
  in.coverage80 = 0.70; // 100 x (1 - 2.5 x 0.1) = 75
  in.warnings_prevented = 3;
  in.warnings_came_true = 1;
  in.warnings_false_alarm = 1; // 80
  in.mean_execution_reward = 0.5;
  in.evaluated_executions = 4; // 75
  in.since_last_training_ms = 3 * 3600000LL;
  in.training_interval_ms = 6 * 3600000LL; // within one interval: 100
  const auto r = health_score(in);
  ASSERT_TRUE(r.score.has_value());
  // 0.15 x 80 + 0.15 x 40 + 0.15 x 75 + 0.20 x 80 + 0.20 x 75 + 0.15 x 100 = 75.25
  EXPECT_NEAR(*r.score, 75.25, 1e-9);
  EXPECT_EQ(r.label, "good");
  ASSERT_EQ(r.parts.size(), 6u);
  EXPECT_EQ(r.parts[1].name, "forecast_skill");
  EXPECT_NEAR(*r.parts[1].value, 40.0, 1e-9);
  EXPECT_NEAR(*r.parts[2].value, 75.0, 1e-9);
  EXPECT_NEAR(*r.parts[3].value, 80.0, 1e-9);

  // Accurate but no better than yesterday's values: the skill part says so.
  in.skill = 0.0;
  EXPECT_NEAR(*health_score(in).parts[1].value, 50.0, 1e-9);
  in.skill = -3.0; // far worse than naive: 0, not below
  EXPECT_NEAR(*health_score(in).parts[1].value, 0.0, 1e-9);
}

TEST(AnalyticsHealth, PartsWithoutDataAreLeftOutOfTheWeighting) {
  health_inputs in;
  in.accuracy_pct = 60.0;
  in.accuracy_points = 10;
  in.warnings_prevented = 0;
  in.warnings_came_true = 2;
  in.warnings_false_alarm = 3; // 40
  const auto r = health_score(in);
  // Coverage and skill have no value: they were not given. Only two parts.
  ASSERT_TRUE(r.score.has_value());
  EXPECT_NEAR(*r.score, (0.15 * 60.0 + 0.20 * 40.0) / 0.35, 1e-9); // 48.6
  EXPECT_EQ(r.label, "poor");
  int without = 0;
  for (const auto& p : r.parts)
    without += p.value ? 0 : 1;
  EXPECT_EQ(without, 4);
}

TEST(AnalyticsHealth, NoDataMeansNoScore) {
  const auto r = health_score({});
  EXPECT_FALSE(r.score.has_value());
  EXPECT_TRUE(r.label.empty());
  const json j = report_of(r);
  EXPECT_TRUE(j.at("score").is_null());
  EXPECT_TRUE(j.at("label").is_null());
}

TEST(AnalyticsHealth, TrainingFreshnessFallsLinearlyBetweenOneAndThreeIntervals) {
  health_inputs in;
  in.training_interval_ms = 1000;
  in.since_last_training_ms = 2000;
  EXPECT_NEAR(*health_score(in).parts[5].value, 50.0, 1e-9);
  in.since_last_training_ms = 5000;
  EXPECT_NEAR(*health_score(in).parts[5].value, 0.0, 1e-9);
  EXPECT_EQ(health_label(49.9), "poor");
  EXPECT_EQ(health_label(75.0), "good");
}

TEST(AnalyticsReports, PlaybookPerformance) {
  auto run = [](std::string pb, execution_state s, double reward = 0.0) {
    execution e;
    e.playbook = std::move(pb);
    e.service = "api";
    e.metric_id = "api.latency";
    e.state = s;
    e.reward = reward;
    return e;
  };
  std::vector<execution> list = {
      run("a", execution_state::evaluated, 1.0), run("a", execution_state::evaluated, 0.0),
      run("a", execution_state::failed), run("a", execution_state::refused),
      run("b", execution_state::pending_approval)};
  playbook_totals totals;
  const json j = playbook_performance(list, &totals);
  EXPECT_EQ(totals.evaluated, 2u);
  EXPECT_DOUBLE_EQ(*totals.mean_reward, 0.5);
  EXPECT_EQ(totals.pending_approvals, 1u);
  const auto& a = j.at("playbooks").at(0);
  EXPECT_EQ(a.at("playbook"), "a");
  EXPECT_EQ(a.at("runs"), 3);
  EXPECT_NEAR(a.at("success_rate").get<double>(), 2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(a.at("mean_reward").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(a.at("reward_stddev").get<double>(), 0.5);
  EXPECT_EQ(a.at("not_run").at("refused"), 1);
  EXPECT_TRUE(j.at("playbooks").at(1).at("success_rate").is_null());
}

TEST(AnalyticsReports, LearningProgressCountsPolicyChanges) {
  auto exp = [](std::string pb, double r, int64_t ts) {
    experience e;
    e.service = "api";
    e.diagnosis = "api.latency";
    e.playbook = std::move(pb);
    e.reward = r;
    e.ts = ts;
    return e;
  };
  // a leads (0.2), b takes over (0.9), a comes back: 0.7 x 0.2 + 0.3 x 1 = 0.44 < 0.9;
  // b falls: 0.7 x 0.9 + 0.3 x (-1) = 0.33 < 0.44 -> a leads again.
  std::vector<experience> log = {exp("a", 0.2, 0), exp("b", 0.9, 1000), exp("a", 1.0, 2000),
                                 exp("b", -1.0, 86400000)};
  const json j = learning_progress(log, std::nullopt, std::nullopt);
  EXPECT_TRUE(j.at("agent").is_null());
  EXPECT_TRUE(j.at("policies").is_null());
  EXPECT_EQ(j.at("policy_changes"), 2);
  EXPECT_EQ(j.at("days").size(), 2u);
  EXPECT_DOUBLE_EQ(j.at("experiences_per_day").get<double>(), 2.0);
}

TEST(AnalyticsReports, BreachEpisodesAndWarningSummary) {
  auto snap = [](int64_t end, band level) {
    snapshot s;
    s.window_end = end;
    s.level = level;
    return s;
  };
  std::vector<snapshot> snaps = {snap(1, band::warning), snap(2, band::good),
                                 snap(3, band::warning), snap(4, band::critical),
                                 snap(5, band::good),    snap(6, band::critical)};
  // The first snapshot's state is the start, not an entry: 2 entries after it.
  EXPECT_EQ(breach_episodes(snaps, 0, 10), 2u);
  // Two warnings came true, one of them inside the window: recall counts that one.
  warnings_view w;
  const auto resolved = [](warning_outcome o, timestamp_ms breached_at) {
    early_warning x;
    x.outcome = o;
    x.breached_at = breached_at;
    return x;
  };
  w.recent = {resolved(warning_outcome::came_true, 5), resolved(warning_outcome::came_true, -100),
              resolved(warning_outcome::prevented, 0)};
  w.statistics = {4, 2, 1, 1, 20.0};
  const auto c = warning_counts_from(w, 0, 10);
  EXPECT_EQ(c.came_true_recent, 1u);
  const json j = summarise_warnings(c, 2);
  EXPECT_DOUBLE_EQ(j.at("precision").get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j.at("recall").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j.at("mean_lead_minutes").get<double>(), 20.0);
  w.statistics.came_true = 0; // no lead time without a warning that came true
  EXPECT_FALSE(warning_counts_from(w).mean_lead_minutes.has_value());
}

TEST(AnalyticsExposition, NamesLabelsAndPredictions) {
  EXPECT_TRUE(valid_metric_name("api_latency_p95"));
  EXPECT_TRUE(valid_metric_name("api:x_1"));
  EXPECT_FALSE(valid_metric_name("1abc"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_EQ(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");

  node_counters c;
  c.samples_ingested = 42;
  c.samples_rejected = {{"late", 3}, {"invalid", 0}};
  c.warnings_by_outcome = {{"came_true", 1}};
  predicted_series s;
  s.metric_id = "api.latency_p95";
  s.prometheus_name = "api_latency_p95";
  s.service = "api";
  s.yhat = 250.5;
  s.lower80 = 200;
  s.upper80 = 300;
  s.anomaly_score = 0.25;
  s.breach_probability = 0.8;
  predicted_series bad = s;
  bad.prometheus_name = "bad-name";
  bad.breach_probability.reset();
  const auto text = render(c, {s, bad});
  EXPECT_NE(text.find("grace_samples_ingested_total 42\n"), std::string::npos);
  EXPECT_NE(text.find("grace_samples_rejected_total{reason=\"late\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("grace_samples_rejected_total{reason=\"invalid\"} 0\n"), std::string::npos);
  EXPECT_EQ(text.find("grace_samples_replayed_total"), std::string::npos); // not given
  EXPECT_NE(text.find("grace_warnings_total{outcome=\"came_true\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("api_latency_p95:predicted{ml_forecast=\"yhat\",horizon_minutes=\"60\","
                      "metric=\"api.latency_p95\",service=\"api\"} 250.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("ml_forecast=\"yhat_lower\""), std::string::npos);
  EXPECT_EQ(text.find("yhat_lower_95"), std::string::npos); // not given: not shown
  EXPECT_NE(text.find("api_latency_p95:anomaly_score{"), std::string::npos);
  EXPECT_NE(text.find("grace_breach_probability{metric=\"api.latency_p95\",service=\"api\"} 0.8"),
            std::string::npos);
  EXPECT_EQ(text.find("bad-name"), std::string::npos);
  EXPECT_NE(text.find("# TYPE api_latency_p95:predicted gauge\n"), std::string::npos);
}

TEST(AnalyticsExposition, PromqlCountersPerMetricOnlyWithASource) {
  node_counters c;
  EXPECT_EQ(render(c, {}).find("grace_promql"), std::string::npos);
  c.promql_by_metric["api.error_rate"] = {12, 3, 9, 0};
  c.promql_by_metric["api.latency_p95"] = {40, 0, 38, 2016};
  const auto text = render(c, {});
  EXPECT_NE(text.find("# TYPE grace_promql_failures_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("grace_promql_failures_total{metric=\"api.error_rate\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("grace_promql_queries_total{metric=\"api.latency_p95\"} 40\n"),
            std::string::npos);
  EXPECT_NE(text.find("grace_promql_samples_total{metric=\"api.error_rate\"} 9\n"),
            std::string::npos);
  EXPECT_NE(text.find("grace_promql_backfilled_snapshots_total{metric=\"api.latency_p95\"} 2016\n"),
            std::string::npos);
}

TEST(AnalyticsExposition, CountersComeFromTheComponentsTypedStatus) {
  node_counters c;
  grace::ingest_status ingest;
  ingest.samples = 120;
  count(c, ingest);
  grace::aggregator_status aggregator;
  aggregator.snapshots_emitted = 7;
  aggregator.replayed = 30;
  aggregator.rejected_late = 4;
  aggregator.rejected_invalid = 1;
  count(c, aggregator);
  grace::scheduler_status scheduler;
  scheduler.forecasts = 9;
  count(c, scheduler);
  grace::executor_status executor;
  executor.executions = {{"succeeded", 2}, {"pending_approval", 1}};
  count(c, executor);
  grace::supervisor_status supervisor;
  supervisor.components = {{"catalog", true, 1}, {"predictor", false, 3}};
  count(c, supervisor);
  grace::promql_status promql;
  grace::promql_metric_status m;
  m.metric = "api.error_rate";
  m.queries = 12;
  m.failures = 2;
  m.samples = 10;
  m.backfill.snapshots = 288;
  promql.metrics = {m};
  count(c, promql);
  const auto text = render(c, {});
  EXPECT_NE(text.find("grace_samples_ingested_total 120\n"), std::string::npos);
  EXPECT_NE(text.find("grace_snapshots_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("grace_samples_replayed_total 30\n"), std::string::npos);
  EXPECT_NE(text.find("grace_samples_rejected_total{reason=\"late\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("grace_samples_rejected_total{reason=\"invalid\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("grace_forecasts_total 9\n"), std::string::npos);
  EXPECT_NE(text.find("grace_executions{state=\"pending_approval\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("grace_actor_restarts_total{component=\"predictor\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("grace_component_up{component=\"predictor\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("grace_component_up{component=\"catalog\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("grace_promql_backfilled_snapshots_total{metric=\"api.error_rate\"} 288\n"),
            std::string::npos);
}

TEST(AnalyticsExposition, PredictionsComeFromThePredictorsTypedStatus) {
  grace::predictor_status p;
  p.anomaly_scores = {{"api.latency_p95", 0.25}, {"db.cpu", std::nan("")}};
  p.breach_probability = {{"api.latency_p95", 0.8}};
  predicted_series s;
  s.metric_id = "api.latency_p95";
  add_predictions(s, p);
  EXPECT_EQ(s.anomaly_score, 0.25);
  EXPECT_EQ(s.breach_probability, 0.8);
  predicted_series other;
  other.metric_id = "db.cpu"; // not finite: not shown
  add_predictions(other, p);
  EXPECT_FALSE(other.anomaly_score.has_value());
  EXPECT_FALSE(other.breach_probability.has_value());
}

TEST(AnalyticsReports, EveryReportOfEmptyInputsSaysNotYet) {
  report_inputs in;
  in.now = 7 * day_ms;
  in.unavailable = {"rl_agent: timeout"};
  const json health = health_report_of(in, {});
  EXPECT_TRUE(health.at("score").is_null());
  EXPECT_TRUE(health.at("label").is_null());
  EXPECT_EQ(health.at("parts").size(), 6u);
  EXPECT_EQ(health.at("generated_at"), "1970-01-08T00:00:00.000Z");
  EXPECT_EQ(health.at("unavailable").at(0), "rl_agent: timeout");
  const json overview = overview_report(in, {});
  EXPECT_TRUE(overview.at("learning").is_null());
  EXPECT_TRUE(overview.at("training").at("last_finished_at").is_null());
  EXPECT_TRUE(overview.at("forecast_accuracy_7d").at("mase").is_null());
  EXPECT_TRUE(overview.at("warnings").at("precision").is_null());
  EXPECT_EQ(overview.at("playbooks").at("executions"), 0);
  const json accuracy = accuracy_report(in, {});
  EXPECT_TRUE(accuracy.at("windows").at("24h").at("metrics").is_array());
  EXPECT_TRUE(accuracy.at("windows").at("7d").at("overall").at("accuracy_pct").is_null());
  const json training = training_report(in, {});
  EXPECT_TRUE(training.at("since_last_seconds").is_null());
  EXPECT_TRUE(training.at("cycles").is_array());
  const json learning = learning_report(in);
  EXPECT_EQ(learning.at("experiences"), 0);
  EXPECT_TRUE(learning.at("reward_trend_per_100").is_null());
  const json playbooks = playbooks_report(in);
  EXPECT_TRUE(playbooks.at("playbooks").is_array());
  const json forecasts = forecasts_report(in);
  EXPECT_TRUE(forecasts.at("forecasts").is_array());
  EXPECT_FALSE(forecasts.contains("unavailable"));
}

TEST(AnalyticsReports, LatestForecastIsTheNewestOfEachMetric) {
  report_inputs in;
  in.now = 10 * minute;
  forecast older;
  older.metric_id = "gone.metric";
  older.generated_at = minute;
  older.step = 5 * minute;
  older.points = {point(6 * minute, 1.0, 0.5, 1.0)};
  forecast newer = older;
  newer.generated_at = 2 * minute;
  newer.model_version = "v2";
  in.forecasts["gone.metric"] = {newer, older};
  const json j = forecasts_report(in);
  ASSERT_EQ(j.at("forecasts").size(), 1u);
  const auto& f = j.at("forecasts").at(0);
  EXPECT_EQ(f.at("generated_at"), "1970-01-01T00:02:00.000Z");
  EXPECT_EQ(f.at("model_version"), "v2");
  EXPECT_EQ(f.at("name"), "gone.metric"); // not in a catalog: named by its id
  EXPECT_TRUE(f.at("warning").is_null());
  EXPECT_EQ(f.at("points").at(0).at("lo80"), 0.5);
}

TEST(AnalyticsReports, NextTrainingIsTheTrainersOwnTime) {
  // A manual cycle finished at 5 h; the schedule says 12 h. Both reports
  // show the trainer's time, not last-finished + interval.
  report_inputs in;
  in.now = 5 * 3600000;
  training_record manual;
  manual.cycle = 2;
  manual.started_at = in.now - 60000;
  manual.finished_at = in.now;
  in.training = std::vector<training_record>{manual};
  report_settings settings;
  settings.training_interval_ms = 6 * 3600000;
  EXPECT_TRUE(json(overview_report(in, settings)).at("training").at("next_due_at").is_null());
  training_status trainer;
  trainer.next_due_at = 12 * 3600000;
  in.trainer = trainer;
  EXPECT_EQ(json(overview_report(in, settings)).at("training").at("next_due_at"),
            "1970-01-01T12:00:00.000Z");
  EXPECT_EQ(json(training_report(in, settings)).at("next_due_at"), "1970-01-01T12:00:00.000Z");
  EXPECT_EQ(json(overview_report(in, settings)).at("training").at("cycles"), 2);
  EXPECT_EQ(json(training_report(in, settings)).at("since_last_seconds"), 0);
}
