#include "actors/rl_agent/agent.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <unistd.h>

namespace grace::rl {

namespace {

rl_error expired_event_error(const std::string& event_id) {
  return rl_error(error_code::expired_event,
                  "event '" + event_id
                      + "' expired unrewarded (older than the pending time-to-live, or the "
                        "oldest pending event at the cap)");
}

constexpr const char* snapshot_format = "grace.rl_agent/1";
constexpr const char* context_format = "grace.rl_context/1";

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Truncation of the change-point posterior (agent_config::change_hazard):
// below the first a suspected change is dropped, above the second the arm's
// history is replaced by what followed the change.
constexpr double change_negligible = 1e-3;
constexpr double change_certain = 0.99;

const arm_statistics& unseen_arm() {
  static const arm_statistics empty{};
  return empty;
}

[[noreturn]] void corrupt(const std::string& why) {
  throw rl_error(error_code::corrupt_state, "RL agent state rejected: " + why);
}

void require(bool ok, const std::string& why) {
  if (!ok)
    corrupt(why);
}

} // namespace

const char* to_string(policy_kind kind) {
  switch (kind) {
  case policy_kind::hierarchical_thompson:
    return "hierarchical_thompson";
  case policy_kind::thompson:
    return "thompson";
  case policy_kind::greedy_ema:
    return "greedy_ema";
  }
  return "unknown";
}

const char* to_string(agent_config::hazard_estimate h) {
  switch (h) {
  case agent_config::hazard_estimate::off:
    return "off";
  case agent_config::hazard_estimate::per_arm:
    return "per_arm";
  case agent_config::hazard_estimate::per_context:
    return "per_context";
  case agent_config::hazard_estimate::from_jumps:
    return "from_jumps";
  }
  return "unknown";
}

const char* to_string(exploration_rule rule) {
  switch (rule) {
  case exploration_rule::thompson:
    return "thompson";
  case exploration_rule::information_directed:
    return "information_directed";
  case exploration_rule::knowledge_gradient:
    return "knowledge_gradient";
  }
  return "unknown";
}

policy_kind parse_policy_kind(const std::string& name) {
  for (auto kind :
       {policy_kind::hierarchical_thompson, policy_kind::thompson, policy_kind::greedy_ema})
    if (name == to_string(kind))
      return kind;
  throw rl_error(error_code::invalid_argument,
                 "unknown RL policy '" + name
                     + "' (expected hierarchical_thompson, thompson or greedy_ema)");
}

nlohmann::json config_to_json(const agent_config& c) {
  return {{"policy", to_string(c.policy)},
          {"learning_rate", c.learning_rate},
          {"seed", c.seed},
          {"prior_mean", c.pooling.prior_mean},
          {"prior_sd", c.pooling.prior_sd},
          {"noise_sd", c.pooling.noise_sd},
          {"noise_pseudo_count", c.pooling.noise_pseudo_count},
          {"pooling_sd", c.pooling.pooling_sd},
          {"pooling_pseudo_count", c.pooling.pooling_pseudo_count},
          {"min_pooling_sd", c.pooling.min_pooling_sd},
          {"prior_pseudo_count", c.pooling.prior_pseudo_count},
          {"follow_share", c.pooling.follow_share},
          {"follow_pseudo_count", c.pooling.follow_pseudo_count},
          {"discount", c.discount},
          {"change_slack", c.change_slack},
          {"change_threshold", c.change_threshold},
          {"change_hazard", c.change_hazard},
          {"learned_hazard", to_string(c.learned_hazard)},
          {"learned_drift", c.learned_drift},
          {"probability_samples", c.probability_samples},
          {"exploration_floor", c.exploration_floor},
          {"untried_optimism", c.untried_optimism},
          {"floor_decay", c.floor_decay},
          {"sampling_scale", c.sampling_scale},
          {"exploration_rule", to_string(c.exploration)},
          {"knowledge_horizon", c.knowledge_horizon},
          {"knowledge_lookahead", c.knowledge_lookahead},
          {"count_pending", c.count_pending},
          {"unseen_incident_variance", c.unseen_incident_variance},
          {"replay_capacity", c.replay_capacity},
          {"max_pending", c.max_pending},
          {"pending_ttl_ms", c.pending_ttl_ms}};
}

agent_config config_from_json(const nlohmann::json& j) {
  agent_config c;
  auto bad = [](const std::string& key, const std::string& why) {
    throw rl_error(error_code::invalid_argument, "RL config '" + key + "': " + why);
  };
  try {
    if (!j.is_object())
      bad("(root)", "expected an object");
    if (j.contains("policy"))
      c.policy = parse_policy_kind(j.at("policy").get<std::string>());
    auto num = [&](const char* key, double& out, double lo, double hi) {
      if (!j.contains(key))
        return;
      const double v = j.at(key).get<double>();
      if (!std::isfinite(v) || v < lo || v > hi)
        bad(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      out = v;
    };
    num("learning_rate", c.learning_rate, 1e-9, 1.0);
    num("prior_mean", c.pooling.prior_mean, -1.0, 1.0);
    num("prior_sd", c.pooling.prior_sd, 1e-3, 10.0);
    num("noise_sd", c.pooling.noise_sd, 1e-3, 10.0);
    num("noise_pseudo_count", c.pooling.noise_pseudo_count, 1e-3, 1e6);
    num("pooling_sd", c.pooling.pooling_sd, 1e-3, 10.0);
    num("pooling_pseudo_count", c.pooling.pooling_pseudo_count, 1e-3, 1e6);
    num("min_pooling_sd", c.pooling.min_pooling_sd, 1e-4, 10.0);
    num("prior_pseudo_count", c.pooling.prior_pseudo_count, 0.0, 1e6);
    num("follow_share", c.pooling.follow_share, 0.01, 1.0);
    num("follow_pseudo_count", c.pooling.follow_pseudo_count, 1e-3, 1e6);
    num("discount", c.discount, 0.5, 1.0);
    num("change_slack", c.change_slack, 0.0, 10.0);
    num("change_threshold", c.change_threshold, 0.1, 1e9);
    num("change_hazard", c.change_hazard, 0.0, 0.5);
    if (j.contains("learned_drift"))
      c.learned_drift = j.at("learned_drift").get<bool>();
    if (j.contains("learned_hazard")) {
      const auto name = j.at("learned_hazard").get<std::string>();
      bool known = false;
      for (const auto h :
           {agent_config::hazard_estimate::off, agent_config::hazard_estimate::per_arm,
            agent_config::hazard_estimate::per_context, agent_config::hazard_estimate::from_jumps})
        if (name == to_string(h)) {
          c.learned_hazard = h;
          known = true;
        }
      if (!known)
        bad("learned_hazard",
            "unknown estimate '" + name + "' (expected off, per_arm, per_context or from_jumps)");
    }
    num("exploration_floor", c.exploration_floor, 0.0, 1.0);
    num("untried_optimism", c.untried_optimism, 0.0, 10.0);
    num("floor_decay", c.floor_decay, 0.0, 1e6);
    num("sampling_scale", c.sampling_scale, 0.01, 10.0);
    num("knowledge_horizon", c.knowledge_horizon, 0.0, 1e9);
    num("knowledge_lookahead", c.knowledge_lookahead, 0.0, 1e9);
    num("unseen_incident_variance", c.unseen_incident_variance, 0.0, 100.0);
    if (j.contains("exploration_rule")) {
      const auto rule = j.at("exploration_rule").get<std::string>();
      bool known = false;
      for (const auto r : {exploration_rule::thompson, exploration_rule::information_directed,
                           exploration_rule::knowledge_gradient})
        if (rule == to_string(r)) {
          c.exploration = r;
          known = true;
        }
      if (!known)
        bad("exploration_rule", "unknown rule '" + rule
                                    + "' (expected thompson, information_directed or "
                                      "knowledge_gradient)");
    }
    if (j.contains("count_pending"))
      c.count_pending = j.at("count_pending").get<bool>();
    if (j.contains("seed"))
      c.seed = j.at("seed").get<std::uint64_t>();
    if (j.contains("probability_samples")) {
      c.probability_samples = j.at("probability_samples").get<int>();
      if (c.probability_samples < 1 || c.probability_samples > 1000000)
        bad("probability_samples", "must be in [1, 1000000]");
    }
    auto count = [&](const char* key, std::size_t& out) {
      if (!j.contains(key))
        return;
      out = j.at(key).get<std::size_t>();
      if (out < 1)
        bad(key, "must be at least 1");
    };
    count("replay_capacity", c.replay_capacity);
    count("max_pending", c.max_pending);
    if (j.contains("pending_ttl_ms")) {
      c.pending_ttl_ms = j.at("pending_ttl_ms").get<std::int64_t>();
      if (c.pending_ttl_ms < 1)
        bad("pending_ttl_ms", "must be positive");
    }
  } catch (const nlohmann::json::exception& e) {
    throw rl_error(error_code::invalid_argument, std::string("RL config: ") + e.what());
  }
  return c;
}

void validate_candidates(const context_key& context, const std::vector<candidate>& candidates) {
  if (context.service.empty() || context.diagnosis.empty())
    throw rl_error(error_code::invalid_argument, "service and diagnosis must not be empty");
  if (candidates.empty())
    throw rl_error(error_code::invalid_argument,
                   "no candidate playbooks for " + context.to_string());
  std::set<std::string> seen;
  for (const auto& c : candidates) {
    if (c.playbook.empty())
      throw rl_error(error_code::invalid_argument, "a candidate playbook has an empty name");
    if (c.risk_tier < 1 || c.risk_tier > 4)
      throw rl_error(error_code::invalid_argument, "playbook '" + c.playbook + "' has risk tier "
                                                       + std::to_string(c.risk_tier)
                                                       + " (expected 1..4)");
    if (!seen.insert(c.playbook).second)
      throw rl_error(error_code::invalid_argument,
                     "playbook '" + c.playbook + "' is a candidate twice");
  }
}

std::uint64_t fresh_event_id_salt() {
  std::random_device device;
  std::uint64_t x = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  using namespace std::chrono;
  x ^= splitmix64(static_cast<std::uint64_t>(system_clock::now().time_since_epoch().count()));
  x ^= splitmix64(static_cast<std::uint64_t>(steady_clock::now().time_since_epoch().count())
                  + static_cast<std::uint64_t>(getpid()));
  return splitmix64(x);
}

agent::agent(agent_config cfg)
    : cfg_(std::move(cfg)), rng_(cfg_.seed), salt_(splitmix64(cfg_.seed)),
      replay_(cfg_.replay_capacity) {}

const population_model& agent::population() const {
  if (!population_)
    population_.emplace(contexts_, cfg_.pooling, cfg_.policy == policy_kind::hierarchical_thompson);
  return *population_;
}

bool agent::past_ttl(const pending_event& p, std::int64_t now_ms, std::int64_t now_wall_ms) const {
  if (now_ms - p.recommended_at_ms <= cfg_.pending_ttl_ms)
    return false;
  if (now_wall_ms == 0 || p.recommended_at_wall_ms == 0)
    return true;
  return now_wall_ms - p.recommended_at_wall_ms > cfg_.pending_ttl_ms;
}

void agent::add_pending(const std::string& event_id, pending_event p) {
  const auto context = p.context;
  if (!pending_.emplace(event_id, std::move(p)).second)
    return;
  pending_order_.push_back(event_id);
  ++pending_chosen_[context][pending_.at(event_id).chosen];
  pending_changed(context);
  note_pending_added(event_id);
}

void agent::drop_pending(std::unordered_map<std::string, pending_event>::iterator it) {
  if (const auto by = pending_chosen_.find(it->second.context); by != pending_chosen_.end()) {
    if (const auto n = by->second.find(it->second.chosen);
        n != by->second.end() && --n->second <= 0)
      by->second.erase(n);
    if (by->second.empty())
      pending_chosen_.erase(by);
  }
  pending_changed(it->second.context);
  // Expiry takes the oldest, at the front; a reward usually a recent one.
  const auto pos = std::find(pending_order_.begin(), pending_order_.end(), it->first);
  if (pos != pending_order_.end())
    pending_order_.erase(pos);
  note_pending_removed(it->first);
  pending_.erase(it);
}

void agent::pending_changed(const context_key& context) {
  if (!cfg_.count_pending || cfg_.exploration != exploration_rule::knowledge_gradient)
    return;
  auto it = choices_.lower_bound(choice_question{context, {}, std::nullopt});
  while (it != choices_.end() && it->first.context == context)
    it = choices_.erase(it);
}

void agent::remember_expired(const std::string& event_id) {
  if (!expired_.insert(event_id).second)
    return;
  expired_order_.push_back(event_id);
  note_expired_added(event_id);
  while (expired_order_.size() > cfg_.max_pending) {
    note_expired_removed(expired_order_.front());
    expired_.erase(expired_order_.front());
    expired_order_.pop_front();
  }
}

void agent::expire(std::string event_id) {
  const auto it = pending_.find(event_id);
  if (it == pending_.end())
    return;
  const auto context = it->second.context;
  drop_pending(it);
  remember_expired(event_id);
  prune_if_unused(context);
}

void agent::prune_if_unused(const context_key& context) {
  const auto it = contexts_.find(context);
  if (it == contexts_.end() || it->second.updates > 0 || pending_chosen_.count(context) > 0)
    return;
  contexts_.erase(it);
  contexts_changed();
}

namespace {
// Variance-based information-directed sampling from posterior draws
// (exploration_rule::information_directed). `draws` holds samples x arms
// values, `winner` each sample's highest arm. Per arm: expected regret
// delta = E[max draw] - E[draw], and information gain v = sum over the best
// arm's identity a* of P(a*) (E[draw | a*] - E[draw])^2. The distribution
// minimising (sum pi delta)^2 / (sum pi v) is supported on at most two
// arms; every pair is tried with its optimal mix. Returns choice
// probabilities (summing to 1).
std::vector<double> information_directed_choice(const std::vector<double>& draws,
                                                const std::vector<std::size_t>& winner,
                                                std::size_t arms) {
  const std::size_t samples = winner.size();
  std::vector<double> mean(arms, 0.0), p(arms, 0.0);
  std::vector<double> conditional(arms * arms, 0.0); // [a*][a]
  double best_mean = 0.0;
  for (std::size_t s = 0; s < samples; ++s) {
    const double* row = &draws[s * arms];
    const std::size_t w = winner[s];
    p[w] += 1.0;
    best_mean += row[w];
    for (std::size_t a = 0; a < arms; ++a) {
      mean[a] += row[a];
      conditional[w * arms + a] += row[a];
    }
  }
  const double n = static_cast<double>(samples);
  best_mean /= n;
  std::vector<double> regret(arms), gain(arms, 0.0);
  for (std::size_t a = 0; a < arms; ++a) {
    mean[a] /= n;
    regret[a] = std::max(0.0, best_mean - mean[a]);
  }
  for (std::size_t w = 0; w < arms; ++w) {
    if (p[w] <= 0.0)
      continue;
    for (std::size_t a = 0; a < arms; ++a) {
      const double d = conditional[w * arms + a] / p[w] - mean[a];
      gain[a] += p[w] / n * d * d;
    }
  }
  std::vector<double> out(arms, 0.0);
  // An arm every draw calls best has no regret and nothing to learn: take it.
  for (std::size_t a = 0; a < arms; ++a)
    if (p[a] >= n) {
      out[a] = 1.0;
      return out;
    }
  constexpr double tiny = 1e-12;
  auto ratio = [&](double r, double g) {
    if (r <= tiny)
      return 0.0;
    return g <= tiny ? INFINITY : r * r / g;
  };
  double best_ratio = INFINITY;
  std::size_t bi = 0, bj = 0;
  double bq = 1.0;
  for (std::size_t a = 0; a < arms; ++a)
    if (const double r = ratio(regret[a], gain[a]); r < best_ratio) {
      best_ratio = r;
      bi = bj = a;
      bq = 1.0;
    }
  for (std::size_t i = 0; i < arms; ++i)
    for (std::size_t j = i + 1; j < arms; ++j) {
      // f(q) = (q di + (1-q) dj)^2 / (q gi + (1-q) gj); its stationary point.
      const double a = regret[i] - regret[j], b = gain[i] - gain[j];
      if (std::abs(a) <= tiny || std::abs(b) <= tiny)
        continue; // f is monotone in q: an end point, tried above
      const double q = (regret[j] * b - 2.0 * a * gain[j]) / (a * b);
      if (!(q > 0.0 && q < 1.0))
        continue;
      const double r =
          ratio(q * regret[i] + (1.0 - q) * regret[j], q * gain[i] + (1.0 - q) * gain[j]);
      if (r < best_ratio) {
        best_ratio = r;
        bi = i;
        bj = j;
        bq = q;
      }
    }
  if (!std::isfinite(best_ratio)) { // no information anywhere: the least regret
    std::size_t least = 0;
    for (std::size_t a = 1; a < arms; ++a)
      if (regret[a] < regret[least])
        least = a;
    out[least] = 1.0;
    return out;
  }
  out[bi] += bq;
  out[bj] += 1.0 - bq;
  return out;
}

// The online knowledge gradient (exploration_rule::knowledge_gradient) for
// independent Gaussian beliefs `posts` and noise variance `noise_var`: per
// arm, the expected rise of the highest posterior mean after m outcomes of
// it, sd_change * f(-|mean - best other mean| / sd_change) with
// f(z) = z Phi(z) + phi(z) and sd_change^2 = var^2 / (var + noise_var / m)
// the variance of the arm's posterior mean's move. With lookahead 1 that is
// one outcome (the knowledge gradient); above 1 the value per outcome is
// maximised over m = 1..lookahead (KG(*), Frazier and Powell 2010: one
// outcome can be worth almost nothing where several are worth their cost).
// Returns the indices mean + horizon * value per outcome.
std::vector<double> knowledge_gradient_indices(const std::vector<gaussian>& posts, double noise_var,
                                               double horizon, double lookahead) {
  const std::size_t arms = posts.size();
  const double noise = std::max(noise_var, 1e-12);
  std::vector<double> out(arms);
  for (std::size_t a = 0; a < arms; ++a) {
    double other = -INFINITY;
    for (std::size_t b = 0; b < arms; ++b)
      if (b != a)
        other = std::max(other, posts[b].mean);
    const double var = std::max(posts[a].var, 0.0);
    const double gap = std::abs(posts[a].mean - other);
    auto value = [&](double m) {
      const double move = var / std::sqrt(var + noise / m);
      if (!(move > 1e-12) || !std::isfinite(other))
        return 0.0;
      const double z = -gap / move;
      const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
      const double pdf = std::exp(-0.5 * z * z) / 2.5066282746310002;
      return std::max(move * (z * cdf + pdf), 0.0) / m;
    };
    double best = value(1.0);
    // A geometric grid of batch sizes (ratio 2^(1/4)): the value per outcome
    // is smooth in m, so a finer one changes the index by little.
    for (double m = std::pow(2.0, 0.25); m <= lookahead; m *= std::pow(2.0, 0.25))
      best = std::max(best, value(m));
    out[a] = posts[a].mean + horizon * best;
  }
  return out;
}
} // namespace

double agent::knowledge_horizon() const {
  if (cfg_.knowledge_horizon > 0.0)
    return cfg_.knowledge_horizon;
  return cfg_.discount < 1.0 ? cfg_.discount / (1.0 - cfg_.discount) : 1e4;
}

double agent::estimate(const population_model& pop, const context_key& context,
                       const std::string& playbook, const arm_statistics& arm) const {
  if (cfg_.policy == policy_kind::greedy_ema)
    return arm.ema_value;
  return pop.posterior_for(context, playbook, arm).mean;
}

double agent::changed_probability(const arm_statistics& arm, std::uint64_t context_updates) const {
  const double h = hazard();
  if (h <= 0.0 || arm.weight <= 0.0 || context_updates <= arm.last_step)
    return 0.0;
  const double steps = static_cast<double>(context_updates - arm.last_step);
  return -std::expm1(steps * std::log1p(-h));
}

double agent::hazard() const {
  if (cfg_.change_hazard > 0.0 || cfg_.learned_hazard == agent_config::hazard_estimate::off
      || detector_fires_ == 0 || updates_ == 0)
    return cfg_.change_hazard;
  if (cfg_.learned_hazard == agent_config::hazard_estimate::from_jumps)
    return std::min(0.5, jump_variance() / (2.0 * population().broad_prior().var));
  double h = static_cast<double>(detector_fires_) / static_cast<double>(updates_);
  if (cfg_.learned_hazard == agent_config::hazard_estimate::per_context) {
    // A context's change strikes one of its playbooks: the rate per playbook
    // is the context's divided by how many it offers (mean over contexts).
    double arms = 0.0, learned = 0.0;
    for (const auto& [key, policy] : contexts_)
      if (policy.updates > 0) {
        arms += static_cast<double>(policy.arms.size());
        learned += 1.0;
      }
    if (learned > 0.0 && arms > 0.0)
      h /= arms / learned;
  }
  return std::min(h, 0.5);
}

double agent::drift_variance() const {
  return cfg_.learned_drift ? jump_variance() : 0.0;
}

double agent::jump_variance() const {
  if (updates_ == 0)
    return 0.0;
  const double noise = population().noise_var();
  double excess = 0.0;
  for (const auto& [key, policy] : contexts_)
    for (const auto& [name, arm] : policy.arms) {
      excess += arm.jump_sq;
      if (arm.fired && arm.weight >= 1.0) {
        const double jump = arm.mean() - arm.fire_mean;
        excess += jump * jump - noise / arm.weight - arm.fire_se2;
      }
    }
  return std::max(0.0, excess) / static_cast<double>(updates_);
}

gaussian agent::changed_belief(const population_model& pop, const arm_statistics& arm) const {
  return posterior_of_mean(pop.broad_prior(), arm.since_weight, arm.since_sum, pop.noise_var());
}

double agent::exploration_floor_in(std::uint64_t context_updates, std::size_t candidates) const {
  const double k = static_cast<double>(candidates);
  return cfg_.exploration_floor
         * std::sqrt(k / (k + cfg_.floor_decay * static_cast<double>(context_updates)));
}

agent::scored agent::score(const context_key& context, const std::vector<candidate>& candidates,
                           std::optional<int> max_risk_tier, std::mt19937_64& rng) const {
  scored out;
  std::vector<const candidate*> allowed;
  for (const auto& c : candidates) {
    if (max_risk_tier && c.risk_tier > *max_risk_tier)
      out.excluded.push_back(c.playbook);
    else
      allowed.push_back(&c);
  }
  if (allowed.empty())
    throw rl_error(error_code::no_allowed_candidate, "every candidate for " + context.to_string()
                                                         + " is above risk tier "
                                                         + std::to_string(*max_risk_tier));
  const auto ctx = contexts_.find(context);
  auto arm_of = [&](const std::string& name) -> const arm_statistics& {
    if (ctx == contexts_.end())
      return unseen_arm();
    const auto it = ctx->second.arms.find(name);
    return it == ctx->second.arms.end() ? unseen_arm() : it->second;
  };

  if (cfg_.policy == policy_kind::greedy_ema) {
    // The seed's rule: highest value wins, the first candidate on ties.
    std::size_t best = 0;
    for (std::size_t i = 0; i < allowed.size(); ++i) {
      const double v = arm_of(allowed[i]->playbook).ema_value;
      out.ranked.push_back({allowed[i]->playbook, v, 0.0});
      if (v > out.ranked[best].score)
        best = i;
    }
    out.ranked[best].probability = 1.0;
    return out;
  }

  const auto& pop = population();
  std::vector<belief> beliefs;
  std::vector<gaussian> posts;
  const double drift = drift_variance();
  const std::uint64_t context_updates = ctx == contexts_.end() ? 0 : ctx->second.updates;
  for (const auto* c : allowed) {
    const auto& arm = arm_of(c->playbook);
    beliefs.push_back(pop.belief_for(context, c->playbook, arm));
    if (drift > 0.0 && arm.weight > 0.0 && context_updates > arm.last_step) {
      // Unchecked since its last outcome: it may have drifted since.
      const double widen = drift * static_cast<double>(context_updates - arm.last_step);
      beliefs.back().pooled.var += widen;
      beliefs.back().free.var += widen;
    }
    if (cfg_.policy == policy_kind::hierarchical_thompson) {
      auto& b = beliefs.back();
      b.changed_probability =
          changed_probability(arm, ctx == contexts_.end() ? 0 : ctx->second.updates);
      b.changed = pop.broad_prior();
      b.suspected_probability = arm.changed;
      b.suspected = changed_belief(pop, arm);
    }
    posts.push_back(beliefs.back().moments());
    out.ranked.push_back({c->playbook, posts.back().mean, 0.0});
  }
  if (allowed.size() == 1) {
    out.ranked[0].probability = 1.0;
    return out;
  }
  const double floor =
      exploration_floor_in(ctx == contexts_.end() ? 0 : ctx->second.updates, allowed.size());
  auto spread = [&](const std::vector<bool>& chosen, std::size_t count) {
    for (std::size_t i = 0; i < allowed.size(); ++i)
      out.ranked[i].probability = (chosen[i] ? (1.0 - floor) / static_cast<double>(count) : 0.0)
                                  + floor / static_cast<double>(allowed.size());
  };
  if (cfg_.untried_optimism > 0.0) {
    double best_tried = -INFINITY;
    for (std::size_t i = 0; i < allowed.size(); ++i)
      if (arm_of(allowed[i]->playbook).pulls > 0)
        best_tried = std::max(best_tried, posts[i].mean);
    std::vector<bool> optimistic(allowed.size(), false);
    std::size_t count = 0;
    if (std::isfinite(best_tried))
      for (std::size_t i = 0; i < allowed.size(); ++i)
        if (arm_of(allowed[i]->playbook).pulls == 0
            && posts[i].mean + cfg_.untried_optimism * std::sqrt(posts[i].var) >= best_tried) {
          optimistic[i] = true;
          ++count;
        }
    if (count > 0) {
      spread(optimistic, count);
      return out;
    }
  }
  if (cfg_.exploration == exploration_rule::knowledge_gradient) {
    // With a change hazard an arm's belief is the mixture the Thompson draws
    // take (changed since its last outcome, a suspected earlier change, or
    // unchanged); its moments are what one more outcome would be judged by.
    std::vector<gaussian> judged = posts;
    for (std::size_t i = 0; i < beliefs.size(); ++i) {
      const auto& b = beliefs[i];
      const double pc = b.changed_probability;
      const double ps = (1.0 - pc) * b.suspected_probability;
      if (pc <= 0.0 && ps <= 0.0)
        continue;
      const double pu = 1.0 - pc - ps;
      const double m = pu * posts[i].mean + pc * b.changed.mean + ps * b.suspected.mean;
      auto part = [m](const gaussian& g) { return g.var + (g.mean - m) * (g.mean - m); };
      judged[i] = {m, pu * part(posts[i]) + pc * part(b.changed) + ps * part(b.suspected)};
    }
    if (cfg_.count_pending)
      if (const auto by = pending_chosen_.find(context); by != pending_chosen_.end())
        for (std::size_t i = 0; i < allowed.size(); ++i)
          if (const auto n = by->second.find(allowed[i]->playbook); n != by->second.end())
            judged[i].var =
                1.0 / (1.0 / std::max(judged[i].var, 1e-12) + n->second / pop.noise_var());
    const double horizon = knowledge_horizon();
    const double lookahead = cfg_.knowledge_lookahead > 0.0 ? cfg_.knowledge_lookahead : horizon;
    const auto index = knowledge_gradient_indices(judged, pop.noise_var(), horizon, lookahead);
    const double top = *std::max_element(index.begin(), index.end());
    std::vector<bool> chosen(allowed.size(), false);
    std::size_t count = 0;
    for (std::size_t i = 0; i < allowed.size(); ++i)
      if (index[i] >= top - 1e-12 * std::max(1.0, std::abs(top))) {
        chosen[i] = true;
        ++count;
      }
    spread(chosen, count);
    return out;
  }
  // Thompson sampling chooses the arm whose posterior draw is highest; the
  // probability of that is estimated by drawing it many times, and the
  // choice is then drawn from those probabilities, so the logged propensity
  // is exactly the probability the choice had.
  const std::size_t arms = beliefs.size();
  const bool directed = cfg_.exploration == exploration_rule::information_directed;
  std::vector<int> wins(arms, 0);
  std::vector<double> draws; // sample-major, kept for information-directed sampling
  if (directed)
    draws.reserve(static_cast<std::size_t>(cfg_.probability_samples) * arms);
  std::vector<std::size_t> winner;
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int s = 0; s < cfg_.probability_samples; ++s) {
    std::size_t best = 0;
    double best_draw = -INFINITY;
    for (std::size_t i = 0; i < arms; ++i) {
      const auto& b = beliefs[i];
      const auto& component =
          b.changed_probability > 0.0 && unit(rng) < b.changed_probability       ? b.changed
          : b.suspected_probability > 0.0 && unit(rng) < b.suspected_probability ? b.suspected
          : b.follow >= 1.0 || unit(rng) < b.follow                              ? b.pooled
                                                                                 : b.free;
      const double draw =
          component.mean + cfg_.sampling_scale * std::sqrt(component.var) * normal(rng);
      if (directed)
        draws.push_back(draw);
      if (draw > best_draw) {
        best_draw = draw;
        best = i;
      }
    }
    ++wins[best];
    if (directed)
      winner.push_back(best);
  }
  std::vector<double> share(arms);
  for (std::size_t i = 0; i < arms; ++i)
    share[i] = static_cast<double>(wins[i]) / cfg_.probability_samples;
  if (directed)
    share = information_directed_choice(draws, winner, arms);
  for (std::size_t i = 0; i < arms; ++i)
    out.ranked[i].probability = (1.0 - floor) * share[i] + floor / static_cast<double>(arms);
  return out;
}

std::string agent::next_event_id(const std::string& suffix) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "rl-%016llx-%012llx", static_cast<unsigned long long>(salt_),
                static_cast<unsigned long long>(next_sequence_));
  ++next_sequence_;
  return buf + suffix;
}

