#pragma once
// The incident predictor component: routes forecasts, snapshots and the
// executor's reports to its engine (engine.hpp: early warnings, holds,
// reactions and escalations, the playbook candidates, anomaly scores) and
// carries out the engine's effects: publishes warnings and anomalies, asks the
// RL agent for a playbook and the executor to run it.
#include "actors/clock/node_clock.hpp"
#include "actors/predictor/engine.hpp"
#include "messages/actors.hpp"

#include <string>

namespace grace {

// The engine's settings (engine.hpp) and the shell's own.
struct predictor_settings : predictor::engine_settings {
  node_clock clock;
  int64_t check_interval_ms = 5 * 60000; // virtual: expiry of warnings, state saves
  std::string state_key = "predictor";
  bool cluster = false; // recommendations come from the owner of their context's shard
};

// The state is the engine (its decisions and books, read by the status and
// warnings replies) and the settings the shell runs by.
struct predictor_state : predictor::engine {
  static inline const char* name = "predictor";
  predictor_settings settings;
};

predictor_actor::behavior_type
predictor_component(predictor_actor::stateful_pointer<predictor_state> self,
                    supervisor_actor supervisor, predictor_settings settings);

} // namespace grace
