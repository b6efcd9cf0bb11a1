// A synthetic world of incidents for measuring the playbook learner
// (docs/evaluation/learning.md). Shared by the in-process evaluation
// (scenario_runner) and any driver that plays the same world through the
// REST API: it only says which context each incident is in, what each
// candidate would earn, and when the reward arrives.
//
// Per seed: each playbook has a mean effect; in each context it appears in,
// that effect is shifted by a small context-specific deviation. Contexts offer
// a few playbooks in catalog order, and the first is never the best. The
// reward of an incident is clip(effect + noise, -1, 1), with one noise draw per
// incident shared by whichever playbook a learner picks (common random
// numbers: every learner faces the same luck). Rewards arrive after a random
// delay. In context 0 the best playbook stops working midway.
#pragma once

#include "actors/rl_agent/types.hpp"

#include <cstdint>
#include <vector>

namespace grace::rl {

struct scenario_config {
  std::uint64_t seed = 1;
  int contexts = 8;
  int playbooks = 10;
  int candidates_per_context = 4;
  int incidents = 3000;
  double effect_low = -0.5; ///< playbook mean effects are uniform in [low, high]
  double effect_high = 0.5;
  double context_spread = 0.05; ///< sd of a playbook's deviation in one context
  double noise_sd = 0.3;
  double min_gap = 0.1; ///< the best beats the runner-up by this in every context
  int max_delay = 20;   ///< a reward arrives 0..max_delay incidents later
  int change_at = 1500; ///< incident at which context 0's best playbook degrades
  double change_drop = 0.6;
};

struct scenario_incident {
  int context = 0;
  double noise = 0.0; ///< shared by whichever playbook is chosen
  int delay = 0;      ///< reward delivered before incident t + 1 + delay
};

class scenario_world {
public:
  explicit scenario_world(const scenario_config& cfg);

  const scenario_config& config() const { return cfg_; }
  const std::vector<context_key>& contexts() const { return keys_; }
  const std::vector<candidate>& candidates(int context) const { return candidates_[context]; }
  const std::vector<scenario_incident>& incidents() const { return incidents_; }

  /// Mean effect (before clipping) of a context's candidate at incident t.
  double effect(int context, std::size_t candidate, int t) const;
  /// Expected reward, E[clip(effect + noise, -1, 1)], at incident t.
  double expected_reward(int context, std::size_t candidate, int t) const;
  /// The reward a learner observes for choosing `candidate` at incident t.
  double observed_reward(std::size_t candidate, int t) const;
  /// Index of the best candidate of a context at incident t.
  std::size_t best(int context, int t) const;

private:
  scenario_config cfg_;
  std::vector<context_key> keys_;
  std::vector<std::vector<candidate>> candidates_;
  std::vector<std::vector<double>> effects_; // [context][candidate], before the change
  std::size_t changed_candidate_ = 0;        // context 0's best before the change
  std::vector<scenario_incident> incidents_;
};

} // namespace grace::rl
