#pragma once
// grace.yaml: the node's own settings, validated like the catalog (every
// problem reported with file, line, column and key path).
#include "common/yaml_reader.hpp"
#include "actors/cluster/cluster_settings.hpp"
#include "actors/ingest/scrape_target.hpp"
#include "actors/promql/prometheus_source.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace grace::node {

struct http_settings {
  std::string bind = "127.0.0.1";
  int port = 8000;
  std::string token;
  int64_t request_timeout_ms = 5000;
  int64_t max_body_bytes = 16 * 1024 * 1024;
  int threads = 16;
  int max_event_streams = 8;
  std::vector<std::string> allowed_hosts; // Host names besides the bind address (and loopback)
  int64_t idle_timeout_ms = 10000;        // a connection with no request is closed after this
  int64_t read_timeout_ms = 10000;        // a request's head and body arrive within this
  int max_connections = 1024;
};

struct supervisor_settings {
  int max_restarts = 5;
  int64_t restart_window_ms = 60000;
  int64_t backoff_initial_ms = 100;
  int64_t backoff_max_ms = 5000;
  int64_t shutdown_grace_ms = 5000;
};

struct prediction_settings {
  double min_probability = 0.7; // raise an early warning at this breach probability
  int64_t min_lead_ms = 15 * 60000;
  int64_t max_lead_ms = 60 * 60000;
  int64_t grace_ms = 30 * 60000;    // after the expected breach time, an open warning resolves
  bool react_to_breaches = true;    // act on a confirmed breach no warning covered in time
  bool sudden_onset_context = true; // learn incidents that began with a step apart
  // A breach under way is remediated with the playbooks that run unattended
  // first; those needing an operator are offered once these are used up.
  bool react_unattended_first = true;
  // A breach the last reaction did not end gets the next playbook this long
  // after it, and one that began with a step waits this long after another
  // run on its service (0: the evaluation window, like any other action).
  int64_t escalate_after_ms = 10 * 60000;
};

struct execution_settings {
  int64_t evaluation_window_ms = 30 * 60000;
  int64_t approval_timeout_ms = 15 * 60000;
  int breaker_failures = 3;
  int64_t breaker_open_ms = 30 * 60000;
  bool kill_switch = false;
};

struct alerting_settings {
  std::vector<std::string> alertmanagers; // base URLs
  std::vector<std::string> webhooks;
  int64_t resend_interval_ms = 60000; // real time
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
  http_settings http;
  std::vector<ingest::scrape_target> scrape_targets;
  promql::prometheus_source prometheus; // url empty: no PromQL source
  int64_t sync_interval_ms = 1000;      // storage.sync_interval: the sample log's fsync period
  int64_t snapshot_interval_ms = 5 * 60000;
  int64_t retention_ms = 30 * 86400000LL;
  int64_t forecast_interval_ms = 15 * 60000;
  int64_t forecast_horizon_ms = 60 * 60000;
  int64_t training_interval_ms = 6 * 3600000LL;
  int64_t training_window_ms = 24 * 3600000LL;
  int64_t training_history_ms = 7 * 86400000LL;
  double rl_learning_rate = 0.3;
  std::string rl_policy = "hierarchical_thompson";
  int64_t rl_seed = 42;
  int64_t rl_max_pending = 10000;             // unrewarded recommendations kept
  int64_t rl_pending_ttl_ms = 24 * 3600000LL; // ... and for how long
  prediction_settings prediction;
  execution_settings execution;
  alerting_settings alerting;
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
