#pragma once
// The forecaster component: holds the trained model (loaded from the newest
// valid artifact at start, replaced by the trainer after each cycle) and
// answers forecasts from each metric's stored snapshots.
#include "actors/clock/node_clock.hpp"
#include "actors/forecaster/snapshot_series.hpp"
#include "common/cadence.hpp"
#include "messages/actors.hpp"

#include <string>
#include <vector>

namespace grace {

struct forecaster_settings {
  node_clock clock;
  forecaster::forecast_limits limits;
  int64_t history_ms = cadence::training_history_ms; // snapshots a forecast is fitted on
  int horizon_steps = 12;                            // steps trained and calibrated directly
};

struct forecaster_state {
  static inline const char* name = "forecaster";
  forecaster_settings settings;
  forecaster_model model;       // null until a model is trained or loaded
  forecaster_model statistical; // untrained: the per-series component alone
  std::string version = "untrained";
  std::string loaded_from;                     // artifact path, empty if trained here or none
  std::vector<std::string> rejected_artifacts; // "'<path>': <reason>", newest first
  uint64_t forecasts_served = 0;
  uint64_t requests_refused = 0;
};

forecaster_actor::behavior_type
forecaster_component(forecaster_actor::stateful_pointer<forecaster_state> self,
                     supervisor_actor supervisor, forecaster_settings settings);

} // namespace grace
