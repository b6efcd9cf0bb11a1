// Playbook-learning evaluation (EVALUATION.md section 3): plays the scenario
// world over many seeds against the agent and the anchors and prints, per
// learner, the share of best picks after 20 incidents per context and the
// cumulative regret, as mean and standard deviation over seeds.
//
// With --via URL the agent is a running grace-node, driven through its REST
// API exactly as an external executor would (rest_learner); the anchors stay
// in process on the same world and noise. --write-catalog writes the metrics
// catalog such a node needs for a world. rest_scenario.sh runs both per seed.
#include "actors/rl_agent/off_policy_evaluation.hpp"
#include "bench/rl_agent/rest_learner.hpp"
#include "bench/rl_agent/scenario_catalog.hpp"
#include "bench/rl_agent/scenario_runner.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace grace::rl;

namespace {

std::pair<double, double> mean_sd(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v)
    m += x;
  m /= static_cast<double>(v.size());
  double s = 0.0;
  for (double x : v)
    s += (x - m) * (x - m);
  return {m, v.size() > 1 ? std::sqrt(s / static_cast<double>(v.size() - 1)) : 0.0};
}

struct tally {
  std::vector<double> share, regret, adapt, early;
};

/// Remembers at which incident each of the agent's events was recommended,
/// so the true value of a target policy on the logged incidents is known.
class recording_learner : public scenario_learner {
public:
  explicit recording_learner(agent_config cfg) : inner_(std::move(cfg)) {}
  std::size_t choose(int context, const context_key& key, const std::vector<candidate>& candidates,
                     std::string& ticket) override {
    const auto i = inner_.choose(context, key, candidates, ticket);
    incident_of[ticket] = {t_++, context};
    return i;
  }
  void learn(const std::string& ticket, double reward) override { inner_.learn(ticket, reward); }
  const agent& core() const { return inner_.core(); }
  std::map<std::string, std::pair<int, int>> incident_of; // event id -> (t, context)

private:
  agent_learner inner_;
  int t_ = 0;
};

/// Off-policy evaluation check: on the agent's own log in a stationary world,
/// estimate three frozen target policies and compare with their true value.
void ope_check(const scenario_config& base, int seeds, std::uint64_t first_seed,
               const std::string& overrides) {
  const char* names[] = {"greedy on the agent's final posterior means",
                         "greedy-EMA (frozen values)", "uniform over the candidates"};
  struct acc {
    double err[3] = {0, 0, 0};
    int covered[3] = {0, 0, 0};
    double width[3] = {0, 0, 0};
    double truth = 0;
  } stats[3];
  for (int k = 0; k < seeds; ++k) {
    auto cfg = base;
    cfg.seed = first_seed + static_cast<std::uint64_t>(k);
    cfg.change_at = cfg.incidents; // stationary: a frozen policy has one true value
    const scenario_world w(cfg);
    auto j = nlohmann::json::parse(overrides);
    j["seed"] = cfg.seed * 7919 + 1;
    recording_learner learner(config_from_json(j));
    run_scenario(w, learner);
    const auto log = learner.core().experiences().to_vector();
    std::map<context_key, std::map<std::string, double>> means;
    for (const auto& c : learner.core().policies())
      for (const auto& a : c.arms)
        means[c.context][a.playbook] = a.value;
    const target_policy targets[] = {greedy_policy(means), greedy_ema_policy(learner.core()),
                                     uniform_policy()};
    for (int p = 0; p < 3; ++p) {
      double truth = 0.0;
      for (const auto& e : log) {
        const auto [t, ctx] = learner.incident_of.at(e.event_id);
        const auto& cands = w.candidates(ctx);
        for (const auto& [playbook, prob] : targets[p](e))
          for (std::size_t i = 0; i < cands.size(); ++i)
            if (cands[i].playbook == playbook)
              truth += prob * w.expected_reward(ctx, i, t);
      }
      truth /= static_cast<double>(log.size());
      const auto r = evaluate_off_policy(log, targets[p]);
      const interval_estimate* est[] = {&r.ips, &r.snips, &r.dr};
      stats[p].truth += truth / seeds;
      for (int m = 0; m < 3; ++m) {
        stats[p].err[m] += std::abs(est[m]->value - truth) / seeds;
        stats[p].covered[m] += est[m]->low <= truth && truth <= est[m]->high;
        stats[p].width[m] += (est[m]->high - est[m]->low) / seeds;
      }
    }
  }
  std::printf("\nOff-policy evaluation on the agent's own log (%d stationary worlds, %d incidents "
              "each). Per estimator: mean absolute error, 95%% interval coverage, mean interval "
              "width.\n\n| target policy | true value (mean) | IPS | SNIPS | DR |\n"
              "|---|---|---|---|---|\n",
              seeds, base.incidents);
  for (int p = 0; p < 3; ++p) {
    std::printf("| %s | %.3f |", names[p], stats[p].truth);
    for (int m = 0; m < 3; ++m)
      std::printf(" %.3f, %d/%d, %.3f |", stats[p].err[m], stats[p].covered[m], seeds,
                  stats[p].width[m]);
    std::printf("\n");
  }
}

