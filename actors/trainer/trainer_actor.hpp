#pragma once
// The trainer component: every training interval (and on demand) fetches the
// recent snapshots, fits the forecaster, saves the artifact and the training
// record through storage, hands the model to the forecaster and announces the
// cycle on the mesh. The fit runs inside this actor, so the node spawns it
// detached: it has a thread of its own and never holds up the shared workers.
#include "actors/clock/node_clock.hpp"
#include "actors/trainer/training_cycle.hpp"
#include "messages/actors.hpp"

#include <caf/typed_response_promise.hpp>
#include <optional>
#include <string>
#include <vector>

namespace grace {

struct trainer_settings {
  node_clock clock;
  trainer::training_settings training;
  bool scheduled = true; // false: only on demand (tests)
};

struct trainer_state {
  static inline const char* name = "trainer";
  trainer_settings settings;
  uint64_t cycles = 0;   // last completed cycle number (continues across restarts)
  uint64_t failures = 0; // cycles that failed
  bool running = false;
  int64_t next_due_ms = 0;
  std::optional<training_record> last;
  std::string last_error;
  std::vector<caf::typed_response_promise<training_record>> waiting;
};

trainer_actor::behavior_type trainer_component(trainer_actor::stateful_pointer<trainer_state> self,
                                               supervisor_actor supervisor,
                                               trainer_settings settings);

} // namespace grace
