#pragma once
// The node's value types: what travels between actors (and between cluster
// nodes). Plain structs with a CAF 0.17 `inspect()` overload. This header
// includes no CAF header, so pure cores may use the same types; the inspect
// templates only bind when CAF instantiates them.
//
// Renaming a type or reordering its fields breaks wire compatibility between
// nodes of different versions (the wire identity is the name registered in
// messages/type_ids.hpp).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace grace {

// Timestamps are unix milliseconds (UTC) throughout the node.
using timestamp_ms = int64_t;

// Where a value stands against its metric's thresholds.
enum class band : uint8_t { good = 0, warning = 1, critical = 2 };

inline std::string to_string(band b) {
  switch (b) {
  case band::good:
    return "good";
  case band::warning:
    return "warning";
  case band::critical:
    return "critical";
  }
  return "unknown";
}

// One observation of one catalog metric, at its own event time.
struct metric_sample {
  std::string metric_id;
  timestamp_ms ts = 0;
  double value = 0.0;
  std::map<std::string, std::string> labels;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, metric_sample& x) {
  return f(x.metric_id, x.ts, x.value, x.labels);
}

using sample_batch = std::vector<metric_sample>;

// --- the durable sample path: ingest -> aggregator -> storage's sample log ---

// Why one sample of a batch was not taken.
struct sample_refusal {
  uint64_t index = 0; // position in the batch
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sample_refusal& x) {
  return f(x.index, x.reason);
}

// The answer to a batch of samples: how many were taken (written to the
// sample log, so a crash of the process loses none of them) and which were
// refused, with why.
struct ingest_receipt {
  uint64_t accepted = 0;
  std::vector<sample_refusal> rejected; // in batch order
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_receipt& x) {
  return f(x.accepted, x.rejected);
}

// One record for the sample log: an encoded batch
// (actors/storage/sample_log_format.hpp).
struct sample_log_record {
  std::string payload;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sample_log_record& x) {
  return f(x.payload);
}

// A piece of the sample log, read by the aggregator at start to rebuild the
// windows that were open, with the store's closed watermark (every window
// starting before it is closed and stored; INT64_MIN when none is).
struct sample_log_chunk {
  timestamp_ms closed_before = 0;
  std::vector<std::string> payloads;
  uint64_t next_segment = 0; // where to ask next
  uint64_t next_offset = 0;
  bool done = true; // nothing after these payloads
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sample_log_chunk& x) {
  return f(x.closed_before, x.payloads, x.next_segment, x.next_offset, x.done);
}

// The statistics of one metric over one aggregation window [start, end).
struct snapshot {
  std::string metric_id;
  timestamp_ms window_start = 0;
  timestamp_ms window_end = 0;
  uint64_t count = 0;
  double mean = 0.0;
  double min = 0.0;
  double max = 0.0;
  double p50 = 0.0;
  double p95 = 0.0;
  double last = 0.0;
  band level = band::good; // band of the catalog's aggregation statistic
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, snapshot& x) {
  return f(x.metric_id, x.window_start, x.window_end, x.count, x.mean, x.min, x.max, x.p50, x.p95,
           x.last, x.level);
}

// Windows the aggregator closed: their snapshots and the closed watermark
// they raise (every window starting before `closed_before` is closed).
struct closed_windows {
  std::vector<snapshot> snapshots;
  timestamp_ms closed_before = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, closed_windows& x) {
  return f(x.snapshots, x.closed_before);
}

// One step of a forecast with its central 80% and 95% prediction intervals.
struct forecast_point {
  timestamp_ms ts = 0;
  double mean = 0.0;
  double lo80 = 0.0;
  double hi80 = 0.0;
  double lo95 = 0.0;
  double hi95 = 0.0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forecast_point& x) {
  return f(x.ts, x.mean, x.lo80, x.hi80, x.lo95, x.hi95);
}

// How much a feature group contributed to a forecast.
struct feature_weight {
  std::string feature;
  double weight = 0.0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feature_weight& x) {
  return f(x.feature, x.weight);
}

// A forecast of one metric's aggregation statistic.
struct forecast {
  std::string metric_id;
  timestamp_ms generated_at = 0;
  timestamp_ms step = 0; // spacing of the points, ms
  std::string model_version;
  std::vector<forecast_point> points;
  std::vector<feature_weight> feature_importance;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, forecast& x) {
  return f(x.metric_id, x.generated_at, x.step, x.model_version, x.points, x.feature_importance);
}

// How an early warning ended.
enum class warning_outcome : uint8_t {
  open = 0,       // still open
  prevented = 1,  // an action ran and the breach did not come
  came_true = 2,  // the breach happened
  false_alarm = 3 // no action, no breach
};

