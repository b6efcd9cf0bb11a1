// Partial pooling across contexts. A playbook tends to do similar things
// wherever it runs, so a context that has never tried it should start from what
// it did elsewhere, with the between-context spread (estimated from the data)
// deciding how much that borrowed knowledge counts.
//
// Except in its sibling contexts: a diagnosis `<base>:<qualifier>` (e.g.
// `api.error_rate:sudden`) names incidents of the same metric told apart
// because they need other fixes (an outage, not a bad rollout). Contexts of
// the same service whose diagnoses share the base do not lend each other
// evidence: a rollback's success on rollouts says nothing about outages, and
// borrowing it would keep the outage's fix untried.
#pragma once

#include "actors/rl_agent/context_policy.hpp"
#include "actors/rl_agent/posterior.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace grace::rl {

struct pooling_config {
  double prior_mean = 0.0; ///< belief about an unseen playbook anywhere
  double prior_sd = 0.5;
  /// With pooling, the broad prior (prior_mean, prior_sd) is estimated from
  /// the spread of every (context, playbook) mean; the configured one is
  /// worth this many pairs. 0 keeps the configured prior.
  double prior_pseudo_count = 5;
  double noise_sd = 0.3;         ///< initial guess of the reward noise
  double noise_pseudo_count = 5; ///< how many observations that guess is worth
  double pooling_sd = 0.15;      ///< initial guess of the between-context spread
  double pooling_pseudo_count = 5;
  double min_pooling_sd = 0.02;
  /// Prior share of (context, playbook) pairs that follow the pool, and how
  /// many pairs that guess is worth; the share itself is estimated from the
  /// data (how many pairs' outcomes the pool explains better than the broad
  /// prior does). The others are free of the pool: their mean starts from
  /// the broad prior (prior_mean, prior_sd). 1 turns the free component off.
  double follow_share = 0.8;
  double follow_pseudo_count = 10;
};

/// What the agent believes about one playbook's mean reward in one context: a
/// mixture of "follows the pool" and "free of it", each Gaussian. A context
/// whose outcomes disagree with the pool moves its weight to the free
/// component within a few outcomes, so the pool stops holding it back.
struct belief {
  gaussian pooled;
  gaussian free;
  double follow = 1.0; ///< posterior probability of the pooled component
  /// Probability that the playbook changed in this context since its last
  /// outcome here (agent_config::change_hazard), and its mean if it did.
  /// Only the Thompson draws use them; mean() and var() are of the
  /// unchanged arm.
  double changed_probability = 0.0;
  gaussian changed;
  /// A change suspected at an earlier outcome (arm_statistics::changed) and
  /// the mean since then.
  double suspected_probability = 0.0;
  gaussian suspected;
  double mean() const { return follow * pooled.mean + (1.0 - follow) * free.mean; }
  double var() const {
    const double m = mean();
    return follow * (pooled.var + (pooled.mean - m) * (pooled.mean - m))
           + (1.0 - follow) * (free.var + (free.mean - m) * (free.mean - m));
  }
  gaussian moments() const { return {mean(), var()}; }
};

/// Population estimates from every context the agent holds: reward noise,
/// between-context spread, and per playbook the precision-weighted evidence.
class population_model {
public:
  /// Without pooling every playbook starts from the global prior in every
  /// context (plain per-context Thompson sampling).
  population_model(const std::map<context_key, context_policy>& contexts, const pooling_config& cfg,
                   bool pool);

  double noise_var() const { return noise_var_; }
  /// The broad prior in use (estimated with pooling, see pooling_config).
  const gaussian& broad_prior() const { return prior_; }
  /// The prior of a playbook's pooled mean before any context's evidence.
  gaussian pooled_mean_prior() const { return {prior_.mean, top_var_}; }
  double pooling_var() const { return pooling_var_; }

  /// Prior for `playbook` in `context`, whose own statistics are `own`: the
  /// evidence of the other contexts but its siblings (see above), widened by
  /// the between-context spread.
  gaussian prior_for(const context_key& context, const std::string& playbook,
                     const arm_statistics& own) const;

  /// Posterior of the playbook's mean reward in that context (the moments of
  /// belief_for()).
  gaussian posterior_for(const context_key& context, const std::string& playbook,
                         const arm_statistics& own) const;
  belief belief_for(const context_key& context, const std::string& playbook,
                    const arm_statistics& own) const;
  /// Estimated share of (context, playbook) pairs that follow the pool.
  double follow_share() const { return follow_; }

private:
  struct evidence {
    double precision = 0.0;
    double weighted_sum = 0.0;
    std::size_t contexts = 0;
    void add(double p, double ws) {
      precision += p;
      weighted_sum += ws;
      ++contexts;
    }
  };
  // One playbook's evidence: over every context, and per family (service and
  // diagnosis base), so that a prior is the total minus the asking context's
  // family in constant time (a policies() listing stays linear in contexts).
  struct playbook_evidence {
    evidence total;
    std::unordered_map<std::string, evidence> by_family;
  };
  bool contributes(const arm_statistics& a) const;
  double precision_of(const arm_statistics& a) const;
  /// Posterior probability that an arm with these statistics follows a pool
  /// prior `pooled` rather than the broad one, given the share `share`.
  double follow_probability(const gaussian& pooled, const arm_statistics& a, double share) const;
  void build_evidence(const std::map<context_key, context_policy>& contexts,
                      const std::map<const arm_statistics*, double>* follow);

  pooling_config cfg_;
  bool pool_;
  double noise_var_;
  double pooling_var_;
  double follow_ = 1.0;
  gaussian prior_;        ///< a playbook's mean in a context, nothing else known
  double top_var_ = 0.25; ///< ... of a playbook's pooled mean (prior_ less the spread)
  std::unordered_map<std::string, playbook_evidence> evidence_; // per playbook
};

} // namespace grace::rl
