#pragma once
// The JSON form of the value types in messages/types.hpp: the one place it is
// defined. The storage core (SQLite columns holding JSON, ledger payloads),
// the HTTP API, the notifier and the predictor's warning book all use exactly
// these mappings, through nlohmann's ADL hooks: `nlohmann::json j = snap;`
// and `j.get<grace::snapshot>()`.
//
// Field names are the struct's, in snake_case, except:
//   snapshot.level   -> "band"
//   forecast.step    -> "step_ms"
// Enums are their to_string() names ("good", "came_true", ...).
// Times of events (a forecast's generated_at, a warning's, an execution's,
// a training record's and an experience's times) are ISO 8601 UTC text to the
// millisecond, "2026-12-07T07:06:29.251Z", read back exactly; reading also
// takes unix milliseconds (stored by older writers). The points of a series
// (sample and forecast-point ts, snapshot windows) are unix milliseconds.
//
// Reading (from_json) is strict about types and names the offending field:
// "snapshot: field 'mean' must be a number, found string";
// "forecast: points[2]: field 'ts' is missing". Scalars are required;
// lists and maps (labels, points, feature_importance, ranked, kpi_deltas,
// validation_scores, parts) may be omitted and then are empty. Unknown
// fields are ignored (newer writers). A double may be null, read as NaN -
// which is what nlohmann writes for NaN/Inf, so non-finite values survive a
// round trip as NaN.
//
// "Not yet" is null, never a placeholder: an early warning's
// recommended_playbook, action_playbook, action_at, breached_at and
// resolved_at; an execution's warning_id, event_id, rule, started_at,
// finished_at, evaluate_at and approval_expires_at when unset; its reward,
// trust_delta, outcome_summary and kpi_deltas until its state is "evaluated";
// the warnings' mean_lead_minutes until one came true.
// Reading takes null (or an absent field) for these as unset.
#include "messages/reports.hpp"
#include "messages/shard_snapshot.hpp"
#include "messages/statistics.hpp"
#include "messages/status.hpp"
#include "messages/types.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace grace {

// Thrown by every from_json below (the HTTP layer answers 400 with what()).
class json_mapping_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Parsing enum names; throw json_mapping_error listing the valid names.
band band_from_string(std::string_view name);
warning_outcome warning_outcome_from_string(std::string_view name);

execution_state execution_state_from_string(std::string_view name);

void to_json(nlohmann::json& j, execution_state x);
void from_json(const nlohmann::json& j, execution_state& x);
void to_json(nlohmann::json& j, band x);
void from_json(const nlohmann::json& j, band& x);
void to_json(nlohmann::json& j, warning_outcome x);
void from_json(const nlohmann::json& j, warning_outcome& x);

void to_json(nlohmann::json& j, const metric_sample& x);
void from_json(const nlohmann::json& j, metric_sample& x);
void to_json(nlohmann::json& j, const snapshot& x);
void from_json(const nlohmann::json& j, snapshot& x);
void to_json(nlohmann::json& j, const forecast_point& x);
void from_json(const nlohmann::json& j, forecast_point& x);
void to_json(nlohmann::json& j, const feature_weight& x);
void from_json(const nlohmann::json& j, feature_weight& x);
void to_json(nlohmann::json& j, const forecast& x);
void from_json(const nlohmann::json& j, forecast& x);
void to_json(nlohmann::json& j, const early_warning& x);
void from_json(const nlohmann::json& j, early_warning& x);
void to_json(nlohmann::json& j, const warning_statistics& x);
void from_json(const nlohmann::json& j, warning_statistics& x);
void to_json(nlohmann::json& j, const warnings_view& x);
void from_json(const nlohmann::json& j, warnings_view& x);
void to_json(nlohmann::json& j, const ranked_playbook& x);
void from_json(const nlohmann::json& j, ranked_playbook& x);
void to_json(nlohmann::json& j, const excluded_playbook& x);
void from_json(const nlohmann::json& j, excluded_playbook& x);
void to_json(nlohmann::json& j, const recommendation& x);
void from_json(const nlohmann::json& j, recommendation& x);
void to_json(nlohmann::json& j, const experience& x);
void from_json(const nlohmann::json& j, experience& x);
void to_json(nlohmann::json& j, const training_record& x);
void from_json(const nlohmann::json& j, training_record& x);
void to_json(nlohmann::json& j, const execution& x);
void from_json(const nlohmann::json& j, execution& x);
void to_json(nlohmann::json& j, const execution_request& x);
void from_json(const nlohmann::json& j, execution_request& x);

// Written for the API only: the trainer's part of
// /api/ml/forecaster/statistics (training_cycles, failed_cycles,
// training_running, interval as "6h", next_training_at as ISO 8601 or null,
// last_training or null, last_error or null).
void to_json(nlohmann::json& j, const training_status& x);

// Written only: the escalation the integration component publishes on the
// "forecasts" topic (metric_id, from, to, at, value; bands by name).
void to_json(nlohmann::json& j, const band_change& x);

// Written for the API only, /api/status: the supervisor's components (name,
// up, restarts); the aggregator's sample counts as its "samples" (accepted,
// rejected_late, rejected_invalid, replayed, open_windows, and closed_before
// once a window closed); the PromQL source as its "promql" (url, failures,
// per metric its query, interval as "1m", counters, last_error and
// last_success as ISO 8601, or null, and its backfill).
void to_json(nlohmann::json& j, const component_health& x);
void to_json(nlohmann::json& j, const supervisor_status& x);
void to_json(nlohmann::json& j, const aggregator_status& x);
void to_json(nlohmann::json& j, const promql_backfill_status& x);
void to_json(nlohmann::json& j, const promql_metric_status& x);
void to_json(nlohmann::json& j, const promql_status& x);

