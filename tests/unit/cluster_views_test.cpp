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
