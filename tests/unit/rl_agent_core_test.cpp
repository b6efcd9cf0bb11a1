// RL agent core: update maths, propensities, risk caps, determinism, reward
// validation, pending-event bounds, pooling, change detection and the
// optimism for playbooks not yet tried in a context.
#include "actors/rl_agent/agent.hpp"
#include "actors/rl_agent/views.hpp"
#include "messages/json.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <map>
#include <set>

using namespace grace::rl;

namespace {

const context_key api{"grace-api", "api.latency_p95"};
const context_key db{"grace-db", "db.connections"};

std::vector<candidate> three() {
  return {{"restart-api-workers", 2}, {"scale-api-shard", 2}, {"enable-response-cache", 1}};
}

agent_config with_policy(policy_kind p, std::uint64_t seed = 7) {
  agent_config c;
  c.policy = p;
  c.seed = seed;
  return c;
}

double sum_of_probabilities(const recommendation& r) {
  double s = 0.0;
  for (const auto& x : r.ranked)
    s += x.probability;
  return s;
}

} // namespace

TEST(RlAgentMaths, EmaFollowsTheSeedsNumbers) {
  EXPECT_DOUBLE_EQ(ema_update(0.0, 1.0, 0.3), 0.3);
  EXPECT_DOUBLE_EQ(ema_update(0.3, 1.0, 0.3), 0.51);
  agent a(with_policy(policy_kind::greedy_ema));
  auto r1 = a.recommend(api, {{"scale-api-shard", 2}});
  auto l1 = a.reward(r1.event_id, 1.0);
  EXPECT_NEAR(l1.value, 0.3, 1e-12);
  EXPECT_NEAR(l1.trust_delta, 0.3, 1e-12);
  auto r2 = a.recommend(api, {{"scale-api-shard", 2}});
  auto l2 = a.reward(r2.event_id, 1.0);
  EXPECT_NEAR(l2.value, 0.51, 1e-12);
  EXPECT_NEAR(l2.trust_delta, 0.21, 1e-12);
  EXPECT_EQ(l2.playbook, "scale-api-shard");
  const auto p = a.policy(api);
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->arms.at(0).value, 0.51, 1e-12);
  EXPECT_EQ(p->arms.at(0).pulls, 2u);
}

TEST(RlAgentMaths, EmaValueIsTrackedUnderEveryPolicy) {
  agent a; // hierarchical_thompson
  auto r = a.recommend(api, {{"scale-api-shard", 2}});
  a.reward(r.event_id, 1.0);
  EXPECT_NEAR(a.policy(api)->arms.at(0).ema_value, 0.3, 1e-12);
}

TEST(RlAgentMaths, GreedyEmaBreaksTiesToTheFirstCandidate) {
  agent a(with_policy(policy_kind::greedy_ema));
  const auto r = a.recommend(api, three());
  EXPECT_EQ(r.chosen, "restart-api-workers");
  EXPECT_DOUBLE_EQ(r.propensity, 1.0);
  a.reward(r.event_id, -0.5); // below the others' 0: the next one is tried
  EXPECT_EQ(a.recommend(api, three()).chosen, "scale-api-shard");
}

TEST(RlAgentMaths, PosteriorOfMeanIsThePrecisionWeightedAverage) {
  const auto g = posterior_of_mean({0.0, 1.0}, 4.0, 2.0, 1.0); // 4 obs averaging 0.5
  EXPECT_NEAR(g.mean, 0.4, 1e-12);
  EXPECT_NEAR(g.var, 0.2, 1e-12);
}

TEST(RlAgentRecommend, PropensitiesSumToOneAndMatchTheChoice) {
  for (auto p :
       {policy_kind::hierarchical_thompson, policy_kind::thompson, policy_kind::greedy_ema}) {
    agent a(with_policy(p));
    for (int i = 0; i < 200; ++i) {
      const auto r = a.recommend(api, three());
      EXPECT_NEAR(sum_of_probabilities(r), 1.0, 1e-9) << to_string(p);
      EXPECT_GT(r.propensity, 0.0);
      bool found = false;
      for (std::size_t k = 0; k < r.ranked.size(); ++k) {
        if (k > 0) {
          EXPECT_GE(r.ranked[k - 1].score, r.ranked[k].score);
        }
        if (r.ranked[k].playbook == r.chosen) {
          EXPECT_DOUBLE_EQ(r.ranked[k].probability, r.propensity);
          found = true;
        }
      }
      EXPECT_TRUE(found);
      a.reward(r.event_id, r.chosen == "enable-response-cache" ? 0.8 : -0.2);
    }
  }
}

TEST(RlAgentRecommend, LearnsTheBestPlaybookAndExploresLess) {
  agent a;
  int best = 0;
  for (int i = 0; i < 300; ++i) {
    const auto r = a.recommend(api, three());
    const double effect = r.chosen == "scale-api-shard" ? 0.6 : 0.1;
    a.reward(r.event_id, effect + 0.2 * std::sin(i * 1.7)); // deterministic "noise"
    best += i >= 100 && r.chosen == "scale-api-shard";
  }
  EXPECT_GT(best, 190); // of 200
  const auto p = a.policy(api);
  EXPECT_EQ(p->arms.front().playbook, "scale-api-shard");
  EXPECT_NEAR(p->arms.front().value, 0.6, 0.1);
  EXPECT_LT(p->arms.front().uncertainty, 0.1);
}

TEST(RlAgentRecommend, NeverChoosesAbovetheRiskCap) {
  agent a;
  const std::vector<candidate> c = {
      {"notify-oncall", 1}, {"failover-database", 3}, {"scale-api-shard", 2}};
  for (int i = 0; i < 300; ++i) {
    // Uncapped, the tier-3 playbook is by far the best...
    const auto r = a.recommend(api, c);
    a.reward(r.event_id, r.chosen == "failover-database" ? 1.0 : 0.0);
  }
  EXPECT_EQ(a.recommend(api, c).ranked.front().playbook, "failover-database");
  // ...but with a cap of 2 it is never chosen, and listed as excluded.
  for (int i = 0; i < 300; ++i) {
    const auto r = a.recommend(api, c, 2);
    EXPECT_NE(r.chosen, "failover-database");
    ASSERT_EQ(r.excluded.size(), 1u);
    EXPECT_EQ(r.excluded[0], "failover-database");
    EXPECT_EQ(r.ranked.size(), 2u);
    EXPECT_NEAR(sum_of_probabilities(r), 1.0, 1e-9);
    a.reward(r.event_id, 0.0);
  }
  try {
    a.recommend(api, {{"failover-database", 3}}, 2);
    FAIL() << "expected no_allowed_candidate";
  } catch (const rl_error& e) {
    EXPECT_EQ(e.code(), error_code::no_allowed_candidate);
  }
}

TEST(RlAgentRecommend, RejectsBadCandidates) {
  agent a;
  auto code_of = [&](const context_key& k, const std::vector<candidate>& c) {
    try {
      a.recommend(k, c);
    } catch (const rl_error& e) {
      return e.code();
    }
    return error_code::corrupt_state; // sentinel: nothing thrown
  };
  EXPECT_EQ(code_of(api, {}), error_code::invalid_argument);
  EXPECT_EQ(code_of(api, {{"a", 1}, {"a", 2}}), error_code::invalid_argument);
  EXPECT_EQ(code_of(api, {{"", 1}}), error_code::invalid_argument);
  EXPECT_EQ(code_of(api, {{"a", 9}}), error_code::invalid_argument);
  EXPECT_EQ(code_of({"", "x"}, {{"a", 1}}), error_code::invalid_argument);
}

