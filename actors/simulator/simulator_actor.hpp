#pragma once
// The built-in simulator as a component: every virtual collection interval it
// advances the world to the node's virtual now and feeds the samples to
// ingest; playbooks of kind `simulator` act on it through `apply`.
#include "actors/clock/node_clock.hpp"
#include "actors/simulator/world.hpp"
#include "messages/actors.hpp"

#include <memory>

namespace grace {

struct simulator_state {
  static inline const char* name = "simulator";
  std::unique_ptr<simulator::world> world;
  uint64_t samples = 0;
  uint64_t playbooks_applied = 0;
};

// `world` is built by the node (config validated against the catalog) and
// moved in; a restart starts a fresh world from the same config and seed.
// The samples go to the component named `sink` (a sample_sink_actor:
// "ingest", or "cluster" on a cluster node).
simulator_actor::behavior_type
simulator_component(simulator_actor::stateful_pointer<simulator_state> self,
                    supervisor_actor supervisor, node_clock clock,
                    simulator::simulator_config config, uint64_t seed, std::string sink = "ingest");

} // namespace grace
