#pragma once
// The executor's settings read from grace.yaml `execution:` (see
// docs/configuration.md): the governance rules' (governance.hpp: breaker,
// approval timeout) and the outcome measurement's (measurement.hpp:
// evaluation window), each with its default where it is used, and the kill
// switch at start.
#include "actors/executor/governance.hpp"
#include "actors/executor/measurement.hpp"

namespace grace::executor {

struct execution_settings : governance_settings, measurement_spans {
  bool kill_switch = false; // engaged at start
};

} // namespace grace::executor
