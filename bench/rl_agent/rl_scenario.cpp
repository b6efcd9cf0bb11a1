// Playbook-learning evaluation (EVALUATION.md section 3): plays the scenario
// world over many seeds against the agent and the anchors and prints, per
// learner, the share of best picks after 20 incidents per context and the
// cumulative regret, as mean and standard deviation over seeds.
#include "actors/rl_agent/scenario_runner.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace grace::rl;

namespace {

struct tally {
  std::vector<double> share, regret, adapt;
  static std::pair<double, double> mean_sd(const std::vector<double>& v) {
    double m = 0.0;
    for (double x : v)
      m += x;
    m /= static_cast<double>(v.size());
    double s = 0.0;
    for (double x : v)
      s += (x - m) * (x - m);
    return {m, v.size() > 1 ? std::sqrt(s / static_cast<double>(v.size() - 1)) : 0.0};
  }
};

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"GRACE playbook-learning scenario: agent versus anchors"};
  int seeds = 20;
  std::uint64_t first_seed = 1;
  scenario_config world_cfg;
  std::string policy = "hierarchical_thompson";
  bool all = false;
  app.add_option("--seeds", seeds, "number of seeds (worlds) to average over");
  app.add_option("--first-seed", first_seed, "first world seed");
  app.add_option("--incidents", world_cfg.incidents, "incidents per run");
  app.add_option("--contexts", world_cfg.contexts, "contexts");
  app.add_option("--noise", world_cfg.noise_sd, "reward noise standard deviation");
  app.add_option("--effect-low", world_cfg.effect_low, "lowest playbook mean effect");
  app.add_option("--effect-high", world_cfg.effect_high, "highest playbook mean effect");
  app.add_option("--spread", world_cfg.context_spread, "sd of a playbook's per-context deviation");
  app.add_option("--min-gap", world_cfg.min_gap, "best minus runner-up, at least");
  app.add_option("--change-drop", world_cfg.change_drop, "how much the changed playbook loses");
  app.add_option("--max-delay", world_cfg.max_delay, "maximum reward delay in incidents");
  app.add_option("--policy", policy, "the agent's policy");
  app.add_flag("--all", all, "also print the extra reference learners");
  CLI11_PARSE(app, argc, argv);

  using factory = std::function<std::unique_ptr<scenario_learner>(std::uint64_t)>;
  std::vector<std::pair<std::string, factory>> learners = {
      {"agent (" + policy + ")",
       [&](std::uint64_t s) {
         agent_config c;
         c.policy = parse_policy_kind(policy);
         c.seed = s * 7919 + 1;
         return std::make_unique<agent_learner>(c);
       }},
      {"greedy-EMA 0.3 (seed rule)",
       [](std::uint64_t) { return std::make_unique<greedy_ema_anchor>(0.3); }},
      {"Thompson per context, Beta",
       [](std::uint64_t s) { return std::make_unique<beta_thompson_anchor>(s * 104729 + 3); }},
      {"Thompson per context, Gaussian",
       [](std::uint64_t s) {
         return std::make_unique<gaussian_thompson_anchor>(s * 15485863 + 5, 1.0);
       }},
  };
  if (all) {
    learners.push_back(
        {"Thompson per context, Gaussian, true noise (oracle)", [&](std::uint64_t s) {
           return std::make_unique<gaussian_thompson_anchor>(
               s * 15485863 + 5, world_cfg.noise_sd * world_cfg.noise_sd);
         }});
    for (const char* p : {"thompson", "greedy_ema"})
      learners.push_back({std::string("agent (") + p + ")", [p](std::uint64_t s) {
                            agent_config c;
                            c.policy = parse_policy_kind(p);
                            c.seed = s * 7919 + 1;
                            return std::make_unique<agent_learner>(c);
                          }});
  }

  std::vector<tally> tallies(learners.size());
  for (int k = 0; k < seeds; ++k) {
    auto cfg = world_cfg;
    cfg.seed = first_seed + static_cast<std::uint64_t>(k);
    const scenario_world world(cfg);
    for (std::size_t i = 0; i < learners.size(); ++i) {
      auto learner = learners[i].second(cfg.seed);
      const auto s = run_scenario(world, *learner);
      tallies[i].share.push_back(s.best_pick_share);
      tallies[i].regret.push_back(s.regret);
      tallies[i].adapt.push_back(s.best_pick_share_after_change);
    }
  }
  std::printf(
      "worlds: %d seeds from %llu, %d incidents, %d contexts x %d candidates, noise sd %.2f, "
      "delay 0..%d, change at %d\n",
      seeds, static_cast<unsigned long long>(first_seed), world_cfg.incidents, world_cfg.contexts,
      world_cfg.candidates_per_context, world_cfg.noise_sd, world_cfg.max_delay,
      world_cfg.change_at);
  std::printf(
      "| learner | best picks after 20/context | regret over %d | best picks in the changed "
      "context after the change |\n|---|---|---|---|\n",
      world_cfg.incidents);
  for (std::size_t i = 0; i < learners.size(); ++i) {
    const auto [sm, ss] = tally::mean_sd(tallies[i].share);
    const auto [rm, rs] = tally::mean_sd(tallies[i].regret);
    const auto [am, as] = tally::mean_sd(tallies[i].adapt);
    std::printf("| %s | %.1f%% ± %.1f | %.1f ± %.1f | %.1f%% ± %.1f |\n", learners[i].first.c_str(),
                100 * sm, 100 * ss, rm, rs, 100 * am, 100 * as);
  }
  const auto agent_regret = tally::mean_sd(tallies[0].regret).first;
  double best_anchor = INFINITY;
  for (std::size_t i = 1; i < 4; ++i)
    best_anchor = std::min(best_anchor, tally::mean_sd(tallies[i].regret).first);
  std::printf("agent regret / best anchor regret = %.3f (target <= 0.8)\n",
              agent_regret / best_anchor);
  return 0;
}
