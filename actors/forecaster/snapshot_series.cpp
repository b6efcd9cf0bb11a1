#include "actors/forecaster/snapshot_series.hpp"

#include "common/utc_time.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

namespace grace::forecaster {

namespace {
// 90000 -> "1.5": minutes with one decimal when not whole.
std::string minutes_text(int64_t ms) {
  std::string text = std::to_string(ms / 60000);
  if (ms % 60000 != 0)
    text += "." + std::to_string((ms % 60000) * 10 / 60000);
  return text;
}
} // namespace

request_check check_request(const forecast_request& request,
                            const catalog::metrics_catalog& catalog,
                            const forecast_limits& limits) {
  auto bad = [](std::string message, bool unknown = false) {
    return request_check{false, unknown, std::move(message)};
  };
  if (request.metric_ids.empty())
    return bad("metric_ids must name at least one metric");
  if (request.metric_ids.size() > limits.max_metrics)
    return bad("metric_ids names " + std::to_string(request.metric_ids.size())
               + " metrics, at most " + std::to_string(limits.max_metrics) + " are allowed");
  std::set<std::string> seen;
  for (const auto& id : request.metric_ids) {
    if (!catalog.find_metric(id))
      return bad("unknown metric '" + id + "'", true);
    if (!seen.insert(id).second)
      return bad("metric '" + id + "' is named twice");
  }
  if (request.horizon_ms < limits.min_horizon_ms
      || request.horizon_ms > limits.max_request_horizon_ms) {
    return bad("horizon_minutes must be between " + minutes_text(limits.min_horizon_ms) + " and "
               + minutes_text(limits.max_request_horizon_ms) + ", found "
               + minutes_text(request.horizon_ms));
  }
  return {};
}

int64_t max_horizon_ms_for(const forecast_limits& limits, int64_t series_step_ms) {
  const int64_t by_steps = static_cast<int64_t>(std::max(limits.max_horizon_steps, 0))
                           * std::max<int64_t>(series_step_ms, 0);
  return std::min(std::max(limits.max_horizon_ms, by_steps), limits.max_request_horizon_ms);
}

std::string check_metric_horizon(const std::string& metric_id, int64_t horizon_ms,
                                 int64_t series_step_ms, const forecast_limits& limits) {
  const int64_t limit = max_horizon_ms_for(limits, series_step_ms);
  if (horizon_ms <= limit)
    return {};
  return "horizon_minutes " + minutes_text(horizon_ms) + " is beyond metric '" + metric_id
         + "': it is sampled every " + minutes_text(series_step_ms) + " minutes, so at most "
         + minutes_text(limit) + " (the longer of " + minutes_text(limits.max_horizon_ms) + " and "
         + std::to_string(limits.max_horizon_steps) + " intervals)";
}

int horizon_steps(int64_t horizon_ms, int64_t step_ms) {
  if (step_ms <= 0 || horizon_ms <= 0)
    return 0;
  return static_cast<int>((horizon_ms + step_ms - 1) / step_ms);
}

series_input series_from_snapshots(const std::string& metric_id,
                                   const std::vector<snapshot>& snapshots,
                                   catalog::aggregation statistic, int64_t step_ms) {
  std::vector<int64_t> times;
  std::vector<double> values;
  times.reserve(snapshots.size());
  values.reserve(snapshots.size());
  for (const auto& s : snapshots) {
    const double v = catalog::statistic_of(s, statistic);
    if (!std::isfinite(v))
      continue;
    times.push_back(s.window_end);
    values.push_back(v);
  }
  if (times.empty()) {
    series_input empty;
    empty.id = metric_id;
    empty.step_ms = step_ms;
    return empty;
  }
  return regularise(metric_id, times, values, series_step_ms(times, step_ms));
}

int64_t series_step_ms(std::vector<int64_t> window_ends_ms, int64_t snapshot_step_ms) {
  if (snapshot_step_ms <= 0)
    return median_step_ms(std::move(window_ends_ms), snapshot_step_ms);
  const int64_t median = median_step_ms(std::move(window_ends_ms), snapshot_step_ms);
  const int64_t whole = (median + snapshot_step_ms / 2) / snapshot_step_ms;
  return std::max<int64_t>(whole, 1) * snapshot_step_ms;
}

std::vector<series_input> series_by_metric(const std::vector<snapshot>& snapshots,
                                           const catalog::metrics_catalog& catalog,
                                           int64_t step_ms) {
  std::map<std::string, std::vector<snapshot>> grouped;
  for (const auto& s : snapshots)
    if (catalog.find_metric(s.metric_id))
      grouped[s.metric_id].push_back(s);
  std::vector<series_input> out;
  out.reserve(grouped.size());
  for (const auto& [id, rows] : grouped)
    out.push_back(series_from_snapshots(id, rows, catalog.find_metric(id)->aggregation, step_ms));
  return out;
}

std::optional<double> nonnegative_floor(const series_input& series) {
  bool any = false;
  for (double v : series.values) {
    if (!std::isfinite(v))
      continue;
    if (v < 0.0)
      return std::nullopt;
    any = true;
  }
  return any ? std::optional<double>(0.0) : std::nullopt;
}

forecast to_forecast(const forecast_result& result, const std::string& metric_id,
                     timestamp_ms generated_at, int64_t step_ms, const std::string& model_version,
                     std::optional<double> floor) {
  forecast f;
  f.metric_id = metric_id;
  f.generated_at = generated_at;
  f.step = step_ms;
  f.model_version = model_version;
  f.points.reserve(result.steps.size());
  auto cut = [&](double v) { return floor ? std::max(v, *floor) : v; };
  for (const auto& s : result.steps)
    f.points.push_back(
        {s.time_ms, cut(s.mean), cut(s.lo80), cut(s.hi80), cut(s.lo95), cut(s.hi95)});
  for (const auto& w : result.importance)
    f.feature_importance.push_back({w.group, w.weight});
  return f;
}

std::string model_version(int64_t trained_at_ms) {
  if (trained_at_ms == 0)
    return "untrained";
  std::string t = iso_time(trained_at_ms); // 2025-11-09T15:45:23Z
  t.erase(std::remove_if(t.begin(), t.end(), [](char c) { return c == '-' || c == ':'; }), t.end());
  return "tft-" + t;
}

} // namespace grace::forecaster
