#pragma once
// A metric's normal value, before noise and incidents: level, daily cycle and
// slow trend.
#include "actors/simulator/simulator_config.hpp"

#include <cstdint>

namespace grace::simulator {

// `t_ms` is unix ms (the daily cycle follows UTC); the trend counts from
// `start_ms`.
double baseline_value(const metric_baseline& m, int64_t t_ms, int64_t start_ms);

} // namespace grace::simulator
