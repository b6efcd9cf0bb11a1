#pragma once
// Holding a symptom's remediation while its cause is in trouble. A traffic
// surge breaches the request rate, then the CPU, then the latency; a stuck
// worker queue drags down the plan success rate of another service. The
// catalog names such causes per metric (`symptom_of`). Running the symptom's
// playbooks as well would pile a second action on the incident, and the one
// that ran last would be credited with the cause's fix: the agent would learn
// that restarting the planner cures a stuck queue. So, like an Alertmanager
// inhibit rule, a metric's remediation (an early warning's run or a breach
// reaction) is held while one of its causes
//   - is at warning or worse (its last closed snapshot),
//   - has an open early warning a playbook ran against (the cause's fix is
//     under way before its breach),
//   - or left the warning band less than `linger_ms` ago (the symptom lags
//     its cause by a window or two, and the cause's fix is still being
//     measured).
// Only direct causes count: the error rate held by the latency is not held by
// the CPU unless the latency is in trouble too. A breach that began with a
// step is not held by a cause whose own trouble climbed (`climbing`, with
// grace.yaml prediction.steps_not_held_by_climbs): a symptom follows its
// cause's course, and a host that fails while the traffic climbs is an
// incident of its own, not the traffic's symptom. Pure core: no CAF, no clock
// (callers pass the times), deterministic.
#include "messages/types.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace grace::predictor {

class cause_watch {
public:
  explicit cause_watch(int64_t linger_ms = 10 * 60000);

  // A closed snapshot of any metric (older or repeated times are ignored).
  void observe(const std::string& metric_id, band level, timestamp_ms at);

  struct hold {
    std::string cause;
    std::string
        state; // "in the critical band", "warned of a breach", "left the warning band 4 min ago"
  };
  // The first of `causes` (catalog order) holding a remediation at `at`;
  // `warned`: the metrics with an open early warning a playbook ran
  // against; `climbing`: causes that hold nothing now (for a breach that
  // began with a step, the causes whose current excursion did not). None: act.
  std::optional<hold> holding(const std::vector<std::string>& causes, timestamp_ms at,
                              const std::set<std::string>& warned,
                              const std::set<std::string>& climbing = {}) const;

private:
  static constexpr timestamp_ms never = std::numeric_limits<timestamp_ms>::min();
  struct metric_state {
    timestamp_ms last_snapshot = never;
    band level = band::good;
    timestamp_ms last_trouble = never; // window end of the last snapshot at warning or worse
  };
  int64_t linger_ms_;
  std::map<std::string, metric_state> metrics_;
};

} // namespace grace::predictor
