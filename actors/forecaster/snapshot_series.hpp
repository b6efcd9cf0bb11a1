#pragma once
// The node's side of the forecaster (no CAF): stored snapshots become the
// model's series, requests are validated against the catalog, and results
// become the `forecast` messages the rest of the node stores and publishes.
#include "actors/catalog/catalog.hpp"
#include "actors/forecaster/temporal_forecaster.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grace::forecaster {

// What a forecast request may ask for. A metric is forecast at its own
// sampling interval (a metric that reports hourly has hourly snapshots), so
// the longest horizon depends on the metric: the longer of max_horizon_ms
// and max_horizon_steps of its interval (6 h at 5 minutes, 48 h at hourly
// data). Requests beyond max_request_horizon_ms are refused before any
// metric is looked at.
struct forecast_limits {
  int64_t step_ms = 300'000;        // the snapshot interval
  int64_t min_horizon_ms = 300'000; // one step
  int64_t max_horizon_ms = 6 * 3600'000;
  int max_horizon_steps = 48;
  int64_t max_request_horizon_ms = 7 * 86'400'000LL;
  size_t max_metrics = 64;
};

// The longest horizon a metric sampled every series_step_ms may be asked for.
int64_t max_horizon_ms_for(const forecast_limits& limits, int64_t series_step_ms);

// Empty when `horizon_ms` is within the metric's limit, else what is wrong,
// naming the metric, its interval and its limit.
std::string check_metric_horizon(const std::string& metric_id, int64_t horizon_ms,
                                 int64_t series_step_ms, const forecast_limits& limits);

struct request_check {
  bool ok = true;
  bool unknown_metric = false; // the problem is a metric the catalog does not have
  std::string message;         // what is wrong, naming the metric or the field
};

request_check check_request(const forecast_request& request,
                            const catalog::metrics_catalog& catalog, const forecast_limits& limits);

// Steps of `step_ms` that cover `horizon_ms` (rounded up).
int horizon_steps(int64_t horizon_ms, int64_t step_ms);

// A metric's own sampling interval from the ends of its snapshot windows:
// their median spacing in whole snapshot intervals (at least one). A metric
// that reports every minute or every 5 has 5-minute snapshots; one replayed
// hourly has a snapshot an hour.
int64_t series_step_ms(std::vector<int64_t> window_ends_ms, int64_t snapshot_step_ms);

// One metric's snapshots as a series of its aggregation statistic, each value
// stamped at the end of its window (the time it describes up to), on the
// grid of the metric's own interval (series_step_ms). Snapshots must be of
// this metric; order does not matter; gaps become missing rows.
series_input series_from_snapshots(const std::string& metric_id,
                                   const std::vector<snapshot>& snapshots,
                                   catalog::aggregation statistic, int64_t step_ms);

// Every catalog metric found in `snapshots` (any order, all metrics mixed) as
// one series; snapshots of metrics the catalog does not know are skipped.
std::vector<series_input> series_by_metric(const std::vector<snapshot>& snapshots,
                                           const catalog::metrics_catalog& catalog,
                                           int64_t step_ms);

// The message form of a forecast. With `floor`, no value or bound goes below
// it (the compute path passes 0 for a series never negative in its history:
// latency or a count forecast below 0 helps nobody, and cutting a band at a
// value the series cannot reach keeps every actual it could hold).
forecast to_forecast(const forecast_result& result, const std::string& metric_id,
                     timestamp_ms generated_at, int64_t step_ms, const std::string& model_version,
                     std::optional<double> floor = std::nullopt);

// 0 when every finite value of the series is >= 0 (and there is one), else none.
std::optional<double> nonnegative_floor(const series_input& series);

// "tft-20251109T154523Z" for a model trained at that time; "untrained" for 0
// (no model yet: the per-series statistical component alone).
std::string model_version(int64_t trained_at_ms);

} // namespace grace::forecaster
