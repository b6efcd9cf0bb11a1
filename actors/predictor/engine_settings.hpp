#pragma once
// The predictor engine's settings: grace.yaml `prediction:` (see
// docs/configuration.md) fills the warning book's policy (min_probability,
// min_lead, max_lead, grace), the breach reactions' (escalate_after) and the
// switches below; each default lives with the core that uses it.
#include "actors/executor/governance.hpp"
#include "actors/predictor/breach_reaction.hpp"
#include "actors/predictor/breach_warner.hpp"
#include "actors/predictor/warning_book.hpp"

#include <cstdint>

namespace grace::predictor {

struct engine_settings : warning_policy, reaction_policy {
  // The breach probability each forecast is judged by (breach_warner.hpp, the
  // core `grace-node warn` runs too).
  breach_warner_settings warner;
  double anomaly_alert = 0.95; // anomaly score logged and published above this
  bool act = true;             // ask the RL agent and the executor (false: warn only)
  // Also act on a confirmed breach nobody warned about in time (see breach_reaction.hpp).
  bool react_to_breaches = true;
  // A reaction is offered only the playbooks that run unattended (mode auto)
  // while one of them is left: in the simulator nobody approves, and even
  // with an operator on call a breach under way should not wait for one.
  bool react_unattended_first = true;
  // Learn a sudden onset apart: diagnosis `<metric>:sudden` (see onset.hpp).
  bool sudden_onset_context = true;
  // Raise no new early warning on a metric while one of its catalog causes
  // (symptom_of) holds it (cause_watch, the rule that holds a symptom's
  // remediation: the cause at warning or worse, warned with a playbook run,
  // or out of the band for less than escalate_after), as an Alertmanager
  // inhibit rule would: the cause's own warning or breach speaks for it.
  // An open warning on the metric is still judged (updated, resolved).
  // On by default: on the simulator it removed 39-53% of the false alarms of
  // every warner measured at the cost of at most one early warning, and it
  // cannot change grace-node warn (one series, no causes).
  bool hold_symptom_warnings = true;
  // The executor's approval timeout (its setting, set from it by the node):
  // when a run waiting for approval is decided (expired or rejected), the
  // next-best playbook is asked for.
  int64_t approval_timeout_ms = executor::governance_settings{}.approval_timeout_ms;
};

} // namespace grace::predictor
