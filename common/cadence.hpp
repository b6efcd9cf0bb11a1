#pragma once
// The node's cadence, defaults of grace.yaml's node-wide settings (see
// docs/configuration.md): every component that runs by one of them defaults
// to the value here, and the node hands each the configured one.
#include <cstdint>

namespace grace::cadence {

inline constexpr int64_t snapshot_interval_ms = 5 * 60'000;      // aggregation.snapshot_interval
inline constexpr int64_t forecast_interval_ms = 15 * 60'000;     // forecasting.interval
inline constexpr int64_t forecast_horizon_ms = 60 * 60'000;      // forecasting.horizon
inline constexpr int64_t training_interval_ms = 6 * 3'600'000LL; // training.interval
inline constexpr int64_t training_window_ms = 24 * 3'600'000LL;  // training.window
inline constexpr int64_t training_history_ms = 7 * 86'400'000LL; // training.history

} // namespace grace::cadence
