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
  double noise_sd = 0.3;         ///< initial guess of the reward noise
  double noise_pseudo_count = 5; ///< how many observations that guess is worth
  double pooling_sd = 0.15;      ///< initial guess of the between-context spread
  double pooling_pseudo_count = 5;
  double min_pooling_sd = 0.02;
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
  double pooling_var() const { return pooling_var_; }

  /// Prior for `playbook` in `context`, whose own statistics are `own`: the
  /// evidence of the other contexts but its siblings (see above), widened by
  /// the between-context spread.
  gaussian prior_for(const context_key& context, const std::string& playbook,
                     const arm_statistics& own) const;

  /// Posterior of the playbook's mean reward in that context.
  gaussian posterior_for(const context_key& context, const std::string& playbook,
                         const arm_statistics& own) const;

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

  pooling_config cfg_;
  bool pool_;
  double noise_var_;
  double pooling_var_;
  std::unordered_map<std::string, playbook_evidence> evidence_; // per playbook
};

} // namespace grace::rl