recommendation agent::recommend(const context_key& context,
                                const std::vector<candidate>& candidates,
                                std::optional<int> max_risk_tier, std::int64_t now_ms,
                                std::int64_t now_wall_ms, const std::string& event_id_suffix) {
  validate_candidates(context, candidates);
  choice_question question{context, {}, max_risk_tier};
  question.candidates.reserve(candidates.size());
  for (const auto& c : candidates)
    question.candidates.emplace_back(c.playbook, c.risk_tier);
  auto cached = choices_.find(question);
  if (cached == choices_.end()) {
    if (choices_.size() >= max_cached_choices)
      choices_.clear();
    cached = choices_.emplace(std::move(question), score(context, candidates, max_risk_tier, rng_))
                 .first;
  }
  auto s = cached->second;

  std::size_t chosen = 0;
  if (cfg_.policy == policy_kind::greedy_ema) {
    while (s.ranked[chosen].probability < 1.0)
      ++chosen;
  } else {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    double cumulative = 0.0;
    chosen = s.ranked.size();
    for (std::size_t i = 0; i < s.ranked.size(); ++i) {
      cumulative += s.ranked[i].probability;
      if (u < cumulative && s.ranked[i].probability > 0.0) {
        chosen = i;
        break;
      }
    }
    if (chosen == s.ranked.size()) // rounding left u above the last sum
      for (std::size_t i = s.ranked.size(); i-- > 0;)
        if (s.ranked[i].probability > 0.0) {
          chosen = i;
          break;
        }
  }

  recommendation r;
  r.event_id = next_event_id(event_id_suffix);
  r.chosen = s.ranked[chosen].playbook;
  r.propensity = s.ranked[chosen].probability;
  r.excluded = std::move(s.excluded);
  r.ranked = std::move(s.ranked);
  std::stable_sort(r.ranked.begin(), r.ranked.end(),
                   [](const auto& a, const auto& b) { return a.score > b.score; });
  ++recommendations_;
  if (r.chosen != r.ranked.front().playbook)
    ++explorations_;

  // The context's arms exist from the first recommendation on, so that
  // `policies` lists what was offered even before any reward. Arms without
  // outcomes change nothing in the population: it stays valid.
  auto& policy = contexts_[context];
  for (const auto& c : candidates)
    policy.arms.try_emplace(c.playbook);

  add_pending(r.event_id, pending_event{context, candidates, max_risk_tier, r.chosen, r.propensity,
                                        now_ms, next_sequence_ - 1, now_wall_ms});
  while (pending_.size() > cfg_.max_pending && !pending_order_.empty())
    expire(pending_order_.front());
  return r;
}

