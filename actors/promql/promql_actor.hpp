#pragma once
// The PromQL source: catalog metrics with a `promql:` expression, read from
// the user's Prometheus. At start, and whenever a metric's expression
// changes, the metric's query is checked with an instant query and the last
// `backfill` of its history is read with query_range (at its collection
// interval, in chunks under the server's point limit) and stored as the
// snapshots of closed windows. From then on it is polled every collection
// interval and its samples go the way of every other source (ingest ->
// aggregator). So that a fresh node works at once from that history, a
// backfill that stored new windows is followed by a forecast of the metric
// (to the predictor, as a targeted forecast) and, once every metric's
// backfill is done, by one training cycle. Runs detached: an HTTP request blocks, so a slow
// Prometheus never stalls other actors. Every failure is counted per metric and logged on the first
// of a streak and every 10th; the node and other metrics go on.
#include "actors/clock/node_clock.hpp"
#include "actors/promql/prometheus_source.hpp"
#include "actors/promql/promql_query.hpp"
#include "common/cadence.hpp"
#include "messages/actors.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace httplib {
class Client;
} // namespace httplib

namespace grace {

struct promql_metric_state {
  std::string metric_id;
  std::string expression;
  int64_t interval_ms = 60000;
  uint64_t generation = 0;  // distinguishes a metric re-added with a new expression
  int64_t next_poll_ms = 0; // wall
  bool checked = false;     // the first answer (the start or reload check) was reported
  // Backfill: [from, until) wall time, read chunk by chunk.
  std::vector<promql::range_chunk> chunks;
  size_t next_chunk = 0;
  std::unique_ptr<promql::backfill_accumulator> history; // the windows read so far
  bool gap_fill = false; // reading what an outage missed (no data there is no failure)
  int64_t backfill_from_ms = 0;
  int64_t backfill_until_ms = 0;
  int64_t backfill_started_ms = 0; // wall, for the log line
  int64_t next_backfill_try_ms = 0;
  bool backfill_storing = false;
  bool backfill_done = false;
  uint64_t backfill_points = 0;
  uint64_t backfill_snapshots = 0; // stored by the backfill (new windows)
  double backfill_seconds = 0.0;
  // Counters.
  uint64_t queries = 0;
  uint64_t failures = 0;
  uint64_t consecutive_failures = 0;
  uint64_t samples = 0;
  uint64_t non_finite = 0; // NaN/±Inf values met (left out)
  std::string last_error;
  int64_t last_success_ms = 0;
};

struct promql_settings {
  node_clock clock;
  promql::prometheus_source source;
  int64_t snapshot_interval_ms = cadence::snapshot_interval_ms;
  int64_t forecast_horizon_ms =
      cadence::forecast_horizon_ms; // of the first forecast after a backfill
  int64_t tick_ms = 1000;           // real: how often due polls are looked for
  // The component the polled samples go to (a sample_sink_actor): the local
  // ingest, or in a cluster the cluster component, which sends each sample
  // to its metric's owner.
  std::string sink = "ingest";
  // The component the backfilled windows go to (a history_sink_actor): the
  // local storage, or in a cluster the cluster component, which has each
  // stored by its metric's owner.
  std::string history_sink = "storage";
  // A cluster node polls (and backfills) only the metrics of the shards it
  // serves: every node may share one configuration, each metric is read
  // once, by its owner, and a new owner reads its history from Prometheus.
  bool cluster = false;
};

struct promql_state {
  static inline const char* name = "promql";
  promql_settings settings;
  std::vector<promql_metric_state> metrics;
  catalog_ref catalog;
  std::vector<int> serving; // in a cluster: the shards served at the last sync
  uint64_t next_generation = 1;
  bool backfill_scheduled = false;
  uint64_t backfilled_new = 0;             // snapshots the backfills stored that were not there
  bool training_requested = false;         // once per run, after the first backfills stored history
  std::shared_ptr<httplib::Client> client; // kept alive between requests
};

promql_actor::behavior_type promql_component(promql_actor::stateful_pointer<promql_state> self,
                                             supervisor_actor supervisor, promql_settings settings);

} // namespace grace
