#pragma once
// What each component answers to `atom::status`: one struct per component,
// so that a reader (the /metrics exposition, /api/status, tests) names the
// fields it uses and a renamed field is a compile error, not an empty metric.
// Plain structs with a CAF 0.17 `inspect()`, no CAF header (see types.hpp).
// Counts are since the component (re)started unless a comment says otherwise.
#include "messages/types.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace grace {

struct catalog_status {
  std::string path;
  uint64_t generation = 0;
  uint64_t metrics = 0;
  uint64_t playbooks = 0;
  uint64_t refused_reloads = 0;
  std::vector<std::string> last_errors; // why the last refused reload was refused
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, catalog_status& x) {
  return f(x.path, x.generation, x.metrics, x.playbooks, x.refused_reloads, x.last_errors);
}

// One supervised component: running or not, and its restarts since start.
struct component_health {
  std::string name;
  bool up = false;
  uint64_t restarts = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, component_health& x) {
  return f(x.name, x.up, x.restarts);
}

struct supervisor_status {
  std::vector<component_health> components; // in start order
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_status& x) {
  return f(x.components);
}

struct mesh_status {
  uint64_t subscriptions = 0;
  std::map<std::string, uint64_t> published; // events per topic
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, mesh_status& x) {
  return f(x.subscriptions, x.published);
}

// The backfill of one PromQL metric.
struct promql_backfill_status {
  bool done = false;
  uint64_t chunks = 0;
  uint64_t chunks_read = 0;
  uint64_t samples = 0;
  uint64_t snapshots = 0; // new windows stored by the backfill
  double seconds = 0.0;
  int64_t range_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, promql_backfill_status& x) {
  return f(x.done, x.chunks, x.chunks_read, x.samples, x.snapshots, x.seconds, x.range_ms);
}

struct promql_metric_status {
  std::string metric;
  std::string query;
  int64_t interval_ms = 0;
  uint64_t queries = 0;
  uint64_t failures = 0;
  uint64_t consecutive_failures = 0;
  uint64_t samples = 0;
  uint64_t non_finite = 0;
  std::string last_error;        // empty: none
  timestamp_ms last_success = 0; // wall clock; 0: none yet
  promql_backfill_status backfill;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, promql_metric_status& x) {
  return f(x.metric, x.query, x.interval_ms, x.queries, x.failures, x.consecutive_failures,
           x.samples, x.non_finite, x.last_error, x.last_success, x.backfill);
}

struct promql_status {
  std::string url;
  uint64_t failures = 0; // all metrics
  std::vector<promql_metric_status> metrics;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, promql_status& x) {
  return f(x.url, x.failures, x.metrics);
}

struct trainer_status {
  uint64_t training_cycles = 0;
  uint64_t failed_cycles = 0;
  bool training_running = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trainer_status& x) {
  return f(x.training_cycles, x.failed_cycles, x.training_running);
}

struct active_incident {
  std::string id;
  std::string type;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, active_incident& x) {
  return f(x.id, x.type);
}

struct simulator_status {
  uint64_t seed = 0;
  uint64_t samples = 0;
  uint64_t playbooks_applied = 0;
  uint64_t incidents_so_far = 0;
  std::vector<active_incident> active_incidents;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, simulator_status& x) {
  return f(x.seed, x.samples, x.playbooks_applied, x.incidents_so_far, x.active_incidents);
}

struct executor_status {
  std::map<std::string, uint64_t> executions; // per state name
  uint64_t pending_approvals = 0;
  bool kill_switch = false;
  uint64_t evaluations_running = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, executor_status& x) {
  return f(x.executions, x.pending_approvals, x.kill_switch, x.evaluations_running);
}

// A metric whose snapshot band got worse than its previous one.
struct band_change {
  std::string metric_id;
  band from = band::good;
  band to = band::good;
  timestamp_ms at = 0; // end of the snapshot's window
  double value = 0.0;  // the statistic the band was computed on
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, band_change& x) {
  return f(x.metric_id, x.from, x.to, x.at, x.value);
}