void agent::check_reward(const std::string& event_id, double reward,
                         const std::map<std::string, double>& kpi_deltas) const {
  if (!std::isfinite(reward) || reward < -1.0 || reward > 1.0) {
    std::ostringstream os;
    os << "reward " << reward << " for event '" << event_id << "' is outside [-1, 1]";
    throw rl_error(error_code::reward_out_of_range, os.str());
  }
  for (const auto& [name, value] : kpi_deltas)
    if (!std::isfinite(value))
      throw rl_error(error_code::invalid_argument, "KPI delta '" + name + "' is not finite");
  if (pending_.count(event_id) == 0) {
    if (replay_.contains(event_id))
      throw rl_error(error_code::already_rewarded, "event '" + event_id + "' was already rewarded");
    if (expired_.count(event_id) > 0)
      throw expired_event_error(event_id);
    throw rl_error(error_code::unknown_event, "event '" + event_id + "' is unknown");
  }
}

learn_result agent::reward(const std::string& event_id, double reward,
                           const std::map<std::string, double>& kpi_deltas, std::int64_t now_ms,
                           std::int64_t now_wall_ms, bool incident_seen) {
  check_reward(event_id, reward, kpi_deltas);
  const auto it = pending_.find(event_id);
  if (past_ttl(it->second, now_ms, now_wall_ms)) {
    expire(event_id);
    throw expired_event_error(event_id);
  }
  return learn_pending(it, reward, kpi_deltas, now_ms, incident_seen);
}

