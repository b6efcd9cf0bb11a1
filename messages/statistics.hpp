#pragma once
// The components' statistics replies that the API shows (governance, the
// forecaster's model, the RL agent's learning and policies): plain structs
// with a CAF 0.17 `inspect()`, no CAF header (see types.hpp). Their JSON form
// is in messages/json.hpp.
#include "messages/types.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace grace {

// --- executor governance ---

struct kill_switch_status {
  bool engaged = false;
  std::string reason;
  timestamp_ms since = 0; // virtual time; 0: never engaged
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kill_switch_status& x) {
  return f(x.engaged, x.reason, x.since);
}

// One playbook's circuit breaker.
struct breaker_status {
  std::string playbook;
  std::string state;    // closed, open, half_open
  int64_t failures = 0; // consecutive
  bool opened = false;  // `opens_until` holds the end of the open period
  timestamp_ms opens_until = 0;
  bool trial_running = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, breaker_status& x) {
  return f(x.playbook, x.state, x.failures, x.opened, x.opens_until, x.trial_running);
}

struct governance_settings_status {
  int64_t breaker_failures = 0;
  int64_t breaker_open_ms = 0;
  int64_t approval_timeout_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, governance_settings_status& x) {
  return f(x.breaker_failures, x.breaker_open_ms, x.approval_timeout_ms);
}

// The governance state (answer to a kill-switch change).
struct governance_status {
  kill_switch_status kill_switch;
  std::vector<breaker_status> breakers;
  std::map<std::string, int64_t> runs_last_hour; // per playbook
  governance_settings_status settings;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, governance_status& x) {
  return f(x.kill_switch, x.breakers, x.runs_last_hour, x.settings);
}

// An execution waiting for a person (wall-clock times).
struct approval_status {
  std::string execution_id;
  std::string playbook;
  std::string target;
  timestamp_ms requested_at = 0;
  timestamp_ms expires_at = 0;
  int64_t expires_in_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, approval_status& x) {
  return f(x.execution_id, x.playbook, x.target, x.requested_at, x.expires_at, x.expires_in_ms);
}

// The executor's statistics: governance and the approvals pending.
struct governance_report {
  governance_status governance;
  std::vector<approval_status> pending_approvals; // oldest first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, governance_report& x) {
  return f(x.governance, x.pending_approvals);
}

// --- forecaster ---

struct metric_validation {
  double validation_mase = 0.0;
  double naive_mase = 0.0;
  uint64_t history_rows = 0;
  double global_share = 0.0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_validation& x) {
  return f(x.validation_mase, x.naive_mase, x.history_rows, x.global_share);
}

// The forecaster's model: version, validation per metric, importances.
struct forecaster_statistics {
  std::string model_version;
  uint64_t metrics_modelled = 0;
  uint64_t forecasts_served = 0;
  bool has_model = false; // false: trained_at and the validation are unknown
  timestamp_ms trained_at = 0;
  double mean_mase = 0.0;
  double mean_naive_mase = 0.0;
  std::map<std::string, metric_validation> per_metric;
  std::vector<feature_weight> feature_importance;
  std::string loaded_from;                     // artifact path; empty if trained here or none
  std::vector<std::string> rejected_artifacts; // "'<path>': <reason>", newest first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forecaster_statistics& x) {
  return f(x.model_version, x.metrics_modelled, x.forecasts_served, x.has_model, x.trained_at,
           x.mean_mase, x.mean_naive_mase, x.per_metric, x.feature_importance, x.loaded_from,
           x.rejected_artifacts);
}

// --- RL agent ---

struct rl_statistics {
  std::string policy;
  uint64_t contexts = 0;
  uint64_t experiences = 0; // in the replay buffer
  uint64_t updates = 0;     // learning steps since creation
  uint64_t recommendations = 0;
  uint64_t pending = 0;
  double average_reward = 0.0;
  double exploration_rate = 0.0; // share of choices that were not the top-scored playbook
  uint64_t changes_detected = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, rl_statistics& x) {
  return f(x.policy, x.contexts, x.experiences, x.updates, x.recommendations, x.pending,
           x.average_reward, x.exploration_rate, x.changes_detected);
}

// One playbook in one context; value and ema_value mean nothing while pulls
// is 0 (the API shows null).
struct playbook_value {
  std::string playbook;
  double value = 0.0;
  double uncertainty = 0.0;
  uint64_t pulls = 0;
  double ema_value = 0.0;
  bool decoupled = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, playbook_value& x) {
  return f(x.playbook, x.value, x.uncertainty, x.pulls, x.ema_value, x.decoupled);
}

