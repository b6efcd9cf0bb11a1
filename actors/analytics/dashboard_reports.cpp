#include "actors/analytics/dashboard_reports.hpp"

#include "actors/analytics/reports.hpp"
#include "common/utc_time.hpp"
#include "messages/json.hpp"

#include <algorithm>
#include <cmath>

namespace grace::analytics {

const std::vector<std::string>& report_names() {
  static const std::vector<std::string> names = {
      "overview",         "learning-progress", "playbook-performance", "forecast-accuracy",
      "training-history", "health-report",     "latest-forecasts"};
  return names;
}

namespace {

// A component's answer in its JSON form, or null when it did not answer.
template <class T> nlohmann::json json_or_null(const std::optional<T>& answer) {
  return answer ? nlohmann::json(*answer) : nlohmann::json(nullptr);
}

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

nlohmann::json unavailable_json(const report_inputs& in) {
  return in.unavailable;
}

nlohmann::json forecast_accuracy_report(const report_inputs& in, const report_settings& s) {
  return {{"definition",
           "accuracy_pct = 100 x (1 - sMAPE/2), sMAPE = 2 x mean |F-A| / (|F|+|A|) over every "
           "stored forecast point whose time has come; MASE scales MAE by the mean absolute "
           "one-step change of the actuals in the window; coverage = share of actuals inside "
           "the 80% / 95% bands"},
          {"windows",
           {{"24h", to_json(accuracy_over(in, day_ms, s))},
            {"7d", to_json(accuracy_over(in, week_ms, s))}}},
          {"unavailable", unavailable_json(in)}};
}

nlohmann::json latest_forecasts(const report_inputs& in) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, forecasts] : in.forecasts) {
    if (forecasts.empty())
      continue;
    const auto& f = *std::max_element(
        forecasts.begin(), forecasts.end(),
        [](const forecast& a, const forecast& b) { return a.generated_at < b.generated_at; });
    const auto* m = in.catalog ? in.catalog->find_metric(id) : nullptr;
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : f.points)
      points.push_back({{"ts", p.ts},
                        {"mean", p.mean},
                        {"lo80", p.lo80},
                        {"hi80", p.hi80},
                        {"lo95", p.lo95},
                        {"hi95", p.hi95}});
    list.push_back({{"metric_id", id},
                    {"name", m ? m->description : id},
                    {"unit", m ? m->unit : ""},
                    {"direction", m ? catalog::to_string(m->direction) : ""},
                    {"warning", m ? nlohmann::json(m->warning) : nlohmann::json(nullptr)},
                    {"critical", m ? nlohmann::json(m->critical) : nlohmann::json(nullptr)},
                    {"generated_at", iso_time_ms(f.generated_at)},
                    {"step_ms", f.step},
                    {"model_version", f.model_version},
                    {"points", points}});
  }
  return {{"forecasts", list}};
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

std::optional<nlohmann::json> build_report(const std::string& name, const report_inputs& in,
                                           const report_settings& settings) {
  nlohmann::json out;
  if (name == "health-report") {
    out = to_json(health_of(in, settings));
  } else if (name == "forecast-accuracy") {
    out = forecast_accuracy_report(in, settings);
  } else if (name == "playbook-performance") {
    out = playbook_performance(executions_of(in));
  } else if (name == "learning-progress") {
    out = learning_progress(in.experiences ? *in.experiences : std::vector<experience>{},
                            json_or_null(in.rl_statistics),
                            in.rl_policies ? nlohmann::json(in.rl_policies->policies)
                                           : nlohmann::json(nullptr));
  } else if (name == "training-history") {
    out = training_history(in.training ? *in.training : std::vector<training_record>{},
                           settings.training_interval_ms, in.now, in.trainer);
  } else if (name == "latest-forecasts") {
    out = latest_forecasts(in);
  } else if (name == "overview") {
    const auto week = accuracy_over(in, week_ms, settings);
    playbook_totals totals;
    const auto playbooks = playbook_performance(executions_of(in), &totals);
    nlohmann::json training{{"cycles", 0},
                            {"last_finished_at", nullptr},
                            {"next_due_at", next_training_due(in.trainer)}};
    if (in.training && !in.training->empty()) {
      const auto& last = in.training->front();
      training["cycles"] = last.cycle;
      training["last_finished_at"] = iso_time_ms(last.finished_at);
    }
    out = {{"health", to_json(health_from(in, settings, week, totals))},
           {"forecast_accuracy_7d", to_json(week.overall)},
           {"warnings", warnings_summary(counts_of(in), episodes_of(in))},
           {"playbooks", playbooks.at("summary")},
           {"learning", json_or_null(in.rl_statistics)},
           {"training", training}};
  } else {
    return std::nullopt;
  }
  if (name == "overview" || name == "health-report" || name == "playbook-performance"
      || name == "learning-progress" || name == "training-history")
    out["unavailable"] = unavailable_json(in);
  out["generated_at"] = iso_time_ms(in.now);
  return out;
}

} // namespace grace::analytics