agent::stored_outcome agent::preview_reward(const std::string& event_id, double reward,
                                            const std::map<std::string, double>& kpi_deltas,
                                            std::int64_t now_ms, std::int64_t now_wall_ms) const {
  check_reward(event_id, reward, kpi_deltas);
  const auto& p = pending_.at(event_id);
  if (past_ttl(p, now_ms, now_wall_ms))
    throw expired_event_error(event_id);
  return {event_id, p.context, p.chosen, p.propensity, reward, kpi_deltas, now_ms};
}

learn_result agent::learn_pending(std::unordered_map<std::string, pending_event>::iterator it,
                                  double reward, const std::map<std::string, double>& kpi_deltas,
                                  std::int64_t now_ms, bool incident_seen) {
  const std::string event_id = it->first;
  experience e;
  e.event_id = event_id;
  e.context = it->second.context;
  e.candidates = it->second.candidates;
  e.max_risk_tier = it->second.max_risk_tier;
  e.chosen = it->second.chosen;
  e.propensity = it->second.propensity;
  e.reward = reward;
  e.kpi_deltas = kpi_deltas;
  e.recommended_at_ms = it->second.recommended_at_ms;
  e.rewarded_at_ms = now_ms;
  e.incident_seen = incident_seen;
  drop_pending(it);
  auto result = apply(e);
  replay_.push(std::move(e));
  return result;
}

