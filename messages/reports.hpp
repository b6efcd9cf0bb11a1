#pragma once
// The dashboard reports the analytics component answers (GET
// /api/ml/dashboard/*, /api/forecasts/latest): one struct per report, plain
// structs with a CAF 0.17 `inspect()` and no CAF header (see types.hpp).
// docs/analytics.md defines every figure; their JSON form is in
// messages/json.hpp and docs/openapi.yaml.
#include "messages/statistics.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grace {

// A figure that may have no data yet (the API shows null then).
struct figure {
  bool known = false;
  double value = 0.0;

  figure() = default;
  figure(double v) : known(true), value(v) {}
  figure(std::optional<double> v) : known(v.has_value()), value(v.value_or(0.0)) {}
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, figure& x) {
  return f(x.known, x.value);
}

// --- forecast accuracy ---

struct accuracy_view {
  uint64_t points = 0;
  figure mae;
  figure mase;
  figure smape;
  figure accuracy_pct;
  figure coverage80;
  figure coverage95;
  figure skill; // against the seasonal naive forecast
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, accuracy_view& x) {
  return f(x.points, x.mae, x.mase, x.smape, x.accuracy_pct, x.coverage80, x.coverage95, x.skill);
}

struct horizon_accuracy_view {
  int32_t horizon_minutes = 0;
  accuracy_view figures;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, horizon_accuracy_view& x) {
  return f(x.horizon_minutes, x.figures);
}

struct metric_accuracy_view {
  std::string metric_id;
  accuracy_view overall;
  std::vector<horizon_accuracy_view> by_horizon; // ascending horizon
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_accuracy_view& x) {
  return f(x.metric_id, x.overall, x.by_horizon);
}

struct pooled_accuracy_view {
  accuracy_view overall; // MAE unknown (units differ); MASE the mean of the metrics'
  std::vector<metric_accuracy_view> metrics;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pooled_accuracy_view& x) {
  return f(x.overall, x.metrics);
}

// --- health ---

// One weighted part of the health score.
struct health_part {
  std::string name;
  double weight = 0.0;
  figure value;       // 0..100; unknown without data
  std::string detail; // the inputs, in words
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, health_part& x) {
  return f(x.name, x.weight, x.value, x.detail);
}

struct health_report {
  figure score;      // 0..100; unknown when no part has data
  std::string label; // good / fair / poor; empty without a score
  std::string summary;
  std::vector<health_part> parts;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, health_report& x) {
  return f(x.score, x.label, x.summary, x.parts);
}

// --- warnings ---

struct warnings_summary {
  uint64_t open = 0;
  uint64_t raised = 0;
  uint64_t prevented = 0;
  uint64_t came_true = 0;
  uint64_t false_alarm = 0;
  uint64_t resolved = 0;
  figure precision;
  uint64_t breach_episodes_7d = 0;
  uint64_t came_true_7d = 0;
  figure recall;
  figure mean_lead_minutes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, warnings_summary& x) {
  return f(x.open, x.raised, x.prevented, x.came_true, x.false_alarm, x.resolved, x.precision,
           x.breach_episodes_7d, x.came_true_7d, x.recall, x.mean_lead_minutes);
}

// --- playbook runs ---

struct run_counts {
  uint64_t runs = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  figure success_rate;
  uint64_t evaluated = 0;
  figure mean_reward;
  figure reward_stddev;
  std::map<std::string, uint64_t> not_run; // by state: refused, rejected, expired, dry_run
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, run_counts& x) {
  return f(x.runs, x.succeeded, x.failed, x.success_rate, x.evaluated, x.mean_reward,
           x.reward_stddev, x.not_run);
}

struct context_runs {
  std::string service;
  std::string diagnosis;
  run_counts counts;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, context_runs& x) {
  return f(x.service, x.diagnosis, x.counts);
}

struct playbook_runs {
  std::string playbook;
  run_counts counts;
  std::vector<context_runs> contexts;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, playbook_runs& x) {
  return f(x.playbook, x.counts, x.contexts);
}

