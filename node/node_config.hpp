#pragma once
// grace.yaml: the node's own settings, validated like the catalog (every
// problem reported with file, line, column and key path).
#include "actors/cluster/cluster_settings.hpp"
#include "actors/executor/execution_settings.hpp"
#include "actors/ingest/scrape_target.hpp"
#include "actors/notifier/notifier_settings.hpp"
#include "actors/predictor/engine_settings.hpp"
#include "actors/promql/prometheus_source.hpp"
#include "actors/supervisor/restart_policy.hpp"
#include "common/cadence.hpp"
#include "common/yaml_reader.hpp"
#include "http/server_settings.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace grace::node {

// The supervisor's restart limits and how long the node waits for its tree
// to stop.
struct supervisor_settings : supervision::restart_limits {
  int64_t shutdown_grace_ms = 5000;
};

struct node_settings {
  std::string config_path; // the file these were read from, empty for defaults
  std::string data_dir = "./grace-data";
  double time_scale = 1.0;
  std::string log_format = "text";
  std::string log_level = "info";
  std::string catalog_path = "config/metrics_catalog.yaml";
  std::string simulator_config_path = "config/simulator.yaml";
  bool simulate = false;       // --simulate: run the built-in world
  int64_t simulator_seed = -1; // --seed; -1: the simulator config's seed
  int64_t max_future_ms = 5 * 60000;
  std::string replay_path;       // --replay: a timestamp,value CSV fed at event time
  std::string replay_metric;     // --metric: the catalog id its values belong to
  int64_t virtual_origin_ms = 0; // where virtual time starts; 0: the wall clock
  http::server_settings http;
  std::vector<ingest::scrape_target> scrape_targets;
  promql::prometheus_source prometheus; // url empty: no PromQL source
  int64_t sync_interval_ms = 1000;      // storage.sync_interval: the sample log's fsync period
  int64_t snapshot_interval_ms = cadence::snapshot_interval_ms;
  int64_t retention_ms = 30 * 86400000LL;
  int64_t forecast_interval_ms = cadence::forecast_interval_ms;
  int64_t forecast_horizon_ms = cadence::forecast_horizon_ms;
  int64_t training_interval_ms = cadence::training_interval_ms;
  int64_t training_window_ms = cadence::training_window_ms;
  int64_t training_history_ms = cadence::training_history_ms;
  double rl_learning_rate = 0.3;
  std::string rl_policy = "hierarchical_thompson";
  std::string rl_exploration_rule; // empty: the agent's default (rl::agent_config)
  int64_t rl_seed = 42;
  int64_t rl_max_pending = 10000;             // unrewarded recommendations kept
  int64_t rl_pending_ttl_ms = 24 * 3600000LL; // ... and for how long
  predictor::engine_settings prediction;      // prediction: (the predictor engine's settings)
  executor::execution_settings execution;
  notifier_settings alerting;
  supervisor_settings supervisor;
  cluster::cluster_settings cluster; // cluster: (off unless cluster.etcd is set)
};

struct settings_result {
  node_settings settings;
  std::vector<config::config_error> errors;
  bool ok() const { return errors.empty(); }
};

// Reads grace.yaml. Relative paths in it (data_dir, catalog.path) are taken
// relative to the file's directory.
settings_result load_node_settings(const std::string& path);
settings_result load_node_settings_string(const std::string& yaml, const std::string& source_name,
                                          const std::string& base_dir);

} // namespace grace::node
