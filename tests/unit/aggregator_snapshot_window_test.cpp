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

// --- extreme finite values (issue 17, item 13) ---------------------------------

TEST(SnapshotWindow, ExtremeFiniteValuesKeepAFiniteMeanAndTheRightBand) {
  constexpr double big = 1.7e308;
  auto w = make();
  // Both signs near DBL_MAX: a double sum overflows to inf, then NaN.
  EXPECT_TRUE(w.add("a", T0, big));
  EXPECT_TRUE(w.add("a", T0 + S, -big));
  EXPECT_TRUE(w.add("a", T0 + 2 * S, big));
  // Same sign: the double sum would be inf.
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(w.add("b", T0 + i * S, big));
  auto snaps = w.close_until(T0 + P);
  ASSERT_EQ(snaps.size(), 2u);
  const snapshot& a = snaps[0];
  EXPECT_TRUE(std::isfinite(a.mean));
  EXPECT_DOUBLE_EQ(a.mean, big / 3);
  EXPECT_TRUE(std::isfinite(a.p50) && std::isfinite(a.p95));
  EXPECT_DOUBLE_EQ(a.p50, big); // sorted: -big, big, big
  EXPECT_DOUBLE_EQ(a.p95, big);
  const snapshot& b = snaps[1];
  EXPECT_DOUBLE_EQ(b.mean, big);
  // Far above the critical threshold of by_mean (30): critical, not good.
  EXPECT_EQ(a.level, band::critical);
  EXPECT_EQ(b.level, band::critical);
}

TEST(Percentile, InterpolatesBetweenNeighboursOfOppositeSignNearTheLimit) {
  std::vector<double> v = {-1.7e308, 1.7e308};
  const double p = percentile(v, 0.5); // h = 0.5: halfway
  EXPECT_TRUE(std::isfinite(p));
  EXPECT_DOUBLE_EQ(p, 0.0);
  std::vector<double> w = {-1.7e308, 1.7e308};
  EXPECT_DOUBLE_EQ(percentile(w, 0.95), 0.9 * 1.7e308);
}

TEST(SnapshotWindow, TinyValuesKeepTheirMean) {
  auto w = make();
  EXPECT_TRUE(w.add("a", T0, 4e-320)); // subnormal
  EXPECT_TRUE(w.add("a", T0 + S, 2e-320));
  auto snaps = w.close_until(T0 + P);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_DOUBLE_EQ(snaps[0].mean, 3e-320);
}

// --- admission, holds and the closed watermark (issue 17, items 1 and 2) -------

TEST(SnapshotWindow, AdmitRefusesLateAndNonFiniteSamplesWithTheirReason) {
  auto w = make();
  EXPECT_TRUE(w.add("a", T0, 1));
  ASSERT_EQ(w.close_until(T0 + P).size(), 1u);
  std::vector<metric_sample> batch = {
      {"a", T0 + 10 * S, 5, {}},     // window [T0, T0+P): closed
      {"a", T0 + P + 10 * S, 6, {}}, // open
      {"b", T0 + P - 1, 7, {}},      // closed for every metric, even one never seen
      {"a", T0 + P, std::nan(""), {}}, {"a", T0 + 2 * P, 8, {}},
  };
  auto verdict = w.admit(batch);
  EXPECT_EQ(verdict.kept, (std::vector<uint32_t>{1, 4}));
  ASSERT_EQ(verdict.refused.size(), 3u);
  EXPECT_EQ(verdict.refused[0].index, 0u);
  EXPECT_NE(verdict.refused[0].reason.find("late"), std::string::npos);
  EXPECT_NE(verdict.refused[0].reason.find("2023-11-14T22:15:00Z"), std::string::npos)
      << verdict.refused[0].reason;
  EXPECT_EQ(verdict.refused[1].index, 2u);
  EXPECT_EQ(verdict.refused[2].index, 3u);
  EXPECT_NE(verdict.refused[2].reason.find("finite"), std::string::npos);
  EXPECT_EQ(verdict.first_window, T0 + P);
  EXPECT_EQ(w.rejected_late(), 2u);
  EXPECT_EQ(w.rejected_invalid(), 1u);
  EXPECT_EQ(w.accepted(), 1u); // admit adds nothing
}

TEST(SnapshotWindow, AHeldWindowStaysOpenUntilReleased) {
  auto w = make();
  std::vector<metric_sample> batch = {{"a", T0 + 10 * S, 5, {}}};
  auto verdict = w.admit(batch);
  ASSERT_EQ(verdict.kept.size(), 1u);
  w.hold(verdict.first_window);
  // Time passes the window while its sample is being logged: it stays open...
  EXPECT_TRUE(w.close_until(T0 + 2 * P).empty());
  EXPECT_LE(w.closed_before(), T0);
  // ... so the sample, once logged, is added and not found late.
  EXPECT_TRUE(w.add(batch[0]));
  w.release(verdict.first_window);
  EXPECT_EQ(w.held_windows(), 0u);
  auto snaps = w.close_until(T0 + 2 * P + S);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0].count, 1u);
  EXPECT_EQ(w.closed_before(), T0 + 2 * P);
}

TEST(SnapshotWindow, HoldsNestAndOnlyTheEarliestHoldCounts) {
  auto w = make();
  EXPECT_TRUE(w.add("a", T0, 1));
  EXPECT_TRUE(w.add("a", T0 + P, 2));
  w.hold(T0 + P);
  w.hold(T0 + P);
  auto first = w.close_until(T0 + 3 * P);
  ASSERT_EQ(first.size(), 1u); // [T0, T0+P) closes, [T0+P, ...) is held
  EXPECT_EQ(first[0].window_start, T0);
  EXPECT_EQ(w.closed_before(), T0 + P);
  w.release(T0 + P);
  EXPECT_TRUE(w.close_until(T0 + 3 * P + S).empty()); // still held once
  w.release(T0 + P);
  auto second = w.close_until(T0 + 3 * P + 2 * S);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].window_start, T0 + P);
}

TEST(SnapshotWindow, ARestoredClosedWatermarkMakesStoredWindowsLate) {
  // The bug of issue 17 item 2: after a restart a sample for a stored window
  // replaced its snapshot (count 5, mean 3 -> count 1, mean 100).
  auto w = make();
  w.restore_closed_before(T0 + P);
  EXPECT_EQ(w.closed_before(), T0 + P);
  std::vector<metric_sample> batch = {{"a", T0 + 10 * S, 100, {}}};
  auto verdict = w.admit(batch);
  EXPECT_TRUE(verdict.kept.empty());
  ASSERT_EQ(verdict.refused.size(), 1u);
  EXPECT_FALSE(w.add(batch[0]));
  EXPECT_EQ(w.late_dropped(), 1u);
  EXPECT_TRUE(w.close_until(T0 + 3 * P).empty());
  // It never goes back.
  w.restore_closed_before(T0);
  EXPECT_EQ(w.closed_before(), T0 + 3 * P); // [T0+2P, T0+3P) closed at T0+3P
}