struct runs_summary {
  run_counts counts;
  uint64_t executions = 0;
  uint64_t pending_approvals = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, runs_summary& x) {
  return f(x.counts, x.executions, x.pending_approvals);
}

// --- learning ---

struct learning_day {
  std::string day; // UTC date, YYYY-MM-DD
  uint64_t experiences = 0;
  double mean_reward = 0.0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, learning_day& x) {
  return f(x.day, x.experiences, x.mean_reward);
}

// --- training ---

struct training_cycle_view {
  uint64_t cycle = 0;
  timestamp_ms started_at = 0;
  timestamp_ms finished_at = 0;
  double duration_seconds = 0.0;
  uint64_t samples = 0;
  uint64_t metrics = 0;
  std::string model_version;
  figure validation_mase; // mean over the cycle's metrics
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, training_cycle_view& x) {
  return f(x.cycle, x.started_at, x.finished_at, x.duration_seconds, x.samples, x.metrics,
           x.model_version, x.validation_mase);
}

// --- latest forecasts ---

struct latest_forecast {
  std::string metric_id;
  std::string name;
  std::string unit;
  std::string direction; // empty when the metric left the catalog
  figure warning;
  figure critical;
  timestamp_ms generated_at = 0;
  int64_t step_ms = 0;
  std::string model_version;
  std::vector<forecast_point> points;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, latest_forecast& x) {
  return f(x.metric_id, x.name, x.unit, x.direction, x.warning, x.critical, x.generated_at,
           x.step_ms, x.model_version, x.points);
}

// --- the reports ---
// Each has the virtual time it was made at; `unavailable` lists
// "<component>: <why>" for the components that did not answer.

struct training_summary {
  uint64_t cycles = 0;
  timestamp_ms last_finished_at = 0; // 0: never trained (null)
  timestamp_ms next_due_at = 0;      // the trainer's own; 0: unknown or on demand only (null)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, training_summary& x) {
  return f(x.cycles, x.last_finished_at, x.next_due_at);
}

struct dashboard_overview {
  health_report health;
  accuracy_view forecast_accuracy_7d;
  warnings_summary warnings;
  runs_summary playbooks;
  bool has_learning = false; // false: the RL agent did not answer (null)
  rl_statistics learning;
  training_summary training;
  std::vector<std::string> unavailable;
  timestamp_ms generated_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dashboard_overview& x) {
  return f(x.health, x.forecast_accuracy_7d, x.warnings, x.playbooks, x.has_learning, x.learning,
           x.training, x.unavailable, x.generated_at);
}

