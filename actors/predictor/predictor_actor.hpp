#pragma once
// The incident predictor component: turns forecasts into early warnings
// (breach probability within the lead window, one open warning per metric),
// asks the RL agent for a playbook and the executor to run it, follows each
// warning to its outcome from the closed snapshots, and scores every snapshot
// for anomalies.
#include "actors/clock/node_clock.hpp"
#include "actors/predictor/anomaly_score.hpp"
#include "actors/predictor/breach_reaction.hpp"
#include "actors/predictor/breach_warner.hpp"
#include "actors/predictor/onset.hpp"
#include "actors/predictor/symptom_hold.hpp"
#include "actors/predictor/warning_book.hpp"
#include "messages/actors.hpp"

#include <map>
#include <string>
#include <vector>

namespace grace {

struct predictor_settings {
  node_clock clock;
  predictor::warning_policy policy;
  // The breach probability each forecast is judged by (breach_warner.hpp, the
  // core `grace-node warn` runs too).
  predictor::breach_warner_settings warner;
  int64_t check_interval_ms = 5 * 60000; // virtual: expiry of warnings, state saves
  double anomaly_alert = 0.95;           // anomaly score logged and published above this
  bool act = true;                       // ask the RL agent and the executor (false: warn only)
  // Also act on a confirmed breach nobody warned about in time (see breach_reaction.hpp).
  bool react_to_breaches = true;
  // A reaction is offered only the playbooks that run unattended (mode auto)
  // while one of them is left: in the simulator nobody approves, and even
  // with an operator on call a breach under way should not wait for one.
  bool react_unattended_first = true;
  predictor::reaction_policy reaction;
  // Learn a sudden onset apart: diagnosis `<metric>:sudden` (see onset.hpp).
  bool sudden_onset_context = true;
  // The executor's approval timeout: when a run waiting for approval is
  // decided (expired or rejected), the next-best playbook is asked for.
  int64_t approval_timeout_ms = 15 * 60000;
  std::string state_key = "predictor";
};

// What an action is for: an early warning's predicted breach, or a breach
// under way that no warning covered in time (a reaction).
struct action_trigger {
  std::string warning_id; // the warning's id, or "breach-<metric>-<time>" for a reaction
  std::string metric_id;
  std::string service;
  bool reaction = false;
  std::string diagnosis; // the RL context's: the metric id, or `<metric>:sudden`
  // A reaction's episode has already run these: the agent chooses among the others.
  std::vector<std::string> tried;
};

// A run waiting for an operator. If the approval expires or is rejected while
// the breach is still ahead (warning open) or under way, the agent is asked
// again without the playbooks already tried for this trigger.
struct approval_watch {
  std::string execution_id;
  action_trigger trigger;
  std::vector<std::string> excluded; // includes the playbook waiting for approval
  int64_t check_at = 0;              // wall clock, like the approval deadline
};

struct predictor_state {
  static inline const char* name = "predictor";
  predictor_settings settings;
  predictor::warning_book book;
  predictor::breach_reactions reactions;
  predictor::onset_tracker onsets;
  predictor::cause_watch causes;           // for the catalog's symptom_of (symptom_hold.hpp)
  std::map<std::string, std::string> held; // metric -> the cause its reaction waits on (logged)
  std::map<std::string, forecast> latest_forecasts; // per metric: a reaction's counterfactual
  std::map<std::string, band> bands;                // last closed snapshot's band
  std::map<std::string, predictor::anomaly_scorer> scorers;    // per metric
  std::map<std::string, double> anomaly;                       // last score per metric
  std::map<std::string, double> breach_probability;            // last warning-threshold P
  std::map<std::string, predictor::threshold_warners> warners; // per metric, fed every snapshot
  std::vector<approval_watch> approval_watches;
  catalog_ref catalog;
  bool dirty = false; // book changed since the last save
  uint64_t forecasts_seen = 0;
  uint64_t anomalies_flagged = 0;
  uint64_t actions_held = 0; // remediations held for a symptom's cause
};

predictor_actor::behavior_type
predictor_component(predictor_actor::stateful_pointer<predictor_state> self,
                    supervisor_actor supervisor, predictor_settings settings);

} // namespace grace
