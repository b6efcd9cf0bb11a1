#pragma once
// The snapshot aggregator: samples into event-time windows; every virtual
// minute it closes the windows that virtual time has passed and hands the
// snapshots to storage, integration and the event mesh.
#include "actors/aggregator/snapshot_window.hpp"
#include "actors/clock/node_clock.hpp"
#include "messages/actors.hpp"

#include <memory>

namespace grace {

struct aggregator_state {
  static inline const char* name = "aggregator";
  std::unique_ptr<aggregator::snapshot_window> window;
  catalog_ref catalog; // refreshed every tick, so reloads take effect
  uint64_t snapshots_emitted = 0;
  bool has_predictor = true;
};

struct aggregator_settings {
  int64_t snapshot_interval_ms = 5 * 60000;
  int64_t allowed_lateness_ms = 60000; // one collection interval of jitter
  int64_t tick_ms = 60000;             // virtual
  bool notify_predictor = true;        // false where no predictor runs (tests)
};

aggregator_actor::behavior_type
aggregator_component(aggregator_actor::stateful_pointer<aggregator_state> self,
                     supervisor_actor supervisor, node_clock clock, aggregator_settings settings);

} // namespace grace
