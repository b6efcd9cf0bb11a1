#pragma once
// The forecast scheduler: every forecast interval asks the forecaster for the
// catalog's forecast metrics, hands the forecasts to the predictor, stores
// them (analytics scores them against what happened) and publishes them on the
// mesh topic "forecasts".
#include "actors/clock/node_clock.hpp"
#include "actors/scheduler/forecast_cycle.hpp"
#include "common/cadence.hpp"
#include "messages/actors.hpp"

#include <optional>

namespace grace {

struct scheduler_settings {
  node_clock clock;
  int64_t interval_ms = cadence::forecast_interval_ms;
  int64_t horizon_ms = cadence::forecast_horizon_ms;
  bool notify_predictor = true; // false where no predictor runs (tests)
  // A cluster node forecasts only the metrics of the shards it serves: it
  // also holds snapshots of other shards (handed over by their owners) but
  // their forecasts, warnings and actions are their owner's.
  bool cluster = false;
};

struct scheduler_state {
  static inline const char* name = "scheduler";
  scheduler_settings settings;
  uint64_t cycles = 0;
  uint64_t forecasts = 0;
  uint64_t failures = 0;
  int64_t next_due_ms = 0;
  std::optional<scheduler::cycle_summary> last;
};

scheduler_actor::behavior_type
scheduler_component(scheduler_actor::stateful_pointer<scheduler_state> self,
                    supervisor_actor supervisor, scheduler_settings settings);

} // namespace grace
