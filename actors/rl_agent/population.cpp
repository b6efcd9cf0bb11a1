#include "actors/rl_agent/population.hpp"

#include <algorithm>
#include <cmath>
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
  prior_ = {cfg.prior_mean, cfg.prior_sd * cfg.prior_sd};
  top_var_ = prior_.var;
  if (!pool_)
    return;

  // Between-context spread by the method of moments: the scatter of context
  // means around the playbook's pooled mean, minus what sampling noise alone
  // explains; shrunk towards the configured guess.
  // Pairs weighted by the probability that they follow the pool (after the
  // first pass): one that does not would otherwise inflate the spread.
  struct pair_mean {
    double mean, se2;
    const arm_statistics* arm;
  };
  std::map<std::string, std::vector<pair_mean>> means;
  for (const auto& [key, policy] : contexts)
    for (const auto& [name, arm] : policy.arms)
      if (contributes(arm) && arm.weight >= min_spread_weight)
        means[name].push_back({arm.mean(), noise_var_ / arm.weight, &arm});
  auto spread = [&](const std::map<const arm_statistics*, double>* follow) {
    auto weight_of = [&](const arm_statistics* a) {
      if (!follow)
        return 1.0;
      const auto it = follow->find(a);
      return it == follow->end() ? 1.0 : it->second;
    };
    double excess = cfg.pooling_pseudo_count * tau0_sq;
    double count = cfg.pooling_pseudo_count;
    for (const auto& [name, list] : means) {
      double n = 0.0, wsum = 0.0, wmean = 0.0;
      for (const auto& x : list) {
        const double r = weight_of(x.arm);
        const double w = r / (x.se2 + tau0_sq);
        n += r;
        wsum += w;
        wmean += w * x.mean;
      }
      if (n < 1.5 || wsum <= 0.0)
        continue;
      wmean /= wsum;
      for (const auto& x : list) {
        const double r = weight_of(x.arm);
        excess += r * ((x.mean - wmean) * (x.mean - wmean) * n / (n - 1.0) - x.se2);
        count += r;
      }
    }
    return std::max(cfg.min_pooling_sd * cfg.min_pooling_sd, excess / count);
  };
  pooling_var_ = spread(nullptr);

  // The broad prior (what a playbook does in a context, before anything is
  // known about it) by the method of moments too: the scatter of every
  // (context, playbook) mean minus sampling noise, shrunk towards the
  // configured prior. A playbook's pooled mean varies by that less the
  // between-context spread.
  if (cfg.prior_pseudo_count > 0.0) {
    double n = 0.0, sum = 0.0, sum_sq = 0.0, se2_sum = 0.0;
    for (const auto& [name, list] : means)
      for (const auto& x : list) {
        n += 1.0;
        sum += x.mean;
        sum_sq += x.mean * x.mean;
        se2_sum += x.se2;
      }
    if (n >= 2.0) {
      const double mean = sum / n;
      const double scatter = std::max(0.0, (sum_sq - n * mean * mean) / (n - 1.0) - se2_sum / n);
      const double k = cfg.prior_pseudo_count;
      prior_.mean = (k * cfg.prior_mean + n * mean) / (k + n);
      prior_.var = (k * cfg.prior_sd * cfg.prior_sd + n * scatter) / (k + n);
    }
  }
  const double min_var = cfg.min_pooling_sd * cfg.min_pooling_sd;
  prior_.var = std::max(prior_.var, min_var);
  top_var_ = std::max(prior_.var - pooling_var_, min_var);
  build_evidence(contexts, nullptr);
  if (cfg.follow_share >= 1.0)
    return;

  // The share of pairs that follow the pool (one EM step from the configured
  // guess): each pair with outcomes is judged against the pool of the others
  // (its own evidence taken out); pairs that likely do not follow lend their
  // evidence to the pool only in that proportion.
  double follow_sum = cfg.follow_share * cfg.follow_pseudo_count;
  double pairs = cfg.follow_pseudo_count;
  std::map<const arm_statistics*, double> follow;
  for (const auto& [key, policy] : contexts)
    for (const auto& [name, arm] : policy.arms) {
      if (!contributes(arm) || arm.weight < min_spread_weight)
        continue;
      const auto& total = evidence_.at(name).total;
      const double prec = precision_of(arm);
      const double others = total.precision - prec;
      if (total.contexts < 2 || others <= 0.0)
        continue;
      const double t = 1.0 / top_var_ + others;
      const gaussian pooled{(prior_.mean / top_var_ + total.weighted_sum - prec * arm.mean()) / t,
                            1.0 / t + pooling_var_};
      const double r = follow_probability(pooled, arm, cfg.follow_share);
      follow[&arm] = r;
      follow_sum += r;
      pairs += 1.0;
    }
  follow_ = follow_sum / pairs;
  pooling_var_ = spread(&follow);
  top_var_ = std::max(prior_.var - pooling_var_, min_var);
  evidence_.clear();
  build_evidence(contexts, &follow);
}

void population_model::build_evidence(const std::map<context_key, context_policy>& contexts,
                                      const std::map<const arm_statistics*, double>* follow) {
  for (const auto& [key, policy] : contexts) {
    const auto family = family_of(key);
    for (const auto& [name, arm] : policy.arms)
      if (contributes(arm)) {
        double prec = precision_of(arm);
        if (follow)
          if (const auto it = follow->find(&arm); it != follow->end())
            prec *= it->second;
        auto& e = evidence_[name];
        e.total.add(prec, prec * arm.mean());
        e.by_family[family].add(prec, prec * arm.mean());
      }
  }
}

double population_model::follow_probability(const gaussian& pooled, const arm_statistics& a,
                                            double share) const {
  if (a.weight <= 0.0)
    return share;
  const double x = a.mean();
  const double se2 = noise_var_ / a.weight;
  auto log_density = [&](double mean, double var) {
    return -0.5 * std::log(var) - 0.5 * (x - mean) * (x - mean) / var;
  };
  const double lp = std::log(share) + log_density(pooled.mean, pooled.var + se2);
  const double lf = std::log(1.0 - share) + log_density(prior_.mean, prior_.var + se2);
  return 1.0 / (1.0 + std::exp(lf - lp));
}

bool population_model::contributes(const arm_statistics& a) const {
  return !a.decoupled && a.weight > 0.0;
}

double population_model::precision_of(const arm_statistics& a) const {
  return 1.0 / (noise_var_ / a.weight + pooling_var_);
}

gaussian population_model::prior_for(const context_key& context, const std::string& playbook,
                                     const arm_statistics& own) const {
  const double prior_var = top_var_;
  if (!pool_ || own.decoupled)
    return prior_;
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
  const double mean = (prior_.mean / prior_var + weighted_sum) / total;
  return {mean, 1.0 / total + pooling_var_};
}

belief population_model::belief_for(const context_key& context, const std::string& playbook,
                                    const arm_statistics& own) const {
  belief b;
  const auto prior = prior_for(context, playbook, own);
  b.pooled = posterior_of_mean(prior, own.weight, own.sum, noise_var_);
  const gaussian broad = prior_;
  b.free = posterior_of_mean(broad, own.weight, own.sum, noise_var_);
  if (!pool_ || own.decoupled || follow_ >= 1.0 || prior.var >= broad.var) {
    b.follow = 1.0; // no pool to follow (the prior is the broad one)
    return b;
  }
  b.follow = follow_probability(prior, own, follow_);
  return b;
}

gaussian population_model::posterior_for(const context_key& context, const std::string& playbook,
                                         const arm_statistics& own) const {
  return belief_for(context, playbook, own).moments();
}

} // namespace grace::rl