// Written for the API only (docs/openapi.yaml): the executor's governance
// (Governance; kill_switch.since and a breaker's opens_until null when
// unset) and with its pending approvals (GovernanceWithApprovals); the
// forecaster's model (trained_at as ISO 8601, validation, both null without
// a model); the RL agent's statistics, policies ({"policies": [...]}, a
// playbook's value and ema_value null while it has no pulls) and
// off-policy evaluation.
void to_json(nlohmann::json& j, const kill_switch_status& x);
void to_json(nlohmann::json& j, const breaker_status& x);
void to_json(nlohmann::json& j, const governance_settings_status& x);
void to_json(nlohmann::json& j, const governance_status& x);
void to_json(nlohmann::json& j, const approval_status& x);
void to_json(nlohmann::json& j, const governance_report& x);
void to_json(nlohmann::json& j, const metric_validation& x);
void to_json(nlohmann::json& j, const forecaster_statistics& x);
void to_json(nlohmann::json& j, const rl_statistics& x);
void to_json(nlohmann::json& j, const playbook_value& x);
void to_json(nlohmann::json& j, const context_policy_view& x);
void to_json(nlohmann::json& j, const rl_policies& x);
void to_json(nlohmann::json& j, const interval_view& x);
void to_json(nlohmann::json& j, const policy_estimate& x);
void to_json(nlohmann::json& j, const rl_evaluation& x);

// Written for the API only, GET /api/cluster (a shard nobody holds has
// "owner": null and "fencing_token": 0).
void to_json(nlohmann::json& j, const cluster_member_view& x);
void to_json(nlohmann::json& j, const shard_owner_view& x);
void to_json(nlohmann::json& j, const cluster_view& x);
// GET /api/ml/causal-rl/statistics and /policies in a cluster: the merged
// answer's fields, then answered_by and unanswered.
void to_json(nlohmann::json& j, const cluster_rl_statistics& x);
void to_json(nlohmann::json& j, const cluster_rl_policies& x);
void to_json(nlohmann::json& j, const cluster_warnings& x);

// A shard's learning state as etcd holds it (the learner's export format):
// {"format": "grace.shard_snapshot/1", "shard", "contexts": [{"format":
// "grace.rl_context/1", "service", "diagnosis", "policy": {"arms": {name:
// {...}}, "updates"}, "pending": [...], "experiences": [...]}]}; a missing
// max_risk_tier is null. Reading is strict (a missing or mistyped field
// throws nlohmann's error).
void to_json(nlohmann::json& j, const shard_snapshot& x);
void from_json(const nlohmann::json& j, shard_snapshot& x);
void to_json(nlohmann::json& j, const context_snapshot& x);
void from_json(const nlohmann::json& j, context_snapshot& x);

// Written for the API only, the dashboard reports (docs/openapi.yaml): a
// figure without data is null, as are a time that is not known yet and the
// parts of a report whose component did not answer (listed in
// "unavailable"). A horizon's, a context's and a playbook's figures sit
// beside its name, not under a key of their own.
void to_json(nlohmann::json& j, const figure& x);
void to_json(nlohmann::json& j, const accuracy_view& x);
void to_json(nlohmann::json& j, const horizon_accuracy_view& x);
void to_json(nlohmann::json& j, const metric_accuracy_view& x);
void to_json(nlohmann::json& j, const pooled_accuracy_view& x);
void to_json(nlohmann::json& j, const health_part& x);
void to_json(nlohmann::json& j, const health_report& x);
void to_json(nlohmann::json& j, const warnings_summary& x);
void to_json(nlohmann::json& j, const run_counts& x);
void to_json(nlohmann::json& j, const context_runs& x);
void to_json(nlohmann::json& j, const playbook_runs& x);
void to_json(nlohmann::json& j, const runs_summary& x);
void to_json(nlohmann::json& j, const learning_day& x);
void to_json(nlohmann::json& j, const training_cycle_view& x);
void to_json(nlohmann::json& j, const latest_forecast& x);
void to_json(nlohmann::json& j, const training_summary& x);
void to_json(nlohmann::json& j, const dashboard_overview& x);
// GET /api/ml/dashboard/overview and /playbook-performance in a cluster: the
// merged report's fields, then answered_by and unanswered.
void to_json(nlohmann::json& j, const cluster_dashboard_overview& x);
void to_json(nlohmann::json& j, const cluster_dashboard_playbooks& x);
// The other dashboard reports, the executions and the RL evaluation in a
// cluster (docs/cluster.md): merged, or one evaluation per member.
void to_json(nlohmann::json& j, const cluster_dashboard_accuracy& x);
void to_json(nlohmann::json& j, const cluster_dashboard_learning& x);
void to_json(nlohmann::json& j, const cluster_dashboard_training& x);
void to_json(nlohmann::json& j, const cluster_dashboard_forecasts& x);
// A run as a single node lists it, plus "node" (the member holding it).
void to_json(nlohmann::json& j, const located_execution& x);
void to_json(nlohmann::json& j, const cluster_executions& x);
void to_json(nlohmann::json& j, const cluster_rl_evaluation& x);
void to_json(nlohmann::json& j, const dashboard_health& x);
void to_json(nlohmann::json& j, const dashboard_accuracy& x);
void to_json(nlohmann::json& j, const dashboard_playbooks& x);
void to_json(nlohmann::json& j, const dashboard_learning& x);
void to_json(nlohmann::json& j, const dashboard_training& x);
void to_json(nlohmann::json& j, const dashboard_forecasts& x);

// Reads one of the types above, its errors naming `where` instead of the
// type: read_as<early_warning>(j, "open[1]") throws
// "open[1]: field 'probability' must be a number, found string".
template <class T> T read_as(const nlohmann::json& j, const std::string& where);

} // namespace grace
