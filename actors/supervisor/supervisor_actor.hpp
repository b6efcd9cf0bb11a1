#pragma once
// The supervisor: spawns every component linked to itself, restarts a crashed
// one after a backoff (one-for-one), and gives up (stopping the node with an
// error) when a component crashes too often or cannot start at all.
#include "actors/supervisor/restart_policy.hpp"
#include "messages/actors.hpp"

#include <caf/fwd.hpp>
#include <functional>
#include <string>
#include <vector>

namespace grace {

// How to start one component. `spawn` must spawn it linked to `self`.
struct component_spec {
  std::string name;
  std::function<caf::actor(caf::local_actor* self, const supervisor_actor& supervisor)> spawn;
};

struct component_slot {
  component_spec spec;
  caf::actor handle; // invalid while down
  supervision::restart_history history;
};

struct supervisor_state {
  static inline const char* name = "supervisor";
  std::vector<component_slot> slots;
  supervision::restart_limits limits;
};

// Internal: restart the named component (sent to itself after the backoff).
using supervisor_internal = caf::typed_actor<caf::reacts_to<atom::restart, std::string>>;
using supervisor_full_actor = supervisor_actor::extend_with<supervisor_internal>;

supervisor_full_actor::behavior_type
supervisor(supervisor_full_actor::stateful_pointer<supervisor_state> self,
           std::vector<component_spec> components, supervision::restart_limits limits);

} // namespace grace
