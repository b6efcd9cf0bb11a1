#include "actors/aggregator/snapshot_window.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace grace;
using namespace grace::aggregator;

namespace {

constexpr timestamp_ms P = 300'000;            // 5 minutes
constexpr timestamp_ms T0 = 1'700'000'100'000; // a multiple of P
constexpr timestamp_ms S = 1'000;              // one second

band by_mean(const std::string&, const snapshot& s) {
  return s.mean >= 30 ? band::critical : s.mean >= 20 ? band::warning : band::good;
}

snapshot_window make(timestamp_ms lateness = 0, size_t cap = 1 << 16) {
  return snapshot_window(window_config{P, lateness, cap}, by_mean);
}

} // namespace

TEST(Percentile, LinearInterpolationBetweenClosestRanks) {
  std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(percentile(v, 0.5), 2.5);   // h = 1.5
  EXPECT_DOUBLE_EQ(percentile(v, 0.95), 3.85); // h = 2.85: 3 + 0.85 * (4 - 3)
  EXPECT_DOUBLE_EQ(percentile(v, 0.0), 1);
  EXPECT_DOUBLE_EQ(percentile(v, 1.0), 4);
  std::vector<double> one = {7};
  EXPECT_DOUBLE_EQ(percentile(one, 0.95), 7);
  std::vector<double> two = {10, 0};
  EXPECT_DOUBLE_EQ(percentile(two, 0.95), 9.5);
}

TEST(SnapshotWindow, HandComputedExample) {
  auto w = make();
  // Arrival order differs from event order: the last by event time is 40.
  EXPECT_TRUE(w.add("api.latency_p95", T0 + 10 * S, 10));
  EXPECT_TRUE(w.add("api.latency_p95", T0 + 250 * S, 40));
  EXPECT_TRUE(w.add("api.latency_p95", T0 + 20 * S, 20));
  EXPECT_TRUE(w.add("api.latency_p95", T0 + 100 * S, 30));
  EXPECT_TRUE(w.add(metric_sample{"api.latency_p95", T0 + 200 * S, 50, {}}));
  EXPECT_TRUE(w.add("api.error_rate", T0 + 299 * S, 1));
  EXPECT_TRUE(w.add("api.error_rate", T0 + 1 * S, 2));
  EXPECT_TRUE(w.add("api.error_rate", T0 + 5 * S, 3));
  EXPECT_TRUE(w.add("api.error_rate", T0 + 5 * S, 4)); // same ts, arrived later: last
  auto snaps = w.close_until(T0 + P);
  ASSERT_EQ(snaps.size(), 2u);

  const snapshot& e = snaps[0]; // ordered by metric id within a window
  EXPECT_EQ(e.metric_id, "api.error_rate");
  EXPECT_EQ(e.count, 4u);
  EXPECT_DOUBLE_EQ(e.mean, 2.5);
  EXPECT_DOUBLE_EQ(e.min, 1);
  EXPECT_DOUBLE_EQ(e.max, 4);
  EXPECT_DOUBLE_EQ(e.p50, 2.5);
  EXPECT_DOUBLE_EQ(e.p95, 3.85);
  EXPECT_DOUBLE_EQ(e.last, 1); // ts T0+299s is the latest event
  EXPECT_EQ(e.level, band::good);

  const snapshot& l = snaps[1];
  EXPECT_EQ(l.metric_id, "api.latency_p95");
  EXPECT_EQ(l.window_start, T0);
  EXPECT_EQ(l.window_end, T0 + P);
  EXPECT_EQ(l.count, 5u);
  EXPECT_DOUBLE_EQ(l.mean, 30);
  EXPECT_DOUBLE_EQ(l.min, 10);
  EXPECT_DOUBLE_EQ(l.max, 50);
  EXPECT_DOUBLE_EQ(l.p50, 30);
  EXPECT_DOUBLE_EQ(l.p95, 48); // sorted 10 20 30 40 50, h = 3.8: 40 + 0.8 * 10
  EXPECT_DOUBLE_EQ(l.last, 40);
  EXPECT_EQ(l.level, band::critical);
  EXPECT_EQ(w.accepted(), 9u);
  EXPECT_EQ(w.open_windows(), 0u);
}

TEST(SnapshotWindow, LastOfEqualTimestampsIsTheLaterArrival) {
  auto w = make();
  w.add("m", T0 + S, 1);
  w.add("m", T0 + S, 2);
  auto snaps = w.close_all();
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_DOUBLE_EQ(snaps[0].last, 2);
}