double agent::extra_variance(const experience& e) const {
  return e.incident_seen ? 0.0 : cfg_.unseen_incident_variance;
}

learn_result agent::apply(const experience& e) {
  auto& policy = contexts_[e.context];
  for (const auto& c : e.candidates)
    policy.arms.try_emplace(c.playbook);
  auto& arm = policy.arms[e.chosen];

  learn_result out;
  out.context = e.context;
  out.playbook = e.chosen;
  out.reward = e.reward;
  double before = 0.0;
  double surprise = 0.0;
  double weight = 1.0;
  double noise_var = 1.0;
  double changed = 0.0;       // posterior probability of a change (agent_config::change_hazard)
  bool restart_since = false; // ... most likely since the arm's last outcome
  {
    const auto& pop = population();
    before = estimate(pop, e.context, e.chosen, arm);
    // Change detection on the surprise of this outcome given what the agent
    // believed (predictive spread = noise + any extra variance of this
    // outcome + remaining uncertainty).
    const auto post = pop.posterior_for(e.context, e.chosen, arm);
    const double extra = extra_variance(e);
    surprise = (e.reward - post.mean) / std::sqrt(pop.noise_var() + extra + post.var);
    // Inverse-variance weighting: an outcome with variance noise + extra
    // counts noise / (noise + extra) of one with the noise alone.
    weight = pop.noise_var() / (pop.noise_var() + extra);
    noise_var = pop.noise_var();
    const double fresh = changed_probability(arm, policy.updates);
    if (fresh > 0.0 || arm.changed > 0.0) {
      // Bayes' rule between three run lengths: unchanged (all the arm's
      // history), changed since the suspected point (only the outcomes
      // since), and changed since the last outcome (the broad prior).
      auto density = [&](const gaussian& g) {
        const double var = pop.noise_var() + extra + g.var;
        return std::exp(-0.5 * (e.reward - g.mean) * (e.reward - g.mean) / var) / std::sqrt(var);
      };
      const double p_new = fresh * density(pop.broad_prior());
      const double p_since = (1.0 - fresh) * arm.changed * density(changed_belief(pop, arm));
      const double p_old = (1.0 - fresh) * (1.0 - arm.changed) * density(post);
      const double total = p_new + p_since + p_old;
      if (total > 0.0) {
        changed = (p_new + p_since) / total;
        restart_since = p_new > p_since;
      }
    }
  }
  contexts_changed(); // the statistics change below

  if (cfg_.policy == policy_kind::hierarchical_thompson) {
    if (arm.detect_change(surprise, cfg_.change_slack, cfg_.change_threshold)) {
      // The jump is measured once outcomes after the fire come in
      // (agent_config::learned_drift); an earlier fire's is kept.
      if (arm.fired && arm.weight >= 1.0) {
        const double jump = arm.mean() - arm.fire_mean;
        arm.jump_sq += jump * jump - noise_var / arm.weight - arm.fire_se2;
      }
      arm.fired = arm.weight > 0.0;
      arm.fire_mean = arm.mean();
      arm.fire_se2 = arm.weight > 0.0 ? noise_var / arm.weight : 0.0;
      arm.forget();
      arm.decoupled = true;
      out.change_detected = true;
      ++changes_detected_;
      ++detector_fires_;
      arm.forget_since();
    } else if (changed >= change_certain) {
      if (restart_since)
        arm.forget_since();
      // The outcomes since the change point are all that still holds.
      arm.weight = arm.since_weight;
      arm.sum = arm.since_sum;
      arm.sum_sq = arm.since_sum_sq;
      arm.cusum_up = arm.cusum_down = 0.0;
      arm.forget_since();
      arm.decoupled = true;
      out.change_detected = true;
      ++changes_detected_;
    } else if (changed > change_negligible) {
      if (restart_since)
        arm.forget_since();
      arm.changed = changed;
      arm.since_weight += weight;
      arm.since_sum += weight * e.reward;
      arm.since_sum_sq += weight * e.reward * e.reward;
    } else {
      arm.forget_since();
    }
    policy.discount_all(cfg_.discount);
  }
  arm.add(e.reward, weight);
  ++arm.pulls;
  arm.ema_value = ema_update(arm.ema_value, e.reward, cfg_.learning_rate);
  ++policy.updates;
  arm.last_step = policy.updates;
  ++updates_;
  reward_sum_ += e.reward;

  out.value = estimate(population(), e.context, e.chosen, arm);
  out.trust_delta = out.value - before;
  return out;
}

