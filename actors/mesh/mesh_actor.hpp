#pragma once
// The event mesh ("trigger mesh"): topic pub/sub between components and the
// /api/events stream. Subscribers are monitored and dropped when they go.
#include "actors/mesh/topic_table.hpp"
#include "messages/actors.hpp"

#include <caf/actor_addr.hpp>
#include <map>

namespace grace {

struct mesh_state {
  static inline const char* name = "mesh";
  mesh::topic_table<caf::actor_addr> table;
  std::map<caf::actor_addr, caf::actor> handles;
  std::map<std::string, uint64_t> published; // per topic
};

mesh_actor::behavior_type mesh_component(mesh_actor::stateful_pointer<mesh_state> self);

} // namespace grace
