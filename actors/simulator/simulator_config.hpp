#pragma once
// The built-in simulator's configuration (config/simulator.yaml): how each
// catalog metric behaves in normal operation, how metrics drive each other,
// which incidents happen how often, and what each playbook does to each
// incident. The success probabilities live here, not in the catalog, so that
// the node's learner can be evaluated against a known truth.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace grace::simulator {

// Where a value came from in the YAML file, for error messages.
struct source_location {
  std::string file;
  int line = 0;   // 1-based, 0 = unknown
  int column = 0; // 1-based
};

std::string to_string(const source_location& loc);

// A closed interval of durations in ms; a fixed duration has min == max.
struct duration_range {
  int64_t min_ms = 0;
  int64_t max_ms = 0;
};

// Normal behaviour of one metric:
// level + daily_amplitude * cos(2*pi*(hour_utc - daily_peak_hour)/24)
//   + trend_per_day * days since start (restarting every trend_period when > 0)
//   + AR(1) noise with standard deviation `noise`
//   + now and then a one-sample spike of spike_size * U(0.5, 1),
// clamped to [min, max].
struct metric_baseline {
  std::string id;
  double level = 0.0;
  double daily_amplitude = 0.0;
  double daily_peak_hour = 0.0; // hour of day (UTC) of the daily maximum
  double noise = 0.0;           // stationary standard deviation
  double noise_autocorrelation = 0.0;
  double trend_per_day = 0.0;
  int64_t trend_period_ms = 0;    // 0 = the trend never restarts
  double spike_probability = 0.0; // per sample
  double spike_size = 0.0;        // signed: negative for metrics that breach downward
  double min = 0.0;
  double max = 0.0;
  int64_t interval_ms = 0; // sampling interval, a multiple of collection_interval
  source_location where;
};

// `to` moves by gain * max(0, |deviation of from| - above), where a deviation
// is what incidents and earlier couplings added to a metric (not its daily
// cycle or noise). Couplings apply in file order, so chains are written
// upstream first (queue depth -> latency -> errors).
struct coupling {
  std::string from;
  std::string to;
  double gain = 0.0;
  double above = 0.0;
  source_location where;
};

// An incident drives a metric towards `peak` (an absolute value in the
// metric's unit, reached at the end of the ramp).
struct incident_effect {
  std::string metric;
  double peak = 0.0;
  source_location where;
};

enum class effect_kind : uint8_t { none = 0, partial = 1, fix = 2 };

std::string to_string(effect_kind k);

// What one playbook does to one incident type when applied.
// fix: with success_probability, the incident starts recovering at once.
// partial: with success_probability, the incident's size is multiplied by
//   (1 - strength), blended in over the incident's recovery time.
// none: nothing happens.
struct playbook_effect {
  std::string playbook;
  effect_kind effect = effect_kind::none;
  double success_probability = 0.0;
  double strength = 0.0; // partial only
  source_location where;
};

struct incident_type {
  std::string name;
  std::string description;
  bool sudden = false;             // no forecast can see it coming
  double weight = 1.0;             // relative frequency among the types
  duration_range ramp;             // from start to peak
  duration_range duration;         // time held at peak before it resolves by itself
  duration_range recovery;         // decay back to normal
  double curve = 1.0;              // ramp shape: progress^curve (1 = linear)
  double fizzle_probability = 0.0; // stops part way up and recovers unaided
  std::vector<incident_effect> effects;
  std::vector<playbook_effect> playbooks;
  source_location where;
};

// When incidents start: the first one within first_incident of the world's
// start, then one every `gap` (measured start to start). A type whose metrics
// are already driven by an active incident is not chosen; if every type is
// blocked the start is retried after retry_after.
struct incident_schedule {
  bool enabled = true;
  duration_range first_incident;
  duration_range gap;
  int64_t retry_after_ms = 15 * 60 * 1000;
};

struct playbook_message {
  std::string playbook;
  std::string message;
  source_location where;
};

struct simulator_config {
  std::string source; // file name the config was read from
  uint64_t seed = 0;
  int64_t collection_interval_ms = 60 * 1000;
  incident_schedule schedule;
  std::vector<metric_baseline> metrics;
  std::vector<coupling> couplings;
  std::vector<playbook_message> playbook_messages;
  std::vector<incident_type> incident_types;

  const metric_baseline* find_metric(const std::string& id) const;
  const incident_type* find_incident_type(const std::string& name) const;
  // What the operator sees when the playbook runs, e.g. "API shard scaling
  // initiated"; a generic text for playbooks without a configured message.
  std::string message_for(const std::string& playbook) const;

  // Errors for ids the catalog does not know, and for catalog metrics the
  // simulator does not produce. Empty when consistent.
  std::vector<std::string>
  validate_against(const std::vector<std::string>& catalog_metric_ids,
                   const std::vector<std::string>& catalog_playbook_ids) const;
};

// Thrown by the loaders; what() lists every error, one per line, each as
// "file:line:column: key.path: message".
class config_error : public std::runtime_error {
public:
  explicit config_error(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const noexcept { return errors_; }

private:
  std::vector<std::string> errors_;
};

// Reads and validates a simulator config file. Throws config_error.
simulator_config load_simulator_config(const std::string& path);

// Same, from YAML text; `source_name` is used in error messages.
simulator_config parse_simulator_config(const std::string& yaml_text,
                                        const std::string& source_name);

} // namespace grace::simulator
