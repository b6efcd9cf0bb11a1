#include "bench/rl_agent/scenario_family.hpp"

#include "bench/rl_agent/reward_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <sstream>

namespace grace::rl {

namespace {

/// Index of the runner-up (second highest).
std::size_t runner_up(const std::vector<double>& v) {
  const auto b = argmax(v);
  std::size_t r = b == 0 ? 1 : 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (i != b && v[i] > v[r])
      r = i;
  return r;
}

/// The first candidate is not the best and the best leads by `gap`.
bool acceptable(const std::vector<double>& v, double gap) {
  const auto b = argmax(v);
  return b != 0 && v[b] - v[runner_up(v)] >= gap;
}

} // namespace

family_world::family_world(std::uint64_t seed, int incidents) : seed_(seed) {
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + 17);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto integer = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

  auto& p = params_;
  p.noise_sd = uniform(0.15, 0.5);
  p.effect_centre = uniform(-0.3, 0.4);
  p.effect_half_width = uniform(0.1, 0.6);
  p.context_sd = uniform(0.05, 0.3);
  p.contexts = integer(6, 20);
  p.min_candidates = integer(2, 4);
  p.max_candidates = integer(p.min_candidates, 6);
  p.playbooks = integer(std::max(6, p.max_candidates), 14);
  p.sparse_contexts = integer(0, std::min(3, p.contexts - 3));
  p.max_delay = integer(0, 40);

  std::vector<double> global(p.playbooks);
  for (auto& g : global)
    g = uniform(p.effect_centre - p.effect_half_width, p.effect_centre + p.effect_half_width);
  std::normal_distribution<double> deviation(0.0, p.context_sd);
  std::vector<int> catalog(p.playbooks);
  std::iota(catalog.begin(), catalog.end(), 0);
  for (int c = 0; c < p.contexts; ++c) {
    char service[32], diagnosis[32];
    std::snprintf(service, sizeof service, "svc-%d", c);
    std::snprintf(diagnosis, sizeof diagnosis, "diag-%d", c % 4);
    keys_.push_back({service, diagnosis});
    const int k = integer(p.min_candidates, p.max_candidates);
    for (;;) {
      std::shuffle(catalog.begin(), catalog.end(), rng);
      std::vector<int> chosen(catalog.begin(), catalog.begin() + k);
      std::sort(chosen.begin(), chosen.end());
      std::vector<double> e;
      for (int pb : chosen)
        e.push_back(global[pb] + deviation(rng));
      if (!acceptable(e, p.min_gap))
        continue;
      std::vector<candidate> cands;
      for (int pb : chosen) {
        char name[32];
        std::snprintf(name, sizeof name, "pb-%02d", pb);
        cands.push_back({name, 1 + pb % 3});
      }
      candidates_.push_back(std::move(cands));
      effects_.push_back(std::move(e));
      break;
    }
  }

  // Change points, in time order, each in a context of 3 or more candidates
  // (with 2, the only other is the first, which must not become best).
  std::vector<int> changeable;
  for (int c = p.sparse_contexts; c < p.contexts; ++c)
    if (candidates_[c].size() >= 3)
      changeable.push_back(c);
  const int wanted = changeable.empty() ? 0 : integer(0, 2);
  std::vector<int> times;
  for (int i = 0; i < wanted; ++i)
    times.push_back(integer(incidents / 5, incidents * 4 / 5));
  std::sort(times.begin(), times.end());
  for (int at : times) {
    const int c = changeable[integer(0, static_cast<int>(changeable.size()) - 1)];
    std::vector<double> now(candidates_[c].size());
    for (std::size_t i = 0; i < now.size(); ++i)
      now[i] = effect(c, i, at);
    const auto b = argmax(now);
    const auto r = runner_up(now);
    family_change ch{at, c, b, 0.0};
    if (r != 0 && integer(0, 1) == 0) {
      // The best stops working: it falls below the runner-up.
      ch.shift = -(now[b] - now[r] + p.min_gap + uniform(0.0, 0.4));
    } else {
      // Another playbook (not the first) starts working better than the best.
      std::vector<std::size_t> others;
      for (std::size_t i = 1; i < now.size(); ++i)
        if (i != b)
          others.push_back(i);
      ch.candidate = others[integer(0, static_cast<int>(others.size()) - 1)];
      ch.shift = now[b] - now[ch.candidate] + p.min_gap + uniform(0.0, 0.3);
    }
    changes_.push_back(ch);
  }

