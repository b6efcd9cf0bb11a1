#pragma once
// How a metric's excursion began: a step or a climb. A dependency outage or a
// host dropping out moves a metric from normal to critical within minutes; a
// bad rollout, a leak or runaway jobs climb to it over half an hour or more.
// The two call for different playbooks on the same metric (open a circuit
// breaker vs roll back; add nodes vs throttle jobs), so the onset is part of
// the diagnosis the RL agent learns under: `<metric>:sudden` for a step, the
// bare metric id for a climb (the usual case, and the context earlier
// versions learned under). Pure core: no CAF, no clock, deterministic.
//
// Rule, on the metric's closed snapshots in time order (statistic per
// snapshot; older or repeated times and NaN are ignored):
//   normal   = catalog::better_quartile of the last `history` snapshots (3 h
//              at 5 min: an incident's own snapshots are a minority of them;
//              the executor sizes a breach from the same level);
//   span     = critical - normal, in the worse direction (none: climb);
//   low/high = normal + 1/4 and 3/4 of the span;
//   the onset is sudden when the metric's current excursion (its trailing run
//   of snapshots worse than `low`) reached `high` within `step_windows`
//   snapshots of the last one at or better than `low`. A linear climb covers
//   the middle half of the span in 3 or more 5-minute snapshots unless it
//   takes under 30 minutes from normal to critical; a step takes 1 (or 2 when
//   it lands mid-window and the first window averages both sides).
// Too little history (fewer than `min_history` snapshots, or an excursion
// that began before the first one kept) is a climb: the default context.
#include "messages/types.hpp"

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace grace::predictor {

enum class onset { gradual, sudden };

// The RL context's diagnosis for a metric's incident of this onset.
std::string diagnosis_of(const std::string& metric_id, onset o);

struct onset_policy {
  int step_windows = 2;   // a step reaches `high` within this many snapshots
  size_t history = 36;    // snapshots kept per metric: the normal level's base
  size_t min_history = 6; // fewer: not judged (a climb)
};

class onset_tracker {
public:
  explicit onset_tracker(onset_policy policy = {});

  // A closed snapshot's statistic.
  void observe(const std::string& metric_id, timestamp_ms at, double value);

  // The onset of the metric's current excursion towards `critical`.
  onset classify(const std::string& metric_id, double critical, bool higher_is_worse) const;

  // The better quartile of the kept history (nullopt: fewer than min_history).
  std::optional<double> normal_level(const std::string& metric_id, bool higher_is_worse) const;

private:
  struct series {
    timestamp_ms last = 0;
    bool any = false;
    std::deque<double> values;
  };
  onset_policy policy_;
  std::map<std::string, series> metrics_;
};

} // namespace grace::predictor
