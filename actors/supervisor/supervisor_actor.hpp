#pragma once
// The supervisor: spawns every component linked to itself, restarts a crashed
// one after a backoff (one-for-one), and gives up (stopping the node with an
// error) when a component crashes too often or cannot start at all.
#include "actors/supervisor/restart_policy.hpp"
#include "messages/actors.hpp"

#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>
#include <caf/typed_response_promise.hpp>
#include <functional>
#include <string>
#include <vector>

namespace grace {

// How to start one component. `spawn` must spawn it linked to `self`.
struct component_spec {
  std::string name;
  std::function<caf::actor(caf::local_actor* self, const supervisor_actor& supervisor)> spawn;
  // At shutdown, ask it to flush (it answers `flush` with a bool) before it
  // is stopped, and keep time for that.
  bool flush_on_stop = false;
};

struct component_slot {
  component_spec spec;
  caf::actor handle; // invalid while down
  supervision::restart_history history;
};

// The ordered shutdown under way: components stop one at a time, in reverse
// start order, each within its share of the time left.
struct shutdown_progress {
  bool active = false;
  caf::typed_response_promise<bool> promise;
  int64_t deadline_ms = 0; // on the actor clock
  size_t remaining = 0;    // slots [0, remaining) are still to stop
  uint64_t step = 0;       // numbers the steps, to match their timeouts
  caf::actor_addr waiting_for;
  std::string waiting_name;
  bool all_in_time = true;
};

struct supervisor_state {
  static inline const char* name = "supervisor";
  std::vector<component_slot> slots;
  supervision::restart_limits limits;
  shutdown_progress shutdown;
};

// Internal: restart the named component (sent to itself after the backoff);
// a shutdown step's time is up.
using supervisor_internal = caf::typed_actor<caf::reacts_to<atom::restart, std::string>,
                                             caf::reacts_to<atom::shutdown, atom::tick, uint64_t>>;
using supervisor_full_actor = supervisor_actor::extend_with<supervisor_internal>;

supervisor_full_actor::behavior_type
supervisor(supervisor_full_actor::stateful_pointer<supervisor_state> self,
           std::vector<component_spec> components, supervision::restart_limits limits);

} // namespace grace
