#pragma once
// Runs the node: the actor system, the supervision tree and the signal loop.
#include "actors/simulator/simulator_config.hpp"
#include "node/node_config.hpp"

#include <optional>

namespace grace::node {

// Blocks until SIGINT/SIGTERM (exit code 0) or until the supervisor stops on
// its own because a component could not start or kept crashing (exit code 1).
// SIGHUP reloads the catalog.
// `simulation`, when set, runs the built-in world (already validated against
// the catalog).
int run_node(const node_settings& settings,
             const std::optional<simulator::simulator_config>& simulation);

} // namespace grace::node
