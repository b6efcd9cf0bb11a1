#pragma once
// key=value overrides of forecaster_config for the development tools
// (forecaster_m4_dev, forecaster_p1_dev): one parser, so that a variant
// is named the same way on both data sets.
#include "actors/forecaster/temporal_forecaster.hpp"

#include <cstdint>
#include <string>

namespace grace::forecaster::bench {

// Applies one setting; false for an unknown key.
inline bool apply_setting(forecaster_config& c, const std::string& k, double v) {
  if (k == "min_trend_cells") {
    c.min_trend_cells = static_cast<int>(v);
  } else if (k == "half_life") {
    c.calibration_half_life = v;
  } else if (k == "default_trend_share") {
    c.default_trend_share = v;
  } else if (k == "calibration_band") {
    c.calibration_band = static_cast<int>(v);
  } else if (k == "dependence") {
    c.calibration_dependence = v;
  } else if (k == "phase_spread_days") {
    c.phase_spread_days = static_cast<int>(v);
  } else if (k == "combination_half_life") {
    c.combination_half_life = v;
  } else if (k == "combination_choose_recency") {
    c.combination_choose_recency = v != 0.0;
  } else if (k == "validation_stride") {
    c.validation_stride = static_cast<int>(v);
  } else if (k == "band") {
    c.combination_band = static_cast<int>(v);
  } else if (k == "strength") {
    c.robust.min_season_strength = v;
  } else if (k == "validation_rows") {
    c.validation_rows = static_cast<int>(v);
  } else if (k == "trend_reach_ms") {
    c.robust.trend_reach_ms = static_cast<int64_t>(v);
  } else if (k == "trend_rows") {
    c.robust.trend_rows = static_cast<int>(v);
  } else if (k == "drift_cycles") {
    c.robust.drift_cycles = static_cast<int>(v);
  } else if (k == "drift_z") {
    c.robust.drift_z = v;
  } else if (k == "week_cycles") {
    c.robust.min_week_cycles = static_cast<int>(v);
  } else {
    return false;
  }
  return true;
}

} // namespace grace::forecaster::bench
