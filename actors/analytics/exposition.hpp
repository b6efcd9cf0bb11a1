// Prometheus text exposition (format 0.0.4) of the node and of its
// predictions (pure, no CAF). Grafana users' naming for forecasts:
//   <name>:predicted{ml_forecast="yhat|yhat_lower|yhat_upper|yhat_lower_95|yhat_upper_95",
//                    horizon_minutes="60"}
// (lower/upper without suffix are the 80% bounds), <name>:anomaly_score and
// grace_breach_probability{metric="<id>"}; <name> is the catalog's
// prometheus_name.
#pragma once

#include "messages/status.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grace::analytics {

struct node_counters {
  std::optional<uint64_t> samples_ingested;
  std::map<std::string, uint64_t> samples_rejected; // by reason: late, invalid
  std::optional<uint64_t> samples_replayed;         // from the sample log at start
  std::optional<uint64_t> snapshots;
  std::optional<uint64_t> forecasts;
  std::map<std::string, uint64_t> warnings_by_outcome; // raised, prevented, ...
  std::optional<uint64_t> open_warnings;
  std::map<std::string, uint64_t> executions_by_state;   // pending_approval, ...
  std::map<std::string, uint64_t> restarts_by_component; // supervisor
  std::map<std::string, bool> up_by_component;
  // The PromQL source, per catalog metric id (empty without one).
  struct promql_counts {
    uint64_t queries = 0;
    uint64_t failures = 0;
    uint64_t samples = 0;
    uint64_t backfilled_snapshots = 0;
  };
  std::map<std::string, promql_counts> promql_by_metric;
};

struct predicted_series {
  std::string metric_id;
  std::string prometheus_name;
  std::string service;
  int horizon_minutes = 60;
  std::optional<double> yhat, lower80, upper80, lower95, upper95;
  std::optional<double> anomaly_score;
  std::optional<double> breach_probability;
};

// The counters each component's status gives /metrics (its own fields, typed:
// a renamed field does not compile rather than emptying the exposition).
void count(node_counters& c, const ingest_status& s);
void count(node_counters& c, const aggregator_status& s);
void count(node_counters& c, const scheduler_status& s);
void count(node_counters& c, const executor_status& s);
void count(node_counters& c, const supervisor_status& s);
void count(node_counters& c, const promql_status& s);

// The predictor's latest anomaly score and breach probability of the series'
// metric, when it has one.
void add_predictions(predicted_series& series, const predictor_status& s);

// Escapes a label value (backslash, double quote, newline).
std::string escape_label(const std::string& value);
// True for a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
bool valid_metric_name(const std::string& name);

// The exposition text; series with an invalid name are left out.
std::string render(const node_counters& counters, const std::vector<predicted_series>& series);

} // namespace grace::analytics
