#pragma once
// The ML routes: forecasts on demand, forecaster statistics, training on
// demand (the forecaster's and the dashboard's trigger), and the causal RL
// agent's recommend / reward / statistics / policies / evaluation.
#include "common/cadence.hpp"
#include "http/actor_gateway.hpp"
#include "http/router.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace grace::http {

struct ml_settings {
  int64_t default_horizon_ms = cadence::forecast_horizon_ms; // when a predict request names none
  // When set, recommend needs it too: a GET, but it creates state (an event).
  std::string token;
  // A cluster node: recommend and reward go to the cluster component, which
  // asks the owner of the context's shard; forecasts, the owners of the
  // metrics' shards.
  bool cluster = false;
};

// Reads a predict body: {"metric_ids": [..], "horizon_minutes": 60}. On a
// problem returns nullopt and sets `error` naming the field.
std::optional<forecast_request> parse_predict_body(const std::string& body,
                                                   int64_t default_horizon_ms, std::string& error);

// Reads a reward body: {"event_id": "...", "reward": 0.5, "kpi_deltas": {..}}.
std::optional<reward_report> parse_reward_body(const std::string& body, std::string& error);

void install_ml_routes(router& server, actor_gateway& gateway, const ml_settings& settings);

} // namespace grace::http