std::size_t agent::set_limits(std::size_t max_pending, std::int64_t pending_ttl_ms) {
  if (max_pending < 1 || pending_ttl_ms < 1)
    throw rl_error(error_code::invalid_argument, "max_pending and pending_ttl_ms must be positive");
  cfg_.max_pending = max_pending;
  cfg_.pending_ttl_ms = pending_ttl_ms;
  std::size_t expired = 0;
  while (pending_.size() > cfg_.max_pending && !pending_order_.empty()) {
    expire(pending_order_.front());
    ++expired;
  }
  while (expired_order_.size() > cfg_.max_pending) {
    note_expired_removed(expired_order_.front());
    expired_.erase(expired_order_.front());
    expired_order_.pop_front();
  }
  return expired;
}

bool agent::withdraw(const std::string& event_id) {
  if (pending_.count(event_id) == 0)
    return false;
  expire(event_id);
  return true;
}

std::size_t agent::expire_pending(std::int64_t now_ms, std::int64_t now_wall_ms) {
  std::vector<std::string> due;
  for (const auto& id : pending_order_)
    if (past_ttl(pending_.at(id), now_ms, now_wall_ms))
      due.push_back(id);
  for (const auto& id : due)
    expire(id);
  return due.size();
}

std::vector<ranked_playbook> agent::action_probabilities(const context_key& context,
                                                         const std::vector<candidate>& candidates,
                                                         std::optional<int> max_risk_tier,
                                                         std::uint64_t seed) const {
  validate_candidates(context, candidates);
  std::mt19937_64 rng(seed);
  auto s = score(context, candidates, max_risk_tier, rng);
  std::stable_sort(s.ranked.begin(), s.ranked.end(),
                   [](const auto& a, const auto& b) { return a.score > b.score; });
  return s.ranked;
}

void agent::load_experiences(const std::vector<experience>& experiences) {
  for (const auto& e : experiences) {
    if (!(e.propensity > 0.0 && e.propensity <= 1.0) || !std::isfinite(e.reward) || e.reward < -1.0
        || e.reward > 1.0 || e.chosen.empty())
      throw rl_error(error_code::corrupt_state,
                     "RL agent state rejected: experience '" + e.event_id
                         + "' has a propensity outside (0, 1], a reward outside [-1, 1] or no "
                           "chosen playbook");
  }
  replay_.clear();
  for (const auto& e : experiences)
    replay_.push(e);
  refit_from_replay();
}

std::size_t agent::recover(const std::vector<stored_outcome>& outcomes, std::size_t* skipped) {
  std::size_t learned = 0;
  std::size_t bad = 0;
  for (const auto& o : outcomes) {
    if (o.event_id.empty() || replay_.contains(o.event_id))
      continue;
    if (!(o.propensity > 0.0 && o.propensity <= 1.0) || !std::isfinite(o.reward) || o.reward < -1.0
        || o.reward > 1.0 || o.chosen.empty()) {
      ++bad;
      continue;
    }
    // Acknowledged outcomes are learned whatever the pending set says now.
    if (const auto it = pending_.find(o.event_id); it != pending_.end()) {
      learn_pending(it, o.reward, o.kpi_deltas, o.rewarded_at_ms);
    } else {
      experience e;
      e.event_id = o.event_id;
      e.context = o.context;
      e.candidates = {candidate{o.chosen, 1}};
      e.chosen = o.chosen;
      e.propensity = o.propensity;
      e.reward = o.reward;
      e.kpi_deltas = o.kpi_deltas;
      e.recommended_at_ms = o.rewarded_at_ms;
      e.rewarded_at_ms = o.rewarded_at_ms;
      apply(e);
      replay_.push(std::move(e));
    }
    ++learned;
  }
  if (skipped)
    *skipped = bad;
  return learned;
}

void agent::refit_from_replay() {
  contexts_.clear();
  contexts_changed();
  updates_ = 0;
  reward_sum_ = 0.0;
  changes_detected_ = 0;
  detector_fires_ = 0;
  for (const auto& e : replay_.items())
    apply(e);
  // Contexts with only unrewarded recommendations keep their arm list.
  for (const auto& [id, p] : pending_)
    for (const auto& c : p.candidates)
      contexts_[p.context].arms.try_emplace(c.playbook);
}

agent_statistics agent::statistics() const {
  agent_statistics s;
  s.contexts = contexts_.size();
  s.experiences = replay_.size();
  s.updates = updates_;
  s.recommendations = recommendations_;
  s.pending = pending_.size();
  s.average_reward = updates_ ? reward_sum_ / static_cast<double>(updates_) : 0.0;
  s.exploration_rate =
      recommendations_ ? static_cast<double>(explorations_) / static_cast<double>(recommendations_)
                       : 0.0;
  s.changes_detected = changes_detected_;
  s.policy = cfg_.policy;
  return s;
}

