#pragma once
// The RL agent component: owns the learner (actors/rl_agent/agent.hpp),
// resolves candidates and risk caps from the catalog, persists its snapshot
// in storage after every change, and logs and ledgers every learning step.
#include "actors/clock/node_clock.hpp"
#include "actors/rl_agent/agent.hpp"
#include "messages/actors.hpp"

#include <memory>
#include <string>

namespace grace {

struct rl_agent_settings {
  node_clock clock;
  rl::agent_config agent;
  std::string state_key = "rl_agent"; // storage key of the snapshot
};

struct rl_agent_state {
  static inline const char* name = "rl_agent";
  rl_agent_settings settings;
  std::unique_ptr<rl::agent> agent;
  bool restored = false;       // started from a stored snapshot
  std::string restore_problem; // why a stored snapshot was not used
  uint64_t snapshots_saved = 0;
};

rl_agent_actor::behavior_type
rl_agent_component(rl_agent_actor::stateful_pointer<rl_agent_state> self,
                   supervisor_actor supervisor, rl_agent_settings settings);

} // namespace grace
