#pragma once
// Every typed actor interface of the node, one comment per handler. Shared
// sub-protocols (status) are added to each interface with extend_with rather
// than re-invented.
#include "messages/atoms.hpp"
#include "messages/cluster_messages.hpp"
#include "messages/reports.hpp"
#include "messages/shard_snapshot.hpp"
#include "messages/statistics.hpp"
#include "messages/status.hpp"
#include "messages/types.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grace::forecaster {
class temporal_forecaster;
} // namespace grace::forecaster

namespace grace::catalog {
class metrics_catalog;
} // namespace grace::catalog

namespace grace {

// A trained forecaster, immutable once built and shared by reference inside
// one node (each node loads its artifact from its own data directory).
using forecaster_model = std::shared_ptr<const forecaster::temporal_forecaster>;

// The live catalog: immutable once built, shared between actors in one node
// (each node loads its own catalog file, so it never crosses the network).
using catalog_ref = std::shared_ptr<const catalog::metrics_catalog>;

// The answer to a catalog reload.
struct reload_outcome {
  bool reloaded = false;
  uint64_t generation = 0;         // increases with every successful (re)load
  std::vector<std::string> errors; // why the new file was refused
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reload_outcome& x) {
  return f(x.reloaded, x.generation, x.errors);
}

// The answer to a ledger verification.
struct ledger_report {
  bool ok = false;
  uint64_t entries = 0;   // entries checked
  uint64_t first_bad = 0; // sequence number (or line) of the first bad entry, 0 if ok
  std::string reason;     // plain words, empty if ok
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, ledger_report& x) {
  return f(x.ok, x.entries, x.first_bad, x.reason);
}

// Shared sub-protocol: every component answers `atom::status` with its own
// typed summary of itself (messages/status.hpp).
template <class Status>
using status_client = caf::typed_actor<caf::replies_to<atom::status>::with<Status>>;

// Owns the live metrics catalog and its reloads.
using catalog_actor = caf::typed_actor<
    // The current catalog.
    caf::replies_to<atom::get>::with<catalog_ref>,
    // Re-reads the catalog file; on any error the last good catalog stays.
    caf::replies_to<atom::reload>::with<reload_outcome>>::
    extend_with<status_client<catalog_status>>;

// Snapshots of one metric in [since, until), at most `limit` (the most recent),
// oldest first. limit 0 means no limit.
struct snapshot_query {
  std::string metric_id;
  timestamp_ms since = 0;
  timestamp_ms until = 0;
  uint64_t limit = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_query& x) {
  return f(x.metric_id, x.since, x.until, x.limit);
}

// What a playbook run did to the simulated world (action kind `simulator`).
struct simulated_action {
  std::string playbook;
  bool matched = false; // an active incident was there to act on
  std::string incident_id;
  std::string action_message; // e.g. "API shard scaling initiated"
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, simulated_action& x) {
  return f(x.playbook, x.matched, x.incident_id, x.action_message);
}

// Metric storage of the storage component (SQLite, WAL).
using metric_store_actor = caf::typed_actor<
    // Snapshots of one metric in a time range.
    caf::replies_to<atom::query, snapshot_query>::with<std::vector<snapshot>>,
    // The latest snapshot of every metric.
    caf::replies_to<atom::latest>::with<std::vector<snapshot>>,
    // Every snapshot since a time, all metrics (reloading recent history).
    caf::replies_to<atom::history, timestamp_ms>::with<std::vector<snapshot>>,
    // Forecasts of one metric generated in [since, until), at most `limit`
    // (the most recent), oldest first.
    caf::replies_to<atom::query, atom::forecast, snapshot_query>::with<std::vector<forecast>>,
    // The newest `n` learning experiences, in the order they were stored.
    caf::replies_to<atom::history, atom::reward, uint64_t>::with<std::vector<experience>>>;

// The only writer of files under the data directory.
using storage_actor = caf::typed_actor<
    // Writes a JSON record (category, kind, id, JSON text) atomically to
    // grace_training/<category>/YYYY-MM-DD/HHMMSS_<kind>_<id>.json, dated in the
    // node's virtual time; answers its path.
    caf::replies_to<atom::record, std::string, std::string, std::string,
                    std::string>::with<std::string>,
    // Appends an entry (kind, JSON payload) to the provenance ledger; answers its
    // sequence number once it is on disk.
    caf::replies_to<atom::append, std::string, std::string>::with<uint64_t>,
    // Checks the whole ledger chain.
    caf::replies_to<atom::verify>::with<ledger_report>,
    // Stores forecasts (idempotent per metric and generation time); answers how many.
    caf::replies_to<atom::store, std::vector<forecast>>::with<uint64_t>,
    // Stores a training record in the metric store; answers 1.
    caf::replies_to<atom::store, training_record>::with<uint64_t>,
    // The newest `n` training records, newest first.
    caf::replies_to<atom::history, atom::train, uint64_t>::with<std::vector<training_record>>,
    // Saves a model artifact (model folder, file name, content) as the current
    // ml_artifacts/<model>/<file>, keeping previous versions; answers its path.
    caf::replies_to<atom::save, std::string, std::string, std::string>::with<std::string>,
    // Every stored version of ml_artifacts/<model>/<file>, newest first (the
    // reader validates them and takes the first good one).
    caf::replies_to<atom::load, std::string, std::string>::with<std::vector<artifact_copy>>,
    // Stores a component's state (key, JSON) in the metric store; answers 1.
    caf::replies_to<atom::state, std::string, std::string>::with<uint64_t>,
    // A component's stored state; an empty string when there is none.
    caf::replies_to<atom::state, std::string>::with<std::string>,
    // Changes stored collections of component rows (ids and JSON) in one
    // transaction; answers how many rows were erased or put. A put whose
    // JSON is not valid changes nothing: invalid_input.
    caf::replies_to<atom::state, std::vector<stored_items_change>>::with<uint64_t>,
    // The rows of a stored collection, in the order they were put.
    caf::replies_to<atom::state, atom::history, std::string>::with<std::vector<stored_item>>,
    // The newest virtual time the metric store holds (snapshots, forecasts,
    // rewards, training records, component state); 0 when it is empty.
    caf::replies_to<atom::latest, atom::history>::with<timestamp_ms>,
    // Appends a learning experience to the metric store; answers 1.
    caf::replies_to<atom::store, experience>::with<uint64_t>,
    // Writes a record of samples to the sample log with one write(2);
    // answers once it is written (the records written so far). A payload
    // that is not a sample batch is invalid_input.
    caf::replies_to<atom::append, sample_log_record>::with<uint64_t>,
    // Reads the sample log from (segment, offset) on, with the closed
    // watermark: the aggregator's replay at start. (0, 0): from the start.
    caf::replies_to<atom::replay, uint64_t, uint64_t>::with<sample_log_chunk>,
    // Stores the snapshots of closed windows (a stored window is never
    // rewritten) and raises the closed watermark, in one transaction; the
    // sample log's segments before it are then removed. Answers how many
    // snapshots were new.
    caf::replies_to<atom::store, closed_windows>::with<uint64_t>,
    // Syncs the sample log to disk (shutdown); answers true.
    caf::replies_to<atom::flush>::with<bool>,
    // Internal: syncs the sample log and removes the segments no longer
    // needed (every storage.sync_interval).
    caf::reacts_to<atom::sync>,
    // Internal: applies the retention setting (every virtual hour).
    caf::reacts_to<atom::tick>>::extend_with<status_client<storage_status>, metric_store_actor>;

// Where a source's samples go (the component named by the node): the ingest
// component, or in a cluster the cluster component, which sends each sample
// to the ingest of its metric's owner. Both answer the same way.
using sample_sink_actor =
    caf::typed_actor<caf::replies_to<atom::ingest, sample_batch>::with<ingest_receipt>>;

// Where a source's history (closed windows read back, PromQL's backfill)
// goes: the storage component, or in a cluster the cluster component, which
// has each window stored by its metric's owner. Both answer how many were new.
using history_sink_actor =
    caf::typed_actor<caf::replies_to<atom::store, closed_windows>::with<uint64_t>>;

// Receives samples from every source (push, scrape, replay, simulator) and
// hands them to the aggregator.
using ingest_actor = caf::typed_actor<
    // Takes a batch of already validated samples; answers once the samples
    // taken are in the sample log, with those refused and why.
    caf::replies_to<atom::ingest,
                    sample_batch>::with<ingest_receipt>>::extend_with<status_client<ingest_status>>;

// Turns samples into 5-minute snapshots.
using aggregator_actor = caf::typed_actor<
    // Checks a batch against the closed windows, writes the samples it takes
    // to the storage's sample log and adds them to their event-time windows;
    // answers once they are written.
    caf::replies_to<atom::ingest, sample_batch>::with<ingest_receipt>,
    // Shutdown: stores the windows due, waits for the writes under way and
    // refuses later samples; answers true. Open windows stay in the log.
    caf::replies_to<atom::flush>::with<bool>,
    // Internal: closes the windows that virtual time has passed.
    caf::reacts_to<atom::tick>>::extend_with<status_client<aggregator_status>>;

// The built-in world of metrics and incidents (grace-node run --simulate).
using simulator_actor = caf::typed_actor<
    // Internal: generates the samples that are due.
    caf::reacts_to<atom::tick>,
    // Applies a playbook to the simulated world.
    caf::replies_to<atom::apply, std::string>::with<simulated_action>>::
    extend_with<status_client<simulator_status>>;

// CSV replay as a metric source.
using replay_actor = caf::typed_actor<
    // Internal: sends the rows virtual time has reached.
    caf::reacts_to<atom::tick>>::extend_with<status_client<replay_status>>;

// Scrapes Prometheus endpoints (scrape_targets in grace.yaml).
using scrape_actor = caf::typed_actor<
    // Internal: scrapes the targets that are due.
    caf::reacts_to<atom::tick>>::extend_with<status_client<scrape_status>>;

// Reads catalog metrics with a `promql:` expression from the user's
// Prometheus (backfill at start, then a poll every collection interval).
using promql_actor = caf::typed_actor<
    // Internal: polls the metrics that are due and re-reads the catalog.
    caf::reacts_to<atom::tick>,
    // Internal: queries the next piece of history to backfill.
    caf::reacts_to<atom::history>>::extend_with<status_client<promql_status>>;

// The event mesh: topic pub/sub used by /api/events and the components.
using mesh_actor = caf::typed_actor<
    // Subscribes an actor to a topic ("*" for all); it gets (event, topic, JSON).
    caf::reacts_to<atom::subscribe, std::string, caf::actor>,
    // Publishes a JSON event on a topic.
    caf::reacts_to<atom::publish, std::string,
                   std::string>>::extend_with<status_client<mesh_status>>;

// Watches snapshots; a metric entering warning or critical asks for a
// targeted forecast.
using integration_actor = caf::typed_actor<
    // New snapshots from the aggregator.
    caf::reacts_to<atom::ingest,
                   std::vector<snapshot>>>::extend_with<status_client<integration_status>>;

// Holds the trained forecaster and answers forecasts from the stored history.
using forecaster_actor = caf::typed_actor<
    // Forecasts of the request's metrics from their stored snapshots. An
    // unknown metric or a horizon out of range is invalid_input; metrics with
    // no snapshots yet are left out of the answer.
    caf::replies_to<atom::forecast, forecast_request>::with<std::vector<forecast>>,
    // Installs a newly trained model (from the trainer) with its version.
    caf::reacts_to<atom::model, forecaster_model, std::string>,
    // Metrics modelled, model version, validation per metric, importances.
    caf::replies_to<atom::statistics>::with<forecaster_statistics>>::
    extend_with<status_client<forecaster_status>>;

// Retrains the forecaster every training interval and on demand.
using trainer_actor = caf::typed_actor<
    // Runs a training cycle now (or joins the one running); answers its record.
    caf::replies_to<atom::train>::with<training_record>,
    // Cycles run, the last training, whether one is running, next due.
    caf::replies_to<atom::statistics>::with<training_status>,
    // Internal: the training interval has passed.
    caf::reacts_to<atom::tick>>::extend_with<status_client<trainer_status>>;

// Asks for forecasts of the catalog's forecast metrics every forecast interval.
using scheduler_actor = caf::typed_actor<
    // Internal: the forecast interval has passed.
    caf::reacts_to<atom::tick>>::extend_with<status_client<scheduler_status>>;

// Learns which playbook works per (service, diagnosis) and recommends one.
using rl_agent_actor = caf::typed_actor<
    // Chooses a playbook (with its propensity); invalid_input for bad candidates.
    caf::replies_to<atom::recommend, recommend_request>::with<recommendation>,
    // Learns from a recommended event's outcome; invalid_input for an unknown or
    // already rewarded event or a reward outside [-1, 1].
    caf::replies_to<atom::reward, reward_report>::with<experience>,
    // Cluster: what that reward would learn (no trust_delta), changing
    // nothing; the same errors.
    caf::replies_to<atom::reward, reward_report, atom::check>::with<experience>,
    // Cluster: the shard's contexts replaced by its snapshot in etcd (""
    // none), then its committed rewards (experience JSON, in commit order)
    // learned; answers how many were learned. unavailable until the agent has
    // read its own stored state.
    caf::replies_to<atom::restore, int32_t, std::string, std::vector<std::string>>::with<uint64_t>,
    // Cluster: the shard's contexts (policies, pending events, experiences),
    // folded into its snapshot in etcd.
    caf::replies_to<atom::fold, int32_t>::with<shard_snapshot>,
    // Withdraws a recommended event that was not acted on (refused, not
    // approved, dry run): nothing is learned; false if it was not pending.
    caf::replies_to<atom::withdraw, std::string>::with<bool>,
    // Contexts, experiences, updates, average reward, exploration rate.
    caf::replies_to<atom::statistics>::with<rl_statistics>,
    // Cluster: the share of the contexts of these shards (those this node
    // serves); see rl::agent::statistics(keep).
    caf::replies_to<atom::statistics, std::vector<int32_t>>::with<rl_statistics>,
    // Per context, each playbook's value, uncertainty and pulls.
    caf::replies_to<atom::get>::with<rl_policies>,
    // Cluster: those of the contexts of these shards.
    caf::replies_to<atom::get, std::vector<int32_t>>::with<rl_policies>,
    // Off-policy evaluation of the current policy and the anchors.
    caf::replies_to<atom::evaluate>::with<rl_evaluation>,
    // Internal: expires unrewarded events.
    caf::reacts_to<atom::tick>,
    // Internal: writes the snapshot if the agent changed since the last one
    // (snapshots are throttled; experiences are stored with every reward).
    caf::reacts_to<atom::save>,
    // Internal: writes the rows of the pending events and expired ids that
    // changed (stored apart from the snapshot, more often).
    caf::reacts_to<atom::flush>>::extend_with<status_client<rl_agent_status>>;

// Turns forecasts into early warnings and warnings into recommended actions.
using predictor_actor = caf::typed_actor<
    // New forecasts (scheduler, targeted forecasts).
    caf::reacts_to<atom::forecast, std::vector<forecast>>,
    // Closed snapshots: bands reached (warnings come true) and anomaly scores.
    caf::reacts_to<atom::ingest, std::vector<snapshot>>,
    // A playbook ran against a metric's open warning (metric, playbook, when).
    caf::reacts_to<atom::action, std::string, std::string, timestamp_ms>,
    // Open and recent warnings with outcomes, counts and lead times.
    caf::replies_to<atom::warnings>::with<warnings_view>,
    // Internal: resolves warnings whose breach time passed.
    caf::reacts_to<atom::tick>>::extend_with<status_client<predictor_status>>;

// Runs playbooks under governance and measures what they did.
using executor_actor = caf::typed_actor<
    // Runs (or queues for approval, dry-runs, refuses) a playbook.
    caf::replies_to<atom::run, execution_request>::with<execution>,
    // Approves (true) or rejects (false) a pending execution by id.
    caf::replies_to<atom::approve, std::string, bool>::with<execution>,
    // Of these playbooks (catalog, target service, ids), those governance
    // would let run on the target now (at once or once approved).
    caf::replies_to<atom::runnable, catalog_ref, std::string,
                    std::vector<std::string>>::with<std::vector<std::string>>,
    // Executions, newest first; a state name filters, "" means all.
    caf::replies_to<atom::get, std::string>::with<std::vector<execution>>,
    // Engages (true) or releases the global kill switch with a reason;
    // answers the governance status.
    caf::replies_to<atom::kill, bool, std::string>::with<governance_status>,
    // Governance (kill switch, breakers, runs per playbook) and the
    // approvals pending.
    caf::replies_to<atom::statistics>::with<governance_report>,
    // Internal: approval expiry and outcome evaluation.
    caf::reacts_to<atom::tick>,
    // Internal: an approval's wall-clock deadline has come.
    caf::reacts_to<atom::tick, atom::approve>>::extend_with<status_client<executor_status>>;

// Runs one webhook or command action (catalog, playbook id, JSON payload)
// off the shared threads: spawned detached, one per run. Answers whether it
// succeeded and what it said.
using action_worker_actor = caf::typed_actor<
    caf::replies_to<atom::run, catalog_ref, std::string, std::string>::with<bool, std::string>>;

// Sends early warnings to Alertmanager and webhooks (detached: HTTP blocks).
using notifier_actor = caf::typed_actor<
    // A warning raised, updated or resolved.
    caf::reacts_to<atom::notify, early_warning>,
    // Internal: re-sends the open warnings.
    caf::reacts_to<atom::tick>>::extend_with<status_client<notifier_status>>;

// Grades the node's predictions and actions from storage and the components'
// statistics; serves the dashboard reports and the /metrics exposition.
using analytics_actor = caf::typed_actor<
    // The dashboard reports (messages/reports.hpp), made from what storage
    // and the components answer at the time of asking.
    caf::replies_to<atom::get, atom::overview>::with<dashboard_overview>,
    caf::replies_to<atom::get, atom::health>::with<dashboard_health>,
    caf::replies_to<atom::get, atom::accuracy>::with<dashboard_accuracy>,
    caf::replies_to<atom::get, atom::playbooks>::with<dashboard_playbooks>,
    caf::replies_to<atom::get, atom::learning>::with<dashboard_learning>,
    caf::replies_to<atom::get, atom::training>::with<dashboard_training>,
    caf::replies_to<atom::get, atom::forecasts>::with<dashboard_forecasts>,
    // Prometheus text exposition of the node and of its predictions.
    caf::replies_to<atom::metrics>::with<std::string>,
    // Internal: the report interval has passed (logs the health score).
    caf::reacts_to<atom::tick>>::extend_with<status_client<analytics_status>>;

// The node's membership in a cluster: its lease and member record in etcd,
// the watch on the cluster's keys, and the claims on the shards it owns.
// Spawned only when cluster.etcd is set. It never blocks: etcd calls go to
// its etcd workers and peers are dialed by peer dialers, both detached, and
// their answers come back as messages.
using cluster_actor = caf::typed_actor<
    // GET /api/cluster: members and shard owners as etcd shows them.
    caf::replies_to<atom::get>::with<cluster_view>,
    // Internal: keepalive and rejoin (every second).
    caf::reacts_to<atom::tick>,
    // Internal: the watch saw a change under the cluster's keys.
    caf::reacts_to<atom::refresh>,
    // Internal: re-read members and owners and reconcile the claims.
    caf::reacts_to<atom::sync>,
    // A peer dialed us (delegated by our cluster_peer_actor): its hello and
    // its own endpoint; answers our hello once etcd lists it as a member.
    caf::replies_to<atom::hello, peer_hello, caf::actor>::with<peer_hello>,
    // A recommendation, answered by the owner of the context's shard (here
    // or over the peer link) with the owner's node id; waits up to
    // http.request_timeout for an owner.
    caf::replies_to<atom::recommend, recommend_request>::with<recommendation, std::string>,
    // A reward, answered by the owner of the shard its event id names (with
    // its node id) once the owner has committed it to etcd under its
    // fencing token.
    caf::replies_to<atom::reward, reward_report>::with<experience, std::string>,
    // The same, forwarded by the peer named: answered here (or waited for
    // here), never forwarded again.
    caf::replies_to<atom::recommend, recommend_request, std::string>::with<recommendation,
                                                                           std::string>,
    caf::replies_to<atom::reward, reward_report, std::string>::with<experience, std::string>,
    // Pushed samples (validated), each sent to the ingest of its metric's
    // owner; one receipt with the refusals by position in the batch (a
    // sample its owner did not acknowledge is refused saying why).
    caf::replies_to<atom::ingest, sample_batch>::with<ingest_receipt>,
    // The same, forwarded by the peer named: ingested here or waited for here.
    caf::replies_to<atom::ingest, sample_batch, std::string>::with<ingest_receipt>,
    // The RL agent's statistics over the cluster: every member's share (the
    // contexts of the shards it serves) merged, with who answered.
    caf::replies_to<atom::statistics>::with<cluster_rl_statistics>,
    // Asked by the peer named: this node's share and its id.
    caf::replies_to<atom::statistics, std::string>::with<rl_statistics, std::string>,
    // The learned policies over the cluster: every member's (the contexts of
    // the shards it serves) in one list, with who answered.
    caf::replies_to<atom::policies>::with<cluster_rl_policies>,
    // Asked by the peer named: this node's share and its id.
    caf::replies_to<atom::policies, std::string>::with<rl_policies, std::string>,
    // Forecasts of the request's metrics, each asked of its metric's owner
    // (here or over the peer link; waits up to http.request_timeout for an
    // owner), with who answered.
    caf::replies_to<atom::forecast, forecast_request>::with<cluster_forecasts>,
    // The same, forwarded by the peer named: answered here by the local
    // forecaster, with this node's id.
    caf::replies_to<atom::forecast, forecast_request, std::string>::with<std::vector<forecast>,
                                                                         std::string>,
    // The early warnings over the cluster: every member's (those of the
    // metrics of the shards it serves) merged, with who answered.
    caf::replies_to<atom::warnings>::with<cluster_warnings>,
    // Asked by the peer named: this node's share and its id.
    caf::replies_to<atom::warnings, std::string>::with<warnings_view, std::string>,
    // The dashboard overview over the cluster: every member's merged, with
    // who answered.
    caf::replies_to<atom::overview>::with<cluster_dashboard_overview>,
    // Asked by the peer named: this node's overview (its learning part over
    // the shards it serves) and its id.
    caf::replies_to<atom::overview, std::string>::with<dashboard_overview, std::string>,
    // The playbook performance over the cluster: every member's runs merged,
    // with who answered.
    caf::replies_to<atom::playbooks>::with<cluster_dashboard_playbooks>,
    // Asked by the peer named: this node's report (its executor's runs) and
    // its id.
    caf::replies_to<atom::playbooks, std::string>::with<dashboard_playbooks, std::string>,
    // A shard owner's snapshots, sent to this node as the shard's next
    // owner: checked, then stored through the storage component; answers
    // how many were new.
    caf::replies_to<atom::store, snapshot_handover>::with<uint64_t>,
    // Closed windows of a source's history (PromQL's backfill), each stored
    // by its metric's owner (here or over the peer link, waiting for an
    // owner like a sample); answers how many were new.
    caf::replies_to<atom::store, closed_windows>::with<uint64_t>,
    // The same, forwarded by the peer named: stored here or waited for here.
    caf::replies_to<atom::store, closed_windows, std::string>::with<uint64_t>,
    // Internal: tries again the requests waiting for a shard's owner.
    caf::reacts_to<atom::flush>,
    // A recommendation the predictor withdraws (refused, not approved, a
    // dry run): withdrawn at the owner of the shard its event id names (here
    // or over the peer link, waiting for an owner like a reward); answers
    // whether the owner's learner still had it pending.
    caf::replies_to<atom::withdraw, std::string>::with<bool>,
    // The same, forwarded by the peer named: withdrawn here or waited for here.
    caf::replies_to<atom::withdraw, std::string, std::string>::with<bool>,
    // A metric's snapshots, read from the storage of its metric's owner (here
    // or over the peer link; waits for an owner like a recommendation), with
    // the owner's id.
    caf::replies_to<atom::query, snapshot_query>::with<std::vector<snapshot>, std::string>,
    // The same, forwarded by the peer named: read here, with this node's id.
    caf::replies_to<atom::query, snapshot_query, std::string>::with<std::vector<snapshot>,
                                                                    std::string>,
    // The forecast accuracy, learning progress, training history and latest
    // forecasts over the cluster: every member's report merged, with who
    // answered; and, asked by the peer named, this node's report and its id.
    caf::replies_to<atom::accuracy>::with<cluster_dashboard_accuracy>,
    caf::replies_to<atom::accuracy, std::string>::with<dashboard_accuracy, std::string>,
    caf::replies_to<atom::learning>::with<cluster_dashboard_learning>,
    caf::replies_to<atom::learning, std::string>::with<dashboard_learning, std::string>,
    caf::replies_to<atom::training>::with<cluster_dashboard_training>,
    caf::replies_to<atom::training, std::string>::with<dashboard_training, std::string>,
    caf::replies_to<atom::forecasts>::with<cluster_dashboard_forecasts>,
    caf::replies_to<atom::forecasts, std::string>::with<dashboard_forecasts, std::string>,
    // Playbook executions (the state filter, "" for all) over the cluster,
    // newest first; and, asked by the peer named, this node's executor's.
    caf::replies_to<atom::executions, std::string>::with<cluster_executions>,
    caf::replies_to<atom::executions, std::string, std::string>::with<std::vector<execution>,
                                                                      std::string>,
    // An operator's approval (true) or rejection of a run waiting for one,
    // asked of every member: the one whose executor holds it decides.
    caf::replies_to<atom::approve, std::string, bool>::with<cluster_executions>,
    // The same, asked by the peer named: decided by this node's executor;
    // answers the run decided (none when it does not hold the id), this
    // node's id.
    caf::replies_to<atom::approve, std::string, bool, std::string>::with<std::vector<execution>,
                                                                         std::string>,
    // The cluster's kill switch: engaged (true) or released with a reason,
    // written to etcd (/grace/<cluster>/kill-switch) and applied here;
    // every member applies it when its watch sees it, a node joining later
    // at its first read. Answers this node's governance once applied.
    caf::replies_to<atom::kill, bool, std::string>::with<governance_status>,
    // The RL evaluation of every member (not merged: each is an off-policy
    // estimate over its own learner's log); and this node's, asked by a peer.
    caf::replies_to<atom::evaluate>::with<cluster_rl_evaluation>,
    caf::replies_to<atom::evaluate, std::string>::with<rl_evaluation, std::string>>::
    extend_with<status_client<cluster_status>>;

// What a cluster node publishes to its peers on cluster.listen (caf-openssl,
// mutual TLS with the cluster CA).
using cluster_peer_actor = caf::typed_actor<
    // Greets a peer that dialed us: its hello and its own endpoint (so that
    // both directions share the one connection it opened); answers this
    // node's hello, or refuses another protocol version or a node etcd does
    // not list (errc::conflict saying which).
    caf::replies_to<atom::hello, peer_hello, caf::actor>::with<peer_hello>,
    // A recommendation or a reward forwarded by the peer named, for a shard
    // this node owns (handed to the cluster component), answered with this
    // node's id.
    caf::replies_to<atom::recommend, recommend_request, std::string>::with<recommendation,
                                                                           std::string>,
    caf::replies_to<atom::reward, reward_report, std::string>::with<experience, std::string>,
    // Samples forwarded by the peer named, for metrics this node owns.
    caf::replies_to<atom::ingest, sample_batch, std::string>::with<ingest_receipt>,
    // This node's share of the RL statistics (the shards it serves), asked
    // by the peer named; answered with this node's id.
    caf::replies_to<atom::statistics, std::string>::with<rl_statistics, std::string>,
    // This node's share of the learned policies, likewise.
    caf::replies_to<atom::policies, std::string>::with<rl_policies, std::string>,
    // Forecasts of metrics this node owns, asked by the peer named.
    caf::replies_to<atom::forecast, forecast_request, std::string>::with<std::vector<forecast>,
                                                                         std::string>,
    // This node's share of the early warnings, asked by the peer named.
    caf::replies_to<atom::warnings, std::string>::with<warnings_view, std::string>,
    // This node's share of the dashboard overview, likewise.
    caf::replies_to<atom::overview, std::string>::with<dashboard_overview, std::string>,
    // This node's playbook performance, likewise.
    caf::replies_to<atom::playbooks, std::string>::with<dashboard_playbooks, std::string>,
    // Snapshots of a shard whose next owner this node is (snapshot handover).
    caf::replies_to<atom::store, snapshot_handover>::with<uint64_t>,
    // Closed windows of a source's history for metrics this node owns,
    // forwarded by the peer named.
    caf::replies_to<atom::store, closed_windows, std::string>::with<uint64_t>,
    // A recommendation withdrawn through the peer named, for a shard this
    // node owns.
    caf::replies_to<atom::withdraw, std::string, std::string>::with<bool>,
    // A metric's snapshots from this node's storage (it owns the metric),
    // asked by the peer named; answered with this node's id.
    caf::replies_to<atom::query, snapshot_query, std::string>::with<std::vector<snapshot>,
                                                                    std::string>,
    // This node's dashboard reports, asked by the peer named, likewise.
    caf::replies_to<atom::accuracy, std::string>::with<dashboard_accuracy, std::string>,
    caf::replies_to<atom::learning, std::string>::with<dashboard_learning, std::string>,
    caf::replies_to<atom::training, std::string>::with<dashboard_training, std::string>,
    caf::replies_to<atom::forecasts, std::string>::with<dashboard_forecasts, std::string>,
    // This node's executions (the state filter), asked by the peer named.
    caf::replies_to<atom::executions, std::string, std::string>::with<std::vector<execution>,
                                                                      std::string>,
    // An approval or a rejection asked by the peer named: decided here when
    // this node's executor holds the run (none otherwise).
    caf::replies_to<atom::approve, std::string, bool, std::string>::with<std::vector<execution>,
                                                                         std::string>,
    // This node's RL evaluation, asked by the peer named.
    caf::replies_to<atom::evaluate, std::string>::with<rl_evaluation, std::string>>;

// The cluster component's connection to etcd (detached: each call blocks
// for up to cluster's etcd timeout; ~45 ms for a txn, etcd's fsync). Makes
// the calls in order and answers each parsed (etcd's answers are outside
// input); stops after a transaction that did not succeed (the replies end
// there). unavailable naming the call when etcd cannot be reached or
// answers something else.
using etcd_worker_actor = caf::typed_actor<
    caf::replies_to<atom::call, std::vector<etcd_call>>::with<std::vector<etcd_reply>>>;

// The etcd watch of the cluster component (detached: it blocks on etcd's
// stream): on tick it opens the watch on the cluster's keys and tells the
// component `refresh` when the stream opens and on every change of members
// or owners, until the stream ends, fails or is silent too long; then it
// ticks itself again a moment later (so it comes back with etcd).
using etcd_watcher_actor = caf::typed_actor<caf::reacts_to<atom::tick>>;
// Who the watcher tells: the cluster component (or a test's stand-in).
using refresh_sink_actor = caf::typed_actor<caf::reacts_to<atom::refresh>>;

// Dials one peer's published endpoint (host, port) over mutual TLS for the
// cluster component, then quits (detached: a dead peer's connect blocks up
// to the middleman's connection timeout).
using peer_dialer_actor = caf::typed_actor<
    caf::replies_to<atom::connect, std::string, uint16_t>::with<cluster_peer_actor>>;

// The HTTP front: owns the server; answers status like every component.
using http_actor = status_client<http_status>;

// Starts, watches and restarts the components.
using supervisor_actor = caf::typed_actor<
    // The live handle of a component by name (after a restart, the new one);
    // an error if there is no such component or it is down.
    caf::replies_to<atom::get, std::string>::with<caf::actor>,
    // True once every component has started and passed its start-up check.
    caf::replies_to<atom::ready>::with<bool>,
    // Stops the components in reverse start order within the given real
    // milliseconds: the HTTP front and the sources first, then the aggregator
    // (flushed) and the others, the storage (flushed) last. Answers true when
    // every component stopped in time; the supervisor then exits.
    caf::replies_to<atom::shutdown,
                    int64_t>::with<bool>>::extend_with<status_client<supervisor_status>>;

} // namespace grace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(grace::catalog_ref)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(grace::forecaster_model)
