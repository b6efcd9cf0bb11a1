#include "bench/rl_agent/scenario_runner.hpp"

#include <cmath>
#include <string>
#include <utility>

namespace grace::rl {

namespace {

std::string ticket_of(int context, std::size_t index) {
  return std::to_string(context) + ":" + std::to_string(index);
}

std::pair<int, std::size_t> parse_ticket(const std::string& t) {
  const auto colon = t.find(':');
  return {std::stoi(t.substr(0, colon)), std::stoul(t.substr(colon + 1))};
}

template <class T>
void ensure(std::vector<std::vector<T>>& table, int context, std::size_t arms, T init) {
  if (table.size() <= static_cast<std::size_t>(context))
    table.resize(context + 1);
  if (table[context].size() < arms)
    table[context].resize(arms, init);
}

} // namespace

std::size_t agent_learner::choose(int, const context_key& key,
                                  const std::vector<candidate>& candidates, std::string& ticket) {
  const auto r = agent_.recommend(key, candidates);
  ticket = r.event_id;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].playbook == r.chosen)
      return i;
  return 0;
}

void agent_learner::learn(const std::string& ticket, double reward) {
  agent_.reward(ticket, reward);
}

std::size_t greedy_ema_anchor::choose(int context, const context_key&,
                                      const std::vector<candidate>& candidates,
                                      std::string& ticket) {
  ensure(values_, context, candidates.size(), 0.0);
  std::size_t best = 0;
  for (std::size_t i = 1; i < candidates.size(); ++i)
    if (values_[context][i] > values_[context][best])
      best = i;
  ticket = ticket_of(context, best);
  return best;
}

void greedy_ema_anchor::learn(const std::string& ticket, double reward) {
  const auto [c, i] = parse_ticket(ticket);
  values_[c][i] = (1.0 - rate_) * values_[c][i] + rate_ * reward;
}

std::size_t beta_thompson_anchor::choose(int context, const context_key&,
                                         const std::vector<candidate>& candidates,
                                         std::string& ticket) {
  ensure(beta_, context, candidates.size(), std::make_pair(1.0, 1.0));
  std::size_t best = 0;
  double best_draw = -1.0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto [a, b] = beta_[context][i];
    const double x = std::gamma_distribution<double>(a, 1.0)(rng_);
    const double y = std::gamma_distribution<double>(b, 1.0)(rng_);
    const double draw = x / (x + y);
    if (draw > best_draw) {
      best_draw = draw;
      best = i;
    }
  }
  ticket = ticket_of(context, best);
  return best;
}

void beta_thompson_anchor::learn(const std::string& ticket, double reward) {
  const auto [c, i] = parse_ticket(ticket);
  const bool success = std::bernoulli_distribution((reward + 1.0) / 2.0)(rng_);
  (success ? beta_[c][i].first : beta_[c][i].second) += 1.0;
}

std::size_t gaussian_thompson_anchor::choose(int context, const context_key&,
                                             const std::vector<candidate>& candidates,
                                             std::string& ticket) {
  ensure(stats_, context, candidates.size(), std::make_pair(0.0, 0.0));
  std::normal_distribution<double> normal(0.0, 1.0);
  std::size_t best = 0;
  double best_draw = -INFINITY;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto [n, sum] = stats_[context][i];
    const double draw = sum / (n + 1.0) + std::sqrt(var_ / (n + 1.0)) * normal(rng_);
    if (draw > best_draw) {
      best_draw = draw;
      best = i;
    }
  }
  ticket = ticket_of(context, best);
  return best;
}

void gaussian_thompson_anchor::learn(const std::string& ticket, double reward) {
  const auto [c, i] = parse_ticket(ticket);
  stats_[c][i].first += 1.0;
  stats_[c][i].second += reward;
}

scenario_score run_scenario(const scenario_world& world, scenario_learner& learner,
                            int warmup_per_context) {
  const auto& incidents = world.incidents();
  const int n = static_cast<int>(incidents.size());
  std::vector<std::vector<std::pair<std::string, double>>> due(n + 1);
  std::vector<int> seen(world.contexts().size(), 0);
  scenario_score score;
  std::size_t best_picks = 0, after_change = 0, after_change_best = 0, next_20 = 0,
              next_20_best = 0;
  for (int t = 0; t < n; ++t) {
    for (auto& [ticket, reward] : due[t])
      learner.learn(ticket, reward);
    due[t].clear();
    const auto& inc = incidents[t];
    const auto& cands = world.candidates(inc.context);
    std::string ticket;
    const auto chosen = learner.choose(inc.context, world.contexts()[inc.context], cands, ticket);
    const auto best = world.best(inc.context, t);
    score.regret +=
        world.expected_reward(inc.context, best, t) - world.expected_reward(inc.context, chosen, t);
    const int index = seen[inc.context]++;
    if (index >= warmup_per_context) {
      ++score.scored_picks;
      best_picks += chosen == best;
    }
    if (index >= warmup_per_context && index < 2 * warmup_per_context) {
      ++next_20;
      next_20_best += chosen == best;
    }
    if (inc.context == 0 && t >= world.config().change_at) {
      ++after_change;
      after_change_best += chosen == best;
    }
    const int at = std::min(n, t + 1 + inc.delay);
    due[at].emplace_back(std::move(ticket), world.observed_reward(chosen, t));
  }
  if (score.scored_picks)
    score.best_pick_share = static_cast<double>(best_picks) / score.scored_picks;
  if (next_20)
    score.best_pick_share_next_20 = static_cast<double>(next_20_best) / next_20;
  if (after_change)
    score.best_pick_share_after_change = static_cast<double>(after_change_best) / after_change;
  return score;
}

} // namespace grace::rl
