// Onset of an excursion: steps (outages, failed hosts) against climbs (bad
// rollouts, leaks, runaway jobs), in both directions, with the edge cases of
// short or stale history.
#include "actors/predictor/onset.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <string>
#include <vector>

using grace::timestamp_ms;
using grace::predictor::diagnosis_of;
using grace::predictor::onset;
using grace::predictor::onset_policy;
using grace::predictor::onset_tracker;

namespace {

constexpr timestamp_ms t0 = 1'700'000'000'000;
constexpr int64_t window_ms = 5 * 60'000;
const std::string metric = "api.error_rate";

// Feeds `values` as consecutive 5-minute snapshots after `first` earlier ones.
void feed(onset_tracker& t, const std::vector<double>& values, int first = 0,
          const std::string& id = metric) {
  for (size_t i = 0; i < values.size(); ++i)
    t.observe(id, t0 + (first + static_cast<int>(i)) * window_ms, values[i]);
}

// `n` snapshots around `level` with a small deterministic wiggle.
std::vector<double> normal(int n, double level, double wiggle) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i)
    v.push_back(level + wiggle * std::sin(1.7 * i));
  return v;
}

// Window means of a climb from `from` to `to` over `ramp_windows` windows with
// the simulator's curve (progress^curve), then held.
std::vector<double> climb(double from, double to, double ramp_windows, int n, double curve = 1.0) {
  std::vector<double> v;
  for (int w = 0; w < n; ++w) {
    double sum = 0.0;
    for (int k = 0; k < 10; ++k) { // 10 samples a window
      const double x = std::min(1.0, (w + (k + 0.5) / 10.0) / ramp_windows);
      sum += from + (to - from) * std::pow(x, curve);
    }
    v.push_back(sum / 10.0);
  }
  return v;
}

// The onset of `excursion` after 20 snapshots around `level` (error rate:
// normal 0.4, critical 5).
onset after_normal(const std::vector<double>& excursion, double level = 0.4, double wiggle = 0.1,
                   double critical = 5.0, bool higher_is_worse = true) {
  onset_tracker t;
  feed(t, normal(20, level, wiggle));
  feed(t, excursion, 20);
  return t.classify(metric, critical, higher_is_worse);
}

TEST(Onset, AStepFromNormalToCriticalIsSudden) {
  EXPECT_EQ(after_normal({9.0, 9.1}), onset::sudden);
}

TEST(Onset, AStepLandingMidWindowIsStillSudden) {
  // The first window averages both sides of the step.
  EXPECT_EQ(after_normal({3.2, 9.0, 9.0}), onset::sudden);
}

TEST(Onset, AClimbOverFortyMinutesIsGradual) {
  // A bad rollout: 40 min to the peak.
  EXPECT_EQ(after_normal(climb(0.4, 6.6, 8.0, 10)), onset::gradual);
}

TEST(Onset, CpuStepAndSteepestClimbAreTold) {
  // infra.cpu_utilization, critical 90: a host failure against runaway batch
  // jobs reaching 96% in 40 minutes on the convex curve 1.3.
  EXPECT_EQ(after_normal(climb(45.0, 95.0, 0.3, 3), 45.0, 3.0, 90.0), onset::sudden);
  EXPECT_EQ(after_normal(climb(45.0, 96.0, 8.0, 10, 1.3), 45.0, 3.0, 90.0), onset::gradual);
}

TEST(Onset, LowerIsWorseStepIsSudden) {
  EXPECT_EQ(after_normal({70.0, 69.0}, 99.0, 0.3, 80.0, false), onset::sudden);
  // Critical below normal when higher is worse: no span to cross.
  EXPECT_EQ(after_normal({70.0, 69.0}, 99.0, 0.3, 80.0, true), onset::gradual);
}

TEST(Onset, BackToNormalIsNotSudden) {
  EXPECT_EQ(after_normal({9.0, 9.0, 0.5}), onset::gradual);
}

TEST(Onset, OnlyTheCurrentExcursionCounts) {
  // An outage an hour ago, then a slow climb: the climb is judged.
  onset_tracker t;
  feed(t, normal(12, 0.4, 0.1));
  feed(t, {9.0, 9.0, 9.0, 0.4, 0.5, 0.4, 0.4}, 12);
  feed(t, climb(0.4, 6.6, 8.0, 10), 19);
  EXPECT_EQ(t.classify(metric, 5.0, true), onset::gradual);
}

TEST(Onset, TooLittleHistoryIsNotJudged) {
  onset_tracker t;
  feed(t, {0.4, 0.4, 9.0, 9.0});
  EXPECT_FALSE(t.normal_level(metric, true).has_value());
  EXPECT_EQ(t.classify(metric, 5.0, true), onset::gradual);
  EXPECT_EQ(t.classify("unknown", 5.0, true), onset::gradual);
}

TEST(Onset, AnExcursionOlderThanTheHistoryIsNotJudged) {
  onset_policy p;
  p.history = 8;
  onset_tracker t(p);
  feed(t, normal(4, 0.4, 0.1));
  feed(t, std::vector<double>(10, 9.0), 4); // the last 8 are all out
  EXPECT_EQ(t.classify(metric, 5.0, true), onset::gradual);
}

TEST(Onset, LateRepeatedAndNonFiniteSnapshotsAreIgnored) {
  onset_tracker t;
  feed(t, normal(20, 0.4, 0.1));
  t.observe(metric, t0 + 25 * window_ms, 9.0);
  t.observe(metric, t0 + 25 * window_ms, 0.4); // repeated time
  t.observe(metric, t0 + 24 * window_ms, 0.4); // late
  t.observe(metric, t0 + 26 * window_ms, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(t.classify(metric, 5.0, true), onset::sudden);
}

TEST(Onset, NormalLevelIsTheBetterQuartile) {
  onset_tracker t;
  feed(t, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_DOUBLE_EQ(*t.normal_level(metric, true), 3.0);
  EXPECT_DOUBLE_EQ(*t.normal_level(metric, false), 7.0);
}

TEST(Onset, DiagnosisNamesTheSuddenOnsetOnly) {
  EXPECT_EQ(diagnosis_of("api.error_rate", onset::gradual), "api.error_rate");
  EXPECT_EQ(diagnosis_of("api.error_rate", onset::sudden), "api.error_rate:sudden");
}

} // namespace