// What the agent learned for one (service, diagnosis).
struct context_policy_view {
  std::string service;
  std::string diagnosis;
  uint64_t updates = 0;
  std::vector<playbook_value> playbooks; // best value first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, context_policy_view& x) {
  return f(x.service, x.diagnosis, x.updates, x.playbooks);
}

struct rl_policies {
  std::vector<context_policy_view> policies;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, rl_policies& x) {
  return f(x.policies);
}

struct interval_view {
  double value = 0.0;
  double std_error = 0.0;
  double low = 0.0;
  double high = 0.0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, interval_view& x) {
  return f(x.value, x.std_error, x.low, x.high);
}

// Off-policy evaluation of one policy on the logged experiences.
struct policy_estimate {
  uint64_t samples = 0;
  uint64_t skipped = 0; // without a usable propensity
  double logged_average = 0.0;
  double effective_sample_size = 0.0;
  interval_view ips;
  interval_view snips;
  interval_view dr;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_estimate& x) {
  return f(x.samples, x.skipped, x.logged_average, x.effective_sample_size, x.ips, x.snips, x.dr);
}

// The current policy and two anchors, evaluated off-policy.
struct rl_evaluation {
  uint64_t experiences = 0;
  double confidence = 0.95;
  std::string policy;
  policy_estimate current;
  policy_estimate greedy_ema;
  policy_estimate uniform;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, rl_evaluation& x) {
  return f(x.experiences, x.confidence, x.policy, x.current, x.greedy_ema, x.uniform);
}

// --- cluster ---

struct cluster_member_view {
  std::string id;
  std::string http;    // the node's HTTP API, http://host:port
  std::string cluster; // the node's cluster listen address, host:port
  int64_t incarnation = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_member_view& x) {
  return f(x.id, x.http, x.cluster, x.incarnation);
}

struct shard_owner_view {
  int32_t shard = 0;
  std::string owner; // empty: nobody holds the shard
  int64_t fencing_token = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_owner_view& x) {
  return f(x.shard, x.owner, x.fencing_token);
}

// GET /api/cluster: members and shard owners as etcd shows them, and this
// node's part.
struct cluster_view {
  std::string node_id;
  std::string cluster;
  std::vector<cluster_member_view> members; // by id
  std::vector<shard_owner_view> shards;     // every shard, in order
  bool joined = false;                      // lease alive and listed as a member
  std::vector<int32_t> serving;             // shards this node serves
  std::vector<std::string> peers;           // greeted, by node id
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, cluster_view& x) {
  return f(x.node_id, x.cluster, x.members, x.shards, x.joined, x.serving, x.peers);
}

// GET /api/ml/causal-rl/statistics on a cluster node: the members' shares
// (each the contexts of the shards it serves) merged, with the same fields as
// on a node alone, and who answered.
struct cluster_rl_statistics {
  rl_statistics merged;
  std::vector<std::string> answered_by; // member ids, sorted
  std::vector<std::string> unanswered;  // "<id>: <why>", members etcd lists that did not answer
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_rl_statistics& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

// GET /api/ml/causal-rl/policies on a cluster node: every member's policies
// (the contexts of the shards it serves) in one list, and who answered.
struct cluster_rl_policies {
  rl_policies merged;                   // by service, then diagnosis
  std::vector<std::string> answered_by; // member ids, sorted
  std::vector<std::string> unanswered;  // "<id>: <why>"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_rl_policies& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

// POST /api/ml/forecaster/predict on a cluster node: each metric's forecast
// from its owner, and who answered.
struct cluster_forecasts {
  std::vector<forecast> forecasts;                       // in the order of the request's metric ids
  std::map<std::string, std::string> unanswered_metrics; // metric id -> why its owner gave none
  std::vector<std::string> answered_by;                  // member ids, sorted
  std::vector<std::string> unanswered;                   // "<id>: <why>"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_forecasts& x) {
  return f(x.forecasts, x.unanswered_metrics, x.answered_by, x.unanswered);
}

// GET /api/predictions/warnings on a cluster node: every member's warnings
// (those of the metrics of the shards it serves) merged, and who answered.
struct cluster_warnings {
  warnings_view merged;
  std::vector<std::string> answered_by; // member ids, sorted
  std::vector<std::string> unanswered;  // "<id>: <why>"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_warnings& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

} // namespace grace
