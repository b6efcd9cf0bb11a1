// The metrics catalog a grace-node needs to play a scenario_world through the
// REST API (bench/rl_agent/rest_scenario.sh): one metric per context, whose
// id is the diagnosis the REST driver sends, and every playbook the world's
// contexts offer, with its risk tier and a noop action.
#pragma once

#include "bench/rl_agent/scenario_world.hpp"

#include <string>

namespace grace::rl {

/// Catalog metric id standing for a context's diagnosis. The world's
/// diagnoses ("diag-0") are shared by contexts with different services and
/// candidates and are not valid metric ids, so each context gets its own
/// metric: "scenario.diag_0.svc_0" for (svc-0, diag-0).
std::string scenario_metric_id(const context_key& key);

/// The catalog as YAML, in the format of config/metrics_catalog.yaml.
std::string scenario_catalog_yaml(const scenario_world& world);

/// Writes scenario_catalog_yaml() to `path`; throws std::runtime_error.
void write_scenario_catalog(const scenario_world& world, const std::string& path);

} // namespace grace::rl
