// The node's side of the forecaster: snapshots to series, request checks and
// the forecast message.
#include "common/utc_time.hpp"
#include "actors/forecaster/snapshot_series.hpp"
#include "tests/unit/shipped_catalog.hpp"

#include <cmath>
#include <cstdlib>
#include <gtest/gtest.h>

using namespace grace;
using namespace grace::forecaster;

namespace {

using grace::testing::shipped_catalog;

snapshot snap(const std::string& id, timestamp_ms start, double mean, double p95) {
  snapshot s;
  s.metric_id = id;
  s.window_start = start;
  s.window_end = start + 300'000;
  s.count = 5;
  s.mean = mean;
  s.p95 = p95;
  s.min = s.max = s.p50 = s.last = mean;
  return s;
}

} // namespace

TEST(ForecasterRequest, UnknownMetricIsNamed) {
  forecast_limits limits;
  auto check =
      check_request({{"api.latency_p95", "bogus.metric"}, 3600'000}, shipped_catalog(), limits);
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(check.unknown_metric);
  EXPECT_EQ(check.message, "unknown metric 'bogus.metric'");
}

TEST(ForecasterRequest, HorizonOutOfRangeAndEmptyAndDuplicatesAreRefused) {
  forecast_limits limits;
  auto too_far = check_request({{"api.latency_p95"}, 8 * 86'400'000LL}, shipped_catalog(), limits);
  EXPECT_FALSE(too_far.ok);
  EXPECT_FALSE(too_far.unknown_metric);
  EXPECT_EQ(too_far.message, "horizon_minutes must be between 5 and 10080, found 11520");
  auto too_near = check_request({{"api.latency_p95"}, 60'000}, shipped_catalog(), limits);
  EXPECT_EQ(too_near.message, "horizon_minutes must be between 5 and 10080, found 1");
  auto none = check_request({{}, 3600'000}, shipped_catalog(), limits);
  EXPECT_EQ(none.message, "metric_ids must name at least one metric");
  auto twice =
      check_request({{"api.error_rate", "api.error_rate"}, 3600'000}, shipped_catalog(), limits);
  EXPECT_EQ(twice.message, "metric 'api.error_rate' is named twice");
  EXPECT_TRUE(check_request({{"api.latency_p95"}, 3600'000}, shipped_catalog(), limits).ok);
}

TEST(ForecasterRequest, HorizonLimitFollowsTheMetricsInterval) {
  forecast_limits limits;
  // 6 h or 48 intervals, whichever is longer: 6 h at 5 minutes, 48 h hourly.
  EXPECT_EQ(max_horizon_ms_for(limits, 300'000), 6 * 3600'000);
  EXPECT_EQ(max_horizon_ms_for(limits, 3600'000), 48 * 3600'000);
  EXPECT_EQ(max_horizon_ms_for(limits, 86'400'000), limits.max_request_horizon_ms);
  EXPECT_EQ(check_metric_horizon("m", 2880 * 60'000, 3600'000, limits), "");
  EXPECT_EQ(check_metric_horizon("m", 360 * 60'000, 300'000, limits), "");
  EXPECT_EQ(check_metric_horizon("m", 2880 * 60'000, 300'000, limits),
            "horizon_minutes 2880 is beyond metric 'm': it is sampled every 5 minutes, so at most "
            "360 (the longer of 360 and 48 intervals)");
}

TEST(ForecasterRequest, HorizonStepsRoundUp) {
  EXPECT_EQ(horizon_steps(3600'000, 300'000), 12);
  EXPECT_EQ(horizon_steps(3600'001, 300'000), 13);
  EXPECT_EQ(horizon_steps(300'000, 300'000), 1);
  EXPECT_EQ(horizon_steps(0, 300'000), 0);
}

TEST(ForecasterSnapshots, EachMetricKeepsItsOwnInterval) {
  // Hourly data replayed into 5-minute windows: one snapshot an hour, so
  // hourly rows (a daily cycle of 24), not 11 interpolated rows in 12.
  std::vector<snapshot> hourly;
  for (int i = 0; i < 48; ++i) {
    if (i != 30) { // one hour missing
      hourly.push_back(snap("api.latency_p95", i * 3600'000LL, 1.0, 10.0 + i));
    }
  }
  auto s = series_from_snapshots("api.latency_p95", hourly, catalog::aggregation::p95, 300'000);
  EXPECT_EQ(s.step_ms, 3600'000);
  ASSERT_EQ(s.values.size(), 48u);
  EXPECT_DOUBLE_EQ(s.values[29], 39.0);
  EXPECT_TRUE(std::isnan(s.values[30]));
  EXPECT_DOUBLE_EQ(s.values[31], 41.0);
  EXPECT_EQ(series_step_ms({0, 300'000, 600'000, 1'200'000}, 300'000), 300'000);
  EXPECT_EQ(series_step_ms({0, 3'500'000, 7'200'000, 10'700'000}, 300'000),
            3'600'000);                             // whole intervals
  EXPECT_EQ(series_step_ms({5}, 300'000), 300'000); // one snapshot
}

TEST(ForecasterSnapshots, SeriesUsesTheGivenStatisticAndWindowEnds) {
  // A metric forecast on its windows' p95; one window is missing.
  std::vector<snapshot> rows{
      snap("api.latency_p95", 0, 1.0, 10.0), snap("api.latency_p95", 600'000, 3.0, 30.0),
      snap("api.latency_p95", 300'000, 2.0, 20.0), snap("api.latency_p95", 1'200'000, 5.0, 50.0)};
  auto s = series_from_snapshots("api.latency_p95", rows, catalog::aggregation::p95, 300'000);
  EXPECT_EQ(s.id, "api.latency_p95");
  EXPECT_EQ(s.start_ms, 300'000);
  EXPECT_EQ(s.step_ms, 300'000);
  ASSERT_EQ(s.values.size(), 5u);
  EXPECT_DOUBLE_EQ(s.values[0], 10.0);
  EXPECT_DOUBLE_EQ(s.values[1], 20.0);
  EXPECT_DOUBLE_EQ(s.values[2], 30.0);
  EXPECT_TRUE(std::isnan(s.values[3]));
  EXPECT_DOUBLE_EQ(s.values[4], 50.0);
}

TEST(ForecasterSnapshots, GroupsByCatalogMetricAndSkipsUnknownOnes) {
  std::vector<snapshot> rows{
      snap("infra.cpu_utilization", 0, 0.5, 0.9), snap("api.latency_p95", 0, 1.0, 10.0),
      snap("not.in.catalog", 0, 1.0, 1.0), snap("infra.cpu_utilization", 300'000, 0.6, 0.9)};
  auto series = series_by_metric(rows, shipped_catalog(), 300'000);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].id, "api.latency_p95");
  EXPECT_EQ(series[1].id, "infra.cpu_utilization");
  EXPECT_EQ(series[1].values.size(), 2u);
}

TEST(ForecasterSnapshots, ForecastMessageCarriesPointsImportanceAndVersion) {
  // A daily sine sampled every 5 minutes for three days.
  std::vector<snapshot> rows;
  for (int i = 0; i < 3 * 288; ++i)
    rows.push_back(snap("infra.cpu_utilization", int64_t{i} * 300'000,
                        50.0 + 20.0 * std::sin(2.0 * M_PI * i / 288.0), 0.0));
  const auto* metric = shipped_catalog().find_metric("infra.cpu_utilization");
  auto series = series_from_snapshots(metric->id, rows, metric->aggregation, 300'000);
  temporal_forecaster model;
  auto result = model.forecast(series, 12);
  const int64_t generated_at = rows.back().window_end;
  auto f = to_forecast(result, metric->id, generated_at, 300'000, model_version(0));
  EXPECT_EQ(f.metric_id, "infra.cpu_utilization");
  EXPECT_EQ(f.model_version, "untrained");
  ASSERT_EQ(f.points.size(), 12u);
  EXPECT_EQ(f.points.front().ts, generated_at + 300'000);
  EXPECT_EQ(f.points.back().ts, generated_at + 3600'000);
  for (size_t k = 0; k < f.points.size(); ++k) {
    const auto& p = f.points[k];
    const double truth = 50.0 + 20.0 * std::sin(2.0 * M_PI * (3 * 288 + k) / 288.0);
    EXPECT_NEAR(p.mean, truth, 1.0) << "step " << k + 1;
    EXPECT_LE(p.lo95, p.lo80);
    EXPECT_LE(p.lo80, p.mean);
    EXPECT_LE(p.mean, p.hi80);
    EXPECT_LE(p.hi80, p.hi95);
  }
  double total = 0.0;
  for (const auto& w : f.feature_importance)
    total += w.weight;
  EXPECT_NEAR(total, 1.0, 1e-9);
}

TEST(ForecasterSnapshots, NonNegativeSeriesGetNoNegativeBounds) {
  // A latency-like series near 0 with noise: the raw bands reach below 0.
  std::vector<snapshot> rows;
  for (int i = 0; i < 60; ++i)
    rows.push_back(snap("api.latency_p95", int64_t{i} * 300'000, (i % 7 == 0) ? 40.0 : 2.0, 0.0));
  const auto* metric = shipped_catalog().find_metric("api.latency_p95");
  auto series = series_from_snapshots(metric->id, rows, metric->aggregation, 300'000);
  ASSERT_EQ(nonnegative_floor(series), std::optional<double>(0.0));
  temporal_forecaster model;
  auto result = model.forecast(series, 12);
  bool raw_negative = false;
  for (const auto& s : result.steps)
    raw_negative = raw_negative || s.lo95 < 0.0;
  ASSERT_TRUE(raw_negative) << "the case needs a band below 0 to mean anything";
  auto f = to_forecast(result, metric->id, 0, 300'000, "v", nonnegative_floor(series));
  for (const auto& p : f.points) {
    EXPECT_GE(p.lo95, 0.0);
    EXPECT_GE(p.lo80, 0.0);
    EXPECT_LE(p.lo95, p.lo80);
    EXPECT_LE(p.hi80, p.hi95);
  }
  // Without a floor, or for a series that went negative, nothing is cut.
  auto raw = to_forecast(result, metric->id, 0, 300'000, "v");
  EXPECT_LT(raw.points.back().lo95, 0.0);
  series.values[3] = -1.0;
  EXPECT_FALSE(nonnegative_floor(series).has_value());
}

TEST(ForecasterSnapshots, ModelVersionNamesTheTrainingTime) {
  EXPECT_EQ(model_version(1'762'703'123'000), "tft-20251109T154523Z");
  EXPECT_EQ(iso_time(1'762'703'123'000), "2025-11-09T15:45:23Z");
}