  // Context frequencies: dense ones vary about two-fold; the first
  // sparse_contexts see about 10..40 incidents each.
  std::vector<double> weight(p.contexts);
  double sparse_total = 0.0;
  for (int c = 0; c < p.sparse_contexts; ++c) {
    weight[c] = uniform(10.0, 40.0) / incidents;
    sparse_total += weight[c];
  }
  double dense_total = 0.0;
  for (int c = p.sparse_contexts; c < p.contexts; ++c)
    dense_total += weight[c] = std::exp(std::normal_distribution<double>(0.0, 0.4)(rng));
  for (int c = p.sparse_contexts; c < p.contexts; ++c)
    weight[c] *= (1.0 - sparse_total) / dense_total;
  std::discrete_distribution<int> which(weight.begin(), weight.end());
  std::uniform_int_distribution<int> delay(0, p.max_delay);
  std::normal_distribution<double> noise(0.0, p.noise_sd);
  for (int t = 0; t < incidents; ++t) {
    scenario_incident i;
    i.context = which(rng);
    i.noise = noise(rng);
    i.delay = delay(rng);
    incidents_.push_back(i);
  }
}

double family_world::effect(int context, std::size_t candidate, int t) const {
  double e = effects_[context][candidate];
  for (const auto& ch : changes_)
    if (ch.context == context && ch.candidate == candidate && t >= ch.at)
      e += ch.shift;
  return e;
}

double family_world::expected_reward(int context, std::size_t candidate, int t) const {
  return expected_clipped(effect(context, candidate, t), params_.noise_sd);
}

double family_world::observed_reward(std::size_t candidate, int t) const {
  const auto& i = incidents_[t];
  return std::clamp(effect(i.context, candidate, t) + i.noise, -1.0, 1.0);
}

std::size_t family_world::best(int context, int t) const {
  std::size_t b = 0;
  for (std::size_t i = 1; i < candidates_[context].size(); ++i)
    if (effect(context, i, t) > effect(context, b, t))
      b = i;
  return b;
}

double family_world::clipped_share() const {
  std::size_t clipped = 0;
  for (std::size_t t = 0; t < incidents_.size(); ++t) {
    const auto& i = incidents_[t];
    const double raw =
        effect(i.context, best(i.context, static_cast<int>(t)), static_cast<int>(t)) + i.noise;
    clipped += std::abs(raw) > 1.0;
  }
  return incidents_.empty() ? 0.0 : static_cast<double>(clipped) / incidents_.size();
}

std::string family_world::describe() const {
  const auto& p = params_;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "noise %.2f, effects %.2f+-%.2f, context sd %.2f, %d contexts (%d sparse), "
                "%d..%d of %d playbooks, %zu change(s), delay 0..%d, best clipped %.0f%%",
                p.noise_sd, p.effect_centre, p.effect_half_width, p.context_sd, p.contexts,
                p.sparse_contexts, p.min_candidates, p.max_candidates, p.playbooks, changes_.size(),
                p.max_delay, 100.0 * clipped_share());
  std::string out = buf;
  for (const auto& ch : changes_) {
    std::snprintf(buf, sizeof buf, "; at %d context %d candidate %zu %+.2f", ch.at, ch.context,
                  ch.candidate, ch.shift);
    out += buf;
  }
  return out;
}

family_score run_family_world(const family_world& world, scenario_learner& learner,
                              int warmup_per_context) {
  const auto& incidents = world.incidents();
  const int n = static_cast<int>(incidents.size());
  std::vector<std::vector<std::pair<std::string, double>>> due(n + 1);
  std::vector<int> seen(world.contexts().size(), 0);
  family_score score;
  for (int t = 0; t < n; ++t) {
    for (auto& [ticket, reward] : due[t])
      learner.learn(ticket, reward);
    due[t].clear();
    const auto& inc = incidents[t];
    std::string ticket;
    const auto chosen = learner.choose(inc.context, world.contexts()[inc.context],
                                       world.candidates(inc.context), ticket);
    const auto best = world.best(inc.context, t);
    const double loss =
        world.expected_reward(inc.context, best, t) - world.expected_reward(inc.context, chosen, t);
    score.regret += loss;
    if (seen[inc.context]++ >= warmup_per_context) {
      ++score.scored_picks;
      score.best_picks += chosen == best;
    } else {
      score.warmup_regret += loss;
    }
    for (const auto& ch : world.changes())
      if (ch.context == inc.context && t >= ch.at) {
        ++score.after_change_picks;
        score.after_change_best += chosen == best;
        score.after_change_regret += loss;
        break;
      }
    const int at = std::min(n, t + 1 + inc.delay);
    due[at].emplace_back(std::move(ticket), world.observed_reward(chosen, t));
  }
  return score;
}

} // namespace grace::rl