TEST(RlAgentDeterminism, SameSeedSameDecisions) {
  agent a, b;
  agent c(with_policy(policy_kind::hierarchical_thompson, 99));
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto ra = a.recommend(i % 2 ? api : db, three());
    const auto rb = b.recommend(i % 2 ? api : db, three());
    const auto rc = c.recommend(i % 2 ? api : db, three());
    EXPECT_EQ(ra.event_id, rb.event_id);
    EXPECT_EQ(ra.chosen, rb.chosen);
    EXPECT_EQ(ra.propensity, rb.propensity);
    differs = differs || ra.event_id != rc.event_id;
    const double reward = ra.chosen == "scale-api-shard" ? 0.5 : -0.1;
    a.reward(ra.event_id, reward);
    b.reward(rb.event_id, reward);
    c.reward(rc.event_id, reward);
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(a.to_json(), b.to_json());
}

TEST(RlAgentDeterminism, RefitFromReplayRebuildsTheSamePolicies) {
  agent a;
  std::vector<std::string> open;
  for (int i = 0; i < 200; ++i) {
    const auto r = a.recommend(i % 3 ? api : db, three());
    open.push_back(r.event_id);
    if (i % 4 == 3) { // delayed, out-of-order rewards
      for (auto it = open.rbegin(); it != open.rend(); ++it)
        a.reward(*it, std::fmod(i * 0.37, 2.0) - 1.0);
      open.clear();
    }
  }
  const auto before = nlohmann::json(policies_view(a));
  const auto stats = a.statistics();
  a.refit_from_replay();
  EXPECT_EQ(nlohmann::json(policies_view(a)), before);
  EXPECT_EQ(a.statistics().updates, stats.updates);
  EXPECT_DOUBLE_EQ(a.statistics().average_reward, stats.average_reward);
}

