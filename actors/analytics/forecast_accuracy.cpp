#include "actors/analytics/forecast_accuracy.hpp"

#include <algorithm>
#include <cmath>

namespace grace::analytics {

void error_sums::add(double forecast, double actual, double lo80, double hi80, double lo95,
                     double hi95) {
  const double err = std::fabs(forecast - actual);
  const double denom = std::fabs(forecast) + std::fabs(actual);
  ++points;
  abs_error += err;
  relative_error += denom > 0.0 ? err / denom : 0.0;
  if (actual >= lo80 && actual <= hi80)
    ++inside80;
  if (actual >= lo95 && actual <= hi95)
    ++inside95;
}

void error_sums::add_seasonal_naive(double forecast, double actual, double naive) {
  ++paired_points;
  paired_abs_error += std::fabs(forecast - actual);
  seasonal_naive_abs_error += std::fabs(naive - actual);
}

void error_sums::merge(const error_sums& o) {
  points += o.points;
  paired_points += o.paired_points;
  paired_abs_error += o.paired_abs_error;
  seasonal_naive_abs_error += o.seasonal_naive_abs_error;
  abs_error += o.abs_error;
  relative_error += o.relative_error;
  inside80 += o.inside80;
  inside95 += o.inside95;
}

accuracy_figures figures(const error_sums& s, std::optional<double> scale) {
  accuracy_figures f;
  f.points = s.points;
  if (s.points == 0)
    return f;
  const double n = static_cast<double>(s.points);
  f.mae = s.abs_error / n;
  if (scale && *scale > 0.0)
    f.mase = *f.mae / *scale;
  f.smape = 2.0 * s.relative_error / n;
  f.accuracy_pct = 100.0 * (1.0 - *f.smape / 2.0);
  f.coverage80 = static_cast<double>(s.inside80) / n;
  f.coverage95 = static_cast<double>(s.inside95) / n;
  if (s.paired_points > 0 && s.seasonal_naive_abs_error > 0.0)
    f.skill = 1.0 - s.paired_abs_error / s.seasonal_naive_abs_error;
  return f;
}

namespace {

const actual_point* nearest(const std::vector<actual_point>& actuals, timestamp_ms ts,
                            timestamp_ms tolerance) {
  auto it = std::lower_bound(actuals.begin(), actuals.end(), ts,
                             [](const actual_point& a, timestamp_ms t) { return a.ts < t; });
  const actual_point* best = nullptr;
  timestamp_ms best_gap = tolerance + 1;
  if (it != actuals.end() && it->ts - ts < best_gap) {
    best = &*it;
    best_gap = it->ts - ts;
  }
  if (it != actuals.begin()) {
    const auto& before = *std::prev(it);
    if (ts - before.ts < best_gap)
      best = &before;
  }
  return best;
}

} // namespace

std::optional<double> naive_scale(const std::vector<actual_point>& actuals, timestamp_ms from,
                                  timestamp_ms to) {
  double sum = 0.0;
  uint64_t n = 0;
  const actual_point* prev = nullptr;
  for (const auto& a : actuals) {
    if (a.ts < from || a.ts > to)
      continue;
    if (prev) {
      sum += std::fabs(a.value - prev->value);
      ++n;
    }
    prev = &a;
  }
  if (n == 0)
    return std::nullopt;
  return sum / static_cast<double>(n);
}

metric_accuracy score_metric(const std::string& metric_id, const std::vector<forecast>& forecasts,
                             const std::vector<actual_point>& actuals, timestamp_ms from,
                             timestamp_ms to, timestamp_ms tolerance_ms) {
  metric_accuracy out;
  out.metric_id = metric_id;
  std::map<int, error_sums> by_horizon;
  for (const auto& f : forecasts) {
    for (const auto& p : f.points) {
      if (p.ts < from || p.ts > to || p.ts <= f.generated_at)
        continue;
      const auto* a = nearest(actuals, p.ts, tolerance_ms);
      if (!a || !std::isfinite(a->value) || !std::isfinite(p.mean))
        continue;
      // Horizon in whole steps ahead: a forecast made mid-window has its first
      // point at the next window end, one step ahead.
      const int64_t step = f.step > 0 ? f.step : 60000;
      const int64_t steps = (p.ts - f.generated_at + step - 1) / step;
      const int minutes = static_cast<int>(steps * step / 60000);
      auto& at_horizon = by_horizon[minutes];
      at_horizon.add(p.mean, a->value, p.lo80, p.hi80, p.lo95, p.hi95);
      out.sums.add(p.mean, a->value, p.lo80, p.hi80, p.lo95, p.hi95);
      // The seasonal naive forecast for p.ts, as known when f was made.
      const int64_t ahead = p.ts - f.generated_at;
      const int64_t seasons =
          std::max<int64_t>(1, (ahead + seasonal_period_ms - 1) / seasonal_period_ms);
      const auto* naive = nearest(actuals, p.ts - seasons * seasonal_period_ms, tolerance_ms);
      if (naive && std::isfinite(naive->value)) {
        at_horizon.add_seasonal_naive(p.mean, a->value, naive->value);
        out.sums.add_seasonal_naive(p.mean, a->value, naive->value);
      }
    }
  }
  const auto scale = naive_scale(actuals, from, to);
  out.overall = figures(out.sums, scale);
  for (const auto& [minutes, sums] : by_horizon)
    out.by_horizon.push_back({minutes, figures(sums, scale)});
  return out;
}

pooled_accuracy pool(std::vector<metric_accuracy> metrics) {
  pooled_accuracy out;
  error_sums all;
  double mase_sum = 0.0;
  int mase_n = 0;
  double skill_sum = 0.0;
  int skill_n = 0;
  for (const auto& m : metrics) {
    all.merge(m.sums);
    if (m.overall.mase) {
      mase_sum += *m.overall.mase;
      ++mase_n;
    }
    if (m.overall.skill) {
      skill_sum += *m.overall.skill;
      ++skill_n;
    }
  }
  out.overall = figures(all, std::nullopt);
  out.overall.mae.reset();
  if (mase_n > 0)
    out.overall.mase = mase_sum / mase_n;
  // Errors in different units do not add up: each metric's skill counts once.
  out.overall.skill.reset();
  if (skill_n > 0)
    out.overall.skill = skill_sum / skill_n;
  out.metrics = std::move(metrics);
  return out;
}

accuracy_view view_of(const accuracy_figures& f) {
  return {f.points, f.mae, f.mase, f.smape, f.accuracy_pct, f.coverage80, f.coverage95, f.skill};
}

metric_accuracy_view view_of(const metric_accuracy& m) {
  metric_accuracy_view v{m.metric_id, view_of(m.overall), {}};
  v.by_horizon.reserve(m.by_horizon.size());
  for (const auto& h : m.by_horizon)
    v.by_horizon.push_back({h.horizon_minutes, view_of(h.figures)});
  return v;
}

pooled_accuracy_view view_of(const pooled_accuracy& p) {
  pooled_accuracy_view v{view_of(p.overall), {}};
  v.metrics.reserve(p.metrics.size());
  for (const auto& m : p.metrics)
    v.metrics.push_back(view_of(m));
  return v;
}

} // namespace grace::analytics
