// A family of playbook-learning worlds (EVALUATION.md section 3, issue 20):
// every seed draws a whole world at random, so a policy can be judged on
// worlds it was not tuned on (docs/evaluation/learning.md, "The family").
//
// Per seed: reward noise sd in [0.15, 0.5]; playbook global effects uniform
// around a drawn centre with a drawn half-width (so some worlds have rewards
// often clipped at +-1); a per-context deviation sd in [0.05, 0.3]; 6..20
// contexts offering 2..6 candidates each, listed in catalog order, the first
// never the best and the best ahead of the runner-up by at least min_gap;
// 0..2 change points (a context's best stops working, or another playbook
// starts working better); 0..3 sparse contexts that see about 10..40 of the
// incidents; rewards delayed by 0..max_delay incidents. As in scenario_world,
// one noise draw per incident is shared by whichever playbook a learner
// chooses (common random numbers).
#pragma once

#include "actors/rl_agent/types.hpp"
#include "bench/rl_agent/scenario_runner.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace grace::rl {

struct family_parameters {
  double noise_sd = 0.3;
  double effect_centre = 0.0;
  double effect_half_width = 0.5;
  double context_sd = 0.1;
  int contexts = 8;
  int playbooks = 10;
  int min_candidates = 2;
  int max_candidates = 6;
  int sparse_contexts = 0;
  int max_delay = 20;
  double min_gap = 0.05;
};

struct family_change {
  int at = 0; ///< incident from which it holds
  int context = 0;
  std::size_t candidate = 0;
  double shift = 0.0; ///< added to the candidate's effect in that context
};

class family_world {
public:
  family_world(std::uint64_t seed, int incidents);

  std::uint64_t seed() const { return seed_; }
  const family_parameters& parameters() const { return params_; }
  const std::vector<family_change>& changes() const { return changes_; }
  const std::vector<context_key>& contexts() const { return keys_; }
  const std::vector<candidate>& candidates(int context) const { return candidates_[context]; }
  const std::vector<scenario_incident>& incidents() const { return incidents_; }

  /// Mean effect (before clipping) of a context's candidate at incident t.
  double effect(int context, std::size_t candidate, int t) const;
  /// E[clip(effect + noise, -1, 1)] at incident t.
  double expected_reward(int context, std::size_t candidate, int t) const;
  /// The reward a learner observes for choosing `candidate` at incident t.
  double observed_reward(std::size_t candidate, int t) const;
  std::size_t best(int context, int t) const;
  /// Share of observed rewards of the best candidates that were clipped.
  double clipped_share() const;
  std::string describe() const;

private:
  std::uint64_t seed_;
  family_parameters params_;
  std::vector<context_key> keys_;
  std::vector<std::vector<candidate>> candidates_;
  std::vector<std::vector<double>> effects_; // [context][candidate], at incident 0
  std::vector<family_change> changes_;
  std::vector<scenario_incident> incidents_;
};

struct family_score {
  double regret = 0.0;
  std::size_t scored_picks = 0; ///< picks from each context's 21st incident on
  std::size_t best_picks = 0;   ///< of those, the best at the time
  std::size_t after_change_picks = 0;
  std::size_t after_change_best = 0;
  double after_change_regret = 0.0; ///< the part of regret in a context after its change
  double warmup_regret = 0.0;       ///< the part of regret in each context's first incidents
};

/// Plays every incident: deliver due rewards, ask the learner, schedule the
/// reward `delay` incidents later.
family_score run_family_world(const family_world& world, scenario_learner& learner,
                              int warmup_per_context = 20);

} // namespace grace::rl
