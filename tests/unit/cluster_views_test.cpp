#include "actors/analytics/forecast_accuracy.hpp"
#include "actors/cluster/cluster_views.hpp"
#include "actors/cluster/shard_map.hpp"

#include <gtest/gtest.h>

using namespace grace;
using namespace grace::cluster;

namespace {

rl_statistics share(uint64_t contexts, uint64_t experiences, uint64_t recommendations,
                    double average_reward, double exploration_rate) {
  rl_statistics s;
  s.policy = "hierarchical_thompson";
  s.contexts = contexts;
  s.experiences = experiences;
  s.updates = experiences + 1;
  s.recommendations = recommendations;
  s.pending = 1;
  s.average_reward = average_reward;
  s.exploration_rate = exploration_rate;
  s.changes_detected = 2;
  return s;
}

} // namespace

TEST(ClusterViews, SharesAreSummedUnderTheSameNames) {
  const auto out =
      merge_statistics({{"n2", share(3, 10, 4, 0.5, 0.25)}, {"n1", share(1, 30, 12, -0.5, 0.5)}},
                       {"n3: not connected"});
  const auto& m = out.merged;
  EXPECT_EQ(m.policy, "hierarchical_thompson");
  EXPECT_EQ(m.contexts, 4u);
  EXPECT_EQ(m.experiences, 40u);
  EXPECT_EQ(m.updates, 42u);
  EXPECT_EQ(m.recommendations, 16u);
  EXPECT_EQ(m.pending, 2u);
  EXPECT_EQ(m.changes_detected, 4u);
  // (10 * 0.5 + 30 * -0.5) / 40 and (4 * 0.25 + 12 * 0.5) / 16.
  EXPECT_DOUBLE_EQ(m.average_reward, -0.25);
  EXPECT_DOUBLE_EQ(m.exploration_rate, 7.0 / 16.0);
  EXPECT_EQ(out.answered_by, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(out.unanswered, (std::vector<std::string>{"n3: not connected"}));
}

TEST(ClusterViews, EmptySharesDoNotDivideByZero) {
  const auto out = merge_statistics({{"n1", share(0, 0, 0, 0.0, 0.0)}}, {});
  EXPECT_EQ(out.merged.experiences, 0u);
  EXPECT_DOUBLE_EQ(out.merged.average_reward, 0.0);
  EXPECT_DOUBLE_EQ(out.merged.exploration_rate, 0.0);
}

TEST(ClusterViews, NobodyAnsweringGivesZerosAndSaysWhy) {
  const auto out = merge_statistics({}, {"n2: timeout", "n1: the learner is not reachable"});
  EXPECT_EQ(out.merged.policy, "");
  EXPECT_EQ(out.merged.contexts + out.merged.experiences + out.merged.recommendations, 0u);
  EXPECT_TRUE(out.answered_by.empty());
  EXPECT_EQ(out.unanswered,
            (std::vector<std::string>{"n1: the learner is not reachable", "n2: timeout"}));
}

namespace {

context_policy_view policy(const std::string& service, const std::string& diagnosis,
                           uint64_t updates) {
  return {service, diagnosis, updates, {{"restart", 0.5, 0.1, updates, 0.4, false}}};
}

} // namespace

TEST(ClusterViews, PoliciesOfEveryMemberInOneOrderedList) {
  const auto out =
      merge_policies({{"n2", {{policy("web", "latency", 3), policy("api", "errors", 1)}}},
                      {"n1", {{policy("api", "latency", 2)}}},
                      // A context two members both listed: the one that learned more.
                      {"n3", {{policy("web", "latency", 5)}}}},
                     {});
  ASSERT_EQ(out.merged.policies.size(), 3u);
  EXPECT_EQ(out.merged.policies[0].diagnosis, "errors");
  EXPECT_EQ(out.merged.policies[1].diagnosis, "latency");
  EXPECT_EQ(out.merged.policies[1].service, "api");
  EXPECT_EQ(out.merged.policies[2].service, "web");
  EXPECT_EQ(out.merged.policies[2].updates, 5u);
  EXPECT_EQ(out.merged.policies[2].playbooks.at(0).pulls, 5u);
  EXPECT_EQ(out.answered_by, (std::vector<std::string>{"n1", "n2", "n3"}));
  EXPECT_TRUE(out.unanswered.empty());
}

namespace {

early_warning warning(const std::string& id, const std::string& metric, timestamp_ms raised,
                      timestamp_ms resolved = 0) {
  early_warning w;
  w.id = id;
  w.metric_id = metric;
  w.raised_at = raised;
  w.updated_at = raised;
  w.resolved_at = resolved;
  return w;
}

} // namespace

TEST(ClusterViews, AMembersWarningsAreThoseOfTheMetricsOfItsShards) {
  warnings_view v;
  v.open = {warning("w1", "cpu", 10), warning("w2", "memory", 20)};
  v.recent = {warning("w3", "memory", 5, 30), warning("w4", "cpu", 1, 25)};
  v.statistics.raised = 4;
  const auto kept = warnings_of_shards(v, {shard_of_metric("cpu")});
  ASSERT_EQ(kept.open.size(), 1u);
  EXPECT_EQ(kept.open[0].id, "w1");
  ASSERT_EQ(kept.recent.size(), 1u);
  EXPECT_EQ(kept.recent[0].id, "w4");
  EXPECT_EQ(kept.statistics.raised, 4u); // the member's own counts
  EXPECT_TRUE(warnings_of_shards(v, {}).open.empty());
}

TEST(ClusterViews, WarningsMergeUnderTheSameNamesInTheSameOrder) {
  warnings_view a;
  a.open = {warning("a1", "cpu", 30)};
  a.recent = {warning("a2", "cpu", 1, 50), warning("a3", "cpu", 1, 10)};
  a.statistics = {5, 1, 2, 2, 10.0};
  warnings_view b;
  b.open = {warning("b1", "memory", 20), warning("a1", "cpu", 30)};
  b.open[1].updated_at = 99; // the same warning seen twice during a handover
  b.recent = {warning("b2", "memory", 1, 40)};
  b.statistics = {3, 0, 1, 2, 40.0};
  const auto out = merge_warnings({{"n2", b}, {"n1", a}}, {"n3: timeout"});
  const auto& m = out.merged;
  ASSERT_EQ(m.open.size(), 2u);
  EXPECT_EQ(m.open[0].id, "b1");
  EXPECT_EQ(m.open[1].id, "a1");
  EXPECT_EQ(m.open[1].updated_at, 99);
  ASSERT_EQ(m.recent.size(), 3u);
  EXPECT_EQ(m.recent[0].id, "a2");
  EXPECT_EQ(m.recent[1].id, "b2");
  EXPECT_EQ(m.recent[2].id, "a3");
  EXPECT_EQ(m.statistics.raised, 8u);
  EXPECT_EQ(m.statistics.prevented, 1u);
  EXPECT_EQ(m.statistics.came_true, 3u);
  EXPECT_EQ(m.statistics.false_alarm, 4u);
  EXPECT_DOUBLE_EQ(m.statistics.mean_lead_minutes, 20.0); // (2 * 10 + 1 * 40) / 3
  EXPECT_EQ(out.answered_by, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(out.unanswered, (std::vector<std::string>{"n3: timeout"}));
}

TEST(ClusterViews, AtMostAHundredRecentWarnings) {
  warnings_view a;
  for (int i = 0; i < 150; ++i)
    a.recent.push_back(warning("w" + std::to_string(i), "cpu", 1, i));
  const auto out = merge_warnings({{"n1", a}}, {});
  ASSERT_EQ(out.merged.recent.size(), 100u);
  EXPECT_EQ(out.merged.recent.front().resolved_at, 149);
  EXPECT_EQ(out.merged.recent.back().resolved_at, 50);
}

namespace {

health_part part(const std::string& name, double weight, figure value) {
  return {name, weight, value, "d-" + name};
}

// An overview a member might send: `points` scored at `accuracy` %, the
// warnings and runs given, trained at `trained_at`.
dashboard_overview overview(uint64_t points, double accuracy, uint64_t resolved, uint64_t prevented,
                            uint64_t evaluated, double mean_reward, double reward_stddev,
                            double freshness, timestamp_ms trained_at) {
  dashboard_overview o;
  o.forecast_accuracy_7d.points = points;
  o.forecast_accuracy_7d.accuracy_pct = accuracy;
  o.forecast_accuracy_7d.skill = accuracy / 100.0 - 0.5;
  o.warnings.resolved = resolved;
  o.warnings.prevented = prevented;
  o.warnings.false_alarm = resolved - prevented;
  o.warnings.open = 1;
  o.warnings.breach_episodes_7d = 4;
  o.warnings.came_true_7d = 1;
  o.playbooks.counts.runs = evaluated + 1;
  o.playbooks.counts.succeeded = evaluated;
  o.playbooks.counts.failed = 1;
  o.playbooks.counts.evaluated = evaluated;
  o.playbooks.counts.mean_reward = mean_reward;
  o.playbooks.counts.reward_stddev = reward_stddev;
  o.playbooks.counts.not_run["refused"] = 2;
  o.playbooks.executions = evaluated + 3;
  o.health.parts = {
      part("forecast_accuracy", 0.15, accuracy),
      part("warning_precision", 0.20, resolved ? figure(100.0 * prevented / resolved) : figure()),
      part("playbook_effectiveness", 0.20, 50.0 * (1.0 + mean_reward)),
      part("training_freshness", 0.15, freshness)};
  o.training.cycles = 3;
  o.training.last_finished_at = trained_at;
  o.training.next_due_at = trained_at + 1000;
  o.generated_at = trained_at + 5;
  return o;
}

} // namespace

TEST(ClusterViews, OverviewCountsAreSummedAndRatiosRecomputed) {
  auto a = overview(300, 90.0, 10, 8, 4, 0.5, 0.1, 100.0, 5000);
  auto b = overview(100, 70.0, 0, 0, 0, 0.0, 0.0, 40.0, 9000);
  b.playbooks.counts.mean_reward = figure();
  b.playbooks.counts.reward_stddev = figure();
  b.unavailable = {"trainer: request_timeout"};
  a.has_learning = true;
  a.learning = share(2, 10, 4, 0.4, 0.2);
  const auto merged = merge_overviews({{"n2", a}, {"n1", b}}, {"n3: timeout"});
  const auto& m = merged.merged;
  EXPECT_EQ(merged.answered_by, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(merged.unanswered, (std::vector<std::string>{"n3: timeout"}));
  EXPECT_EQ(m.unavailable, (std::vector<std::string>{"n1: trainer: request_timeout"}));
  EXPECT_EQ(m.generated_at, 5005);
  // Forecast accuracy: points summed, the percentage weighted by points.
  EXPECT_EQ(m.forecast_accuracy_7d.points, 400u);
  EXPECT_DOUBLE_EQ(m.forecast_accuracy_7d.accuracy_pct.value, (300 * 90.0 + 100 * 70.0) / 400);
  EXPECT_FALSE(m.forecast_accuracy_7d.mae.known);
  // Warnings: counts summed, precision and recall from the sums.
  EXPECT_EQ(m.warnings.open, 2u);
  EXPECT_EQ(m.warnings.resolved, 10u);
  EXPECT_DOUBLE_EQ(m.warnings.precision.value, 0.8);
  EXPECT_DOUBLE_EQ(m.warnings.recall.value, 2.0 / 8.0);
  // Runs: the mean reward only over members with evaluated runs.
  EXPECT_EQ(m.playbooks.counts.runs, 6u);
  EXPECT_EQ(m.playbooks.counts.evaluated, 4u);
  EXPECT_EQ(m.playbooks.counts.not_run.at("refused"), 4u);
  EXPECT_EQ(m.playbooks.executions, 10u);
  EXPECT_DOUBLE_EQ(m.playbooks.counts.success_rate.value, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.playbooks.counts.mean_reward.value, 0.5);
  EXPECT_DOUBLE_EQ(m.playbooks.counts.reward_stddev.value, 0.1);
  // Training: cycles summed, the latest finish, the soonest due.
  EXPECT_EQ(m.training.cycles, 6u);
  EXPECT_EQ(m.training.last_finished_at, 9000);
  EXPECT_EQ(m.training.next_due_at, 6000);
  // Learning: only the member that has it, merged like the statistics.
  ASSERT_TRUE(m.has_learning);
  EXPECT_EQ(m.learning.experiences, 10u);
  EXPECT_EQ(m.learning.contexts, 2u);
}

TEST(ClusterViews, PooledRewardStddevCountsTheMeansApart) {
  // Rewards {0, 0} on one member and {1, 1} on the other: mean 0.5, stddev 0.5.
  const auto a = overview(0, 0.0, 0, 0, 2, -0.0, 0.0, 100.0, 1);
  const auto b = overview(0, 0.0, 0, 0, 2, 1.0, 0.0, 100.0, 1);
  const auto m = merge_overviews({{"n1", a}, {"n2", b}}, {}).merged;
  EXPECT_DOUBLE_EQ(m.playbooks.counts.mean_reward.value, 0.5);
  EXPECT_DOUBLE_EQ(m.playbooks.counts.reward_stddev.value, 0.5);
}

TEST(ClusterViews, HealthPartsWeightedByTheirDataAndFreshnessTheWorstMembers) {
  const auto a = overview(300, 90.0, 10, 8, 4, 0.5, 0.1, 100.0, 5000);
  const auto b = overview(100, 70.0, 0, 0, 0, 0.0, 0.0, 40.0, 9000);
  const auto m = merge_overviews({{"n1", a}, {"n2", b}}, {}).merged;
  ASSERT_EQ(m.health.parts.size(), 4u);
  EXPECT_EQ(m.health.parts[0].name, "forecast_accuracy");
  EXPECT_DOUBLE_EQ(m.health.parts[0].value.value, 85.0); // (300 x 90 + 100 x 70) / 400
  // n2 resolved no warning: its (unknown) precision weighs nothing.
  EXPECT_DOUBLE_EQ(m.health.parts[1].value.value, 80.0);
  // n2 evaluated no run: its 50 weighs nothing.
  EXPECT_DOUBLE_EQ(m.health.parts[2].value.value, 75.0);
  EXPECT_DOUBLE_EQ(m.health.parts[3].value.value, 40.0);
  EXPECT_NE(m.health.parts[3].detail.find("n2"), std::string::npos);
  const double score = (0.15 * 85 + 0.20 * 80 + 0.20 * 75 + 0.15 * 40) / 0.70;
  ASSERT_TRUE(m.health.score.known);
  EXPECT_DOUBLE_EQ(m.health.score.value, score);
  EXPECT_EQ(m.health.label, "fair");
}

TEST(ClusterViews, OverviewWithoutDataHasNoScore) {
  dashboard_overview empty;
  empty.health.parts = {part("forecast_accuracy", 0.15, figure()),
                        part("training_freshness", 0.15, figure())};
  const auto m = merge_overviews({{"n1", empty}, {"n2", empty}}, {}).merged;
  EXPECT_FALSE(m.health.score.known);
  EXPECT_TRUE(m.health.label.empty());
  EXPECT_FALSE(m.health.parts[0].value.known);
  EXPECT_FALSE(m.health.parts[1].value.known);
  EXPECT_EQ(m.health.parts[0].detail, "d-forecast_accuracy"); // as a node alone says
  EXPECT_FALSE(m.forecast_accuracy_7d.accuracy_pct.known);
  EXPECT_FALSE(m.warnings.precision.known);
  EXPECT_FALSE(m.playbooks.counts.mean_reward.known);
  EXPECT_FALSE(m.playbooks.counts.reward_stddev.known);
  EXPECT_FALSE(m.has_learning);
  EXPECT_EQ(m.training.last_finished_at, 0);
}

namespace {

run_counts runs(uint64_t succeeded, uint64_t failed, uint64_t evaluated, figure mean_reward) {
  run_counts c;
  c.runs = succeeded + failed;
  c.succeeded = succeeded;
  c.failed = failed;
  c.evaluated = evaluated;
  c.mean_reward = mean_reward;
  if (mean_reward.known)
    c.reward_stddev = 0.0;
  c.not_run["expired"] = 1;
  return c;
}

} // namespace

TEST(ClusterViews, PlaybookRunsMergePerPlaybookAndContext) {
  dashboard_playbooks a;
  a.summary = {runs(3, 1, 2, 0.5), 6, 1};
  a.playbooks = {{"restart", runs(3, 1, 2, 0.5), {{"api", "latency", runs(3, 1, 2, 0.5)}}}};
  a.generated_at = 7;
  dashboard_playbooks b;
  b.summary = {runs(1, 1, 2, -0.5), 3, 0};
  b.playbooks = {{"failover", runs(0, 1, 0, figure()), {{"db", "cpu", runs(0, 1, 0, figure())}}},
                 {"restart", runs(1, 0, 2, -0.5), {{"api", "latency", runs(1, 0, 2, -0.5)}}}};
  b.unavailable = {"executor: request_timeout"};
  const auto merged = merge_playbooks({{"n2", a}, {"n1", b}}, {"n3: timeout"});
  const auto& m = merged.merged;
  EXPECT_EQ(merged.answered_by, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(merged.unanswered, (std::vector<std::string>{"n3: timeout"}));
  EXPECT_EQ(m.generated_at, 7);
  EXPECT_EQ(m.unavailable, (std::vector<std::string>{"n1: executor: request_timeout"}));
  EXPECT_EQ(m.summary.executions, 9u);
  EXPECT_EQ(m.summary.pending_approvals, 1u);
  EXPECT_EQ(m.summary.counts.runs, 6u);
  EXPECT_DOUBLE_EQ(m.summary.counts.success_rate.value, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(m.summary.counts.mean_reward.value, 0.0);
  EXPECT_DOUBLE_EQ(m.summary.counts.reward_stddev.value, 0.5);
  ASSERT_EQ(m.playbooks.size(), 2u); // by id, as a node alone lists them
  EXPECT_EQ(m.playbooks[0].playbook, "failover");
  EXPECT_FALSE(m.playbooks[0].counts.mean_reward.known);
  EXPECT_EQ(m.playbooks[1].playbook, "restart");
  EXPECT_EQ(m.playbooks[1].counts.runs, 5u);
  EXPECT_EQ(m.playbooks[1].counts.not_run.at("expired"), 2u);
  ASSERT_EQ(m.playbooks[1].contexts.size(), 1u);
  EXPECT_EQ(m.playbooks[1].contexts[0].counts.evaluated, 4u);
  EXPECT_DOUBLE_EQ(m.playbooks[1].contexts[0].counts.mean_reward.value, 0.0);
}

namespace {

// One metric scored on `n` points, each off by `error` with the interval
// holding it every `every`-th time; two horizons.
analytics::metric_accuracy scored(const std::string& id, int n, double error, int every,
                                  double scale) {
  analytics::metric_accuracy m;
  m.metric_id = id;
  analytics::error_sums h15, h60;
  for (int i = 0; i < n; ++i) {
    auto& sums = i % 2 ? h60 : h15;
    const double actual = 10.0 + i;
    const bool inside = i % every == 0;
    sums.add(actual + error, actual, inside ? actual - 1 : actual + 0.5,
             inside ? actual + 1 : actual + 0.75, actual - 2, actual + 2);
    sums.add_seasonal_naive(actual + error, actual, actual + 2 * error);
  }
  m.sums = h15;
  m.sums.merge(h60);
  m.overall = analytics::figures(m.sums, scale);
  m.by_horizon = {{15, analytics::figures(h15, scale)}, {60, analytics::figures(h60, scale)}};
  return m;
}

dashboard_accuracy report_of(std::vector<analytics::metric_accuracy> metrics,
                             std::vector<std::string> unavailable, int64_t generated_at) {
  dashboard_accuracy r;
  r.definition = "points scored against the actuals";
  r.week = analytics::view_of(analytics::pool(metrics));
  metrics.resize(metrics.empty() ? 0 : 1); // the day window: the first metric only
  r.day = analytics::view_of(analytics::pool(metrics));
  r.unavailable = std::move(unavailable);
  r.generated_at = generated_at;
  return r;
}

void expect_same(const figure& a, const figure& b, const char* what) {
  EXPECT_EQ(a.known, b.known) << what;
  if (a.known && b.known) {
    EXPECT_NEAR(a.value, b.value, 1e-9) << what;
  }
}

void expect_same(const accuracy_view& a, const accuracy_view& b) {
  EXPECT_EQ(a.points, b.points);
  expect_same(a.mae, b.mae, "mae");
  expect_same(a.mase, b.mase, "mase");
  expect_same(a.smape, b.smape, "smape");
  expect_same(a.accuracy_pct, b.accuracy_pct, "accuracy_pct");
  expect_same(a.coverage80, b.coverage80, "coverage80");
  expect_same(a.coverage95, b.coverage95, "coverage95");
  expect_same(a.skill, b.skill, "skill");
}

} // namespace

TEST(ClusterViews, AccuracyOfMetricsOnTwoMembersIsWhatOneNodeWouldPool) {
  const auto a = scored("api.latency_p95", 10, 0.5, 2, 1.0);
  const auto b = scored("db.cpu", 30, 2.0, 3, 4.0);
  const auto c = scored("api.errors", 4, 0.1, 1, 0.0); // no MASE (no scale)
  // One node holding all three, and the same metrics on two members.
  const auto alone = analytics::view_of(analytics::pool({a, b, c}));
  const auto merged = merge_accuracy_reports(
      {{"n2", report_of({b}, {}, 9)}, {"n1", report_of({c, a}, {"trainer: timeout"}, 7)}},
      {"n3: timeout"});
  const auto& m = merged.merged;
  EXPECT_EQ(m.definition, "points scored against the actuals");
  EXPECT_EQ(m.generated_at, 9); // the first answer's (the gather puts this node first)
  EXPECT_EQ(m.unavailable, (std::vector<std::string>{"n1: trainer: timeout"}));
  EXPECT_EQ(merged.answered_by, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(merged.unanswered, (std::vector<std::string>{"n3: timeout"}));
  // The per-metric lists concatenated by metric id, each metric as it was.
  ASSERT_EQ(m.week.metrics.size(), 3u);
  EXPECT_EQ(m.week.metrics[0].metric_id, "api.errors");
  EXPECT_EQ(m.week.metrics[1].metric_id, "api.latency_p95");
  EXPECT_EQ(m.week.metrics[2].metric_id, "db.cpu");
  expect_same(m.week.metrics[2].overall, alone.metrics[1].overall);
  ASSERT_EQ(m.week.metrics[2].by_horizon.size(), 2u);
  EXPECT_EQ(m.week.metrics[2].by_horizon[1].horizon_minutes, 60);
  // The pooled figures as one node pools the same metrics.
  expect_same(m.week.overall, alone.overall);
  EXPECT_EQ(m.week.overall.points, 44u);
  EXPECT_FALSE(m.week.overall.mae.known);
  // The day window of each member holds its first metric only.
  ASSERT_EQ(m.day.metrics.size(), 2u);
  expect_same(m.day.overall, analytics::view_of(analytics::pool({b, c})).overall);
}

TEST(ClusterViews, AMetricScoredOnTwoMembersIsListedOnceWeightedByPoints) {
  auto before = scored("db.cpu", 10, 1.0, 1, 2.0); // the old owner's forecasts
  auto after = scored("db.cpu", 30, 3.0, 2, 2.0);  // the new owner's
  auto both = before.sums;
  both.merge(after.sums);
  const auto exact = analytics::view_of(analytics::figures(both, 2.0));
  const auto m = merge_accuracy_reports(
                     {{"n1", report_of({before}, {}, 1)}, {"n2", report_of({after}, {}, 2)}}, {})
                     .merged;
  ASSERT_EQ(m.week.metrics.size(), 1u);
  const auto& one = m.week.metrics[0].overall;
  EXPECT_EQ(one.points, 40u);
  // The means over points are those of all 40 points together.
  expect_same(one.mae, exact.mae, "mae");
  expect_same(one.smape, exact.smape, "smape");
  expect_same(one.coverage80, exact.coverage80, "coverage80");
  EXPECT_NEAR(one.mae.value, (10 * 1.0 + 30 * 3.0) / 40, 1e-12);
  ASSERT_EQ(m.week.metrics[0].by_horizon.size(), 2u);
  EXPECT_EQ(m.week.metrics[0].by_horizon[0].figures.points, 20u);
}

TEST(ClusterViews, LearningDaysAreSummedPerDay) {
  dashboard_learning n1;
  n1.experiences = 4;
  n1.days = {{"2026-12-06", 1, 1.0}, {"2026-12-07", 3, 0.0}};
  n1.reward_trend_per_100 = 2.0;
  n1.policy_changes = 1;
  n1.contexts = 2;
  n1.has_agent = true;
  n1.agent = share(2, 4, 5, 0.25, 0.2);
  n1.has_policies = true;
  n1.policies = {{"api", "latency", 4, {}}};
  n1.generated_at = 11;
  dashboard_learning n2;
  n2.experiences = 12;
  n2.days = {{"2026-12-07", 2, 1.0}, {"2026-12-08", 10, -0.5}};
  n2.reward_trend_per_100 = -1.0;
  n2.policy_changes = 3;
  n2.contexts = 1;
  n2.has_policies = true;
  n2.policies = {{"api", "errors", 12, {}}};
  n2.unavailable = {"rl_agent: request_timeout"};
  const auto out = merge_learning({{"n1", n1}, {"n2", n2}}, {});
  const auto& m = out.merged;
  EXPECT_EQ(m.experiences, 16u);
  ASSERT_EQ(m.days.size(), 3u);
  EXPECT_EQ(m.days[0].day, "2026-12-06");
  EXPECT_EQ(m.days[1].day, "2026-12-07");
  EXPECT_EQ(m.days[1].experiences, 5u);
  EXPECT_DOUBLE_EQ(m.days[1].mean_reward, 2.0 / 5.0); // (3 * 0 + 2 * 1) / 5
  EXPECT_EQ(m.days[2].experiences, 10u);
  EXPECT_DOUBLE_EQ(m.experiences_per_day.value, 16.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.reward_trend_per_100.value, (4 * 2.0 + 12 * -1.0) / 16.0);
  EXPECT_EQ(m.policy_changes, 4u);
  EXPECT_EQ(m.contexts, 3u);
  ASSERT_TRUE(m.has_agent); // n1's only: n2's learner did not answer
  EXPECT_EQ(m.agent.experiences, 4u);
  ASSERT_TRUE(m.has_policies);
  ASSERT_EQ(m.policies.size(), 2u);
  EXPECT_EQ(m.policies[0].diagnosis, "errors");
  EXPECT_EQ(m.unavailable, (std::vector<std::string>{"n2: rl_agent: request_timeout"}));
  EXPECT_EQ(m.generated_at, 11);
}

TEST(ClusterViews, LearningWithoutExperiencesHasNoRates) {
  const auto m = merge_learning({{"n1", dashboard_learning{}}}, {}).merged;
  EXPECT_EQ(m.experiences, 0u);
  EXPECT_FALSE(m.experiences_per_day.known);
  EXPECT_FALSE(m.reward_trend_per_100.known);
  EXPECT_FALSE(m.has_agent);
  EXPECT_FALSE(m.has_policies);
}

TEST(ClusterViews, TrainingCyclesOfEveryMemberNewestFirst) {
  dashboard_training n1;
  n1.cycles = {{2, 500, 900, 0.4, 10, 3, "n1-v2", 0.5}, {1, 100, 200, 0.1, 10, 3, "n1-v1", {}}};
  n1.count = 2;
  n1.interval_seconds = 3600;
  n1.last_finished_at = 900;
  n1.since_last_seconds = 40;
  n1.next_due_at = 5000;
  n1.generated_at = 3;
  dashboard_training n2;
  n2.cycles = {{7, 300, 600, 0.3, 20, 4, "n2-v7", 0.75}};
  n2.count = 1;
  n2.interval_seconds = 3600;
  n2.last_finished_at = 600;
  n2.since_last_seconds = 41;
  n2.next_due_at = 4000;
  dashboard_training never; // a member that never trained
  never.next_due_at = 0;
  const auto out = merge_training_history({{"n1", n1}, {"n2", n2}, {"n3", never}}, {});
  const auto& m = out.merged;
  ASSERT_EQ(m.cycles.size(), 3u);
  EXPECT_EQ(m.cycles[0].model_version, "n1-v2");
  EXPECT_EQ(m.cycles[1].model_version, "n2-v7");
  EXPECT_EQ(m.cycles[2].model_version, "n1-v1");
  EXPECT_EQ(m.count, 3u);
  EXPECT_EQ(m.last_finished_at, 900);
  EXPECT_EQ(m.since_last_seconds, 40);
  EXPECT_EQ(m.next_due_at, 4000);
  EXPECT_EQ(m.interval_seconds, 3600);
  EXPECT_EQ(m.generated_at, 3);
  EXPECT_EQ(out.answered_by, (std::vector<std::string>{"n1", "n2", "n3"}));
}

TEST(ClusterViews, LatestForecastsOfEveryOwnerByMetricTheNewestOnce) {
  auto latest = [](const std::string& id, int64_t at, const std::string& version) {
    latest_forecast f;
    f.metric_id = id;
    f.generated_at = at;
    f.model_version = version;
    return f;
  };
  dashboard_forecasts n1{{latest("db.cpu", 100, "old-owner"), latest("api.errors", 50, "a")}, 9};
  dashboard_forecasts n2{{latest("db.cpu", 200, "new-owner"), latest("api.latency", 70, "b")}, 8};
  const auto out = merge_latest_forecasts({{"n1", n1}, {"n2", n2}}, {"n3: timeout"});
  const auto& m = out.merged;
  ASSERT_EQ(m.forecasts.size(), 3u);
  EXPECT_EQ(m.forecasts[0].metric_id, "api.errors");
  EXPECT_EQ(m.forecasts[1].metric_id, "api.latency");
  EXPECT_EQ(m.forecasts[2].metric_id, "db.cpu");
  EXPECT_EQ(m.forecasts[2].model_version, "new-owner");
  EXPECT_EQ(m.generated_at, 9);
  EXPECT_EQ(out.unanswered, (std::vector<std::string>{"n3: timeout"}));
}

TEST(ClusterViews, ExecutionsOfEveryMemberNewestFirst) {
  auto run = [](const std::string& id, int64_t requested_at) {
    execution e;
    e.id = id;
    e.requested_at = requested_at;
    return e;
  };
  const auto out = merge_executions(
      {{"n2", {run("b-2", 300), run("b-1", 100)}}, {"n1", {run("a-2", 300), run("a-1", 200)}}}, {});
  std::vector<std::string> ids;
  std::vector<std::string> nodes;
  for (const auto& e : out.executions) {
    ids.push_back(e.run.id);
    nodes.push_back(e.node);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"a-2", "b-2", "a-1", "b-1"}));
  EXPECT_EQ(nodes, (std::vector<std::string>{"n1", "n2", "n1", "n2"}));
  EXPECT_EQ(out.answered_by, (std::vector<std::string>{"n1", "n2"}));
}

TEST(ClusterViews, ADecisionIsTheRunOfTheMemberThatHeldIt) {
  execution held;
  held.id = "ex-n2-4-60";
  held.state = execution_state::rejected;
  const auto out = merge_executions({{"n1", {}}, {"n2", {held}}}, {"n3: timeout"});
  ASSERT_EQ(out.executions.size(), 1u);
  EXPECT_EQ(out.executions[0].node, "n2");
  EXPECT_EQ(out.executions[0].run.id, "ex-n2-4-60");
  EXPECT_EQ(out.answered_by, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(out.unanswered, (std::vector<std::string>{"n3: timeout"}));
  const auto none = merge_executions({{"n1", {}}, {"n2", {}}}, {});
  EXPECT_TRUE(none.executions.empty());
  EXPECT_TRUE(none.unanswered.empty()) << "every member answered: the id is unknown";
}

TEST(ClusterViews, EvaluationsSideBySideByNode) {
  rl_evaluation n1;
  n1.experiences = 5;
  n1.current.dr = {0.5, 0.1, 0.3, 0.7};
  rl_evaluation n2;
  n2.experiences = 7;
  const auto out = merge_evaluations({{"n2", n2}, {"n1", n1}}, {"n3: timeout"});
  EXPECT_EQ(out.experiences, 12u);
  ASSERT_EQ(out.members.size(), 2u);
  EXPECT_EQ(out.members[0].node, "n1");
  EXPECT_DOUBLE_EQ(out.members[0].evaluation.current.dr.high, 0.7);
  EXPECT_EQ(out.members[1].evaluation.experiences, 7u);
  EXPECT_EQ(out.unanswered, (std::vector<std::string>{"n3: timeout"}));
}