inline std::string to_string(warning_outcome o) {
  switch (o) {
  case warning_outcome::open:
    return "open";
  case warning_outcome::prevented:
    return "prevented";
  case warning_outcome::came_true:
    return "came_true";
  case warning_outcome::false_alarm:
    return "false_alarm";
  }
  return "unknown";
}

// A predicted threshold breach, raised ahead of time.
struct early_warning {
  std::string id;
  std::string metric_id;
  std::string service;
  band severity = band::warning; // which threshold is predicted to break
  double probability = 0.0;      // of crossing within the horizon
  timestamp_ms raised_at = 0;
  timestamp_ms updated_at = 0;
  timestamp_ms expected_breach_at = 0;
  double predicted_value = 0.0;
  double threshold = 0.0;
  double lo80 = 0.0;
  double hi80 = 0.0;
  std::string recommended_playbook;
  std::string action_playbook; // the playbook that ran against it, empty if none
  timestamp_ms action_at = 0;
  timestamp_ms breached_at = 0; // when the breach came (came_true); lead = breached_at - raised_at
  warning_outcome outcome = warning_outcome::open;
  timestamp_ms resolved_at = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, early_warning& x) {
  return f(x.id, x.metric_id, x.service, x.severity, x.probability, x.raised_at, x.updated_at,
           x.expected_breach_at, x.predicted_value, x.threshold, x.lo80, x.hi80,
           x.recommended_playbook, x.action_playbook, x.action_at, x.breached_at, x.outcome,
           x.resolved_at);
}

// The predictor's counts of its warnings since start.
struct warning_statistics {
  uint64_t raised = 0;
  uint64_t prevented = 0;
  uint64_t came_true = 0;
  uint64_t false_alarm = 0;
  double mean_lead_minutes = 0.0; // over came_true (breached_at - raised_at); none without one
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, warning_statistics& x) {
  return f(x.raised, x.prevented, x.came_true, x.false_alarm, x.mean_lead_minutes);
}

// The predictor's warnings: open ones, the newest resolved, and the counts.
struct warnings_view {
  std::vector<early_warning> open;
  std::vector<early_warning> recent; // newest resolved, at most 100
  warning_statistics statistics;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, warnings_view& x) {
  return f(x.open, x.recent, x.statistics);
}

// One candidate in a recommendation, best first.
struct ranked_playbook {
  std::string playbook;
  double score = 0.0;
  double probability = 0.0; // of being chosen
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ranked_playbook& x) {
  return f(x.playbook, x.score, x.probability);
}

// A candidate a recommendation left out, and why (above the context's risk
// cap, or not a playbook of the catalog).
struct excluded_playbook {
  std::string playbook;
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, excluded_playbook& x) {
  return f(x.playbook, x.reason);
}

// The RL agent's answer for a (service, diagnosis) context.
struct recommendation {
  std::string event_id;
  std::string service;
  std::string diagnosis;
  std::string chosen;
  double propensity = 0.0;
  std::vector<ranked_playbook> ranked;
  std::vector<excluded_playbook> excluded;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recommendation& x) {
  return f(x.event_id, x.service, x.diagnosis, x.chosen, x.propensity, x.ranked, x.excluded);
}

// Asks the RL agent for a playbook; no candidates: the diagnosis metric's
// linked playbooks.
struct recommend_request {
  std::string service;
  std::string diagnosis;
  std::vector<std::string> candidates;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recommend_request& x) {
  return f(x.service, x.diagnosis, x.candidates);
}

// The outcome of a recommended playbook, reported to the RL agent.
struct reward_report {
  std::string event_id;
  double reward = 0.0; // in [-1, 1]
  std::map<std::string, double> kpi_deltas;
  // The run acted on an incident the executor saw (a breach at the action or
  // in the evaluation window); false: the reward counts for less (the agent's
  // unseen_incident_variance). Rewards posted over REST count in full.
  bool incident_seen = true;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, reward_report& x) {
  return f(x.event_id, x.reward, x.kpi_deltas, x.incident_seen);
}

// What a playbook run did: the unit the RL agent learns from.
struct experience {
  std::string event_id;
  std::string service;
  std::string diagnosis;
  std::string playbook;
  double propensity = 0.0;
  double reward = 0.0; // in [-1, 1]
  std::map<std::string, double> kpi_deltas;
  double trust_delta = 0.0; // how much this moved the playbook's estimate
  timestamp_ms ts = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, experience& x) {
  return f(x.event_id, x.service, x.diagnosis, x.playbook, x.propensity, x.reward, x.kpi_deltas,
           x.trust_delta, x.ts);
}

// One forecaster training cycle.
struct training_record {
  uint64_t cycle = 0;
  timestamp_ms started_at = 0;
  timestamp_ms finished_at = 0;
  uint64_t samples = 0;
  uint64_t metrics = 0;
  std::string model_version;
  std::map<std::string, double> validation_scores; // per metric
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, training_record& x) {
  return f(x.cycle, x.started_at, x.finished_at, x.samples, x.metrics, x.model_version,
           x.validation_scores);
}