// GET /api/ml/dashboard/overview on a cluster node: every member's overview
// merged under the same names (docs/cluster.md gives the rules), and who
// answered.
struct cluster_dashboard_overview {
  dashboard_overview merged;
  std::vector<std::string> answered_by; // member ids, sorted
  std::vector<std::string> unanswered;  // "<id>: <why>"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_dashboard_overview& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

struct dashboard_health {
  health_report report;
  std::vector<std::string> unavailable;
  timestamp_ms generated_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dashboard_health& x) {
  return f(x.report, x.unavailable, x.generated_at);
}

struct dashboard_accuracy {
  std::string definition;
  pooled_accuracy_view day;  // "24h"
  pooled_accuracy_view week; // "7d"
  std::vector<std::string> unavailable;
  timestamp_ms generated_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dashboard_accuracy& x) {
  return f(x.definition, x.day, x.week, x.unavailable, x.generated_at);
}

struct dashboard_playbooks {
  runs_summary summary;
  std::vector<playbook_runs> playbooks;
  std::vector<std::string> unavailable;
  timestamp_ms generated_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dashboard_playbooks& x) {
  return f(x.summary, x.playbooks, x.unavailable, x.generated_at);
}

// GET /api/ml/dashboard/playbook-performance on a cluster node: every
// member's report merged under the same names, and who answered.
struct cluster_dashboard_playbooks {
  dashboard_playbooks merged;
  std::vector<std::string> answered_by; // member ids, sorted
  std::vector<std::string> unanswered;  // "<id>: <why>"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_dashboard_playbooks& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

struct dashboard_learning {
  uint64_t experiences = 0;
  std::vector<learning_day> days;
  figure experiences_per_day;
  figure reward_trend_per_100; // least-squares slope of reward per 100 experiences
  uint64_t policy_changes = 0;
  uint64_t contexts = 0;
  bool has_agent = false; // false: the RL agent's statistics did not come (null)
  rl_statistics agent;
  bool has_policies = false; // false: its policies did not come (null)
  std::vector<context_policy_view> policies;
  std::vector<std::string> unavailable;
  timestamp_ms generated_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dashboard_learning& x) {
  return f(x.experiences, x.days, x.experiences_per_day, x.reward_trend_per_100, x.policy_changes,
           x.contexts, x.has_agent, x.agent, x.has_policies, x.policies, x.unavailable,
           x.generated_at);
}

struct dashboard_training {
  std::vector<training_cycle_view> cycles; // newest first
  uint64_t count = 0;
  int64_t interval_seconds = 0;
  timestamp_ms next_due_at = 0;      // 0: null
  timestamp_ms last_finished_at = 0; // 0: null (never trained)
  int64_t since_last_seconds = 0;    // null when never trained
  std::vector<std::string> unavailable;
  timestamp_ms generated_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dashboard_training& x) {
  return f(x.cycles, x.count, x.interval_seconds, x.next_due_at, x.last_finished_at,
           x.since_last_seconds, x.unavailable, x.generated_at);
}

struct dashboard_forecasts {
  std::vector<latest_forecast> forecasts; // by metric id
  timestamp_ms generated_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dashboard_forecasts& x) {
  return f(x.forecasts, x.generated_at);
}

// The remaining dashboard reports on a cluster node: every member's report
// merged under a node alone's names (docs/cluster.md), and who answered.
struct cluster_dashboard_accuracy {
  dashboard_accuracy merged;
  std::vector<std::string> answered_by; // member ids, sorted
  std::vector<std::string> unanswered;  // "<id>: <why>"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_dashboard_accuracy& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

struct cluster_dashboard_learning {
  dashboard_learning merged;
  std::vector<std::string> answered_by;
  std::vector<std::string> unanswered;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_dashboard_learning& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

struct cluster_dashboard_training {
  dashboard_training merged;
  std::vector<std::string> answered_by;
  std::vector<std::string> unanswered;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_dashboard_training& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

struct cluster_dashboard_forecasts {
  dashboard_forecasts merged;
  std::vector<std::string> answered_by;
  std::vector<std::string> unanswered;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_dashboard_forecasts& x) {
  return f(x.merged, x.answered_by, x.unanswered);
}

// A run with the member whose executor holds it (and decides its approval).
struct located_execution {
  std::string node;
  execution run;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, located_execution& x) {
  return f(x.node, x.run);
}

// GET /api/playbooks/executions on a cluster node: every member's runs in
// one list, newest first, each with its node. Also the answer to an approval
// or rejection asked of every member: the run decided, by the member that
// held it (none when no member that answered holds it).
struct cluster_executions {
  std::vector<located_execution> executions;
  std::vector<std::string> answered_by;
  std::vector<std::string> unanswered;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_executions& x) {
  return f(x.executions, x.answered_by, x.unanswered);
}

// GET /api/ml/causal-rl/evaluation on a cluster node: one evaluation per
// member (each over the experiences its learner logged), not merged.
struct member_evaluation {
  std::string node;
  rl_evaluation evaluation;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_evaluation& x) {
  return f(x.node, x.evaluation);
}

struct cluster_rl_evaluation {
  uint64_t experiences = 0;               // summed over the members
  std::vector<member_evaluation> members; // by node id
  std::vector<std::string> answered_by;
  std::vector<std::string> unanswered;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_rl_evaluation& x) {
  return f(x.experiences, x.members, x.answered_by, x.unanswered);
}

} // namespace grace
