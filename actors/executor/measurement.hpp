#pragma once
// From a run's stored windows to its judged outcome (reward.hpp): which
// windows are "before", "after" and "normal", the counterfactual forecast
// aligned with the after-windows, the service's other KPIs as relative
// deltas, and how long each run is measured when runs on a service overlap.
#include "actors/catalog/catalog.hpp"
#include "actors/executor/reward.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

namespace grace::executor {

// Virtual-time spans of the measurement; grace.yaml sets the evaluation
// window (execution.evaluation_window).
struct measurement_spans {
  int64_t evaluation_window_ms = 30 * 60000; // after a run, before its outcome is measured
  int64_t baseline_window_ms = 30 * 60000;   // the windows before the run it is compared with
  // The windows before the run whose better quartile stands for the metric's
  // normal level (the size of a breach a run started in; reward.hpp).
  int64_t normal_window_ms = 3 * 3600 * 1000;
  // After a run started in breach, how soon a recovery must begin to be the
  // run's (reward.hpp, attribution_windows); the node sets the predictor's
  // escalate_after, the time it gives a reaction before trying another.
  // 0: any time in the evaluation window.
  int64_t attribution_window_ms = 0;
  // grace.yaml execution.causes_confound: a reward measured while a declared
  // cause of the metric (catalog symptom_of) was at warning or worse is
  // reported as confounded (outcome::confounded), and the agent counts it
  // for less. false: reported in full (its summary still says so).
  bool causes_confound = false;
};

// One of the service's other metrics, or (cause) one the catalog names as a
// cause of the run's metric (symptom_of), and its stored windows.
struct other_metric_rows {
  const catalog::metric_definition* metric = nullptr;
  std::vector<snapshot> rows;
  bool cause = false; // read for causes_in_trouble, not reported as a KPI delta
};

// The metrics an evaluation of a run on `metric` (on `service`) reads: the
// metric, the service's other metrics, then the metric's declared causes not
// among those; `causes_from` is set to the index of the first cause.
std::vector<std::string> evaluation_metrics(const catalog::metrics_catalog& catalog,
                                            const std::string& metric, const std::string& service,
                                            size_t& causes_from);

// Whether a run was judged in full, given its outcome: with causes_confound, a
// confounded reward counts as one with no incident seen (reward_report::incident_seen).
bool report_incident_seen(const outcome& result, const measurement_spans& spans);

struct measured_outcome {
  outcome_inputs inputs; // the series judged (also recorded with the incident)
  outcome result;
};

// The earliest window the measurement reads: the storage query starts here.
int64_t measurement_since(const execution& run, const measurement_spans& spans);

// The outcome inputs of `run` (started_at, measured until evaluate_at) on `metric` from its stored
// windows `rows` and the forecast made before acting. The counterfactual stops at the first
// after-window no forecast point lies within one step of.
outcome_inputs measure_inputs(const catalog::metric_definition& metric,
                              const std::vector<snapshot>& rows, const forecast& counterfactual,
                              const std::vector<other_metric_rows>& others, const execution& run,
                              const measurement_spans& spans);

// measure_inputs, judged (evaluate_outcome); a measurement cut short by the
// next run on the service says so in the summary.
measured_outcome measure_outcome(const catalog::metric_definition& metric,
                                 const std::vector<snapshot>& rows, const forecast& counterfactual,
                                 const std::vector<other_metric_rows>& others, const execution& run,
                                 const measurement_spans& spans);

// When a run that succeeded at `finished_at` is measured until: the evaluation
// window after it, ended early by a later run on the service started while it
// ran (`runs` holds every known execution).
int64_t evaluation_end(const std::deque<execution>& runs, const execution& finished,
                       int64_t finished_at, const measurement_spans& spans);

// The runs on `started`'s service still being measured (not yet evaluating)
// whose measurement ends now: from here on the metric shows both runs, and
// the agent must not credit either with the other's effect.
std::vector<std::string> cut_by_start(const std::deque<execution>& runs, const execution& started,
                                      int64_t now, const std::set<std::string>& evaluating);

} // namespace grace::executor
