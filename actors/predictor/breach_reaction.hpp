#pragma once
// Remediation of breaches nobody warned about in time. An early warning needs
// the breach 15-60 minutes ahead; a sudden incident, or one the forecast saw
// only 10 minutes out, reaches its threshold with no warning and, without
// this, with no action either. The tracker says when a metric's breach is
// confirmed and an action is due. Pure core: no CAF, no clock (callers pass
// the snapshot times), deterministic.
//
// Rules, per metric, over closed snapshots in time order (older or repeated
// snapshot times are ignored):
//   - an episode is the run of consecutive snapshots at warning or worse;
//     a snapshot back in the good band ends it;
//   - a reaction is due when the episode has lasted `confirm_windows`
//     snapshots (one-sample spikes do not act), the metric is not getting
//     better (its statistic is not better than in the previous snapshot: a
//     metric already recovering, e.g. after another metric's fix, needs no
//     action and would credit one with the recovery), the last action on the
//     metric or on any metric of its service (a reaction, or a run for an
//     early warning) started at least `min_gap_ms` ago (its outcome is
//     measured in that time and must not be confounded with a second action
//     on the same service), the episode has had fewer than `max_reactions`
//     reactions (a breach the first playbook did not end gets another try,
//     not an action storm), and no other metric of the same service is in an
//     episode that began earlier and still has reactions left: that one is
//     taken as the cause and this one as its symptom (a traffic surge breaches
//     the request rate, then the error rate; the surge's playbooks are the
//     ones to run, and crediting the error rate's with it would teach the
//     agent the wrong thing), unless the catalog says that one is this one's
//     symptom (observation::effects);
//   - escalation: when the last action on the service was this episode's
//     own reaction and the breach goes on (not getting better), the next
//     reaction is due `escalate_after_ms` after it rather than `min_gap_ms`
//     (on the first snapshot whose window ends that long after the action:
//     its windows since are the action's, not those closed before it ran).
//     An SRE does not watch a failed remediation for half an hour; the
//     executor ends the earlier run's evaluation when the next run on the
//     service starts, so neither is credited with the other's effect. The
//     playbooks already run in the episode (ran()) are not asked for again;
//   - a breach that began with a step (observation::sudden: an outage, a
//     failed host) waits only `escalate_after_ms` after another action on its
//     service, not `min_gap_ms`: it is a new incident, not that action's
//     doing, and it does not wait half an hour; that action is judged on the
//     windows before this one runs;
//   - with recovery_share > 0, "getting better" means better than the
//     previous snapshot by at least that share of the breach's size (the
//     previous statistic's distance from the metric's normal level,
//     observation::normal), not by any amount: on a plateau (an outage at
//     its peak) a window is below the one before about half of the time,
//     and a breach that waits for a window above the last can end
//     unremediated (a 20-minute outage is four windows). 0.15 is the
//     executor's own bar for a recovery (reward.hpp: a run is credited only
//     with a recovery of 0.15 of the breach's size), so a dip the executor
//     would not call a recovery does not hold a reaction back. Without a
//     normal level any improvement counts, as before;
//   - with steps_not_held_by_climbs, a breach that began with a step is not
//     taken as the symptom of another metric's earlier episode on its
//     service that has had no step (none of its snapshots sudden): a
//     symptom follows its cause's course, so a step while the other metric
//     climbs (a host failing during a memory leak) is an incident of its
//     own, and holding it leaves it to end by itself.
#include "messages/types.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace grace::predictor {

struct reaction_policy {
  int confirm_windows = 2;
  int64_t min_gap_ms = 30 * 60000; // the executor's evaluation window
  int max_reactions = 3;           // per episode
  // The gap before the next reaction in an episode its last reaction did
  // not end, and before a sudden breach's (see above); 0 or more than
  // min_gap_ms: min_gap_ms.
  int64_t escalate_after_ms = 10 * 60000;
  // Early warnings wait for the runs on their service (warning_action below;
  // grace.yaml prediction.warnings_wait_for_runs). false: a new warning acts
  // at once, whatever ran before.
  bool warnings_wait_for_runs = false;
  // A breach that began with a step is not held by an earlier episode that
  // climbed (see above; grace.yaml prediction.steps_not_held_by_climbs, which
  // also applies it to the catalog causes' hold, symptom_hold.hpp).
  bool steps_not_held_by_climbs = false;
  // The share of the breach's size an improvement must reach to count as
  // recovering (see above; grace.yaml prediction.recovery_share). 0: any.
  double recovery_share = 0.0;
};

// What an early warning raised at some time may do (breach_reactions::warning_action).
enum class warning_gate {
  act,        // run a playbook for it now
  wait,       // not before `until`: a run on its service is too young to be judged
  superseded, // its metric's breach is under way and has had its reaction
};

