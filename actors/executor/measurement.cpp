#include "actors/executor/measurement.hpp"

#include "actors/executor/governance.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace grace::executor {

namespace {

std::vector<double> values_between(const std::vector<snapshot>& rows,
                                   const catalog::metric_definition& m, int64_t from, int64_t to) {
  std::vector<double> out;
  for (const auto& s : rows)
    if (s.window_end > from && s.window_end <= to) {
      const double v = catalog::statistic_of(s, m.aggregation);
      if (std::isfinite(v))
        out.push_back(v);
    }
  return out;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v)
    sum += x;
  return v.empty() ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(v.size());
}

} // namespace

int64_t measurement_since(const execution& run, const measurement_spans& spans) {
  return run.started_at - std::max(spans.baseline_window_ms, spans.normal_window_ms);
}

outcome_inputs measure_inputs(const catalog::metric_definition& metric,
                              const std::vector<snapshot>& rows, const forecast& counterfactual,
                              const std::vector<other_metric_rows>& others, const execution& run,
                              const measurement_spans& spans) {
  const int64_t started = run.started_at;
  const int64_t until = run.evaluate_at;
  const int64_t baseline_from = started - spans.baseline_window_ms;
  outcome_inputs in;
  in.higher_is_worse = metric.direction == catalog::direction::higher_is_worse;
  in.warning = metric.warning;
  in.critical = metric.critical;
  in.before = values_between(rows, metric, baseline_from, started);
  std::vector<int64_t> after_times;
  for (const auto& s : rows)
    if (s.window_end > started && s.window_end <= until) {
      const double v = catalog::statistic_of(s, metric.aggregation);
      if (std::isfinite(v)) {
        in.after.push_back(v);
        after_times.push_back(s.window_end);
      }
    }
  // The counterfactual: the pre-action forecast at the same times.
  for (int64_t t : after_times) {
    const forecast_point* best = nullptr;
    for (const auto& p : counterfactual.points)
      if (!best || std::llabs(p.ts - t) < std::llabs(best->ts - t))
        best = &p;
    if (!best || std::llabs(best->ts - t) > counterfactual.step)
      break;
    in.counterfactual.push_back(best->mean);
  }
  if (spans.attribution_window_ms > 0) {
    const auto within = std::count_if(after_times.begin(), after_times.end(), [&](int64_t t) {
      return t <= started + spans.attribution_window_ms;
    });
    in.attribution_windows = std::max<size_t>(1, static_cast<size_t>(within));
  }
  in.normal_level = catalog::better_quartile(
      values_between(rows, metric, started - spans.normal_window_ms, started), in.higher_is_worse);
  // The forecast's value for the last before-window anchors the
  // counterfactual of an action taken in breach (reward.hpp).
  int64_t last_before_at = 0;
  for (const auto& s : rows)
    if (s.window_end > baseline_from && s.window_end <= started
        && std::isfinite(catalog::statistic_of(s, metric.aggregation)))
      last_before_at = std::max(last_before_at, s.window_end);
  if (last_before_at > 0) {
    int64_t nearest = counterfactual.step + 1;
    for (const auto& p : counterfactual.points)
      if (std::llabs(p.ts - last_before_at) < nearest) {
        nearest = std::llabs(p.ts - last_before_at);
        in.counterfactual_at_action = p.mean;
      }
  }
  for (const auto& other : others) {
    if (!other.metric)
      continue;
    if (other.cause) {
      const bool trouble =
          std::any_of(other.rows.begin(), other.rows.end(), [&](const snapshot& s) {
            return s.window_end > started && s.window_end <= until && s.level != band::good;
          });
      if (trouble)
        in.causes_in_trouble.push_back(other.metric->id);
      continue;
    }
    const double before =
        mean_of(values_between(other.rows, *other.metric, baseline_from, started));
    const double after = mean_of(values_between(other.rows, *other.metric, started, until));
    if (std::isfinite(before) && std::isfinite(after) && before != 0.0)
      in.other_kpi_deltas[other.metric->id + ".delta_vs_before"] =
          (after - before) / std::fabs(before);
  }
  return in;
}

measured_outcome measure_outcome(const catalog::metric_definition& metric,
                                 const std::vector<snapshot>& rows, const forecast& counterfactual,
                                 const std::vector<other_metric_rows>& others, const execution& run,
                                 const measurement_spans& spans) {
  measured_outcome out;
  out.inputs = measure_inputs(metric, rows, counterfactual, others, run, spans);
  out.result = evaluate_outcome(metric.id, out.inputs);
  if (run.evaluate_at < run.finished_at + spans.evaluation_window_ms)
    out.result.summary += " (measured over " + format_duration(run.evaluate_at - run.started_at)
                          + ": the next run on " + run.service + " started)";
  return out;
}

std::vector<std::string> evaluation_metrics(const catalog::metrics_catalog& catalog,
                                            const std::string& metric, const std::string& service,
                                            size_t& causes_from) {
  std::vector<std::string> out{metric};
  for (const auto& id : catalog.metrics_of_service(service))
    if (id != metric)
      out.push_back(id);
  causes_from = out.size();
  if (const auto* m = catalog.find_metric(metric))
    for (const auto& cause : m->symptom_of)
      if (std::find(out.begin(), out.end(), cause) == out.end())
        out.push_back(cause);
  return out;
}

bool report_incident_seen(const outcome& result, const measurement_spans& spans) {
  return result.incident_seen() && !(spans.causes_confound && result.confounded);
}

int64_t evaluation_end(const std::deque<execution>& runs, const execution& finished,
                       int64_t finished_at, const measurement_spans& spans) {
  int64_t end = finished_at + spans.evaluation_window_ms;
  for (const auto& later : runs)
    if (later.service == finished.service && later.started_at > finished.started_at)
      end = std::min(end, later.started_at);
  return end;
}

std::vector<std::string> cut_by_start(const std::deque<execution>& runs, const execution& started,
                                      int64_t now, const std::set<std::string>& evaluating) {
  std::vector<std::string> cut;
  for (const auto& other : runs)
    if (other.id != started.id && other.service == started.service
        && other.state == execution_state::succeeded && other.evaluate_at > now
        && !evaluating.count(other.id))
      cut.push_back(other.id);
  return cut;
}

} // namespace grace::executor
