#include "bench/rl_agent/scenario_world.hpp"

#include "bench/rl_agent/reward_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

namespace grace::rl {

namespace {

/// True when the best is not the first candidate and beats the runner-up by `gap`.
bool acceptable(const std::vector<double>& v, double gap) {
  const auto b = argmax(v);
  if (b == 0)
    return false;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (i != b && v[b] - v[i] < gap)
      return false;
  return true;
}

} // namespace

scenario_world::scenario_world(const scenario_config& cfg) : cfg_(cfg) {
  std::mt19937_64 rng(cfg.seed);
  std::uniform_real_distribution<double> effect(cfg.effect_low, cfg.effect_high);
  std::normal_distribution<double> spread(0.0, cfg.context_spread);
  std::vector<double> global(cfg.playbooks);
  for (auto& g : global)
    g = effect(rng);

  std::vector<int> catalog(cfg.playbooks);
  for (int i = 0; i < cfg.playbooks; ++i)
    catalog[i] = i;
  for (int c = 0; c < cfg.contexts; ++c) {
    char service[32], diagnosis[32];
    std::snprintf(service, sizeof service, "svc-%d", c);
    std::snprintf(diagnosis, sizeof diagnosis, "diag-%d", c % 3);
    keys_.push_back({service, diagnosis});
    // Draw the context's playbooks until the catalog's first is not the best
    // and the best is clearly best (also after the change, for context 0).
    for (;;) {
      std::shuffle(catalog.begin(), catalog.end(), rng);
      std::vector<int> chosen(catalog.begin(), catalog.begin() + cfg.candidates_per_context);
      std::sort(chosen.begin(), chosen.end());
      std::vector<double> e;
      for (int p : chosen)
        e.push_back(global[p] + spread(rng));
      if (!acceptable(e, cfg.min_gap))
        continue;
      if (c == 0) {
        auto after = e;
        after[argmax(e)] -= cfg.change_drop;
        if (!acceptable(after, cfg.min_gap) || argmax(after) == argmax(e))
          continue;
        changed_candidate_ = argmax(e);
      }
      std::vector<candidate> cands;
      for (int p : chosen) {
        char name[32];
        std::snprintf(name, sizeof name, "pb-%02d", p);
        cands.push_back({name, 1 + p % 3});
      }
      candidates_.push_back(std::move(cands));
      effects_.push_back(std::move(e));
      break;
    }
  }

  std::uniform_int_distribution<int> which(0, cfg.contexts - 1);
  std::uniform_int_distribution<int> delay(0, cfg.max_delay);
  std::normal_distribution<double> noise(0.0, cfg.noise_sd);
  for (int t = 0; t < cfg.incidents; ++t) {
    scenario_incident i;
    i.context = which(rng);
    i.noise = noise(rng);
    i.delay = delay(rng);
    incidents_.push_back(i);
  }
}

double scenario_world::effect(int context, std::size_t candidate, int t) const {
  double e = effects_[context][candidate];
  if (context == 0 && candidate == changed_candidate_ && t >= cfg_.change_at)
    e -= cfg_.change_drop;
  return e;
}

double scenario_world::expected_reward(int context, std::size_t candidate, int t) const {
  return expected_clipped(effect(context, candidate, t), cfg_.noise_sd);
}

double scenario_world::observed_reward(std::size_t candidate, int t) const {
  const auto& i = incidents_[t];
  return std::clamp(effect(i.context, candidate, t) + i.noise, -1.0, 1.0);
}

std::size_t scenario_world::best(int context, int t) const {
  std::size_t b = 0;
  for (std::size_t i = 1; i < candidates_[context].size(); ++i)
    if (effect(context, i, t) > effect(context, b, t))
      b = i;
  return b;
}

} // namespace grace::rl
