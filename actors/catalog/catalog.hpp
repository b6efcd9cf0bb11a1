#pragma once
// The metrics catalog: metric definitions (thresholds, direction, playbooks)
// and the playbooks that may act on them. Loaded from YAML, validated as a
// whole, and then read-only: a reload builds a new catalog and swaps it in.
#include "common/yaml_reader.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grace::catalog {

enum class direction { higher_is_worse, lower_is_worse };
std::string to_string(direction d);

// The snapshot statistic a metric is forecast on and compared with its
// thresholds.
enum class aggregation { mean, min, max, p50, p95, last };
std::string to_string(aggregation a);
double statistic_of(const snapshot& s, aggregation a);

// A metric's normal level from its recent statistics: the better quartile
// (nearest rank, 25th percentile in the good direction) of the finite values;
// NaN when there are none. The predictor's onset and the executor's reward
// both size an excursion from it.
double better_quartile(std::vector<double> values, bool higher_is_worse);

enum class action_kind { simulator, webhook, command, noop };
std::string to_string(action_kind k);

enum class playbook_mode { auto_run, approval, dry_run };
std::string to_string(playbook_mode m); // "auto", "approval", "dry-run"

struct metric_definition {
  std::string id;
  std::string category;
  std::string service;
  std::string unit;
  std::string description;
  catalog::direction direction = direction::higher_is_worse;
  double warning = 0.0;
  double critical = 0.0;
  int64_t collection_interval_ms = 60000;
  catalog::aggregation aggregation = aggregation::mean;
  bool forecast = false;
  std::vector<std::string> playbooks;
  std::optional<int> max_risk_tier; // none: no cap
  std::string prometheus_name;      // defaults to the id with '.' -> '_'
  // Metrics whose breaches cause this one's (latency climbs when the CPU
  // saturates): while one of them is in trouble, this metric is not
  // remediated, like an Alertmanager inhibit rule. Ids of other catalog
  // metrics, no cycles.
  std::vector<std::string> symptom_of;
  // A PromQL expression read from the `prometheus:` source of grace.yaml
  // (one series as result; its labels are dropped). Empty: another source.
  std::string promql;
};

struct playbook_action {
  action_kind kind = action_kind::noop;
  // webhook
  std::string url;
  std::map<std::string, std::string> headers;
  int retries = 2;
  // command: argv[0] is an absolute path; nothing is ever run through a shell
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  // webhook and command
  int64_t timeout_ms = 5000;
};

struct playbook_definition {
  std::string id;
  std::string description;
  playbook_action action;
  int risk_tier = 1; // 1 (harmless) .. 4 (disruptive)
  playbook_mode mode = playbook_mode::auto_run;
  int64_t cooldown_ms = 0;
  int max_runs_per_hour = 1;
};

class metrics_catalog {
public:
  metrics_catalog() = default;
  metrics_catalog(int version, std::vector<metric_definition> metrics,
                  std::vector<playbook_definition> playbooks, std::string source);

  int version() const { return version_; }
  const std::string& source() const { return source_; }
  const std::vector<metric_definition>& metrics() const { return metrics_; }
  const std::vector<playbook_definition>& playbooks() const { return playbooks_; }

  const metric_definition* find_metric(const std::string& id) const;
  // The metric an RL diagnosis is about: the metric id itself, or the id with
  // a qualifier, `<metric id>:<qualifier>` (e.g. `api.error_rate:sudden`;
  // metric ids never contain ':').
  const metric_definition* find_diagnosis_metric(const std::string& diagnosis) const;
  const playbook_definition* find_playbook(const std::string& id) const;
  // Maps a Prometheus series name to a catalog metric id.
  const metric_definition* find_by_prometheus_name(const std::string& name) const;

  // Indexes: id lists in catalog order.
  std::vector<std::string> categories() const;
  std::vector<std::string> services() const;
  std::vector<std::string> metrics_in_category(const std::string& category) const;
  std::vector<std::string> metrics_of_service(const std::string& service) const;
  std::vector<std::string> metrics_using_playbook(const std::string& playbook) const;
  std::vector<std::string> forecast_metrics() const;
  // The metrics whose symptom_of leads to `metric_id`, directly or through
  // others (its effects), in catalog order.
  std::vector<std::string> symptoms_of(const std::string& metric_id) const;

private:
  int version_ = 0;
  std::string source_;
  std::vector<metric_definition> metrics_;
  std::vector<playbook_definition> playbooks_;
  std::map<std::string, size_t> metric_index_;
  std::map<std::string, size_t> playbook_index_;
  std::map<std::string, size_t> prometheus_index_;
};

// Why `expression` cannot be a PromQL expression (empty, too long, control
// characters, an unclosed string, unbalanced brackets), empty when its shape
// is fine. Whether it runs is only known by asking the server.
std::string promql_shape_problem(const std::string& expression);

// Where a value stands against a metric's thresholds, respecting direction:
// for lower_is_worse a value at or below the critical threshold is critical.
band band_of(const metric_definition& metric, double value);

struct load_result {
  std::optional<metrics_catalog> catalog; // set only when errors is empty
  std::vector<config::config_error> errors;
};

// Reads and validates a catalog; every problem is reported, none is skipped.
load_result load_catalog_file(const std::string& path);
load_result load_catalog_string(const std::string& yaml, const std::string& source_name);

} // namespace grace::catalog
