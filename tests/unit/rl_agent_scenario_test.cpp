// The playbook-learning scenario, small: the agent must beat the seed's
// greedy-EMA rule on regret in fixed worlds (fixed seeds: not flaky).
#include "bench/rl_agent/scenario_runner.hpp"

#include <gtest/gtest.h>

using namespace grace::rl;

TEST(RlAgentScenario, BeatsGreedyEmaOnRegret) {
  double agent_regret = 0.0, greedy_regret = 0.0, agent_share = 0.0;
  const int seeds = 3;
  for (int s = 1; s <= seeds; ++s) {
    scenario_config cfg;
    cfg.seed = static_cast<std::uint64_t>(s);
    const scenario_world world(cfg);
    agent_config acfg;
    acfg.seed = 100 + static_cast<std::uint64_t>(s);
    agent_learner agent(acfg);
    greedy_ema_anchor greedy;
    const auto a = run_scenario(world, agent);
    const auto g = run_scenario(world, greedy);
    agent_regret += a.regret;
    greedy_regret += g.regret;
    agent_share += a.best_pick_share / seeds;
  }
  EXPECT_LT(agent_regret, 0.8 * greedy_regret);
  EXPECT_GE(agent_share, 0.85);
}

TEST(RlAgentScenario, AgentsGreedyEmaPolicyIsTheSeedsRule) {
  // The agent's selectable greedy_ema policy and the independent anchor make
  // the same choices in the same world.
  scenario_config cfg;
  cfg.incidents = 600;
  const scenario_world world(cfg);
  agent_config acfg;
  acfg.policy = policy_kind::greedy_ema;
  agent_learner agent(acfg);
  greedy_ema_anchor greedy;
  const auto a = run_scenario(world, agent);
  const auto g = run_scenario(world, greedy);
  EXPECT_DOUBLE_EQ(a.regret, g.regret);
  EXPECT_DOUBLE_EQ(a.best_pick_share, g.best_pick_share);
}

TEST(RlAgentScenario, WorldKeepsItsPromises) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    scenario_config cfg;
    cfg.seed = seed;
    const scenario_world world(cfg);
    ASSERT_EQ(world.contexts().size(), static_cast<std::size_t>(cfg.contexts));
    for (int c = 0; c < cfg.contexts; ++c) {
      EXPECT_NE(world.best(c, 0), 0u); // the catalog's first is never the best
      EXPECT_NE(world.best(c, cfg.incidents - 1), 0u);
    }
    EXPECT_NE(world.best(0, cfg.change_at - 1), world.best(0, cfg.change_at));
    for (int t = 0; t < 50; ++t) {
      const double r = world.observed_reward(1, t);
      EXPECT_GE(r, -1.0);
      EXPECT_LE(r, 1.0);
    }
  }
}