using factory = std::function<std::unique_ptr<scenario_learner>(std::uint64_t)>;

struct entry {
  std::string name;
  std::string key; ///< short name for --per-seed lines
  bool anchor;
  factory make;
};

factory agent_factory(const std::string& policy, const std::string& overrides) {
  return [policy, overrides](std::uint64_t seed) {
    auto j = nlohmann::json::parse(overrides);
    j["policy"] = policy;
    j["seed"] = seed * 7919 + 1;
    return std::make_unique<agent_learner>(config_from_json(j));
  };
}

} // namespace

int run(int argc, char** argv) {
  CLI::App app{"GRACE playbook-learning scenario: agent versus anchors"};
  int seeds = 20;
  std::uint64_t first_seed = 1;
  scenario_config world;
  std::string policy = "hierarchical_thompson";
  std::string overrides = "{}";
  bool all = false;
  bool ope = false;
  bool per_seed = false;
  std::string catalog_file, via, token;
  app.add_option("--seeds", seeds, "number of seeds (worlds) to average over");
  app.add_option("--first-seed", first_seed, "first world seed");
  app.add_option("--incidents", world.incidents, "incidents per run");
  app.add_option("--contexts", world.contexts, "contexts");
  app.add_option("--noise", world.noise_sd, "reward noise standard deviation");
  app.add_option("--effect-low", world.effect_low, "lowest playbook mean effect");
  app.add_option("--effect-high", world.effect_high, "highest playbook mean effect");
  app.add_option("--spread", world.context_spread, "sd of a playbook's per-context deviation");
  app.add_option("--min-gap", world.min_gap, "best minus runner-up, at least");
  app.add_option("--change-drop", world.change_drop, "how much the changed playbook loses");
  app.add_option("--max-delay", world.max_delay, "maximum reward delay in incidents");
  app.add_option("--policy", policy, "the agent's policy");
  app.add_option("--agent-config", overrides,
                 "agent config overrides as JSON, e.g. '{\"discount\": 1.0}'");
  app.add_flag("--ope", ope, "also check off-policy evaluation against the known truth");
  app.add_flag("--all", all, "also run the agent's other policies");
  app.add_flag("--per-seed", per_seed,
               "also print one line per seed and learner: per-seed,<seed>,<learner>,<best-pick "
               "share>,<regret>");
  app.add_option("--write-catalog", catalog_file,
                 "write the metrics catalog of world --first-seed to FILE and exit");
  app.add_option("--via", via,
                 "drive the agent of a running grace-node at URL (http://host:port) through its "
                 "REST API instead of in process; needs --seeds 1 and a node that has learned "
                 "nothing yet, whose catalog --write-catalog wrote for the same seed");
  app.add_option("--token", token, "the node's http.token, for --via");
  CLI11_PARSE(app, argc, argv);

  if (!catalog_file.empty()) {
    auto cfg = world;
    cfg.seed = first_seed;
    write_scenario_catalog(scenario_world(cfg), catalog_file);
    std::printf("wrote %s (world seed %llu)\n", catalog_file.c_str(),
                static_cast<unsigned long long>(first_seed));
    return 0;
  }

  entry agent_entry{"agent (" + policy + ")", "agent", false, agent_factory(policy, overrides)};
  if (!via.empty()) {
    if (seeds != 1 || all || ope) {
      std::fprintf(stderr, "rl-scenario: --via plays one world against one fresh node: use "
                           "--seeds 1, without --all or --ope\n");
      return 2;
    }
    rest_learner probe(via, token);
    const auto stats = probe.statistics();
    if (stats.value("recommendations", 0) != 0 || stats.value("contexts", 0) != 0) {
      std::fprintf(stderr,
                   "rl-scenario: the node at %s has already learned (%s); start it with an "
                   "empty node.data_dir\n",
                   via.c_str(), stats.dump().c_str());
      return 1;
    }
    agent_entry = {
        "agent via REST (" + stats.value("policy", std::string("?")) + ")", "agent", false,
        [via, token](std::uint64_t) { return std::make_unique<rest_learner>(via, token); }};
  }

  std::vector<entry> learners = {
      agent_entry,
      {"greedy-EMA 0.3 (seed rule)", "greedy_ema", true,
       [](std::uint64_t) { return std::make_unique<greedy_ema_anchor>(0.3); }},
      {"Thompson per context, Gaussian, noise sd = world's", "ts_gaussian_world", true,
       [&](std::uint64_t s) {
         return std::make_unique<gaussian_thompson_anchor>(s * 15485863 + 5,
                                                           world.noise_sd * world.noise_sd);
       }},
      {"Thompson per context, Gaussian, noise sd 1", "ts_gaussian_1", true,
       [](std::uint64_t s) {
         return std::make_unique<gaussian_thompson_anchor>(s * 15485863 + 5, 1.0);
       }},
      {"Thompson per context, Beta-Bernoulli", "ts_beta", true,
       [](std::uint64_t s) { return std::make_unique<beta_thompson_anchor>(s * 104729 + 3); }},
  };
  if (all)
    for (const char* p : {"thompson", "greedy_ema"})
      learners.push_back({std::string("agent (") + p + ")", std::string("agent_") + p, false,
                          agent_factory(p, "{}")});

  std::vector<tally> tallies(learners.size());
  for (int k = 0; k < seeds; ++k) {
    auto cfg = world;
    cfg.seed = first_seed + static_cast<std::uint64_t>(k);
    const scenario_world w(cfg);
    for (std::size_t i = 0; i < learners.size(); ++i) {
      auto learner = learners[i].make(cfg.seed);
      const auto s = run_scenario(w, *learner);
      tallies[i].share.push_back(s.best_pick_share);
      tallies[i].regret.push_back(s.regret);
      tallies[i].adapt.push_back(s.best_pick_share_after_change);
      tallies[i].early.push_back(s.best_pick_share_next_20);
      if (per_seed)
        std::printf("per-seed,%llu,%s,%.6f,%.6f\n", static_cast<unsigned long long>(cfg.seed),
                    learners[i].key.c_str(), s.best_pick_share, s.regret);
    }
  }
  std::printf("%d worlds (seeds %llu..%llu): %d incidents, %d contexts x %d of %d playbooks, "
              "effects U[%.2f, %.2f] + N(0, %.2f) per context, noise sd %.2f, gap >= %.2f, "
              "delay 0..%d, context 0's best drops %.2f at incident %d\n",
              seeds, static_cast<unsigned long long>(first_seed),
              static_cast<unsigned long long>(first_seed + seeds - 1), world.incidents,
              world.contexts, world.candidates_per_context, world.playbooks, world.effect_low,
              world.effect_high, world.context_spread, world.noise_sd, world.min_gap,
              world.max_delay, world.change_drop, world.change_at);
  std::printf("\n| learner | best picks after 20 per context | regret over %d incidents | "
              "best picks at a context's incidents 21-40 | best picks in context 0 after the "
              "change |\n|---|---|---|---|---|\n",
              world.incidents);
  double best_anchor = INFINITY;
  std::string best_anchor_name;
  for (std::size_t i = 0; i < learners.size(); ++i) {
    const auto [sm, ss] = mean_sd(tallies[i].share);
    const auto [rm, rs] = mean_sd(tallies[i].regret);
    const auto [am, as] = mean_sd(tallies[i].adapt);
    const auto [em, es] = mean_sd(tallies[i].early);
    std::printf("| %s | %.1f%% ± %.1f | %.1f ± %.1f | %.1f%% ± %.1f | %.1f%% ± %.1f |\n",
                learners[i].name.c_str(), 100 * sm, 100 * ss, rm, rs, 100 * em, 100 * es, 100 * am,
                100 * as);
    if (learners[i].anchor && rm < best_anchor) {
      best_anchor = rm;
      best_anchor_name = learners[i].name;
    }
  }
  const double agent_regret = mean_sd(tallies[0].regret).first;
  const double agent_share = mean_sd(tallies[0].share).first;
  std::printf("\nagent regret / best anchor's (%s) = %.3f (target <= 0.8); agent best picks "
              "%.1f%% (target >= 85%%)\n",
              best_anchor_name.c_str(), agent_regret / best_anchor, 100 * agent_share);
  if (ope)
    ope_check(world, seeds, first_seed, overrides);
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rl-scenario: %s\n", e.what());
    return 1;
  }
}
