// Off-policy evaluation on synthetic logs whose answer is known.
#include "actors/rl_agent/agent.hpp"
#include "actors/rl_agent/off_policy_evaluation.hpp"

#include <gtest/gtest.h>
#include <random>

using namespace grace::rl;

namespace {

const context_key ctx{"grace-api", "api.error_rate"};

/// Uniform logging over two playbooks; "good" always earns 1, "bad" 0.
std::vector<experience> deterministic_log(int n) {
  std::mt19937_64 rng(3);
  std::vector<experience> log;
  for (int i = 0; i < n; ++i) {
    experience e;
    e.event_id = "e" + std::to_string(i);
    e.context = ctx;
    e.candidates = {{"bad", 1}, {"good", 1}};
    e.chosen = rng() % 2 ? "good" : "bad";
    e.propensity = 0.5;
    e.reward = e.chosen == "good" ? 1.0 : 0.0;
    log.push_back(e);
  }
  return log;
}

target_policy always(const std::string& playbook) {
  return [playbook](const experience&) { return std::map<std::string, double>{{playbook, 1.0}}; };
}

} // namespace

TEST(RlAgentOpe, KnownAnswerOnADeterministicLog) {
  const auto log = deterministic_log(1000);
  const auto r = evaluate_off_policy(log, always("good"));
  EXPECT_EQ(r.samples, 1000u);
  EXPECT_DOUBLE_EQ(r.snips.value, 1.0); // self-normalised: exact
  EXPECT_NEAR(r.dr.value, 1.0, 1e-2);   // reward model shrunk by 2 pseudo-obs
  EXPECT_LE(r.ips.low, 1.0);            // unbiased; its interval covers the truth
  EXPECT_GE(r.ips.high, 1.0);
  EXPECT_NEAR(r.ips.value, 1.0, 0.1);
  EXPECT_NEAR(r.logged_average, 0.5, 0.05);
  EXPECT_NEAR(r.effective_sample_size, 500.0, 50.0); // half the log is usable
  const auto bad = evaluate_off_policy(log, always("bad"));
  EXPECT_DOUBLE_EQ(bad.snips.value, 0.0);
  EXPECT_DOUBLE_EQ(bad.ips.value, 0.0);
}

TEST(RlAgentOpe, ExactRewardModelMakesDoublyRobustExact) {
  const auto log = deterministic_log(200);
  const reward_model truth = [](const context_key&, const std::string& p) {
    return p == "good" ? 1.0 : 0.0;
  };
  const auto r = evaluate_off_policy(log, uniform_policy(), truth);
  EXPECT_DOUBLE_EQ(r.dr.value, 0.5);
  EXPECT_DOUBLE_EQ(r.dr.std_error, 0.0);
}

TEST(RlAgentOpe, LoggingPolicyAsTargetGivesTheLoggedAverage) {
  const auto log = deterministic_log(300);
  const auto r = evaluate_off_policy(log, uniform_policy());
  EXPECT_DOUBLE_EQ(r.ips.value, r.logged_average);
  EXPECT_DOUBLE_EQ(r.snips.value, r.logged_average);
}

TEST(RlAgentOpe, NoisyLogIntervalsCoverTheTruth) {
  // Three playbooks with mean rewards 0.2, 0.5, -0.1 and noise; the logging
  // policy favours the worst. The greedy target (always the 0.5 one) is worth
  // exactly 0.5.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 0.3);
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::vector<double> mean = {0.2, 0.5, -0.1};
  const std::vector<double> logging = {0.3, 0.2, 0.5};
  std::discrete_distribution<int> pick(logging.begin(), logging.end());
  std::vector<experience> log;
  for (int i = 0; i < 4000; ++i) {
    experience e;
    e.context = ctx;
    e.candidates = {{"a", 1}, {"b", 1}, {"c", 1}};
    const int k = pick(rng);
    e.chosen = names[k];
    e.propensity = logging[k];
    e.reward = std::clamp(mean[k] + noise(rng), -1.0, 1.0);
    log.push_back(e);
  }
  const auto r =
      evaluate_off_policy(log, greedy_policy({{ctx, {{"a", 0.1}, {"b", 0.9}, {"c", 0.0}}}}));
  const double truth = 0.5; // clipping is symmetric enough at 0.5 +- 0.3 to ignore
  for (const auto* e : {&r.ips, &r.snips, &r.dr}) {
    EXPECT_LE(e->low, truth + 0.01);
    EXPECT_GE(e->high, truth - 0.01);
    EXPECT_LT(e->high - e->low, 0.2);
  }
  EXPECT_LT(r.dr.std_error, r.ips.std_error); // the reward model removes variance
}

TEST(RlAgentOpe, RespectsTheRiskCapOfEachExperience) {
  experience e;
  e.context = ctx;
  e.candidates = {{"safe", 1}, {"risky", 4}};
  e.max_risk_tier = 2;
  EXPECT_EQ(allowed_playbooks(e), std::vector<std::string>{"safe"});
  EXPECT_EQ(uniform_policy()(e).size(), 1u);
}

TEST(RlAgentOpe, EvaluatesTheAgentsOwnPolicyOnItsLog) {
  agent a;
  const std::vector<candidate> c = {{"x", 1}, {"y", 1}, {"z", 1}};
  for (int i = 0; i < 400; ++i) {
    const auto r = a.recommend(ctx, c);
    a.reward(r.event_id, r.chosen == "y" ? 0.6 : 0.0);
  }
  const auto log = a.experiences().to_vector();
  const auto target = agent_policy(a);
  double sum = 0.0;
  for (const auto& [p, prob] : target(log.front()))
    sum += prob;
  EXPECT_NEAR(sum, 1.0, 1e-9);
  const auto r = evaluate_off_policy(log, target);
  // The learned policy almost always picks y: worth about 0.6, better than the
  // logged average, which paid for exploration.
  EXPECT_NEAR(r.snips.value, 0.6, 0.05);
  EXPECT_GT(r.dr.value, r.logged_average);
  EXPECT_THROW(evaluate_off_policy(log, target, nullptr, 1.5), rl_error);
  EXPECT_NEAR(normal_quantile(0.975), 1.959964, 1e-6);
}
