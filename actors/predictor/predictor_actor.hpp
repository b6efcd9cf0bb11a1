#pragma once
// The incident predictor component: turns forecasts into early warnings
// (breach probability within the lead window, one open warning per metric),
// asks the RL agent for a playbook and the executor to run it, follows each
// warning to its outcome from the closed snapshots, and scores every snapshot
// for anomalies.
#include "actors/clock/node_clock.hpp"
#include "actors/predictor/anomaly_score.hpp"
#include "actors/predictor/warning_book.hpp"
#include "messages/actors.hpp"

#include <map>
#include <string>

namespace grace {

struct predictor_settings {
  node_clock clock;
  predictor::warning_policy policy;
  int64_t check_interval_ms = 5 * 60000; // virtual: expiry of warnings, state saves
  double anomaly_alert = 0.95;           // anomaly score logged and published above this
  bool act = true;                       // ask the RL agent and the executor (false: warn only)
  std::string state_key = "predictor";
};

struct predictor_state {
  static inline const char* name = "predictor";
  predictor_settings settings;
  predictor::warning_book book;
  std::map<std::string, band> bands;                        // last closed snapshot's band
  std::map<std::string, predictor::anomaly_scorer> scorers; // per metric
  std::map<std::string, double> anomaly;                    // last score per metric
  std::map<std::string, double> breach_probability;         // last warning-threshold P
  catalog_ref catalog;
  bool dirty = false; // book changed since the last save
  uint64_t forecasts_seen = 0;
  uint64_t anomalies_flagged = 0;
};

predictor_actor::behavior_type
predictor_component(predictor_actor::stateful_pointer<predictor_state> self,
                    supervisor_actor supervisor, predictor_settings settings);

} // namespace grace
