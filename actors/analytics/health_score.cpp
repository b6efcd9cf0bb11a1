#include "actors/analytics/health_score.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace grace::analytics {

namespace {

std::string format(const char* fmt, double a, double b = 0.0, double c = 0.0) {
  char buf[200];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

double clamp100(double v) {
  return std::clamp(v, 0.0, 100.0);
}

} // namespace

std::string health_label(double score) {
  if (score >= 75.0)
    return "good";
  if (score >= 50.0)
    return "fair";
  return "poor";
}

health_result health_score(const health_inputs& in) {
  health_result r;

  health_part accuracy{"forecast_accuracy", 0.15, std::nullopt, "no scored forecast yet"};
  if (in.accuracy_pct && in.accuracy_points > 0) {
    accuracy.value = clamp100(*in.accuracy_pct);
    accuracy.detail = format("accuracy %.1f%% over %.0f forecast points (7 days)", *in.accuracy_pct,
                             static_cast<double>(in.accuracy_points));
  }
  r.parts.push_back(accuracy);

  health_part skill{"forecast_skill", 0.15, std::nullopt,
                    "no forecast scored against a day of earlier actuals yet"};
  if (in.skill && in.accuracy_points > 0) {
    skill.value = clamp100(50.0 * (1.0 + *in.skill));
    skill.detail = format("skill %+.2f vs the seasonal naive forecast (yesterday's values; 7 days)",
                          *in.skill);
  }
  r.parts.push_back(skill);

  health_part calibration{"interval_calibration", 0.15, std::nullopt, "no scored forecast yet"};
  if (in.coverage80 && in.accuracy_points > 0) {
    calibration.value = clamp100(100.0 * (1.0 - 2.5 * std::fabs(*in.coverage80 - 0.80)));
    calibration.detail =
        format("%.1f%% of actuals inside the 80%% band (ideal 80%%)", 100.0 * *in.coverage80);
  }
  r.parts.push_back(calibration);

  health_part precision{"warning_precision", 0.20, std::nullopt, "no warning resolved yet"};
  const uint64_t resolved = in.warnings_prevented + in.warnings_came_true + in.warnings_false_alarm;
  if (resolved > 0) {
    const double good = static_cast<double>(in.warnings_prevented + in.warnings_came_true);
    precision.value = 100.0 * good / static_cast<double>(resolved);
    precision.detail =
        format("%.0f of %.0f resolved warnings were real (%.0f false alarms)", good,
               static_cast<double>(resolved), static_cast<double>(in.warnings_false_alarm));
  }
  r.parts.push_back(precision);

  health_part effectiveness{"playbook_effectiveness", 0.20, std::nullopt,
                            "no playbook outcome evaluated yet"};
  if (in.mean_execution_reward && in.evaluated_executions > 0) {
    effectiveness.value = clamp100(50.0 * (1.0 + *in.mean_execution_reward));
    effectiveness.detail =
        format("mean reward %+.2f over %.0f evaluated executions", *in.mean_execution_reward,
               static_cast<double>(in.evaluated_executions));
  }
  r.parts.push_back(effectiveness);

  health_part freshness{"training_freshness", 0.15, std::nullopt, "no training cycle yet"};
  if (in.since_last_training_ms && in.training_interval_ms > 0) {
    const double intervals = static_cast<double>(std::max<int64_t>(0, *in.since_last_training_ms))
                             / static_cast<double>(in.training_interval_ms);
    freshness.value = intervals <= 1.0 ? 100.0 : clamp100(100.0 * (3.0 - intervals) / 2.0);
    freshness.detail = format("last cycle %.1f h ago (interval %.1f h)",
                              static_cast<double>(*in.since_last_training_ms) / 3600000.0,
                              static_cast<double>(in.training_interval_ms) / 3600000.0);
  }
  r.parts.push_back(freshness);

  double weighted = 0.0;
  double weights = 0.0;
  int with_data = 0;
  for (const auto& p : r.parts)
    if (p.value) {
      weighted += p.weight * *p.value;
      weights += p.weight;
      ++with_data;
    }
  if (weights > 0.0) {
    r.score = weighted / weights;
    r.label = health_label(*r.score);
    r.summary = format("%.1f/100 from %.0f of %.0f parts", *r.score, with_data,
                       static_cast<double>(r.parts.size()));
  } else {
    r.summary = "no data yet: nothing forecast, warned, run or trained to grade";
  }
  return r;
}

health_report report_of(const health_result& r) {
  health_report out{r.score, r.label, r.summary, {}};
  out.parts.reserve(r.parts.size());
  for (const auto& p : r.parts)
    out.parts.push_back({p.name, p.weight, p.value, p.detail});
  return out;
}

} // namespace grace::analytics