struct integration_status {
  uint64_t forecast_requests = 0;
  uint64_t forecasts_received = 0;
  std::vector<band_change> recent_escalations; // the last 50, oldest first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, integration_status& x) {
  return f(x.forecast_requests, x.forecasts_received, x.recent_escalations);
}

// The metrics of the scheduler's last forecast cycle.
struct forecast_cycle_status {
  timestamp_ms at = 0;
  std::vector<std::string> forecast;     // got a forecast
  std::vector<std::string> without_data; // asked for, but no snapshots yet
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forecast_cycle_status& x) {
  return f(x.at, x.forecast, x.without_data);
}

struct scheduler_status {
  uint64_t cycles = 0;
  uint64_t forecasts = 0;
  uint64_t failures = 0;
  int64_t interval_ms = 0;
  int64_t horizon_ms = 0;
  timestamp_ms next_cycle_at = 0;
  bool has_last_cycle = false; // `last_cycle` holds the last cycle
  forecast_cycle_status last_cycle;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scheduler_status& x) {
  return f(x.cycles, x.forecasts, x.failures, x.interval_ms, x.horizon_ms, x.next_cycle_at,
           x.has_last_cycle, x.last_cycle);
}

struct predictor_status {
  uint64_t open_warnings = 0;
  uint64_t forecasts_seen = 0;
  uint64_t anomalies_flagged = 0;
  uint64_t actions_held = 0;
  std::map<std::string, double> anomaly_scores;     // per metric, the latest
  std::map<std::string, double> breach_probability; // per metric, the latest
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, predictor_status& x) {
  return f(x.open_warnings, x.forecasts_seen, x.anomalies_flagged, x.actions_held, x.anomaly_scores,
           x.breach_probability);
}

struct sample_log_status {
  uint64_t segments = 0;
  uint64_t bytes = 0;
  uint64_t records_appended = 0;
  uint64_t bytes_appended = 0;
  uint64_t syncs = 0;
  uint64_t segments_removed = 0;
  uint64_t recovered_records = 0;
  uint64_t recovery_problems = 0;
  timestamp_ms closed_before = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sample_log_status& x) {
  return f(x.segments, x.bytes, x.records_appended, x.bytes_appended, x.syncs, x.segments_removed,
           x.recovered_records, x.recovery_problems, x.closed_before);
}

struct storage_status {
  std::string data_dir;
  bool prepared = false;
  uint64_t records_written = 0;
  uint64_t write_failures = 0;
  uint64_t snapshots_stored = 0;
  uint64_t snapshots_expired = 0;
  uint64_t forecasts_stored = 0;
  uint64_t artifacts_saved = 0;
  uint64_t ledger_entries = 0;
  bool has_sample_log = false; // `sample_log` holds the sample log's figures
  sample_log_status sample_log;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, storage_status& x) {
  return f(x.data_dir, x.prepared, x.records_written, x.write_failures, x.snapshots_stored,
           x.snapshots_expired, x.forecasts_stored, x.artifacts_saved, x.ledger_entries,
           x.has_sample_log, x.sample_log);
}

struct scrape_target_status {
  std::string name;
  std::string url;
  uint64_t scrapes = 0;
  uint64_t failures = 0;
  uint64_t samples = 0;
  uint64_t unmatched = 0;
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scrape_target_status& x) {
  return f(x.name, x.url, x.scrapes, x.failures, x.samples, x.unmatched, x.last_error);
}

struct scrape_status {
  std::vector<scrape_target_status> targets;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, scrape_status& x) {
  return f(x.targets);
}

struct ingest_status {
  uint64_t batches = 0;
  uint64_t samples = 0;
  uint64_t rejected = 0;
  uint64_t failed = 0;
  std::map<std::string, uint64_t> samples_by_source;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ingest_status& x) {
  return f(x.batches, x.samples, x.rejected, x.failed, x.samples_by_source);
}