agent_statistics agent::statistics(const std::function<bool(const context_key&)>& keep) const {
  auto s = statistics();
  s.contexts = 0;
  s.updates = 0;
  for (const auto& [context, policy] : contexts_)
    if (keep(context)) {
      ++s.contexts;
      s.updates += policy.updates;
    }
  s.experiences = 0;
  double reward_sum = 0.0;
  for (const auto& e : replay_.items())
    if (keep(e.context)) {
      ++s.experiences;
      reward_sum += e.reward;
    }
  s.average_reward = s.experiences ? reward_sum / static_cast<double>(s.experiences) : 0.0;
  s.pending = 0;
  for (const auto& [id, p] : pending_)
    if (keep(p.context))
      ++s.pending;
  return s;
}

context_summary agent::summarize(const context_key& context, const context_policy& policy) const {
  const auto& pop = population();
  context_summary out;
  out.context = context;
  out.updates = policy.updates;
  for (const auto& [name, arm] : policy.arms) {
    const auto post = pop.posterior_for(context, name, arm);
    out.arms.push_back({name, estimate(pop, context, name, arm), std::sqrt(post.var), arm.pulls,
                        arm.ema_value, arm.decoupled});
  }
  std::stable_sort(out.arms.begin(), out.arms.end(),
                   [](const auto& a, const auto& b) { return a.value > b.value; });
  return out;
}

std::optional<context_summary> agent::policy(const context_key& context) const {
  const auto it = contexts_.find(context);
  if (it == contexts_.end())
    return std::nullopt;
  return summarize(context, it->second);
}

std::vector<context_summary> agent::policies() const {
  std::vector<context_summary> out;
  out.reserve(contexts_.size());
  for (const auto& [key, p] : contexts_)
    out.push_back(summarize(key, p));
  return out;
}

std::vector<context_key> agent::contexts() const {
  std::vector<context_key> out;
  out.reserve(contexts_.size());
  for (const auto& [key, p] : contexts_)
    out.push_back(key);
  return out;
}

// --- persistence -----------------------------------------------------------

nlohmann::json agent::pending_to_json(const std::string& id, const pending_event& p) {
  return {{"event_id", id},
          {"service", p.context.service},
          {"diagnosis", p.context.diagnosis},
          {"candidates", p.candidates},
          {"max_risk_tier",
           p.max_risk_tier ? nlohmann::json(*p.max_risk_tier) : nlohmann::json(nullptr)},
          {"chosen", p.chosen},
          {"propensity", p.propensity},
          {"recommended_at_ms", p.recommended_at_ms},
          {"recommended_at_wall_ms", p.recommended_at_wall_ms},
          {"sequence", p.sequence}};
}

std::pair<std::string, agent::pending_event> agent::pending_from_json(const nlohmann::json& p) {
  pending_event e;
  const auto id = p.at("event_id").get<std::string>();
  e.context = {p.at("service").get<std::string>(), p.at("diagnosis").get<std::string>()};
  e.candidates = p.at("candidates").get<std::vector<candidate>>();
  const auto& tier = p.at("max_risk_tier");
  e.max_risk_tier = tier.is_null() ? std::nullopt : std::optional<int>(tier.get<int>());
  e.chosen = p.at("chosen").get<std::string>();
  e.propensity = p.at("propensity").get<double>();
  e.recommended_at_ms = p.at("recommended_at_ms").get<std::int64_t>();
  e.sequence = p.at("sequence").get<std::uint64_t>();
  e.recommended_at_wall_ms = p.value("recommended_at_wall_ms", std::int64_t{0});
  require(e.propensity > 0.0 && e.propensity <= 1.0,
          "pending event '" + id + "' has propensity outside (0, 1]");
  return {id, std::move(e)};
}

nlohmann::json agent::to_json() const {
  auto j = policy_json();
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& id : pending_order_)
    pending.push_back(pending_to_json(id, pending_.at(id)));
  j["pending"] = std::move(pending);
  j["expired"] = expired_order_;
  return j;
}

nlohmann::json agent::policy_json() const {
  std::ostringstream rng_state;
  rng_state << rng_;
  nlohmann::json contexts = nlohmann::json::array();
  for (const auto& [key, p] : contexts_)
    contexts.push_back({{"service", key.service}, {"diagnosis", key.diagnosis}, {"policy", p}});
  return {{"format", snapshot_format},
          {"config", config_to_json(cfg_)},
          {"rng", rng_state.str()},
          {"next_sequence", next_sequence_},
          {"updates", updates_},
          {"recommendations", recommendations_},
          {"explorations", explorations_},
          {"changes_detected", changes_detected_},
          {"detector_fires", detector_fires_},
          {"reward_sum", reward_sum_},
          {"contexts", contexts},
          {"experiences", replay_.to_vector()}};
}

namespace {

void check_arm(const std::string& where, const arm_statistics& a) {
  for (double v : {a.weight, a.sum, a.sum_sq, a.ema_value, a.cusum_up, a.cusum_down})
    require(std::isfinite(v), where + ": non-finite statistic");
  require(a.weight >= 0.0 && a.sum_sq >= 0.0, where + ": negative weight or sum of squares");
  require(a.ema_value >= -1.0 && a.ema_value <= 1.0, where + ": EMA value outside [-1, 1]");
  for (double v :
       {a.changed, a.since_weight, a.since_sum, a.since_sum_sq, a.fire_mean, a.fire_se2, a.jump_sq})
    require(std::isfinite(v), where + ": non-finite change-point statistic");
  require(a.fire_se2 >= 0.0, where + ": negative sampling variance at the last change");
  require(a.changed >= 0.0 && a.changed <= 1.0, where + ": change probability outside [0, 1]");
  require(a.since_weight >= 0.0 && a.since_sum_sq >= 0.0,
          where + ": negative weight or sum of squares since the suspected change");
}

void check_policy(const context_key& key, const context_policy& p) {
  require(!key.service.empty() && !key.diagnosis.empty(), "context with an empty name");
  for (const auto& [name, arm] : p.arms)
    check_arm("context " + key.to_string() + " playbook '" + name + "'", arm);
}

experience checked_experience(const nlohmann::json& x) {
  auto e = x.get<experience>();
  require(e.propensity > 0.0 && e.propensity <= 1.0,
          "experience '" + e.event_id + "' has propensity outside (0, 1]");
  require(std::isfinite(e.reward) && e.reward >= -1.0 && e.reward <= 1.0,
          "experience '" + e.event_id + "' has a reward outside [-1, 1]");
  return e;
}

} // namespace