// The trainer's state: the one source of when the next cycle is due.
struct training_status {
  uint64_t cycles = 0;        // last completed cycle number
  uint64_t failed_cycles = 0; // since start
  bool running = false;
  int64_t interval_ms = 0;
  timestamp_ms next_due_at = 0; // virtual time; 0 when training runs only on demand
  bool has_last = false;        // `last` holds the last completed cycle
  training_record last;
  std::string last_error; // empty when the last cycle succeeded
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, training_status& x) {
  return f(x.cycles, x.failed_cycles, x.running, x.interval_ms, x.next_due_at, x.has_last, x.last,
           x.last_error);
}

// A request for forecasts of some metrics, `horizon_ms` ahead.
struct forecast_request {
  std::vector<std::string> metric_ids;
  int64_t horizon_ms = 3600000;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forecast_request& x) {
  return f(x.metric_ids, x.horizon_ms);
}

// One stored version of a model artifact: where it is and what it holds.
struct artifact_copy {
  std::string path;
  std::string content;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, artifact_copy& x) {
  return f(x.path, x.content);
}

// One row of a component's stored collection (the RL agent's pending events,
// its expired event ids): an id unique in the collection and its JSON.
struct stored_item {
  std::string id;
  std::string json;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, stored_item& x) {
  return f(x.id, x.json);
}

// Changes to one stored collection: every row is removed first if
// `replace_all`, then the ids in `erase`; then the items in `put` are stored
// (an id stored again is replaced) and read back in the order they were put.
struct stored_items_change {
  std::string collection;
  bool replace_all = false;
  std::vector<std::string> erase;
  std::vector<stored_item> put;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_items_change& x) {
  return f(x.collection, x.replace_all, x.erase, x.put);
}

// Where a playbook execution stands.
enum class execution_state : uint8_t {
  pending_approval = 0, // waits for POST .../approve or .../reject
  running = 1,
  succeeded = 2, // the action ran; its outcome is evaluated after the window
  failed = 3,
  dry_run = 4,  // governance said dry-run: nothing was run
  refused = 5,  // a governance rule stopped it (see rule, reason)
  rejected = 6, // an operator rejected the approval
  expired = 7,  // the approval timed out
  evaluated = 8 // succeeded and its outcome (reward) is known
};

inline std::string to_string(execution_state s) {
  switch (s) {
  case execution_state::pending_approval:
    return "pending_approval";
  case execution_state::running:
    return "running";
  case execution_state::succeeded:
    return "succeeded";
  case execution_state::failed:
    return "failed";
  case execution_state::dry_run:
    return "dry_run";
  case execution_state::refused:
    return "refused";
  case execution_state::rejected:
    return "rejected";
  case execution_state::expired:
    return "expired";
  case execution_state::evaluated:
    return "evaluated";
  }
  return "unknown";
}

// Asks the executor to run a playbook against a predicted breach.
struct execution_request {
  std::string warning_id;
  std::string metric_id;
  std::string service;
  std::string playbook;
  std::string event_id; // the RL agent's, rewarded with the outcome
  double propensity = 0.0;
  forecast counterfactual; // the forecast made before acting
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_request& x) {
  return f(x.warning_id, x.metric_id, x.service, x.playbook, x.event_id, x.propensity,
           x.counterfactual);
}

// One playbook execution and what became of it.
struct execution {
  std::string id;
  std::string playbook;
  std::string metric_id;
  std::string service; // the target the governance rules count per
  std::string warning_id;
  std::string event_id;
  execution_state state = execution_state::running;
  std::string rule;   // governance rule that decided, empty when it ran freely
  std::string reason; // the governance decision in plain words
  timestamp_ms requested_at = 0;
  timestamp_ms started_at = 0;
  timestamp_ms finished_at = 0;
  timestamp_ms evaluate_at = 0;
  std::string message; // what the action said (output excerpt, HTTP status, simulator message)
  double reward = 0.0; // once evaluated
  double trust_delta = 0.0;
  std::string outcome_summary;
  std::map<std::string, double> kpi_deltas;
  // Wall clock (ISO 8601 UTC), not virtual time: a person's deadline to
  // approve. Empty when the run never waited for approval.
  std::string approval_expires_at;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, execution& x) {
  return f(x.id, x.playbook, x.metric_id, x.service, x.warning_id, x.event_id, x.state, x.rule,
           x.reason, x.requested_at, x.started_at, x.finished_at, x.evaluate_at, x.message,
           x.reward, x.trust_delta, x.outcome_summary, x.kpi_deltas, x.approval_expires_at);
}

} // namespace grace