struct replay_status {
  std::string path;
  std::string metric_id;
  uint64_t replayed = 0;
  uint64_t total = 0;
  bool finished = false;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, replay_status& x) {
  return f(x.path, x.metric_id, x.replayed, x.total, x.finished);
}

struct aggregator_status {
  uint64_t accepted = 0;
  uint64_t rejected_late = 0;
  uint64_t rejected_invalid = 0;
  uint64_t replayed = 0;
  uint64_t replay_skipped_stored = 0;
  uint64_t replay_bad_records = 0;
  uint64_t open_windows = 0;
  uint64_t held_windows = 0;
  uint64_t appends_in_flight = 0;
  timestamp_ms watermark = 0;
  timestamp_ms closed_before = 0; // INT64_MIN while nothing is closed
  uint64_t snapshots_emitted = 0;
  uint64_t snapshots_unstored = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, aggregator_status& x) {
  return f(x.accepted, x.rejected_late, x.rejected_invalid, x.replayed, x.replay_skipped_stored,
           x.replay_bad_records, x.open_windows, x.held_windows, x.appends_in_flight, x.watermark,
           x.closed_before, x.snapshots_emitted, x.snapshots_unstored);
}

struct rl_agent_status {
  std::string policy;
  uint64_t contexts = 0;
  uint64_t experiences = 0;
  uint64_t pending = 0;
  bool restored = false;       // started from a stored snapshot
  std::string restore_problem; // why a stored snapshot was not used
  uint64_t snapshots_saved = 0;
  uint64_t event_rows_saved = 0;
  bool snapshot_pending = false; // changed since the last snapshot
  uint64_t recovered = 0;        // stored outcomes learned again at start
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rl_agent_status& x) {
  return f(x.policy, x.contexts, x.experiences, x.pending, x.restored, x.restore_problem,
           x.snapshots_saved, x.event_rows_saved, x.snapshot_pending, x.recovered);
}

struct notifier_status {
  std::vector<std::string> alertmanagers;
  uint64_t webhooks = 0;
  uint64_t open_alerts = 0;
  uint64_t sent = 0;
  uint64_t failures = 0;
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, notifier_status& x) {
  return f(x.alertmanagers, x.webhooks, x.open_alerts, x.sent, x.failures, x.last_error);
}

struct cluster_status {
  std::string node_id;
  std::string cluster;
  bool lease_alive = false;
  uint64_t members = 0;
  uint64_t serving = 0; // shards
  uint64_t claims_won = 0;
  uint64_t claims_lost = 0;
  uint64_t releases = 0;
  uint64_t lease_losses = 0;
  uint64_t rewards_committed = 0; // to etcd under this node's fencing tokens
  uint64_t folds = 0;             // fold transactions written
  uint64_t forwarded = 0;         // requests sent on to their owner
  uint64_t restored_shards = 0;   // shards restored from etcd
  uint64_t waiting = 0;           // requests waiting for a shard's owner now
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_status& x) {
  return f(x.node_id, x.cluster, x.lease_alive, x.members, x.serving, x.claims_won, x.claims_lost,
           x.releases, x.lease_losses, x.rewards_committed, x.folds, x.forwarded, x.restored_shards,
           x.waiting, x.last_error);
}

struct forecaster_status {
  std::string model_version;
  uint64_t metrics_modelled = 0;
  uint64_t forecasts_served = 0;
  uint64_t requests_refused = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forecaster_status& x) {
  return f(x.model_version, x.metrics_modelled, x.forecasts_served, x.requests_refused);
}

struct analytics_status {
  uint64_t reports_logged = 0;
  uint64_t requests = 0;
  bool has_last_score = false; // false until a report had data
  double last_score = 0.0;
  std::string last_label;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, analytics_status& x) {
  return f(x.reports_logged, x.requests, x.has_last_score, x.last_score, x.last_label);
}

struct http_status {
  int32_t port = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, http_status& x) {
  return f(x.port);
}

} // namespace grace
