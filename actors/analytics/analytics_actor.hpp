#pragma once
// The analytics component: gathers what storage and the other components
// hold (forecasts and snapshots of the last 7 days, warnings, executions,
// training records, experiences, the agent's statistics), grades it with the
// pure reports (actors/analytics/dashboard_reports.hpp) and renders /metrics
// (actors/analytics/exposition.hpp). It keeps no state of its own but counters:
// every answer is computed from the stored record, so a restart loses nothing.
#include "actors/analytics/dashboard_reports.hpp"
#include "actors/clock/node_clock.hpp"
#include "common/cadence.hpp"
#include "messages/actors.hpp"

#include <optional>
#include <string>

namespace grace {

struct analytics_settings {
  node_clock clock;
  int64_t report_interval_ms = 3600000; // virtual: logs the health score
  analytics::report_settings reports;
  int64_t horizon_ms = cadence::forecast_horizon_ms; // the forecast horizon shown in /metrics
  bool has_promql = false; // a PromQL source runs: its counters go into /metrics
};

struct analytics_state {
  static inline const char* name = "analytics";
  analytics_settings settings;
  uint64_t reports_logged = 0;
  uint64_t requests = 0;
  std::optional<double> last_score;
  std::string last_label;
};

analytics_actor::behavior_type
analytics_component(analytics_actor::stateful_pointer<analytics_state> self,
                    supervisor_actor supervisor, analytics_settings settings);

} // namespace grace