agent agent::from_json(const nlohmann::json& j) {
  try {
    require(j.is_object(), "snapshot is not a JSON object");
    require(j.contains("format") && j.at("format") == snapshot_format,
            std::string("unknown snapshot format (expected ") + snapshot_format + ")");
    agent a(config_from_json(j.at("config")));
    std::istringstream rng_state(j.at("rng").get<std::string>());
    rng_state >> a.rng_;
    require(!rng_state.fail(), "random generator state unreadable");
    a.next_sequence_ = j.at("next_sequence").get<std::uint64_t>();
    a.updates_ = j.at("updates").get<std::uint64_t>();
    a.recommendations_ = j.at("recommendations").get<std::uint64_t>();
    a.explorations_ = j.at("explorations").get<std::uint64_t>();
    a.changes_detected_ = j.at("changes_detected").get<std::uint64_t>();
    a.detector_fires_ = j.value("detector_fires", std::uint64_t{0}); // absent before it existed
    a.reward_sum_ = j.at("reward_sum").get<double>();
    require(a.explorations_ <= a.recommendations_, "more explorations than recommendations");
    for (const auto& c : j.at("contexts")) {
      context_key key{c.at("service").get<std::string>(), c.at("diagnosis").get<std::string>()};
      auto policy = c.at("policy").get<context_policy>();
      check_policy(key, policy);
      require(a.contexts_.emplace(key, std::move(policy)).second,
              "context " + key.to_string() + " appears twice");
    }
    if (j.contains("pending")) // not in policy_json()
      for (const auto& p : j.at("pending")) {
        auto [id, e] = pending_from_json(p);
        require(a.pending_.count(id) == 0, "pending event '" + id + "' appears twice");
        a.add_pending(id, std::move(e));
      }
    if (j.contains("expired"))
      for (const auto& id : j.at("expired"))
        a.remember_expired(id.get<std::string>());
    for (const auto& x : j.at("experiences"))
      a.replay_.push(checked_experience(x));
    // Contexts a recommendation made and nothing kept (older snapshots).
    std::vector<context_key> keys;
    for (const auto& [key, policy] : a.contexts_)
      keys.push_back(key);
    for (const auto& key : keys)
      a.prune_if_unused(key);
    return a;
  } catch (const nlohmann::json::exception& e) {
    corrupt(std::string("malformed JSON snapshot: ") + e.what());
  } catch (const rl_error& e) {
    if (e.code() == error_code::corrupt_state)
      throw;
    corrupt(e.what());
  }
}

// --- pending events and expired ids stored apart ----------------------------

namespace {
constexpr const char* expired_row_json = "{}"; // an expired id needs no more
} // namespace

void agent::note_pending_added(const std::string& event_id) {
  if (track_events_)
    pending_changes_.put(event_id, pending_to_json(event_id, pending_.at(event_id)).dump());
}

void agent::note_pending_removed(const std::string& event_id) {
  if (track_events_)
    pending_changes_.erase(event_id);
}

void agent::note_expired_added(const std::string& event_id) {
  if (track_events_)
    expired_changes_.put(event_id, expired_row_json);
}

void agent::note_expired_removed(const std::string& event_id) {
  if (track_events_)
    expired_changes_.erase(event_id);
}

void agent::track_event_changes(bool store_holds_current) {
  pending_changes_ = {};
  expired_changes_ = {};
  track_events_ = true;
  if (store_holds_current)
    return;
  for (const auto& id : pending_order_)
    note_pending_added(id);
  for (const auto& id : expired_order_)
    note_expired_added(id);
}

agent::event_changes agent::take_event_changes() {
  return {pending_changes_.take(), expired_changes_.take()};
}

std::vector<std::string>
agent::restore_events(const std::vector<std::pair<std::string, std::string>>& pending,
                      const std::vector<std::string>& expired) {
  std::vector<std::string> unusable;
  for (const auto& [row_id, text] : pending) {
    if (pending_.count(row_id) > 0)
      continue;
    try {
      auto [id, e] = pending_from_json(nlohmann::json::parse(text));
      require(id == row_id, "pending event row '" + row_id + "' holds event '" + id + "'");
      require(!e.context.service.empty() && !e.context.diagnosis.empty(),
              "pending event '" + id + "' has an empty context");
      validate_candidates(e.context, e.candidates);
      // Its context lists what was offered, as after the recommendation.
      auto& policy = contexts_[e.context];
      for (const auto& c : e.candidates)
        policy.arms.try_emplace(c.playbook);
      add_pending(id, std::move(e));
    } catch (const std::exception&) { // nlohmann::json::exception or rl_error
      unusable.push_back(row_id);
    }
  }
  contexts_changed();
  for (const auto& id : expired)
    if (pending_.count(id) == 0)
      remember_expired(id);
  return unusable;
}

nlohmann::json agent::export_context(const context_key& context) const {
  const auto it = contexts_.find(context);
  if (it == contexts_.end())
    throw rl_error(error_code::invalid_argument, "no state for context " + context.to_string());
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& id : pending_order_)
    if (pending_.at(id).context == context)
      pending.push_back(pending_to_json(id, pending_.at(id)));
  nlohmann::json experiences = nlohmann::json::array();
  for (const auto& e : replay_.items())
    if (e.context == context)
      experiences.push_back(e);
  return {
      {"format", context_format}, {"service", context.service}, {"diagnosis", context.diagnosis},
      {"policy", it->second},     {"pending", pending},         {"experiences", experiences}};
}

void agent::import_context(const nlohmann::json& j) {
  try {
    require(j.is_object() && j.contains("format") && j.at("format") == context_format,
            std::string("unknown context format (expected ") + context_format + ")");
    context_key key{j.at("service").get<std::string>(), j.at("diagnosis").get<std::string>()};
    auto policy = j.at("policy").get<context_policy>();
    check_policy(key, policy);
    // Validate everything before changing anything.
    std::vector<std::pair<std::string, pending_event>> pending;
    for (const auto& p : j.at("pending")) {
      pending.push_back(pending_from_json(p));
      require(pending.back().second.context == key, "pending event of another context");
    }
    std::vector<experience> experiences;
    for (const auto& x : j.at("experiences")) {
      experiences.push_back(checked_experience(x));
      require(experiences.back().context == key, "experience of another context");
    }
    contexts_[key] = std::move(policy);
    contexts_changed();
    for (auto& [id, p] : pending)
      add_pending(id, std::move(p));
    for (auto& e : experiences)
      if (!replay_.contains(e.event_id))
        replay_.push(std::move(e));
  } catch (const nlohmann::json::exception& e) {
    corrupt(std::string("malformed context export: ") + e.what());
  }
}

void agent::erase_context(const context_key& context) {
  contexts_.erase(context);
  contexts_changed();
  for (auto it = pending_order_.begin(); it != pending_order_.end();) {
    if (pending_.at(*it).context == context) {
      note_pending_removed(*it);
      pending_.erase(*it);
      it = pending_order_.erase(it);
    } else {
      ++it;
    }
  }
  pending_chosen_.erase(context);
  replay_.remove_context(context);
}

std::string learned_log_line(const learn_result& r) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "reward=%.2f (trust_delta=%+.2f)", r.reward, r.trust_delta);
  return "[CAUSAL-RL] \xF0\x9F\x93\x8A Learned: " + r.playbook + " \xE2\x86\x92 " + buf;
}

// --- JSON views for the HTTP layer -----------------------------------------

void to_json(nlohmann::json& j, const recommendation& r) {
  nlohmann::json ranked = nlohmann::json::array();
  for (const auto& x : r.ranked)
    ranked.push_back(
        {{"playbook", x.playbook}, {"score", x.score}, {"probability", x.probability}});
  j = nlohmann::json{{"event_id", r.event_id},
                     {"chosen", r.chosen},
                     {"propensity", r.propensity},
                     {"ranked", ranked},
                     {"excluded", r.excluded}};
}

void to_json(nlohmann::json& j, const learn_result& r) {
  j = nlohmann::json{{"service", r.context.service},
                     {"diagnosis", r.context.diagnosis},
                     {"playbook", r.playbook},
                     {"reward", r.reward},
                     {"trust_delta", r.trust_delta},
                     {"value", r.value},
                     {"change_detected", r.change_detected}};
}

} // namespace grace::rl
