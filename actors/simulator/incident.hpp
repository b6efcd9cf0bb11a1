#pragma once
// One running incident: how big it is at a given time (0 = no effect, 1 = at
// its configured peak), how playbooks change that, and the ground-truth
// records the simulator reports about it.
#include "actors/simulator/simulator_config.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace grace::simulator {

enum class incident_phase : uint8_t {
  ramping = 0,    // growing towards its peak
  peak = 1,       // held at its peak
  recovering = 2, // decaying back to normal
  resolved = 3
};

std::string to_string(incident_phase p);

// Why an incident started to recover.
enum class incident_resolution : uint8_t {
  open = 0,          // not recovering yet
  self_resolved = 1, // its duration at peak ran out
  fizzled = 2,       // stopped growing part way up the ramp, unaided
  fixed = 3          // a fixing playbook succeeded
};

std::string to_string(incident_resolution r);

// What a playbook did when it was applied.
struct playbook_result {
  std::string playbook_id;
  int64_t ts = 0;
  bool matched = false;    // an active incident knows this playbook
  std::string incident_id; // empty when no incident was active
  std::string incident_type;
  effect_kind effect = effect_kind::none; // the configured effect on that incident
  double success_probability = 0.0;
  bool success = false;       // the effect took hold (always false for none)
  std::string action_message; // what the playbook does, e.g. "API shard scaling initiated"
  std::string message;        // the same plus the ground truth in parentheses (for logs)
};

// A live incident as the node's evaluation and logs see it.
struct incident_status {
  std::string id; // "inc-0001", in start order
  std::string type;
  bool sudden = false;
  std::vector<std::string> metrics; // the metrics it drives directly
  incident_phase phase = incident_phase::ramping;
  int64_t started_at = 0;
  int64_t peak_at = 0;              // end of the ramp as planned
  int64_t recovering_since = 0;     // 0 while not recovering
  int64_t expected_resolved_at = 0; // when left alone from now on
  double severity = 0.0;            // current size, 0..1 of its peak
  double mitigation = 1.0; // product of (1 - strength) of the partial playbooks that worked
};

// The history entry of an incident, active or finished.
struct incident_record {
  incident_status status;
  incident_resolution resolution = incident_resolution::open;
  std::string fixed_by;    // playbook id when resolution == fixed
  int64_t resolved_at = 0; // 0 while active
  double max_severity = 0.0;
  std::vector<playbook_result> playbooks; // applied while it was active, in order
};

// The runtime state of one incident. Times are ms.
class incident {
public:
  // `fizzle_fraction` in (0, 1) makes the incident stop growing at that
  // fraction of its ramp and recover unaided; 0 means it runs its course.
  incident(std::string id, const incident_type& type, int64_t start_ms, int64_t ramp_ms,
           int64_t duration_ms, int64_t recovery_ms, double fizzle_fraction);

  const std::string& id() const { return id_; }
  const incident_type& type() const { return type_; }

  // Size in [0, 1] at time t (t may lie before `now` of the last update).
  double severity(int64_t t) const;
  incident_phase phase(int64_t t) const;
  bool resolved(int64_t t) const { return phase(t) == incident_phase::resolved; }
  int64_t start() const { return start_; }
  int64_t peak_at() const { return start_ + ramp_; }
  int64_t recovering_since() const { return end_; }
  int64_t resolved_at() const { return end_ + recovery_; }
  incident_resolution resolution_at(int64_t t) const;

  // A fixing playbook that worked at time t: recover from t on.
  void fix(int64_t t);
  // A partial playbook that worked at time t: shrink by (1 - strength),
  // blended in over the recovery time.
  void mitigate(int64_t t, double strength);

  incident_status status(int64_t t) const;
  incident_record& record() { return record_; }
  const incident_record& record() const { return record_; }
  // Brings the record's status, resolution and maximum size up to time t.
  void update_record(int64_t t);

private:
  double ramp_progress(int64_t t) const;
  double mitigation(int64_t t) const;

  std::string id_;
  incident_type type_; // a copy: the incident outlives no config, and worlds stay copyable
  int64_t start_;
  int64_t ramp_;
  int64_t recovery_;
  int64_t end_;        // recovery starts here
  bool fixed_ = false; // end_ was set by a fix
  bool fizzles_ = false;
  double mit_from_ = 1.0;
  double mit_to_ = 1.0;
  int64_t mit_since_ = 0;
  incident_record record_;
};

} // namespace grace::simulator
