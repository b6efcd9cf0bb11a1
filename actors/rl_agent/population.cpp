#include "actors/rl_agent/population.hpp"

#include <algorithm>
#include <vector>

namespace grace::rl {

namespace {
// Below this weight a context's mean is too noisy to say anything about the
// between-context spread (it still lends its evidence, weighted by precision).
constexpr double min_spread_weight = 1.0;
constexpr double min_noise_var = 1e-4;

std::string base_of(const std::string& diagnosis) {
  return diagnosis.substr(0, diagnosis.find(':'));
}

// The same context and its siblings share one key: service and diagnosis base.
std::string family_of(const context_key& c) {
  return c.service + '\n' + base_of(c.diagnosis);
}
} // namespace

population_model::population_model(const std::map<context_key, context_policy>& contexts,
                                   const pooling_config& cfg, bool pool)
    : cfg_(cfg), pool_(pool) {
  // Reward noise: within-arm scatter pooled over every arm, shrunk towards the
  // configured guess so the first few outcomes cannot make it collapse.
  double num = cfg.noise_pseudo_count * cfg.noise_sd * cfg.noise_sd;
  double den = cfg.noise_pseudo_count;
  for (const auto& [key, policy] : contexts)
    for (const auto& [name, arm] : policy.arms)
      if (arm.weight > 1.0) {
        num += std::max(0.0, arm.sum_sq - arm.sum * arm.sum / arm.weight);
        den += arm.weight - 1.0;
      }
  noise_var_ = std::max(min_noise_var, num / den);
  const double tau0_sq = cfg.pooling_sd * cfg.pooling_sd;
  pooling_var_ = tau0_sq;
  if (!pool_)
    return;

  // Between-context spread by the method of moments: the scatter of context
  // means around the playbook's pooled mean, minus what sampling noise alone
  // explains; shrunk towards the configured guess.
  std::map<std::string, std::vector<std::pair<double, double>>> means; // (mean, se^2)
  for (const auto& [key, policy] : contexts)
    for (const auto& [name, arm] : policy.arms)
      if (contributes(arm) && arm.weight >= min_spread_weight)
        means[name].emplace_back(arm.mean(), noise_var_ / arm.weight);
  double excess = cfg.pooling_pseudo_count * tau0_sq;
  double count = cfg.pooling_pseudo_count;
  for (const auto& [name, list] : means) {
    if (list.size() < 2)
      continue;
    double wsum = 0.0, wmean = 0.0;
    for (const auto& [m, se2] : list) {
      const double w = 1.0 / (se2 + tau0_sq);
      wsum += w;
      wmean += w * m;
    }
    wmean /= wsum;
    const double n = static_cast<double>(list.size());
    for (const auto& [m, se2] : list) {
      excess += (m - wmean) * (m - wmean) * n / (n - 1.0) - se2;
      count += 1.0;
    }
  }
  pooling_var_ = std::max(cfg.min_pooling_sd * cfg.min_pooling_sd, excess / count);

  for (const auto& [key, policy] : contexts) {
    const auto family = family_of(key);
    for (const auto& [name, arm] : policy.arms)
      if (contributes(arm)) {
        const double prec = precision_of(arm);
        auto& e = evidence_[name];
        e.total.add(prec, prec * arm.mean());
        e.by_family[family].add(prec, prec * arm.mean());
      }
  }
}

bool population_model::contributes(const arm_statistics& a) const {
  return !a.decoupled && a.weight > 0.0;
}

double population_model::precision_of(const arm_statistics& a) const {
  return 1.0 / (noise_var_ / a.weight + pooling_var_);
}

gaussian population_model::prior_for(const context_key& context, const std::string& playbook,
                                     const arm_statistics& own) const {
  const double prior_var = cfg_.prior_sd * cfg_.prior_sd;
  if (!pool_ || own.decoupled)
    return {cfg_.prior_mean, prior_var};
  // The other families' evidence (its own is not counted twice).
  double precision = 0.0, weighted_sum = 0.0;
  if (auto it = evidence_.find(playbook); it != evidence_.end()) {
    const auto& e = it->second;
    const auto own = e.by_family.find(family_of(context));
    if (own == e.by_family.end()) {
      precision = e.total.precision;
      weighted_sum = e.total.weighted_sum;
    } else if (own->second.contexts < e.total.contexts) {
      precision = std::max(0.0, e.total.precision - own->second.precision);
      weighted_sum = e.total.weighted_sum - own->second.weighted_sum;
    }
  }
  const double total = 1.0 / prior_var + precision;
  const double mean = (cfg_.prior_mean / prior_var + weighted_sum) / total;
  return {mean, 1.0 / total + pooling_var_};
}

gaussian population_model::posterior_for(const context_key& context, const std::string& playbook,
                                         const arm_statistics& own) const {
  return posterior_of_mean(prior_for(context, playbook, own), own.weight, own.sum, noise_var_);
}

} // namespace grace::rl