TEST(SnapshotWindow, WindowsAlignToThePeriodAndCloseInOrder) {
  auto w = make();
  EXPECT_EQ(w.window_start_of(T0 + P - 1), T0);
  EXPECT_EQ(w.window_start_of(T0 + P), T0 + P);
  EXPECT_EQ(w.window_start_of(-1), -P);
  w.add("b", T0 + P + S, 5); // next window first
  w.add("b", T0 + S, 1);
  w.add("a", T0 + P - 1, 2);
  EXPECT_EQ(w.open_windows(), 3u);
  EXPECT_EQ(w.next_close_at(), T0 + P);
  EXPECT_TRUE(w.close_until(T0 + P - 1).empty());
  auto first = w.close_until(T0 + P);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].metric_id, "a");
  EXPECT_EQ(first[1].metric_id, "b");
  EXPECT_EQ(first[1].count, 1u);
  EXPECT_EQ(w.next_close_at(), T0 + 2 * P);
  auto second = w.close_until(T0 + 3 * P);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].window_start, T0 + P);
  EXPECT_DOUBLE_EQ(second[0].mean, 5);
  EXPECT_EQ(w.next_close_at(), std::numeric_limits<timestamp_ms>::max());
}

TEST(SnapshotWindow, LateSamplesAreCountedAndDropped) {
  auto w = make();
  w.add("m", T0 + S, 1);
  auto snaps = w.close_until(T0 + P + 10 * S);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_FALSE(w.add("m", T0 + 2 * S, 2));     // its window has closed
  EXPECT_FALSE(w.add("other", T0 + 3 * S, 2)); // closed for every metric
  EXPECT_TRUE(w.add("m", T0 + P + S, 3));      // the current window is open
  EXPECT_EQ(w.late_dropped(), 2u);
  EXPECT_EQ(w.accepted(), 2u);
  EXPECT_TRUE(w.close_until(T0 + 5 * S).empty()); // the watermark never goes back
  EXPECT_EQ(w.watermark(), T0 + P + 10 * S);
}

TEST(SnapshotWindow, AllowedLatenessKeepsAWindowOpenLonger) {
  auto w = make(30 * S);
  w.add("m", T0 + S, 1);
  EXPECT_EQ(w.next_close_at(), T0 + P + 30 * S);
  EXPECT_TRUE(w.close_until(T0 + P + 29 * S).empty());
  EXPECT_TRUE(w.add("m", T0 + P - S, 3)); // late but within the allowance
  auto snaps = w.close_until(T0 + P + 30 * S);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0].count, 2u);
  EXPECT_DOUBLE_EQ(snaps[0].last, 3);
  EXPECT_FALSE(w.add("m", T0 + P - S, 4));
  EXPECT_EQ(w.late_dropped(), 1u);
}

TEST(SnapshotWindow, CloseAllFlushesEveryWindow) {
  auto w = make();
  w.add("m", T0 + S, 1);
  w.add("m", T0 + 5 * P, 2);
  auto snaps = w.close_all();
  ASSERT_EQ(snaps.size(), 2u);
  EXPECT_EQ(snaps[1].window_start, T0 + 5 * P);
  EXPECT_FALSE(w.add("m", T0 + 5 * P + S, 3));
  EXPECT_EQ(w.open_windows(), 0u);
}

TEST(SnapshotWindow, NonFiniteValuesAreDropped) {
  auto w = make();
  EXPECT_FALSE(w.add("m", T0, std::nan("")));
  EXPECT_FALSE(w.add("m", T0, INFINITY));
  EXPECT_EQ(w.non_finite_dropped(), 2u);
  EXPECT_TRUE(w.close_all().empty());
}

TEST(SnapshotWindow, ReservoirBoundsPercentileMemoryKeepsOtherStatsExact) {
  auto w = make(0, 256);
  for (int i = 0; i < 100'000; ++i)
    w.add("m", T0 + (i % 290) * S, static_cast<double>(i % 1000));
  auto snaps = w.close_all();
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0].count, 100'000u);
  EXPECT_DOUBLE_EQ(snaps[0].mean, 499.5);
  EXPECT_DOUBLE_EQ(snaps[0].min, 0);
  EXPECT_DOUBLE_EQ(snaps[0].max, 999);
  // Estimates from a 256-value uniform sample (fixed seed, deterministic).
  EXPECT_NEAR(snaps[0].p50, 500, 100);
  EXPECT_NEAR(snaps[0].p95, 950, 50);
}

TEST(SnapshotWindow, RejectsABadConfiguration) {
  EXPECT_THROW(snapshot_window(window_config{0, 0, 1}, by_mean), std::invalid_argument);
  EXPECT_THROW(snapshot_window(window_config{P, -1, 1}, by_mean), std::invalid_argument);
  EXPECT_THROW(snapshot_window(window_config{P, 0, 0}, by_mean), std::invalid_argument);
}
