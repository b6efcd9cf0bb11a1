#pragma once
// A shard's learning state, as the learner exports it for the cluster's fold
// (the owner writes it to etcd as /grace/<cluster>/snapshots/<shard>) and as
// a new owner's learner imports it: each (service, diagnosis) context of the
// shard with its playbooks' statistics, its pending events and its replay
// buffer's experiences. No CAF header (pure cores use it); the JSON form, the
// one etcd holds, is in messages/json.hpp.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace grace {

// A playbook as it was offered to the learner.
struct offered_playbook {
  std::string playbook;
  int32_t risk_tier = 1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offered_playbook& x) {
  return f(x.playbook, x.risk_tier);
}

// One playbook's discounted statistics in a context.
struct playbook_arm_snapshot {
  std::string playbook;
  double weight = 0.0;
  double sum = 0.0;
  double sum_sq = 0.0;
  uint64_t pulls = 0;
  double ema_value = 0.0;
  double cusum_up = 0.0;
  double cusum_down = 0.0;
  bool decoupled = false;
  // The online change point (rl agent_config::change_hazard): the learner's
  // step at this playbook's last outcome, the probability that it changed
  // since the outcomes counted in since_*, and those outcomes' statistics.
  uint64_t last_step = 0;
  double changed = 0.0;
  double since_weight = 0.0;
  double since_sum = 0.0;
  double since_sum_sq = 0.0;
  // The jumps the change detector measured (rl agent_config::learned_drift):
  // the mean at its last fire and that mean's sampling variance, and the
  // excess squared jumps of earlier fires.
  bool fired = false;
  double fire_mean = 0.0;
  double fire_se2 = 0.0;
  double jump_sq = 0.0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, playbook_arm_snapshot& x) {
  return f(x.playbook, x.weight, x.sum, x.sum_sq, x.pulls, x.ema_value, x.cusum_up, x.cusum_down,
           x.decoupled, x.last_step, x.changed, x.since_weight, x.since_sum, x.since_sum_sq,
           x.fired, x.fire_mean, x.fire_se2, x.jump_sq);
}

// A recommendation waiting for its reward.
struct pending_event_snapshot {
  std::string event_id;
  std::vector<offered_playbook> candidates;
  bool has_max_risk_tier = false;
  int32_t max_risk_tier = 0;
  std::string chosen;
  double propensity = 1.0;
  int64_t recommended_at_ms = 0;
  int64_t recommended_at_wall_ms = 0; // 0: unknown
  uint64_t sequence = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pending_event_snapshot& x) {
  return f(x.event_id, x.candidates, x.has_max_risk_tier, x.max_risk_tier, x.chosen, x.propensity,
           x.recommended_at_ms, x.recommended_at_wall_ms, x.sequence);
}

// A rewarded recommendation in the replay buffer.
struct experience_snapshot {
  std::string event_id;
  std::vector<offered_playbook> candidates;
  bool has_max_risk_tier = false;
  int32_t max_risk_tier = 0;
  std::string chosen;
  double propensity = 1.0;
  double reward = 0.0;
  std::map<std::string, double> kpi_deltas;
  int64_t recommended_at_ms = 0;
  int64_t rewarded_at_ms = 0;
  bool incident_seen = true;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, experience_snapshot& x) {
  return f(x.event_id, x.candidates, x.has_max_risk_tier, x.max_risk_tier, x.chosen, x.propensity,
           x.reward, x.kpi_deltas, x.recommended_at_ms, x.rewarded_at_ms, x.incident_seen);
}

struct context_snapshot {
  std::string service;
  std::string diagnosis;
  uint64_t updates = 0; // learning steps in this context
  std::vector<playbook_arm_snapshot> arms;
  std::vector<pending_event_snapshot> pending;
  std::vector<experience_snapshot> experiences;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, context_snapshot& x) {
  return f(x.service, x.diagnosis, x.updates, x.arms, x.pending, x.experiences);
}

struct shard_snapshot {
  int32_t shard = 0;
  std::vector<context_snapshot> contexts;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_snapshot& x) {
  return f(x.shard, x.contexts);
}

} // namespace grace
