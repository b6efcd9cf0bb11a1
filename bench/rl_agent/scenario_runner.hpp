// Plays a scenario_world against a learner and scores it: share of
// best-playbook picks once a context has seen 20 incidents, and cumulative
// (expected) regret. The anchors the agent is compared with live here too,
// written from their textbook definitions and independent of the agent.
#pragma once

#include "actors/rl_agent/agent.hpp"
#include "bench/rl_agent/scenario_world.hpp"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace grace::rl {

/// Anything that picks a candidate and later hears its reward.
class scenario_learner {
public:
  virtual ~scenario_learner() = default;
  /// Index into `candidates`, plus a ticket to hand back with the reward.
  virtual std::size_t choose(int context, const context_key& key,
                             const std::vector<candidate>& candidates, std::string& ticket) = 0;
  virtual void learn(const std::string& ticket, double reward) = 0;
};

/// The agent, through its public API (recommend / reward).
class agent_learner : public scenario_learner {
public:
  explicit agent_learner(agent_config cfg) : agent_(std::move(cfg)) {}
  std::size_t choose(int context, const context_key& key, const std::vector<candidate>& candidates,
                     std::string& ticket) override;
  void learn(const std::string& ticket, double reward) override;
  const agent& core() const { return agent_; }

private:
  agent agent_;
};

/// Anchor 1, the product description's rule: per context a value per playbook starting at 0,
/// value <- 0.7 value + 0.3 reward, always the highest value (first on ties).
class greedy_ema_anchor : public scenario_learner {
public:
  explicit greedy_ema_anchor(double rate = 0.3) : rate_(rate) {}
  std::size_t choose(int context, const context_key& key, const std::vector<candidate>& candidates,
                     std::string& ticket) override;
  void learn(const std::string& ticket, double reward) override;

private:
  double rate_;
  std::vector<std::vector<double>> values_;
};

/// Anchor 2, plain Thompson sampling per context, Beta-Bernoulli form for
/// bounded rewards (Agrawal & Goyal): a reward r counts as a success with
/// probability (r + 1) / 2; Beta(1, 1) priors.
class beta_thompson_anchor : public scenario_learner {
public:
  explicit beta_thompson_anchor(std::uint64_t seed) : rng_(seed) {}
  std::size_t choose(int context, const context_key& key, const std::vector<candidate>& candidates,
                     std::string& ticket) override;
  void learn(const std::string& ticket, double reward) override;

private:
  std::mt19937_64 rng_;
  std::vector<std::vector<std::pair<double, double>>> beta_; // (alpha, beta)
};

/// Anchor 2', plain Gaussian Thompson sampling per context: draw from
/// N(sum / (n + 1), noise_var / (n + 1)). noise_var 1 is the textbook choice
/// for rewards in [-1, 1]; given the world's true noise it is an oracle-tuned
/// reference.
class gaussian_thompson_anchor : public scenario_learner {
public:
  gaussian_thompson_anchor(std::uint64_t seed, double noise_var) : rng_(seed), var_(noise_var) {}
  std::size_t choose(int context, const context_key& key, const std::vector<candidate>& candidates,
                     std::string& ticket) override;
  void learn(const std::string& ticket, double reward) override;

private:
  std::mt19937_64 rng_;
  double var_;
  std::vector<std::vector<std::pair<double, double>>> stats_; // (n, sum)
};

struct scenario_score {
  double best_pick_share = 0.0; ///< over incidents after a context's first 20
  double regret = 0.0;          ///< sum of expected best minus expected chosen
  std::size_t scored_picks = 0;
  /// Learning speed: share of best picks at a context's incidents 21..40.
  double best_pick_share_next_20 = 0.0;
  /// Context 0 after the change: share of best picks (adaptation).
  double best_pick_share_after_change = 0.0;
};

/// Plays every incident of the world: deliver due rewards, ask the learner,
/// schedule the reward `delay` incidents later.
scenario_score run_scenario(const scenario_world& world, scenario_learner& learner,
                            int warmup_per_context = 20);

} // namespace grace::rl
