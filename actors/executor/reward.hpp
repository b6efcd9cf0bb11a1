#pragma once
// The outcome of a playbook run, measured against the counterfactual: the
// forecast made before acting, i.e. what would have happened without it.
//
// Reward design (all "worse"/"better" respect the metric's direction):
//
//   baseline  = mean(before)  (else mean(counterfactual), else mean(after))
//   scale     = the distance between baseline and warning threshold,
//               |warning - baseline|, or the distance from the metric's
//               normal level (when known, below) to the warning threshold
//               if that is larger, floored at
//               max(0.1 * |critical - warning|, 0.01 * |warning|, 1e-9)
//               so that a baseline sitting on (or near) the threshold does
//               not blow the effect up: a metric already climbing toward a
//               breach made every playbook, a partial one or none at all,
//               earn +-1 for a few points against the forecast.
//   effect    = (mean(counterfactual) - mean(after)) / scale over the overlap
//               of the two series (the first min(len) windows), negated for
//               lower_is_worse metrics: positive when the metric ended up
//               better than forecast, in units of the baseline-to-warning
//               distance. effect = 1 means the action moved the metric a
//               whole baseline-to-warning distance away from the forecast
//               toward good. A metric that was going to recover anyway
//               matches its forecast and earns ~0.
//   penalty   = 0.5 if any after-window reached the warning threshold
//               (breach_came), 0.75 if one reached the critical threshold.
//   reward    = clip(effect - penalty, -1, 1). An action that makes things
//               worse than the counterfactual has a negative effect and a
//               negative reward.
//
// An action taken while the metric is already in breach (the last
// before-window at the warning threshold or past it: a reaction to a breach no
// warning covered in time) is judged on ending the breach instead:
//   counterfactual = the forecast shifted to the level observed at the action
//               (+ last before-window - counterfactual_at_action), because a
//               forecast made before the breach that did not see it coming
//               says nothing about where the metric was heading from there;
//   scale     = the size of the breach: |last before-window - normal_level|,
//               the metric's normal level being the better quartile of the
//               windows in the hours before (so that a fix, back to normal,
//               earns about 1 and a partial mitigation its share); without a
//               normal level, or one no better than the warning threshold,
//               max(|last before-window - warning|, |critical - warning|);
//   penalty   = 0.5 (0.75 critical) if the breach persisted: any window of the
//               last half of the after-windows still at the threshold.
//               Windows right after the action may still be in breach while
//               the metric recovers. Without a forecast the level at the
//               action stands in for it (persistence).
//   a breach that ended (2 consecutive after-windows in the good band, or
//               one back within half the normal-to-warning distance of the
//               normal level) and came back later is the next incident's:
//               the windows from the end of the recovery on are left out of
//               the effect and the penalty. In a busy period a fix followed
//               20 minutes later by a new incident on the same metric
//               otherwise earned -0.8, and an outage that began 7 minutes
//               after the fixed one -0.3;
//   a recovery is the action's only if it began within the attribution
//               windows (attribution_windows, the node's escalate_after: the
//               time it gives a reaction before trying another): if none of
//               them is 0.15 of the breach's size better than the
//               counterfactual (above; the level at the action without a
//               forecast), the breach went on regardless of the action
//               and ended (if it did) by itself or by something else, so the
//               action is judged on those windows alone (no effect, breach
//               persisted). Sudden incidents (an outage, a failed host) end
//               by themselves in 15-45 minutes; otherwise whatever ran last
//               before that earned the recovery.
//
// Without a counterfactual the after-windows are compared with the
// before-windows instead (effect = (mean(before) - mean(after)) / scale,
// direction respected), and the summary says so. Without after-windows
// nothing can be judged: reward 0, basis "none". Non-finite values are
// ignored.
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace grace::executor {

struct outcome_inputs {
  bool higher_is_worse = true;
  double warning = 0.0, critical = 0.0; // the metric's thresholds
  std::vector<double> before;           // the metric's statistic in the windows before the action
  std::vector<double> after;            // ... in the evaluation window after the action
  std::vector<double> counterfactual;   // the pre-action forecast's means for the same
                                        // after-windows (same length as after, or shorter:
                                        // the overlap is compared)
  std::map<std::string, double> other_kpi_deltas; // the service's other metrics, as relative
                                                  // deltas (passed through into kpi_deltas)
  // The pre-action forecast's mean for the time of the last before-window
  // (NaN if it has none): anchors the counterfactual of an action taken in
  // breach.
  double counterfactual_at_action = std::numeric_limits<double>::quiet_NaN();
  // The metric's normal level before the breach (NaN if unknown): sizes the
  // effect of an action taken in breach, and bounds the scale of one taken
  // before.
  double normal_level = std::numeric_limits<double>::quiet_NaN();
  // How many after-windows from the action on may show the start of a
  // recovery credited to an action taken in breach (see above); 0: any.
  size_t attribution_windows = 0;
  // The catalog's causes of this metric (symptom_of) that were at warning or
  // worse in a window of the evaluation: another incident drove the metric
  // while the run was judged on it (measurement.hpp). Empty: none.
  std::vector<std::string> causes_in_trouble;
};

struct outcome {
  double reward = 0.0;            // in [-1, 1]
  bool started_in_breach = false; // judged on ending the breach (see above)
  bool breach_came = false;       // an after-window reached the warning threshold
  bool critical_came = false;     // an after-window reached the critical threshold
  bool not_attributed = false;    // in breach, no recovery began within attribution_windows
  double effect = 0.0; // improvement vs the counterfactual (or vs before) in units of the
                       // baseline-to-warning distance; positive = better
  std::string basis;   // "counterfactual", "before" (no forecast) or "none" (no after data)
  // An incident was seen: in breach at the action, or a breach in the
  // window. Otherwise a forecast alone said one was coming and none came:
  // either the run prevented it or there was none, and the reward may be the
  // forecast's error alone (the agent counts it for less).
  bool incident_seen() const { return started_in_breach || breach_came; }
  // A declared cause of the metric was in trouble during the evaluation
  // (outcome_inputs::causes_in_trouble): the metric moved with that
  // incident too, so the reward is the run's effect plus another incident's,
  // of unknown sign and size. With execution.causes_confound the executor
  // reports such a reward as it does one with no incident seen (the agent
  // counts it for less: unseen_incident_variance).
  bool confounded = false;
  std::map<std::string, double> kpi_deltas; // "<metric>.delta_vs_before",
                                            // "<metric>.delta_vs_counterfactual" (relative:
                                            // (after - reference) / |reference|, left out when
                                            // the reference is 0 or missing) plus the others
  std::string summary;                      // one line, e.g. "latency 20% below the forecast,
                                            // no breach, reward 0.45"
};

outcome evaluate_outcome(const std::string& metric_id, const outcome_inputs& in);

} // namespace grace::executor
