#include "actors/analytics/dashboard_reports.hpp"

#include "actors/analytics/reports.hpp"

#include <algorithm>
#include <cmath>

namespace grace::analytics {

namespace {

std::vector<actual_point> actuals_of(const std::vector<snapshot>& snapshots,
                                     catalog::aggregation statistic) {
  std::vector<actual_point> out;
  out.reserve(snapshots.size());
  for (const auto& s : snapshots) {
    const double v = catalog::statistic_of(s, statistic);
    if (std::isfinite(v))
      out.push_back({s.window_end, v});
  }
  std::sort(out.begin(), out.end(),
            [](const actual_point& a, const actual_point& b) { return a.ts < b.ts; });
  return out;
}

const std::vector<snapshot>& snapshots_of(const report_inputs& in, const std::string& id) {
  static const std::vector<snapshot> none;
  auto it = in.snapshots.find(id);
  return it == in.snapshots.end() ? none : it->second;
}

warning_counts counts_of(const report_inputs& in) {
  if (!in.warnings)
    return {};
  return warning_counts_from(*in.warnings, in.now - week_ms, in.now);
}

uint64_t episodes_of(const report_inputs& in) {
  uint64_t episodes = 0;
  for (const auto& [id, snaps] : in.snapshots)
    episodes += breach_episodes(snaps, in.now - week_ms, in.now);
  return episodes;
}

latest_forecast latest_of(const std::string& id, const std::vector<forecast>& forecasts,
                          const catalog::metrics_catalog* cat) {
  const auto& f = *std::max_element(
      forecasts.begin(), forecasts.end(),
      [](const forecast& a, const forecast& b) { return a.generated_at < b.generated_at; });
  const auto* m = cat ? cat->find_metric(id) : nullptr;
  latest_forecast out;
  out.metric_id = id;
  out.name = m ? m->description : id;
  if (m) {
    out.unit = m->unit;
    out.direction = catalog::to_string(m->direction);
    out.warning = m->warning;
    out.critical = m->critical;
  }
  out.generated_at = f.generated_at;
  out.step_ms = f.step;
  out.model_version = f.model_version;
  out.points = f.points;
  return out;
}

} // namespace

pooled_accuracy accuracy_over(const report_inputs& in, int64_t window_ms,
                              const report_settings& settings) {
  std::vector<metric_accuracy> metrics;
  for (const auto& [id, forecasts] : in.forecasts) {
    const auto* m = in.catalog ? in.catalog->find_metric(id) : nullptr;
    if (!m)
      continue;
    const auto actuals = actuals_of(snapshots_of(in, id), m->aggregation);
    metrics.push_back(score_metric(id, forecasts, actuals, in.now - window_ms, in.now,
                                   settings.snapshot_interval_ms / 2));
  }
  return pool(std::move(metrics));
}

namespace {

// The health score from the 7-day accuracy and the execution totals the
// caller already has (the overview shows both too).
health_result health_from(const report_inputs& in, const report_settings& settings,
                          const pooled_accuracy& week, const playbook_totals& totals) {
  health_inputs h;
  h.accuracy_pct = week.overall.accuracy_pct;
  h.accuracy_points = week.overall.points;
  h.skill = week.overall.skill;
  h.coverage80 = week.overall.coverage80;
  const auto c = counts_of(in);
  h.warnings_prevented = c.prevented;
  h.warnings_came_true = c.came_true;
  h.warnings_false_alarm = c.false_alarm;
  h.mean_execution_reward = totals.mean_reward;
  h.evaluated_executions = totals.evaluated;
  if (in.training && !in.training->empty())
    h.since_last_training_ms = in.now - in.training->front().finished_at;
  h.training_interval_ms = settings.training_interval_ms;
  return health_score(h);
}

const std::vector<execution>& executions_of(const report_inputs& in) {
  static const std::vector<execution> none;
  return in.executions ? *in.executions : none;
}

} // namespace

health_result health_of(const report_inputs& in, const report_settings& settings) {
  playbook_totals totals;
  playbook_performance(executions_of(in), &totals);
  return health_from(in, settings, accuracy_over(in, week_ms, settings), totals);
}

dashboard_overview overview_report(const report_inputs& in, const report_settings& settings) {
  const auto week = accuracy_over(in, week_ms, settings);
  playbook_totals totals;
  dashboard_overview out;
  out.playbooks = playbook_performance(executions_of(in), &totals).summary;
  out.health = report_of(health_from(in, settings, week, totals));
  out.forecast_accuracy_7d = view_of(week.overall);
  out.warnings = summarise_warnings(counts_of(in), episodes_of(in));
  if (in.rl_statistics) {
    out.has_learning = true;
    out.learning = *in.rl_statistics;
  }
  out.training.next_due_at = next_training_due(in.trainer);
  if (in.training && !in.training->empty()) {
    out.training.cycles = in.training->front().cycle;
    out.training.last_finished_at = in.training->front().finished_at;
  }
  out.unavailable = in.unavailable;
  out.generated_at = in.now;
  return out;
}

dashboard_health health_report_of(const report_inputs& in, const report_settings& settings) {
  return {report_of(health_of(in, settings)), in.unavailable, in.now};
}

dashboard_accuracy accuracy_report(const report_inputs& in, const report_settings& settings) {
  return {"accuracy_pct = 100 x (1 - sMAPE/2), sMAPE = 2 x mean |F-A| / (|F|+|A|) over every "
          "stored forecast point whose time has come; MASE scales MAE by the mean absolute "
          "one-step change of the actuals in the window; coverage = share of actuals inside "
          "the 80% / 95% bands",
          view_of(accuracy_over(in, day_ms, settings)),
          view_of(accuracy_over(in, week_ms, settings)), in.unavailable, in.now};
}

dashboard_playbooks playbooks_report(const report_inputs& in) {
  auto out = playbook_performance(executions_of(in));
  out.unavailable = in.unavailable;
  out.generated_at = in.now;
  return out;
}

dashboard_learning learning_report(const report_inputs& in) {
  auto out = learning_progress(in.experiences ? *in.experiences : std::vector<experience>{},
                               in.rl_statistics, in.rl_policies);
  out.unavailable = in.unavailable;
  out.generated_at = in.now;
  return out;
}

dashboard_training training_report(const report_inputs& in, const report_settings& settings) {
  auto out = training_history(in.training ? *in.training : std::vector<training_record>{},
                              settings.training_interval_ms, in.now, in.trainer);
  out.unavailable = in.unavailable;
  out.generated_at = in.now;
  return out;
}

dashboard_forecasts forecasts_report(const report_inputs& in) {
  dashboard_forecasts out;
  for (const auto& [id, forecasts] : in.forecasts)
    if (!forecasts.empty())
      out.forecasts.push_back(latest_of(id, forecasts, in.catalog.get()));
  out.generated_at = in.now;
  return out;
}

} // namespace grace::analytics
