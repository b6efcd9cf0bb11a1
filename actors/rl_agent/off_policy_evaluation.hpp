// Off-policy evaluation: from logged experiences (context, candidates, choice,
// the propensity the choice had, reward) estimate the average reward another
// policy would have earned, without running it. Estimators: inverse
// propensity scoring (IPS, unbiased, high variance), self-normalised IPS
// (slightly biased, much steadier), doubly robust (a reward model corrected by
// IPS on its residuals: unbiased if either the propensities or the model are
// right). Confidence intervals are normal approximations.
#pragma once

#include "actors/rl_agent/replay_buffer.hpp"
#include "actors/rl_agent/types.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace grace::rl {

class agent;

/// The probability a policy gives each allowed candidate of an experience.
/// Missing playbooks count as probability 0.
using target_policy = std::function<std::map<std::string, double>(const experience&)>;
/// Predicted reward of a playbook in a context (for doubly robust).
using reward_model = std::function<double(const context_key&, const std::string&)>;

struct interval_estimate {
  double value = 0.0;
  double std_error = 0.0;
  double low = 0.0;
  double high = 0.0;
};

struct ope_result {
  std::size_t samples = 0;     ///< experiences used
  std::size_t skipped = 0;     ///< experiences without a usable propensity
  double logged_average = 0.0; ///< what the logging policy actually earned
  /// (sum w)^2 / sum w^2 of the importance weights: how many logged samples
  /// the estimate is effectively worth.
  double effective_sample_size = 0.0;
  interval_estimate ips;
  interval_estimate snips;
  interval_estimate dr;
};

/// Candidates of an experience that its risk cap allowed.
std::vector<std::string> allowed_playbooks(const experience& e);

/// Evaluates `target` on `log`. Without a reward model, doubly robust uses
/// fit_reward_model(log). `confidence` is the interval's coverage (0.95).
ope_result evaluate_off_policy(const std::vector<experience>& log, const target_policy& target,
                               const reward_model& model = nullptr, double confidence = 0.95);

/// Mean logged reward per (context, playbook), shrunk towards the playbook's
/// mean over all contexts and then the overall mean (`prior_weight` pseudo
/// observations each), so unseen pairs still get a prediction.
reward_model fit_reward_model(const std::vector<experience>& log, double prior_weight = 2.0);

/// Deterministic: the allowed candidate with the highest value (first on
/// ties; unknown values count as 0, like the product description's fresh EMA).
target_policy greedy_policy(std::map<context_key, std::map<std::string, double>> values);
/// The agent's current choice probabilities (its state is read, not changed;
/// the agent must outlive the returned function).
target_policy agent_policy(const agent& a, std::uint64_t seed = 1);
target_policy uniform_policy();
/// The seed's rule frozen at the agent's current EMA values: greedy on them.
target_policy greedy_ema_policy(const agent& a);

/// Quantile of the standard normal distribution (p in (0, 1)).
double normal_quantile(double p);

} // namespace grace::rl
