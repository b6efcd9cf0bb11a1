// What the agent believes about one playbook in one context: discounted
// sufficient statistics of the continuous rewards it produced, the product description's EMA
// value kept alongside, and a CUSUM change detector. The Gaussian maths that
// turns these into a posterior lives here too.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace grace::rl {

/// A normal distribution by mean and variance.
struct gaussian {
  double mean = 0.0;
  double var = 1.0;
};

/// Posterior of a mean under a normal prior and `weight` observations with
/// known noise variance whose (weighted) sum is `sum`.
gaussian posterior_of_mean(const gaussian& prior, double weight, double sum, double noise_var);

/// The seed's rule: value <- (1 - rate) * value + rate * reward (rate 0.3).
inline double ema_update(double value, double reward, double rate) {
  return (1.0 - rate) * value + rate * reward;
}

struct arm_statistics {
  // Discounted sufficient statistics: old outcomes fade so the estimate can
  // follow a world that drifts.
  double weight = 0.0;
  double sum = 0.0;
  double sum_sq = 0.0;
  std::uint64_t pulls = 0; ///< rewards received, never discounted
  double ema_value = 0.0;  ///< the product description's greedy-EMA value for this arm
  // Two-sided CUSUM on standardised residuals (why: a playbook that stops
  // working in one context must be noticed within a few incidents, not after
  // the discounting has forgotten hundreds of old successes).
  double cusum_up = 0.0;
  double cusum_down = 0.0;
  /// Set once a change was detected: this context's arm stops borrowing
  /// strength from other contexts, whose experience evidently does not apply.
  bool decoupled = false;
  /// The context's learning step at this arm's last outcome: how long its
  /// evidence has gone unchecked (agent_config::change_hazard).
  std::uint64_t last_step = 0;
  /// Online change point (agent_config::change_hazard): the probability
  /// that the playbook changed here since the outcomes in `since_*` began
  /// (0: no change suspected), and those outcomes' statistics.
  double changed = 0.0;
  double since_weight = 0.0;
  double since_sum = 0.0;
  double since_sum_sq = 0.0;
  /// The jumps the CUSUM measured (agent_config::learned_drift): at its
  /// last fire the arm's mean and that mean's sampling variance (fired:
  /// one was recorded), and the excess squared jumps of its earlier fires.
  bool fired = false;
  double fire_mean = 0.0;
  double fire_se2 = 0.0;
  double jump_sq = 0.0;
  void forget_since() {
    changed = 0.0;
    since_weight = since_sum = since_sum_sq = 0.0;
  }

  double mean() const { return weight > 0.0 ? sum / weight : 0.0; }
  void discount(double factor) {
    weight *= factor;
    sum *= factor;
    sum_sq *= factor;
  }
  /// One outcome counting `w` of a full observation (w = 1 unless its reward
  /// is known to be noisier than the others, agent_config::
  /// unseen_incident_variance).
  void add(double reward, double w = 1.0) {
    weight += w;
    sum += w * reward;
    sum_sq += w * reward * reward;
  }
  void forget() {
    weight = sum = sum_sq = 0.0;
    cusum_up = cusum_down = 0.0;
  }
  /// Feeds one standardised residual to the CUSUM; true when it crosses h.
  bool detect_change(double z, double k, double h);
};

void to_json(nlohmann::json& j, const arm_statistics& a);
void from_json(const nlohmann::json& j, arm_statistics& a);

} // namespace grace::rl
