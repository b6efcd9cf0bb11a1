// Playbook learning across a family of worlds (bench/rl_agent/scenario_family.hpp,
// docs/evaluation/learning.md "The family"): per world seed, the agent and the
// two anchors (greedy EMA 0.3, Gaussian Thompson per context) play the same
// world and noise; per learner it prints the median and the worst decile
// (90th percentile) over worlds of regret / the better anchor's, and best picks
// after 20 incidents per context.
//
//   rl-family --first-seed 1001 --worlds 100 [--agent-config JSON] [--per-world]
//             [--agent-seed-offset N]
//
// Tune on training seeds (1..200 by convention) and report on held-out ones
// (1001.. by convention) never used for tuning.
#include "bench/rl_agent/scenario_family.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace grace::rl;

namespace {

/// The q-quantile by linear interpolation between order statistics.
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v)
    s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

struct entry {
  std::string name;
  std::string key;
  std::function<std::unique_ptr<scenario_learner>(const family_world&)> make;
};

struct tally {
  std::vector<double> ratio, share, regret, adapt;
  std::size_t scored = 0, best = 0;
};

} // namespace

int run(int argc, char** argv) {
  CLI::App app{"GRACE playbook learning across a family of random worlds"};
  std::uint64_t first_seed = 1001;
  int worlds = 100;
  int incidents = 3000;
  std::string overrides = "{}";
  std::string policy = "hierarchical_thompson";
  bool per_world = false;
  bool describe = false;
  std::uint64_t agent_seed_offset = 0;
  app.add_option("--first-seed", first_seed, "first world seed");
  app.add_option("--worlds", worlds, "number of worlds (seeds first-seed, first-seed+1, ...)");
  app.add_option("--incidents", incidents, "incidents per world");
  app.add_option("--policy", policy, "the agent's policy");
  app.add_option("--agent-config", overrides, "agent config overrides as JSON");
  app.add_flag("--per-world", per_world,
               "print per-world,<seed>,<learner>,<regret>,<ratio>,<best-pick share>,"
               "<regret after a change>,<regret in each context's first 20>");
  app.add_flag("--describe", describe, "print each world's drawn parameters");
  app.add_option("--agent-seed-offset", agent_seed_offset,
                 "added to the agent's seed in every world: the same worlds, other luck");
  CLI11_PARSE(app, argc, argv);
  if (worlds < 1 || incidents < 1) {
    std::fprintf(stderr, "rl-family: --worlds and --incidents must be positive\n");
    return 2;
  }
  // Validate the overrides once, before any world runs.
  {
    auto j = nlohmann::json::parse(overrides);
    j["policy"] = policy;
    config_from_json(j);
  }

  const std::vector<entry> learners = {
      {"agent (" + policy + ")", "agent",
       [&](const family_world& w) {
         auto j = nlohmann::json::parse(overrides);
         j["policy"] = policy;
         j["seed"] = w.seed() * 7919 + 1 + agent_seed_offset;
         return std::make_unique<agent_learner>(config_from_json(j));
       }},
      {"greedy-EMA 0.3 (seed rule)", "greedy_ema",
       [](const family_world&) { return std::make_unique<greedy_ema_anchor>(0.3); }},
      {"Thompson per context, Gaussian, noise sd = world's", "ts_gaussian",
       [](const family_world& w) {
         const double sd = w.parameters().noise_sd;
         return std::make_unique<gaussian_thompson_anchor>(w.seed() * 15485863 + 5, sd * sd);
       }},
  };
  const std::size_t first_anchor = 1;

  std::vector<tally> tallies(learners.size());
  for (int k = 0; k < worlds; ++k) {
    const family_world w(first_seed + static_cast<std::uint64_t>(k), incidents);
    if (describe)
      std::printf("world %llu: %s\n", static_cast<unsigned long long>(w.seed()),
                  w.describe().c_str());
    std::vector<family_score> scores;
    for (const auto& l : learners) {
      auto learner = l.make(w);
      scores.push_back(run_family_world(w, *learner));
    }
    double better = INFINITY;
    for (std::size_t i = first_anchor; i < learners.size(); ++i)
      better = std::min(better, scores[i].regret);
    for (std::size_t i = 0; i < learners.size(); ++i) {
      const auto& s = scores[i];
      auto& t = tallies[i];
      const double ratio = s.regret / std::max(better, 1e-9);
      const double share =
          s.scored_picks ? static_cast<double>(s.best_picks) / s.scored_picks : 1.0;
      t.ratio.push_back(ratio);
      t.share.push_back(share);
      t.regret.push_back(s.regret);
      if (s.after_change_picks)
        t.adapt.push_back(static_cast<double>(s.after_change_best) / s.after_change_picks);
      t.scored += s.scored_picks;
      t.best += s.best_picks;
      if (per_world)
        std::printf("per-world,%llu,%s,%.4f,%.4f,%.4f,%.4f,%.4f\n",
                    static_cast<unsigned long long>(w.seed()), learners[i].key.c_str(), s.regret,
                    ratio, share, s.after_change_regret, s.warmup_regret);
    }
  }

  std::printf("%d family worlds, seeds %llu..%llu, %d incidents each\n\n", worlds,
              static_cast<unsigned long long>(first_seed),
              static_cast<unsigned long long>(first_seed + worlds - 1), incidents);
  std::printf("| learner | regret / better anchor: median | worst decile (p90) | mean | "
              "best picks after 20 (all picks) | best picks, worst decile of worlds (p10) | "
              "regret (mean) | best picks after a change |\n|---|---|---|---|---|---|---|---|\n");
  for (std::size_t i = 0; i < learners.size(); ++i) {
    const auto& t = tallies[i];
    const std::string adapt =
        t.adapt.empty() ? "-" : std::to_string(std::lround(100.0 * mean(t.adapt))) + "%";
    std::printf("| %s | %.3f | %.3f | %.3f | %.1f%% | %.1f%% | %.1f | %s |\n",
                learners[i].name.c_str(), quantile(t.ratio, 0.5), quantile(t.ratio, 0.9),
                mean(t.ratio),
                100.0 * static_cast<double>(t.best) / std::max<std::size_t>(1, t.scored),
                100.0 * quantile(t.share, 0.1), mean(t.regret), adapt.c_str());
  }
  const auto& a = tallies[0];
  std::printf("\nagent: median ratio %.3f (target <= 0.8), worst decile %.3f (target <= 1.0), "
              "best picks %.1f%% (target >= 85%%)\n",
              quantile(a.ratio, 0.5), quantile(a.ratio, 0.9),
              100.0 * static_cast<double>(a.best) / std::max<std::size_t>(1, a.scored));
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rl-family: %s\n", e.what());
    return 1;
  }
}
