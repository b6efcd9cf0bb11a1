#pragma once
// Snapshot integration: watches snapshots and, when a metric enters warning or
// critical, asks the forecaster for a targeted forecast of it (`horizon_ms`
// ahead) and publishes it on the "forecasts" topic.
#include "actors/integration/band_watch.hpp"
#include "messages/actors.hpp"

#include <deque>

namespace grace {

struct integration_state {
  static inline const char* name = "integration";
  integration::band_watch watch;
  uint64_t forecast_requests = 0;
  uint64_t forecasts_received = 0;
  std::deque<integration::band_change> recent; // last 50 escalations
};

integration_actor::behavior_type
integration_component(integration_actor::stateful_pointer<integration_state> self,
                      supervisor_actor supervisor, int64_t horizon_ms);

} // namespace grace
