// Forecast accuracy: every stored forecast point scored against what the
// metric did at that time (pure, no CAF).
//
// Per point with an actual: absolute error |F - A|, the symmetric relative
// error |F - A| / (|F| + |A|) (0 when both are 0; in [0, 1]) and whether A lay
// inside the 80% and 95% bands. Figures:
//   MAE       mean absolute error, in the metric's unit;
//   MASE      MAE over the mean absolute one-step change of the actuals in the
//             same window (the naive forecast's error), null when that is 0;
//   sMAPE     2 x mean symmetric relative error, in [0, 2] (the M-competition
//             definition);
//   accuracy  100 x (1 - sMAPE / 2), in [0, 100]: the node's "forecast
//             accuracy %" (the product description's "70-85% accuracy" is this figure);
//   coverage  share of actuals inside the 80% / 95% bands;
//   skill     1 - MAE / MAE of the seasonal naive forecast on the same points:
//             the actual one day (or whole days, at least the horizon) before
//             the point's time, which the forecast could have known when it
//             was made. 0: no better than repeating yesterday; negative:
//             worse; null without a day of earlier actuals or when the naive
//             forecast was exact. Accuracy says how close the forecasts were,
//             skill whether the model earned it (a flat metric is "accurate"
//             for any forecaster).
#pragma once

#include "messages/reports.hpp"
#include "messages/types.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grace::analytics {

struct actual_point {
  timestamp_ms ts = 0;
  double value = 0.0;
};

// Running sums of one group of scored points.
struct error_sums {
  uint64_t points = 0;
  double abs_error = 0.0;
  double relative_error = 0.0; // sum of |F-A| / (|F|+|A|)
  uint64_t inside80 = 0;
  uint64_t inside95 = 0;
  // The points that also have a seasonal naive forecast, for skill.
  uint64_t paired_points = 0;
  double paired_abs_error = 0.0;
  double seasonal_naive_abs_error = 0.0;

  void add(double forecast, double actual, double lo80, double hi80, double lo95, double hi95);
  void add_seasonal_naive(double forecast, double actual, double naive);
  void merge(const error_sums& other);
};

struct accuracy_figures {
  uint64_t points = 0;
  std::optional<double> mae;
  std::optional<double> mase;
  std::optional<double> smape;
  std::optional<double> accuracy_pct;
  std::optional<double> coverage80;
  std::optional<double> coverage95;
  std::optional<double> skill; // vs the seasonal naive forecast
};

// The season of the seasonal naive forecast: the daily cycle.
inline constexpr int64_t seasonal_period_ms = 86'400'000;

// `naive_scale` is the MASE denominator (nullopt or 0: MASE left out).
accuracy_figures figures(const error_sums& sums, std::optional<double> naive_scale);

struct horizon_accuracy {
  int horizon_minutes = 0;
  accuracy_figures figures;
};

struct metric_accuracy {
  std::string metric_id;
  accuracy_figures overall;
  std::vector<horizon_accuracy> by_horizon; // ascending horizon
  error_sums sums;                          // for pooling across metrics
};

// Scores the points of `forecasts` whose target time lies in [from, to]
// (grouped by horizon: whole steps from the forecast's time to the point)
// against `actuals` (sorted by ts): a point is matched with the actual
// nearest in time if it is at most `tolerance_ms` away, otherwise skipped.
// Skill needs the actuals of the season before `from` as well.
metric_accuracy score_metric(const std::string& metric_id, const std::vector<forecast>& forecasts,
                             const std::vector<actual_point>& actuals, timestamp_ms from,
                             timestamp_ms to, timestamp_ms tolerance_ms);

// Mean absolute one-step change of the actuals in [from, to]; nullopt with
// fewer than two.
std::optional<double> naive_scale(const std::vector<actual_point>& actuals, timestamp_ms from,
                                  timestamp_ms to);

struct pooled_accuracy {
  accuracy_figures overall; // MAE left out (units differ); MASE and skill = mean of the metrics'
  std::vector<metric_accuracy> metrics;
};

pooled_accuracy pool(std::vector<metric_accuracy> metrics);

// The figures as the reports carry them (messages/reports.hpp).
accuracy_view view_of(const accuracy_figures& f);
metric_accuracy_view view_of(const metric_accuracy& m);
pooled_accuracy_view view_of(const pooled_accuracy& p);

} // namespace grace::analytics
