#pragma once
// The snapshot aggregator: the durable path of every sample. A batch is
// checked against the closed windows (late samples are refused with their
// reason), the samples taken are written to the storage's sample log and only
// then added to their event-time windows and acknowledged. Every virtual
// minute it closes the windows that virtual time has passed and hands the
// snapshots to storage (with the closed watermark, in order, retried until
// stored), integration and the event mesh. At start it rebuilds the open
// windows from the sample log.
#include "actors/aggregator/snapshot_window.hpp"
#include "actors/clock/node_clock.hpp"
#include "common/cadence.hpp"
#include "messages/actors.hpp"

#include <caf/typed_response_promise.hpp>
#include <deque>
#include <memory>
#include <vector>

namespace grace {

struct aggregator_state {
  static inline const char* name = "aggregator";
  std::unique_ptr<aggregator::snapshot_window> window;
  catalog_ref catalog;   // refreshed every tick, so reloads take effect
  storage_actor storage; // cached; looked up again after a failed request
  // Closed windows not yet confirmed stored, oldest first; `storing` of them
  // are in the request under way.
  std::deque<closed_windows> unstored;
  size_t storing = 0;
  uint64_t appends_in_flight = 0;
  bool closing = false; // flushed for shutdown: samples are refused
  std::vector<caf::typed_response_promise<bool>> flush_waiters;
  uint64_t samples_taken = 0;
  uint64_t replayed = 0;
  uint64_t replay_bad_records = 0;
  uint64_t snapshots_emitted = 0;
  bool has_predictor = true;
};

struct aggregator_settings {
  int64_t snapshot_interval_ms = cadence::snapshot_interval_ms;
  int64_t allowed_lateness_ms = 60000; // one collection interval of jitter
  int64_t tick_ms = 60000;             // virtual
  bool notify_predictor = true;        // false where no predictor runs (tests)
};

aggregator_actor::behavior_type
aggregator_component(aggregator_actor::stateful_pointer<aggregator_state> self,
                     supervisor_actor supervisor, node_clock clock, aggregator_settings settings);

} // namespace grace