// Why a closed snapshot did or did not make a reaction due
// (breach_reactions::observe). The engine logs the reasons a breach in the
// critical band gets no run: an SRE must be able to tell why nothing was done.
enum class reaction_reason {
  due,        // act now
  stale,      // an older or repeated snapshot time: ignored
  good,       // not in breach
  confirming, // the episode is shorter than confirm_windows
  exhausted,  // the episode has had max_reactions reactions
  recovering, // better than the previous snapshot
  symptom,    // another metric of the service breached earlier (`other`)
  spacing,    // a recent action on the metric or its service (`other`, `until`)
};

struct reaction_verdict {
  reaction_reason reason = reaction_reason::good;
  // symptom: the metric whose earlier episode is taken as the cause;
  // spacing: the metric of the last action on the service.
  std::string other = {};
  timestamp_ms last_action = 0; // spacing: when that action started
  timestamp_ms until = 0;       // spacing: the first time a reaction may be due
  bool due() const { return reason == reaction_reason::due; }
  explicit operator bool() const { return due(); }
};

const char* to_string(reaction_reason r);

struct warning_decision {
  warning_gate gate = warning_gate::act;
  timestamp_ms until = 0; // with wait: the earliest time to act
};

class breach_reactions {
public:
  explicit breach_reactions(reaction_policy policy = {});

  struct observation {
    std::string metric_id;
    std::string service;
    band level = band::good;
    double value = 0.0; // the snapshot's statistic (NaN: unknown, not judged as improving)
    bool higher_is_worse = true;
    timestamp_ms at = 0; // the snapshot's window end
    bool sudden = false; // the excursion began with a step (onset.hpp)
    // The metrics the catalog names as this one's symptoms (symptom_of,
    // directly or through others): an earlier breach of one of them is not
    // taken as this one's cause. The error rate of a slow API can cross its
    // threshold before the latency does.
    std::vector<std::string> effects = {};
    // The metric's normal level (onset.hpp; NaN: unknown): the breach's
    // size for recovery_share.
    double normal = std::numeric_limits<double>::quiet_NaN();
  };
  // A closed snapshot. Due when a reaction is due now (the caller then acts
  // and calls acted()); otherwise the first rule above that says no.
  reaction_verdict observe(const observation& o);

  // An action on the metric started at `at`: a reaction (counts toward the
  // episode's max_reactions) or a run for an early warning (only spaces the
  // next reaction, on this metric and its service's others).
  void acted(const std::string& metric_id, const std::string& service, timestamp_ms at,
             bool reaction);

  // A playbook ran for the metric (any trigger): while the metric is in an
  // episode, it is one of the episode's tried playbooks.
  void ran(const std::string& metric_id, const std::string& playbook);

  // An early warning for `metric_id` (on `service`) raised or still open at
  // `at`: may a playbook run for it now? With warnings_wait_for_runs:
  //   - superseded while the metric is in a breach episode that has had a
  //     reaction: the warning forecasts the breach that reaction is acting
  //     on, and the episode's escalation (escalate_after) is the next step.
  //     A warning run would cut the reaction's evaluation before its first
  //     windows close (the executor ends a run's evaluation when the next
  //     run on its service starts) and be credited with its effect;
  //   - wait until escalate_after_ms after the last action on the metric or
  //     any metric of its service when that action is younger: its effect
  //     is not yet in the data the warning's forecast was fitted on, and its
  //     outcome cannot be judged before its first windows close;
  //   - act otherwise, and always without warnings_wait_for_runs (or with
  //     escalate_after_ms 0).
  warning_decision warning_action(const std::string& metric_id, const std::string& service,
                                  timestamp_ms at) const;

  // Snapshots the metric's current episode has lasted (0: not in breach).
  int episode_windows(const std::string& metric_id) const;
  // The playbooks run for the metric in its current episode, in order.
  std::vector<std::string> tried(const std::string& metric_id) const;

private:
  static constexpr timestamp_ms never = std::numeric_limits<timestamp_ms>::min();
  struct metric_state {
    timestamp_ms last_snapshot = never;
    double last_value = std::numeric_limits<double>::quiet_NaN();
    int windows = 0;   // snapshots in the current episode
    int reactions = 0; // reactions in the current episode
    timestamp_ms last_action = never;
    timestamp_ms episode_start = never; // first snapshot of the current episode
    timestamp_ms last_reaction = never; // in the current episode
    std::vector<std::string> tried;     // playbooks run in the current episode
    bool stepped = false;               // a snapshot of the current episode was sudden
    std::string service;
  };
  reaction_policy policy_;
  std::map<std::string, metric_state> metrics_;
  struct service_action {
    timestamp_ms at;
    std::string metric_id;
  };
  std::map<std::string, service_action> service_actions_; // last action per service
};

} // namespace grace::predictor