TEST(RlAgentReward, ValidatesInputs) {
  agent a;
  const auto r = a.recommend(api, three());
  auto code_of = [&](const std::string& id, double reward) {
    try {
      a.reward(id, reward);
    } catch (const rl_error& e) {
      return e.code();
    }
    return error_code::corrupt_state; // sentinel: accepted
  };
  EXPECT_EQ(code_of(r.event_id, 1.5), error_code::reward_out_of_range);
  EXPECT_EQ(code_of(r.event_id, -1.01), error_code::reward_out_of_range);
  EXPECT_EQ(code_of(r.event_id, std::nan("")), error_code::reward_out_of_range);
  EXPECT_EQ(code_of("rl-nope", 0.5), error_code::unknown_event);
  // A rejected reward leaves the event pending; the valid one is accepted once.
  EXPECT_EQ(code_of(r.event_id, -1.0), error_code::corrupt_state);
  EXPECT_EQ(code_of(r.event_id, 0.5), error_code::already_rewarded);
  try {
    a.reward(r.event_id, 2.0);
  } catch (const rl_error& e) {
    EXPECT_NE(std::string(e.what()).find("outside [-1, 1]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(a.statistics().updates, 1u);
  EXPECT_EQ(a.statistics().experiences, 1u);
}

TEST(RlAgentPending, BoundedAndExpiring) {
  agent_config cfg;
  cfg.max_pending = 3;
  cfg.pending_ttl_ms = 1000;
  agent a(cfg);
  std::vector<std::string> ids;
  std::set<std::string> unique;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(a.recommend(api, three(), std::nullopt, i * 400).event_id);
    unique.insert(ids.back());
  }
  EXPECT_EQ(unique.size(), 4u);
  EXPECT_EQ(a.statistics().pending, 3u);
  auto code_of = [&](const std::string& id) {
    try {
      a.reward(id, 0.1, {}, 1500);
    } catch (const rl_error& e) {
      return e.code();
    }
    return error_code::corrupt_state; // sentinel: accepted
  };
  EXPECT_EQ(code_of(ids[0]), error_code::expired_event); // the oldest at the cap
  EXPECT_EQ(a.expire_pending(1500), 1u);                 // ids[1] at 400 is older than 1000 ms
  EXPECT_EQ(code_of(ids[1]), error_code::expired_event);
  EXPECT_EQ(code_of("rl-never-issued"), error_code::unknown_event);
  EXPECT_EQ(code_of(ids[3]), error_code::corrupt_state); // accepted
  EXPECT_EQ(code_of(ids[3]), error_code::already_rewarded);
  EXPECT_EQ(a.statistics().pending, 1u); // ids[2]
  // A reward that comes after the time-to-live, before the sweep: expired too.
  try {
    a.reward(ids[2], 0.1, {}, 800 + 1001);
    ADD_FAILURE() << "a reward past the time-to-live was accepted";
  } catch (const rl_error& e) {
    EXPECT_EQ(e.code(), error_code::expired_event);
    EXPECT_NE(std::string(e.what()).find("expired unrewarded"), std::string::npos) << e.what();
  }
  EXPECT_EQ(a.statistics().pending, 0u);
}

// A run can wait for a person's approval (wall clock) before its outcome is
// measured (virtual time): an event expires only once both clocks passed the
// time-to-live.
TEST(RlAgentPending, ExpiryWaitsForBothClocks) {
  agent_config cfg;
  cfg.pending_ttl_ms = 24 * 3600 * 1000;
  agent a(cfg);
  constexpr std::int64_t wall = 1'700'000'000'000;
  const auto r = a.recommend(api, three(), std::nullopt, 0, wall);
  // 360x: a day of virtual time passes in 4 real minutes.
  EXPECT_EQ(a.expire_pending(25 * 3600 * 1000, wall + 4 * 60000), 0u);
  EXPECT_NO_THROW(a.reward(r.event_id, 0.5, {}, 30 * 3600 * 1000, wall + 10 * 60000));
  const auto late = a.recommend(api, three(), std::nullopt, 0, wall);
  EXPECT_EQ(a.expire_pending(25 * 3600 * 1000, wall + 25 * 3600 * 1000), 1u);
  // Without a wall clock (0) virtual time alone decides.
  const auto unclocked = a.recommend(api, three(), std::nullopt, 0);
  EXPECT_EQ(a.expire_pending(25 * 3600 * 1000, wall), 1u);
  EXPECT_THROW(a.reward(late.event_id, 0.1), rl_error);
  EXPECT_THROW(a.reward(unclocked.event_id, 0.1), rl_error);
}

// The ids one start issues never repeat after a restart, even from a
// snapshot older than the last ids handed out (a kill -9 between snapshots):
// a late reward is never credited to another recommendation.
TEST(RlAgentEventIds, UniqueAcrossRestartsFromAnOlderSnapshot) {
  agent a;
  a.set_event_id_salt(fresh_event_id_salt());
  std::set<std::string> issued;
  nlohmann::json snapshot;
  for (int i = 0; i < 10; ++i) {
    if (i == 5)
      snapshot = a.to_json(); // the last snapshot before the crash
    issued.insert(a.recommend(i % 2 ? api : db, three()).event_id);
  }
  for (int start = 0; start < 3; ++start) {
    agent b = agent::from_json(snapshot);
    b.set_event_id_salt(fresh_event_id_salt());
    for (int i = 0; i < 10; ++i) {
      const auto id = b.recommend(api, three()).event_id;
      EXPECT_TRUE(issued.insert(id).second) << id << " issued twice";
    }
  }
  // rl-<16 hex salt>-<12 hex counter>
  for (const auto& id : issued) {
    ASSERT_EQ(id.size(), 3u + 16 + 1 + 12) << id;
    EXPECT_EQ(id.rfind("rl-", 0), 0u) << id;
    EXPECT_EQ(id[19], '-') << id;
  }
  EXPECT_NE(fresh_event_id_salt(), fresh_event_id_salt());
}

TEST(RlAgentPending, ContextsOnlyOfferedVanishWhenTheirEventsExpire) {
  agent_config cfg;
  cfg.max_pending = 2;
  agent a(cfg);
  const context_key offered{"grace-api", "api.error_rate"};
  a.reward(a.recommend(api, three()).event_id, 0.5);
  a.recommend(offered, three());
  EXPECT_TRUE(a.policy(offered)); // listed while its event is pending
  a.recommend(api, three());
  a.recommend(api, three()); // the cap expires `offered`'s event
  EXPECT_FALSE(a.policy(offered));
  EXPECT_TRUE(a.policy(api)); // learned in: stays
  EXPECT_EQ(a.statistics().contexts, 1u);
}

TEST(RlAgentPending, ExpiredEventsAndConfiguredLimitsSurviveASnapshot) {
  agent_config cfg;
  cfg.max_pending = 1;
  agent a(cfg);
  const auto first = a.recommend(api, three());
  a.recommend(api, three()); // first expires at the cap
  agent b = agent::from_json(a.to_json());
  try {
    b.reward(first.event_id, 0.5);
    ADD_FAILURE() << "accepted";
  } catch (const rl_error& e) {
    EXPECT_EQ(e.code(), error_code::expired_event);
  }
  // A snapshot taken under a higher cap: the configured one applies.
  agent c(agent_config{});
  for (int i = 0; i < 5; ++i)
    c.recommend(api, three());
  agent d = agent::from_json(c.to_json());
  EXPECT_EQ(d.set_limits(2, 1000), 3u);
  EXPECT_EQ(d.statistics().pending, 2u);
  EXPECT_EQ(d.config().pending_ttl_ms, 1000);
  EXPECT_THROW(d.set_limits(0, 1000), rl_error);
}

TEST(RlAgentPooling, ANewContextStartsFromWhatThePlaybookDidElsewhere) {
  agent a;
  const std::vector<candidate> c = {{"restart-api-workers", 2}, {"scale-api-shard", 2}};
  for (int i = 0; i < 200; ++i) {
    const auto r = a.recommend(api, c);
    a.reward(r.event_id, r.chosen == "scale-api-shard" ? 0.7 : -0.3);
  }
  // In a context never seen, the same two playbooks: the pooled prior already
  // prefers the one that worked elsewhere. Plain Thompson has no such prior.
  const auto r = a.recommend(db, c);
  EXPECT_EQ(r.ranked.front().playbook, "scale-api-shard");
  EXPECT_GT(r.ranked.front().score, 0.5);
  EXPECT_GT(r.ranked.front().probability, 0.9);
  agent plain(with_policy(policy_kind::thompson));
  EXPECT_DOUBLE_EQ(plain.recommend(db, c).ranked.front().score, 0.0);
}

TEST(RlAgentPooling, SiblingContextsOfAMetricDoNotLendEachOtherEvidence) {
  // api.error_rate and api.error_rate:sudden are incidents of one metric told
  // apart because they need other fixes: what the rollback did for rollouts
  // is no prior for outages. Another metric's context still lends it.
  agent a;
  const context_key rollouts{"grace-api", "api.error_rate"};
  const std::vector<candidate> c = {{"rollback-last-deploy", 3}, {"enable-circuit-breaker", 2}};
  for (int i = 0; i < 200; ++i) {
    const auto r = a.recommend(rollouts, c);
    a.reward(r.event_id, r.chosen == "rollback-last-deploy" ? 0.8 : -0.5);
  }
  const context_key outages{"grace-api", "api.error_rate:sudden"};
  const auto sibling = a.recommend(outages, c);
  // Nothing borrowed per playbook: both start from the same broad prior.
  ASSERT_EQ(sibling.ranked.size(), 2u);
  EXPECT_DOUBLE_EQ(sibling.ranked[0].score, sibling.ranked[1].score);
  // The sibling's own outcomes stay its own: learning there does not move
  // the rollouts' context.
  // Only the estimates every context shares (noise, spreads, the broad
  // prior) may move it, and by little after 200 outcomes of its own.
  // (The outcome is the circuit breaker's, whichever playbook the sibling
  // chose above: a rollback that failed in the outages would rightly make
  // the other families doubt the rollback's pool.)
  const double before = a.policy(rollouts)->arms.front().value;
  a.withdraw(sibling.event_id);
  a.reward(a.recommend(outages, {{"enable-circuit-breaker", 2}}).event_id, -1.0);
  EXPECT_NEAR(a.policy(rollouts)->arms.front().value, before, 1e-3);
  // A context of another metric (or service) borrows as before.
  const auto elsewhere = a.recommend({"grace-api", "api.latency_p95:sudden"}, c);
  EXPECT_EQ(elsewhere.ranked.front().playbook, "rollback-last-deploy");
  EXPECT_GT(elsewhere.ranked.front().score, 0.5);
  const auto other_service = a.recommend({"grace-web", "api.error_rate:sudden"}, c);
  EXPECT_GT(other_service.ranked.front().score, 0.5);
}

TEST(RlAgentChange, DetectsAPlaybookThatStoppedWorking) {
  agent a;
  for (int i = 0; i < 150; ++i) {
    const auto r = a.recommend(api, {{"scale-api-shard", 2}});
    a.reward(r.event_id, 0.6 + 0.1 * std::sin(i));
  }
  int detected_after = -1;
  for (int i = 0; i < 30 && detected_after < 0; ++i) {
    const auto r = a.recommend(api, {{"scale-api-shard", 2}});
    if (a.reward(r.event_id, -0.4 + 0.1 * std::sin(i)).change_detected)
      detected_after = i + 1;
  }
  EXPECT_GT(detected_after, 0);
  EXPECT_LE(detected_after, 10);
  EXPECT_TRUE(a.policy(api)->arms.front().decoupled);
  EXPECT_EQ(a.statistics().changes_detected, 1u);
}

TEST(RlAgentConfig, ParsesAndRejects) {
  const auto c = config_from_json({{"policy", "greedy_ema"}, {"learning_rate", 0.3}, {"seed", 5}});
  EXPECT_EQ(c.policy, policy_kind::greedy_ema);
  EXPECT_EQ(c.seed, 5u);
  EXPECT_EQ(config_from_json(nlohmann::json::object()).policy, policy_kind::hierarchical_thompson);
  EXPECT_THROW(config_from_json({{"policy", "epsilon"}}), rl_error);
  EXPECT_THROW(config_from_json({{"learning_rate", 1.5}}), rl_error);
  EXPECT_THROW(config_from_json({{"discount", "x"}}), rl_error);
  EXPECT_EQ(config_from_json(config_to_json(c)).policy, policy_kind::greedy_ema);
}

TEST(RlAgentMaths, LogsTheSeedsLine) {
  agent a(with_policy(policy_kind::greedy_ema));
  const auto r = a.recommend(api, {{"scale-api-shard", 2}});
  EXPECT_EQ(learned_log_line(a.reward(r.event_id, 1.0)),
            "[CAUSAL-RL] \xF0\x9F\x93\x8A Learned: scale-api-shard \xE2\x86\x92 reward=1.00 "
            "(trust_delta=+0.30)");
}

namespace {

double probability_of(const recommendation& r, const std::string& playbook) {
  for (const auto& x : r.ranked)
    if (x.playbook == playbook)
      return x.probability;
  return -1.0;
}

} // namespace

TEST(RlAgentExploration, AnUntriedPlaybookThatMayBeBetterIsTriedFirst) {
  auto learn_partial_fix = [](agent& a) {
    for (int i = 0; i < 3; ++i)
      a.reward(a.recommend(api, {{"clear-caches", 1}}).event_id, 0.5);
  };
  const std::vector<candidate> both = {{"clear-caches", 1}, {"restart-leaking-service", 2}};
  agent_config on;
  on.untried_optimism = 1.5;
  agent a(on);
  learn_partial_fix(a);
  // Never tried anywhere: its prior is wide, so it may well beat +0.5. The
  // exploration floor has faded with the context's 3 outcomes.
  const auto r = a.recommend(api, both);
  const double floor = on.exploration_floor * std::sqrt(2.0 / (2.0 + 3.0));
  EXPECT_NEAR(probability_of(r, "restart-leaking-service"), 1.0 - floor / 2.0, 1e-12);
  EXPECT_NEAR(sum_of_probabilities(r), 1.0, 1e-12);
  EXPECT_EQ(r.ranked.front().playbook, "clear-caches"); // ranked by value, not by the rule
  // Without the rule, Thompson draws mostly stay with the partial fix.
  agent_config off;
  off.untried_optimism = 0.0;
  off.exploration = exploration_rule::thompson;
  off.sampling_scale = 0.7;
  agent b(off);
  learn_partial_fix(b);
  EXPECT_LT(probability_of(b.recommend(api, both), "restart-leaking-service"), 0.5);
}

TEST(RlAgentExploration, APlaybookKnownBadElsewhereIsNotForced) {
  agent_config on;
  on.untried_optimism = 1.5;
  agent a(on);
  for (const char* service : {"s1", "s2", "s3", "s4"})
    for (int i = 0; i < 30; ++i)
      a.reward(a.recommend({service, "m"}, {{"restart-leaking-service", 2}}).event_id, -0.9);
  for (int i = 0; i < 3; ++i)
    a.reward(a.recommend(api, {{"clear-caches", 1}}).event_id, 0.5);
  const auto r = a.recommend(api, {{"clear-caches", 1}, {"restart-leaking-service", 2}});
  EXPECT_GT(probability_of(r, "clear-caches"), 0.9);
}

// The pooled prior is the other families' evidence, taken from per-playbook
// and per-family totals (constant time per arm, so listing every policy stays
// linear in contexts): it must equal the sum over the other contexts.
TEST(RlAgentPooling, PriorFromTotalsEqualsTheSumOverOtherFamilies) {
  std::map<context_key, context_policy> contexts;
  for (int s = 0; s < 6; ++s)
    for (const char* d : {"m.a", "m.a:sudden", "m.b"}) {
      auto& p = contexts[{"svc-" + std::to_string(s), d}];
      for (int k = 0; k < 3; ++k) {
        auto& arm = p.arms["pb-" + std::to_string(k)];
        for (int i = 0; i < (s + k) % 4; ++i)
          arm.add(std::sin(s * 3.1 + k * 1.7 + i));
        arm.decoupled = (s == 2 && k == 1);
      }
    }
  pooling_config cfg;
  cfg.follow_share = 1.0; // every pair lends its full evidence (no free component)
  const population_model pop(contexts, cfg, true);
  auto base = [](const std::string& d) { return d.substr(0, d.find(':')); };
  for (const auto& [key, policy] : contexts)
    for (const auto& [name, own] : policy.arms) {
      if (own.decoupled)
        continue;
      double precision = 0.0, weighted = 0.0;
      for (const auto& [other, op] : contexts) {
        if (other.service == key.service && base(other.diagnosis) == base(key.diagnosis))
          continue;
        const auto& arm = op.arms.at(name);
        if (arm.decoupled || arm.weight <= 0.0)
          continue;
        const double p = 1.0 / (pop.noise_var() / arm.weight + pop.pooling_var());
        precision += p;
        weighted += p * arm.mean();
      }
      const auto top = pop.pooled_mean_prior();
      const double total = 1.0 / top.var + precision;
      const auto prior = pop.prior_for(key, name, own);
      EXPECT_NEAR(prior.mean, (top.mean / top.var + weighted) / total, 1e-12)
          << key.to_string() << " " << name;
      EXPECT_NEAR(prior.var, 1.0 / total + pop.pooling_var(), 1e-12);
    }
}

TEST(RlAgentExploration, TheFloorFadesAsAContextSettles) {
  agent a;
  const std::vector<candidate> two = {{"clear-caches", 1}, {"restart-leaking-service", 2}};
  double before = 0.0;
  for (int i = 0; i < 400; ++i) {
    const auto r = a.recommend(api, two);
    if (i == 0)
      before = probability_of(r, "restart-leaking-service");
    a.reward(r.event_id, r.chosen == "clear-caches" ? 0.8 : -0.8);
  }
  // Settled: Thompson never draws the bad one, only the faded floor does.
  const auto r = a.recommend(api, two);
  const double floor = a.config().exploration_floor * std::sqrt(2.0 / (2.0 + 400.0));
  EXPECT_NEAR(probability_of(r, "restart-leaking-service"), floor / 2.0, 1e-12);
  EXPECT_GT(probability_of(r, "restart-leaking-service"), 0.0); // off-policy support kept
  EXPECT_GT(before, 0.1);
}

// The logged propensity is the probability the choice really had: over many
// recommendations from one state (no reward in between, so the beliefs stay
// put) each playbook is chosen as often as its logged probability says,
// also when the beliefs are pool/free mixtures.
TEST(RlAgentRecommend, LoggedPropensitiesAreTheChoiceFrequencies) {
  for (const auto rule : {exploration_rule::thompson, exploration_rule::information_directed,
                          exploration_rule::knowledge_gradient}) {
    SCOPED_TRACE(to_string(rule));
    agent_config cfg;
    cfg.exploration = rule;
    agent a(cfg);
    const std::vector<candidate> c = {
        {"restart-api-workers", 2}, {"scale-api-shard", 2}, {"enable-response-cache", 1}};
    for (const char* service : {"s1", "s2", "s3", "s4"})
      for (int i = 0; i < 20; ++i) {
        const auto r = a.recommend({service, "m"}, c);
        a.reward(r.event_id, r.chosen == "scale-api-shard" ? 0.4 : 0.1);
      }
    // In this context the pool's favourite does worse than another playbook.
    for (int i = 0; i < 2; ++i) {
      a.reward(a.recommend(api, {{"scale-api-shard", 2}}).event_id, 0.2);
      a.reward(a.recommend(api, {{"enable-response-cache", 1}}).event_id, 0.3);
    }
    constexpr int draws = 8000;
    std::map<std::string, double> chosen, logged;
    for (int i = 0; i < draws; ++i) {
      const auto r = a.recommend(api, c);
      chosen[r.chosen] += 1.0 / draws;
      for (const auto& x : r.ranked)
        logged[x.playbook] += x.probability / draws;
    }
    for (const auto& [playbook, p] : logged) {
      const double se = std::sqrt(p * (1.0 - p) / draws);
      EXPECT_NEAR(chosen[playbook], p, 5.0 * se + 1e-9) << playbook;
    }
    if (rule == exploration_rule::thompson) {
      EXPECT_GT(logged["enable-response-cache"], 0.05); // a real choice, not a formality
      EXPECT_GT(logged["scale-api-shard"], 0.05);
    }
  }
}

// A pick the executor refused is withdrawn: it teaches nothing, leaves no
// pending event, and a late reward for it is rejected. The agent is then asked
// among the playbooks that can run; that choice's logged propensity is the
// frequency it has among the reduced candidates.
TEST(RlAgentRecommend, AWithdrawnPickTeachesNothingAndTheReaskIsExactForTheReducedSet) {
  agent a;
  const std::vector<candidate> all = {
      {"restart-api-workers", 2}, {"scale-api-shard", 2}, {"enable-response-cache", 1}};
  for (int i = 0; i < 6; ++i) {
    const auto r = a.recommend(api, all);
    a.reward(r.event_id, r.chosen == "scale-api-shard" ? 0.5 : 0.2);
  }
  const auto before = a.policy(api);
  ASSERT_TRUE(before);
  const auto refused = a.recommend(api, all);
  EXPECT_EQ(a.statistics().pending, 1u);
  EXPECT_TRUE(a.withdraw(refused.event_id));
  EXPECT_EQ(a.statistics().pending, 0u);
  EXPECT_FALSE(a.withdraw(refused.event_id)); // no longer pending
  try {
    a.reward(refused.event_id, 1.0);
    ADD_FAILURE() << "a withdrawn event was rewarded";
  } catch (const rl_error& e) {
    EXPECT_EQ(e.code(), error_code::expired_event);
  }
  EXPECT_EQ(a.policy(api)->updates, before->updates);

  // Asked again without the refused playbook ("scale-api-shard" on cooldown).
  const std::vector<candidate> runnable = {{"restart-api-workers", 2},
                                           {"enable-response-cache", 1}};
  constexpr int draws = 6000;
  std::map<std::string, double> chosen, logged;
  for (int i = 0; i < draws; ++i) {
    EXPECT_TRUE(a.withdraw(a.recommend(api, all).event_id));
    const auto r = a.recommend(api, runnable);
    ASSERT_EQ(r.ranked.size(), 2u);
    EXPECT_NE(r.chosen, "scale-api-shard");
    chosen[r.chosen] += 1.0 / draws;
    for (const auto& x : r.ranked)
      logged[x.playbook] += x.probability / draws;
    const auto& mine =
        *std::find_if(r.ranked.begin(), r.ranked.end(),
                      [&](const ranked_playbook& x) { return x.playbook == r.chosen; });
    EXPECT_DOUBLE_EQ(r.propensity, mine.probability);
    EXPECT_TRUE(a.withdraw(r.event_id));
  }
  EXPECT_EQ(a.statistics().pending, 0u);
  EXPECT_EQ(a.policy(api)->updates, before->updates);
  for (const auto& [playbook, p] : logged) {
    const double se = std::sqrt(p * (1.0 - p) / draws);
    EXPECT_NEAR(chosen[playbook], p, 5.0 * se + 1e-9) << playbook;
    EXPECT_GT(p, 0.0) << playbook;
  }
}

// The reward of a run no incident was seen around counts for less: by
// inverse-variance weighting, noise / (noise + unseen_incident_variance) of a
// full outcome. A snapshot keeps the flag, so a refit learns the same.
TEST(RlAgentReward, AnOutcomeWithNoIncidentSeenCountsForLess) {
  auto moved = [](bool seen, double extra) {
    agent_config cfg;
    cfg.unseen_incident_variance = extra;
    agent a(cfg);
    const auto r = a.recommend(api, {{"scale-api-shard", 2}});
    return a.reward(r.event_id, 0.9, {}, 0, 0, seen).trust_delta;
  };
  const double full = moved(true, 1.0 / 3.0);
  const double less = moved(false, 1.0 / 3.0);
  EXPECT_GT(full, 0.0);
  EXPECT_GT(less, 0.0);
  EXPECT_LT(less, 0.6 * full); // noise sd 0.3: 0.09 / (0.09 + 1/3) ~ 0.21 of an outcome
  EXPECT_DOUBLE_EQ(moved(false, 0.0), full); // 0 turns the weighting off

  agent a;
  const std::vector<candidate> c = {{"scale-api-shard", 2}, {"clear-caches", 1}};
  for (int i = 0; i < 30; ++i) {
    const auto r = a.recommend(api, c);
    a.reward(r.event_id, r.chosen == "clear-caches" ? 0.5 : -0.2, {}, 0, 0, i % 3 != 0);
  }
  int unseen = 0;
  for (const auto& e : a.experiences().items())
    unseen += e.incident_seen ? 0 : 1;
  EXPECT_EQ(unseen, 10);
  auto restored = agent::from_json(nlohmann::json::parse(a.to_json().dump()));
  restored.refit_from_replay();
  const auto x = a.policy(api);
  const auto y = restored.policy(api);
  ASSERT_TRUE(x && y);
  ASSERT_EQ(x->arms.size(), y->arms.size());
  for (std::size_t i = 0; i < x->arms.size(); ++i) {
    EXPECT_EQ(x->arms[i].playbook, y->arms[i].playbook);
    EXPECT_NEAR(x->arms[i].value, y->arms[i].value, 1e-12);
  }
}

// A context whose outcomes disagree with the pool is freed of it within a few
// outcomes: its belief moves to the free component.
TEST(RlAgentPooling, AContextThatDisagreesWithThePoolIsFreedQuickly) {
  auto trained = [](double follow_share) {
    agent_config cfg;
    cfg.pooling.follow_share = follow_share;
    cfg.change_threshold = 1e9; // the mixture alone, not the change detector
    agent a(cfg);
    // Three playbooks do about the same in eight contexts (a small spread).
    const char* playbooks[] = {"scale-api-shard", "clear-caches", "restart-api-workers"};
    for (int s = 0; s < 8; ++s)
      for (int k = 0; k < 3; ++k)
        for (int i = 0; i < 30; ++i)
          a.reward(a.recommend({"svc-" + std::to_string(s), "m"}, {{playbooks[k], 2}}).event_id,
                   0.6 - 0.3 * k + 0.3 * std::sin(i * 2.3 + s + k));
    a.reward(a.recommend(api, {{"scale-api-shard", 2}}).event_id, -0.6);
    EXPECT_FALSE(a.policy(api)->arms.front().decoupled);
    return a.policy(api)->arms.front().value;
  };
  const double freed = trained(0.8);
  const double held = trained(1.0); // a single pooled prior, as before
  // One outcome of -0.6 against a pool at +0.6 (noise sd about 0.2).
  EXPECT_LT(freed, -0.25) << "the context's own outcome should dominate";
  EXPECT_GT(held, freed + 0.2) << "without the free component the pool holds it back";
}

// The broad prior (a playbook never seen in a context, nor elsewhere) is
// estimated from the spread of what playbooks do: when every playbook earns
// about 0.5, an unknown one starts near 0.5 with a narrow prior.
TEST(RlAgentPooling, TheBroadPriorIsEstimatedFromTheData) {
  std::map<context_key, context_policy> contexts;
  for (int s = 0; s < 10; ++s)
    for (int k = 0; k < 4; ++k) {
      auto& arm = contexts[{"svc-" + std::to_string(s), "m"}].arms["pb-" + std::to_string(k)];
      for (int i = 0; i < 20; ++i)
        arm.add(0.5 + 0.05 * std::sin(s * 1.3 + k * 0.7 + i * 2.1));
    }
  pooling_config cfg;
  const population_model pop(contexts, cfg, true);
  // 40 pairs at about 0.5, shrunk towards the configured 0 by 5 pairs' worth.
  EXPECT_NEAR(pop.broad_prior().mean, 0.5 * 40.0 / 45.0, 0.02);
  EXPECT_LT(std::sqrt(pop.broad_prior().var), 0.5 * cfg.prior_sd);
  const auto unknown = pop.posterior_for(api, "never-seen", arm_statistics{});
  EXPECT_NEAR(unknown.mean, pop.broad_prior().mean, 1e-12);
  // Unpooled (plain Thompson), the configured prior stays.
  const population_model plain(contexts, cfg, false);
  EXPECT_DOUBLE_EQ(plain.broad_prior().mean, cfg.prior_mean);
}

TEST(RlAgentCluster, AnEventIdCarriesItsSuffix) {
  agent a;
  auto r = a.recommend(api, three(), std::nullopt, 0, 0, "-s17");
  EXPECT_EQ(r.event_id.substr(r.event_id.size() - 4), "-s17");
  a.reward(r.event_id, 1.0);
  EXPECT_EQ(a.statistics().experiences, 1u);
}

// A cluster node counts only the contexts of the shards it serves: another
// context's policy, experiences and pending events are not its share.
TEST(RlAgentCluster, StatisticsOfSomeContextsCountOnlyThose) {
  agent a;
  const auto first = a.recommend(api, three(), std::nullopt, 0);
  a.reward(first.event_id, 1.0);
  const auto second = a.recommend(api, three(), std::nullopt, 0);
  a.reward(second.event_id, 0.5);
  const auto third = a.recommend(db, three(), std::nullopt, 0);
  a.reward(third.event_id, -0.5);
  a.recommend(db, three(), std::nullopt, 0); // pending
  const auto only_api = a.statistics([&](const context_key& c) { return c == api; });
  EXPECT_EQ(only_api.contexts, 1u);
  EXPECT_EQ(only_api.experiences, 2u);
  EXPECT_EQ(only_api.updates, 2u);
  EXPECT_EQ(only_api.pending, 0u);
  EXPECT_DOUBLE_EQ(only_api.average_reward, 0.75);
  const auto only_db = a.statistics([&](const context_key& c) { return c == db; });
  EXPECT_EQ(only_db.contexts, 1u);
  EXPECT_EQ(only_db.experiences, 1u);
  EXPECT_EQ(only_db.updates, 1u);
  EXPECT_EQ(only_db.pending, 1u);
  EXPECT_DOUBLE_EQ(only_db.average_reward, -0.5);
  // The agent's own counters, whichever context.
  EXPECT_EQ(only_db.recommendations, 4u);
  EXPECT_EQ(only_db.recommendations, a.statistics().recommendations);
  const auto none = a.statistics([](const context_key&) { return false; });
  EXPECT_EQ(none.contexts + none.experiences + none.updates + none.pending, 0u);
  EXPECT_DOUBLE_EQ(none.average_reward, 0.0);
  const auto all = a.statistics([](const context_key&) { return true; });
  EXPECT_EQ(all.experiences, a.statistics().experiences);
  EXPECT_EQ(all.updates, a.statistics().updates);
}

TEST(RlAgentCluster, APreviewSaysWhatARewardWouldLearnAndChangesNothing) {
  agent a;
  auto r = a.recommend(api, three(), std::nullopt, 1000);
  const auto before = a.to_json().dump();
  auto o = a.preview_reward(r.event_id, 0.5, {{"latency", -0.2}}, 2000, 0);
  EXPECT_EQ(a.to_json().dump(), before);
  EXPECT_EQ(o.event_id, r.event_id);
  EXPECT_EQ(o.context, api);
  EXPECT_EQ(o.chosen, r.chosen);
  EXPECT_DOUBLE_EQ(o.propensity, r.propensity);
  EXPECT_DOUBLE_EQ(o.reward, 0.5);
  EXPECT_EQ(o.rewarded_at_ms, 2000);
  EXPECT_THROW(a.preview_reward(r.event_id, 1.5, {}, 2000, 0), rl_error);
  EXPECT_THROW(a.preview_reward("rl-unknown", 0.5, {}, 2000, 0), rl_error);
  // Past its time-to-live: refused as expired, the event stays pending.
  const auto late = 1000 + a.config().pending_ttl_ms + 1;
  try {
    a.preview_reward(r.event_id, 0.5, {}, late, 0);
    FAIL() << "an event past its time-to-live was previewed";
  } catch (const rl_error& e) {
    EXPECT_EQ(e.code(), error_code::expired_event);
  }
  EXPECT_EQ(a.statistics().pending, 1u);
  a.reward(r.event_id, 0.5, {}, 2000);
  try {
    a.preview_reward(r.event_id, 0.5, {}, 2000, 0);
    FAIL() << "a rewarded event was previewed";
  } catch (const rl_error& e) {
    EXPECT_EQ(e.code(), error_code::already_rewarded);
  }
  // The preview is what recover() learns on another agent.
  agent b;
  b.recover({o});
  EXPECT_EQ(b.statistics().experiences, 1u);
  EXPECT_EQ(b.contexts(), std::vector<context_key>{api});
}

// The choice probabilities are a function of what was learned: repeated
// recommendations between two outcomes reuse them (with few Monte Carlo
// draws, fresh estimates would differ call to call), the logged propensity is
// the reused probability of the choice, and an outcome makes them new.
TEST(RlAgentPropensities, ReusedUntilSomethingIsLearned) {
  agent_config c;
  c.probability_samples = 8;
  // With count_pending (the default) the knowledge gradient's choice depends
  // on the events pending too, and is kept only until that set changes
  // (RlAgentExploration.KnowledgeGradientCountsPendingOutcomes).
  c.count_pending = false;
  agent a(c);
  auto first = a.recommend(api, three());
  a.reward(first.event_id, 0.2);
  auto probabilities = [](const recommendation& r) {
    std::map<std::string, std::pair<double, double>> out;
    for (const auto& x : r.ranked)
      out[x.playbook] = {x.score, x.probability};
    return out;
  };
  const auto base = a.recommend(api, three());
  for (int i = 0; i < 50; ++i) {
    const auto again = a.recommend(api, three());
    EXPECT_EQ(probabilities(again), probabilities(base));
    EXPECT_DOUBLE_EQ(again.propensity, probabilities(again).at(again.chosen).second);
  }
  // Another candidate list or risk cap is another question.
  const auto capped = a.recommend(api, three(), 1);
  EXPECT_EQ(capped.ranked.size(), 1u);
  EXPECT_EQ(capped.chosen, "enable-response-cache");

  const auto learned = a.reward(base.event_id, 1.0);
  const auto after = a.recommend(api, three());
  EXPECT_NE(probabilities(after).at(learned.playbook).first,
            probabilities(base).at(learned.playbook).first);
}

// A playbook the context gave up on starts working: nothing in the log says
// so until it is tried again. With a change hazard its belief widens to the
// broad prior as it goes unchecked, a retry whose outcome only a change
// explains replaces the old history, and the context moves to it.
TEST(RlAgentChange, AnAbandonedPlaybookThatBecomesBestIsFoundAgainWithAChangeHazard) {
  auto late_picks_of_b = [](double hazard, nlohmann::json* snapshot) {
    agent_config cfg;
    cfg.change_hazard = hazard;
    // The Thompson draws (the rule this was measured with).
    cfg.exploration = exploration_rule::thompson;
    cfg.sampling_scale = 0.7;
    agent a(cfg);
    const std::vector<candidate> both{{"a", 1}, {"b", 1}};
    int picks = 0;
    for (int i = 0; i < 1200; ++i) {
      const auto r = a.recommend(api, both);
      const double b_mean = i < 300 ? -0.3 : 0.9; // b becomes the best at step 300
      const double mean = r.chosen == "a" ? 0.5 : b_mean;
      a.reward(r.event_id, std::clamp(mean + 0.2 * std::sin(i * 2.3), -1.0, 1.0));
      picks += i >= 1000 && r.chosen == "b";
    }
    if (snapshot)
      *snapshot = a.to_json();
    return picks;
  };
  nlohmann::json snapshot;
  EXPECT_GT(late_picks_of_b(1e-3, &snapshot), 150) << "re-found: b chosen in the last 200";
  EXPECT_LT(late_picks_of_b(0.0, nullptr), 50) << "without the hazard b stays abandoned";
  // The change-point state survives a snapshot; a corrupt one is rejected.
  const auto restored = agent::from_json(snapshot);
  EXPECT_EQ(restored.to_json(), snapshot);
  auto corrupt = snapshot;
  corrupt["contexts"][0]["policy"]["arms"]["b"]["changed"] = 1.5;
  EXPECT_THROW(agent::from_json(corrupt), rl_error);
}

TEST(RlAgentChange, TheChangeHazardIsValidated) {
  EXPECT_THROW(config_from_json({{"change_hazard", -0.1}}), rl_error);
  EXPECT_THROW(config_from_json({{"change_hazard", 0.9}}), rl_error);
  EXPECT_DOUBLE_EQ(config_from_json({{"change_hazard", 1e-4}}).change_hazard, 1e-4);
}

TEST(RlAgentExploration, InformationDirectedStopsOnceSettledAndMixesWhileOpen) {
  agent_config cfg;
  cfg.exploration = exploration_rule::information_directed;
  cfg.sampling_scale = 1.0;
  agent a(cfg);
  const std::vector<candidate> both{{"a", 1}, {"b", 1}};
  // Nothing known: each keeps at least its share of the exploration floor.
  const auto open = a.recommend(api, both);
  EXPECT_GE(probability_of(open, "a"), cfg.exploration_floor / 2.0 - 1e-12);
  EXPECT_GE(probability_of(open, "b"), cfg.exploration_floor / 2.0 - 1e-12);
  EXPECT_NEAR(probability_of(open, "a") + probability_of(open, "b"), 1.0, 1e-9);
  a.withdraw(open.event_id);
  // Far apart and well measured: every draw agrees, only the floor is left.
  for (int i = 0; i < 200; ++i) {
    const auto r = a.recommend(api, both);
    const double mean = r.chosen == "a" ? 0.6 : -0.6;
    a.reward(r.event_id, std::clamp(mean + 0.2 * std::sin(i * 2.3), -1.0, 1.0));
  }
  const auto settled = a.recommend(api, both);
  EXPECT_EQ(settled.chosen, "a");
  EXPECT_LT(probability_of(settled, "b"), 0.01);
  EXPECT_NEAR(probability_of(settled, "a") + probability_of(settled, "b"), 1.0, 1e-9);
}

// The knowledge gradient tries a playbook whose posterior is wide while the
// horizon makes what one outcome could teach worth more than the gap, and
// stops once the gap is measured: with a long horizon the runner-up is
// tried several times, with a short one (few outcomes left to use the
// lesson) hardly at all.
TEST(RlAgentExploration, KnowledgeGradientExploresWithTheHorizonAndSettles) {
  auto runner_up_pulls = [](double horizon) {
    agent_config cfg;
    cfg.exploration = exploration_rule::knowledge_gradient;
    cfg.knowledge_horizon = horizon;
    cfg.exploration_floor = 0.0;
    agent a(cfg);
    const std::vector<candidate> both{{"a", 1}, {"b", 1}};
    int b = 0;
    for (int i = 0; i < 300; ++i) {
      const auto r = a.recommend(api, both);
      // Deterministic: the higher index takes all (a tie splits evenly).
      const double pa = probability_of(r, "a");
      EXPECT_TRUE(pa == 0.0 || pa == 0.5 || pa == 1.0) << pa;
      EXPECT_NEAR(pa + probability_of(r, "b"), 1.0, 1e-12);
      const double mean = r.chosen == "a" ? 0.5 : 0.2;
      b += r.chosen == "b";
      a.reward(r.event_id, std::clamp(mean + 0.3 * std::sin(i * 2.3), -1.0, 1.0));
    }
    const auto settled = a.recommend(api, both);
    EXPECT_EQ(settled.chosen, "a");
    return b;
  };
  const int long_horizon = runner_up_pulls(1000.0);
  const int short_horizon = runner_up_pulls(2.0);
  EXPECT_GE(long_horizon, 3);
  EXPECT_LT(long_horizon, 100); // settles: not a round robin
  EXPECT_LT(short_horizon, long_horizon);
}

// A playbook that had two unlucky outcomes early sits below the leader by
// more than one noisy outcome could overturn: the one-outcome knowledge
// gradient never tries it again; valued per outcome over several (KG(*),
// lookahead 0: up to the horizon) it is tried and found to be the best.
TEST(RlAgentExploration, KnowledgeGradientLookaheadRetriesAnUnluckyPlaybook) {
  auto late_picks_of_b = [](double lookahead) {
    agent_config cfg;
    cfg.exploration = exploration_rule::knowledge_gradient;
    cfg.knowledge_lookahead = lookahead;
    cfg.exploration_floor = 0.0;
    agent a(cfg);
    const std::vector<candidate> both{{"a", 1}, {"b", 1}};
    int unlucky = 0, late = 0;
    for (int i = 0; i < 400; ++i) {
      const auto r = a.recommend(api, both);
      const double pa = probability_of(r, "a");
      EXPECT_TRUE(pa == 0.0 || pa == 0.5 || pa == 1.0) << pa;
      double mean = r.chosen == "a" ? 0.3 : 0.5;
      if (r.chosen == "b" && unlucky < 2) {
        mean = -0.3;
        ++unlucky;
      }
      late += i >= 300 && r.chosen == "b";
      a.reward(r.event_id, std::clamp(mean + 0.5 * std::sin(i * 2.3), -1.0, 1.0));
    }
    return late;
  };
  EXPECT_EQ(late_picks_of_b(1.0), 0);
  EXPECT_GT(late_picks_of_b(0.0), 90);
  EXPECT_DOUBLE_EQ(config_from_json(config_to_json(agent_config{})).knowledge_lookahead, 1.0);
  EXPECT_DOUBLE_EQ(config_from_json({{"knowledge_lookahead", 0.0}}).knowledge_lookahead, 0.0);
  EXPECT_THROW(config_from_json({{"knowledge_lookahead", -1.0}}), rl_error);
}

// With count_pending the knowledge gradient counts outcomes on their way
// (chosen, not yet rewarded) as learned: asked three times before any
// outcome, it tries the three playbooks instead of one of them three times,
// and the logged propensity is the exact probability each choice had.
TEST(RlAgentExploration, KnowledgeGradientCountsPendingOutcomes) {
  const std::vector<candidate> three{{"a", 1}, {"b", 1}, {"c", 1}};
  agent_config cfg;
  cfg.exploration = exploration_rule::knowledge_gradient;
  cfg.exploration_floor = 0.0;
  cfg.count_pending = false;
  {
    agent plain(cfg); // nothing pending counts: the same three-way tie each time
    for (int i = 0; i < 3; ++i)
      EXPECT_NEAR(plain.recommend(api, three).propensity, 1.0 / 3.0, 1e-12);
  }
  cfg.count_pending = true;
  agent a(cfg);
  std::set<std::string> chosen;
  std::vector<recommendation> asked;
  for (const double propensity : {1.0 / 3.0, 0.5, 1.0}) {
    asked.push_back(a.recommend(api, three));
    EXPECT_NEAR(asked.back().propensity, propensity, 1e-12);
    chosen.insert(asked.back().chosen);
  }
  EXPECT_EQ(chosen.size(), 3u);
  // The pending set survives a snapshot, and the choice with it.
  const auto restored = agent::from_json(a.to_json());
  const auto probabilities = a.action_probabilities(api, three, std::nullopt, 1);
  const auto restored_probabilities = restored.action_probabilities(api, three, std::nullopt, 1);
  ASSERT_EQ(probabilities.size(), restored_probabilities.size());
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    EXPECT_EQ(probabilities[i].playbook, restored_probabilities[i].playbook);
    EXPECT_DOUBLE_EQ(probabilities[i].probability, restored_probabilities[i].probability);
  }
  // A withdrawn event no longer counts: its playbook is the one left to try.
  ASSERT_TRUE(a.withdraw(asked[1].event_id));
  const auto again = a.recommend(api, three);
  EXPECT_EQ(again.chosen, asked[1].chosen);
  EXPECT_NEAR(again.propensity, 1.0, 1e-12);
  EXPECT_TRUE(config_from_json(config_to_json(cfg)).count_pending);
  EXPECT_TRUE(config_from_json(nlohmann::json::object()).count_pending); // the default
  EXPECT_FALSE(config_from_json({{"count_pending", false}}).count_pending);
}

TEST(RlAgentExploration, TheKnowledgeRuleAndHorizonRoundTrip) {
  agent_config cfg;
  cfg.exploration = exploration_rule::knowledge_gradient;
  cfg.discount = 0.99;
  const auto c = config_from_json(config_to_json(cfg));
  EXPECT_EQ(c.exploration, exploration_rule::knowledge_gradient);
  EXPECT_DOUBLE_EQ(c.knowledge_horizon, 0.0);
  EXPECT_THROW(config_from_json({{"knowledge_horizon", -1.0}}), rl_error);
}

TEST(RlAgentExploration, ParsesTheRule) {
  EXPECT_EQ(config_from_json(nlohmann::json::object()).exploration,
            exploration_rule::knowledge_gradient);
  EXPECT_EQ(config_from_json({{"exploration_rule", "thompson"}}).exploration,
            exploration_rule::thompson);
  const auto c = config_from_json({{"exploration_rule", "information_directed"}});
  EXPECT_EQ(c.exploration, exploration_rule::information_directed);
  EXPECT_EQ(config_from_json(config_to_json(c)).exploration,
            exploration_rule::information_directed);
  EXPECT_THROW(config_from_json({{"exploration_rule", "ucb"}}), rl_error);
}

// A change hazard or a drift learned from the change detector
// (agent_config::learned_hazard, agent_config::learned_drift): in a context
// where one playbook's fall was detected, a playbook the context abandoned
// that later becomes the best is tried again and taken; where nothing
// changes the detector does not fire and the agent chooses exactly as
// without them (no pull wasted).
namespace {

agent_config learning_changes(int variant) {
  agent_config cfg;
  if (variant == 1)
    cfg.learned_hazard = agent_config::hazard_estimate::per_arm;
  if (variant == 2)
    cfg.learned_hazard = agent_config::hazard_estimate::from_jumps;
  if (variant == 3)
    cfg.learned_drift = true;
  return cfg;
}

} // namespace

TEST(RlAgentChange, ALearnedHazardReTriesAnAbandonedPlaybookOnlyWhereChangesAreSeen) {
  const std::vector<candidate> abc{{"a", 1}, {"b", 1}, {"c", 1}};
  // a works (+0.5) until it falls to -0.1 at step 300; c is a steady +0.2;
  // b is bad (-0.4) until it becomes the best (+0.9) at step 600.
  auto run = [&](int variant, int* b_late, std::uint64_t* fires) {
    agent a(learning_changes(variant));
    int picks = 0;
    for (int i = 0; i < 1500; ++i) {
      const auto r = a.recommend(api, abc);
      EXPECT_NEAR(sum_of_probabilities(r), 1.0, 1e-9);
      const double mean = r.chosen == "a"   ? (i < 300 ? 0.5 : -0.1)
                          : r.chosen == "b" ? (i < 600 ? -0.4 : 0.9)
                                            : 0.2;
      a.reward(r.event_id, std::clamp(mean + 0.2 * std::sin(i * 2.3), -1.0, 1.0));
      picks += i >= 1300 && r.chosen == "b";
    }
    *b_late = picks;
    *fires = a.statistics().changes_detected;
    return a.to_json();
  };
  int without = 0;
  std::uint64_t fires_without = 0;
  run(0, &without, &fires_without);
  EXPECT_GE(fires_without, 1u) << "a's fall is detected either way";
  EXPECT_LT(without, 50) << "without a hazard or drift b stays abandoned";
  for (int variant : {1, 2, 3}) {
    int learned = 0;
    std::uint64_t fires = 0;
    const auto snapshot = run(variant, &learned, &fires);
    EXPECT_GT(learned, 150) << "variant " << variant << ": b re-found, chosen in most of the "
                            << "last 200 steps";
    // What the estimates count survives a snapshot.
    EXPECT_EQ(agent::from_json(snapshot).to_json(), snapshot);
  }

  // Stationary: a ahead of b and c for good. No fire, so the same choices
  // and propensities as the agent without the estimates, step by step.
  for (int variant : {1, 2, 3}) {
    agent on(learning_changes(variant)), off{agent_config{}};
    int runner_up_pulls = 0;
    for (int i = 0; i < 1500; ++i) {
      const auto x = on.recommend(api, abc);
      const auto y = off.recommend(api, abc);
      ASSERT_EQ(x.chosen, y.chosen) << "variant " << variant << " step " << i;
      ASSERT_DOUBLE_EQ(x.propensity, y.propensity);
      const double mean = x.chosen == "a" ? 0.5 : x.chosen == "b" ? -0.4 : 0.2;
      const double reward = std::clamp(mean + 0.2 * std::sin(i * 2.3), -1.0, 1.0);
      on.reward(x.event_id, reward);
      off.reward(y.event_id, reward);
      runner_up_pulls += i >= 100 && x.chosen != "a";
    }
    EXPECT_EQ(on.statistics().changes_detected, 0u);
    EXPECT_LT(runner_up_pulls, 15) << "a settled context does not keep re-trying";
  }
}

TEST(RlAgentChange, TheLearnedHazardIsValidated) {
  EXPECT_THROW(config_from_json({{"learned_hazard", "sometimes"}}), rl_error);
  EXPECT_EQ(config_from_json({{"learned_hazard", "from_jumps"}}).learned_hazard,
            agent_config::hazard_estimate::from_jumps);
  EXPECT_TRUE(config_from_json({{"learned_drift", true}}).learned_drift);
  const auto defaults = config_from_json(config_to_json(agent_config{}));
  EXPECT_EQ(defaults.learned_hazard, agent_config::hazard_estimate::off);
  EXPECT_FALSE(defaults.learned_drift);
}
