#include "actors/cluster/cluster_views.hpp"

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
