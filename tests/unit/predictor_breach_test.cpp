// Breach probabilities: hand-computed values of the piecewise-linear CDF with
// exponential tails, both directions, degenerate intervals, and where
// assess() places the expected breach.
#include "actors/predictor/breach.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <utility>
#include <vector>

using grace::band;
using grace::forecast;
using grace::forecast_point;
using grace::predictor::assess;
using grace::predictor::probability_beyond;
using grace::predictor::threshold_spec;

namespace {

constexpr int64_t five_min = 300'000;
constexpr bool higher = true;
constexpr bool lower = false;

forecast_point pt(double lo95, double lo80, double mean, double hi80, double hi95, int64_t ts = 0) {
  forecast_point p;
  p.ts = ts;
  p.mean = mean;
  p.lo80 = lo80;
  p.hi80 = hi80;
  p.lo95 = lo95;
  p.hi95 = hi95;
  return p;
}

// Symmetric: 80% interval +-10, 95% interval +-15 around 100.
const forecast_point sym = pt(85, 90, 100, 110, 115);

} // namespace

TEST(ProbabilityBeyond, AtTheQuantilesHigherIsWorse) {
  EXPECT_NEAR(probability_beyond(sym, 110, higher), 0.10, 1e-12); // at hi80
  EXPECT_NEAR(probability_beyond(sym, 100, higher), 0.50, 1e-12); // at the median
  EXPECT_NEAR(probability_beyond(sym, 115, higher), 0.025, 1e-12);
  EXPECT_NEAR(probability_beyond(sym, 90, higher), 0.90, 1e-12);
  EXPECT_NEAR(probability_beyond(sym, 85, higher), 0.975, 1e-12);
}

TEST(ProbabilityBeyond, LinearBetweenQuantiles) {
  // Halfway between mean (50%) and hi80 (90%): CDF 70%.
  EXPECT_NEAR(probability_beyond(sym, 105, higher), 0.30, 1e-12);
  // Halfway between hi80 (90%) and hi95 (97.5%): CDF 93.75%.
  EXPECT_NEAR(probability_beyond(sym, 112.5, higher), 0.0625, 1e-12);
  EXPECT_NEAR(probability_beyond(sym, 95, higher), 0.70, 1e-12);
}

TEST(ProbabilityBeyond, ExponentialTailThroughTheOuterQuantiles) {
  // Scale 5 / ln 4: a factor 2.5 less tail mass ln(2.5) scales beyond hi95.
  const double t = 115 + 5.0 * std::log(2.5) / std::log(4.0);
  EXPECT_NEAR(probability_beyond(sym, t, higher), 0.025 / 2.5, 1e-12);
  // Mirror on the lower side.
  const double u = 85 - 5.0 * std::log(2.5) / std::log(4.0);
  EXPECT_NEAR(probability_beyond(sym, u, lower), 0.01, 1e-12);
  EXPECT_NEAR(probability_beyond(sym, u, higher), 0.99, 1e-12);
}

TEST(ProbabilityBeyond, FarOutsideIsAboutZeroOrOne) {
  EXPECT_LT(probability_beyond(sym, 200, higher), 1e-6);
  EXPECT_GT(probability_beyond(sym, 0, higher), 1 - 1e-6);
  EXPECT_LT(probability_beyond(sym, 0, lower), 1e-6);
  EXPECT_GT(probability_beyond(sym, 200, lower), 1 - 1e-6);
  EXPECT_EQ(probability_beyond(sym, std::numeric_limits<double>::infinity(), higher), 0.0);
  EXPECT_EQ(probability_beyond(sym, -std::numeric_limits<double>::infinity(), lower), 0.0);
}

TEST(ProbabilityBeyond, LowerIsWorseUsesTheLowerQuantiles) {
  EXPECT_NEAR(probability_beyond(sym, 90, lower), 0.10, 1e-12); // at lo80
  EXPECT_NEAR(probability_beyond(sym, 100, lower), 0.50, 1e-12);
  EXPECT_NEAR(probability_beyond(sym, 85, lower), 0.025, 1e-12);
  EXPECT_NEAR(probability_beyond(sym, 110, lower), 0.90, 1e-12);
  // Skewed: a long lower side. 90 is halfway between lo80=80 (10%) and the
  // median (50%): CDF 30%.
  const forecast_point skew = pt(70, 80, 100, 110, 115);
  EXPECT_NEAR(probability_beyond(skew, 90, lower), 0.30, 1e-12);
  EXPECT_NEAR(probability_beyond(skew, 90, higher), 0.70, 1e-12);
  EXPECT_NEAR(probability_beyond(skew, 80, lower), 0.10, 1e-12);
}

TEST(ProbabilityBeyond, DirectionsAreComplementsForContinuousDistributions) {
  const forecast_point skew = pt(60, 80, 100, 105, 130);
  double last_high = 1.0, last_low = 0.0;
  for (double t = 0; t <= 200; t += 0.5) {
    const double h = probability_beyond(skew, t, higher);
    const double l = probability_beyond(skew, t, lower);
    EXPECT_NEAR(h + l, 1.0, 1e-12) << "t=" << t;
    EXPECT_LE(h, last_high + 1e-15) << "t=" << t;
    EXPECT_GE(l, last_low - 1e-15) << "t=" << t;
    last_high = h;
    last_low = l;
  }
}

TEST(ProbabilityBeyond, ZeroWidthIntervalsAreAStep) {
  const forecast_point flat = pt(50, 50, 50, 50, 50);
  EXPECT_EQ(probability_beyond(flat, 50, higher), 1.0); // at the threshold counts
  EXPECT_EQ(probability_beyond(flat, 50, lower), 1.0);
  EXPECT_EQ(probability_beyond(flat, 50.001, higher), 0.0);
  EXPECT_EQ(probability_beyond(flat, 49.999, higher), 1.0);
  EXPECT_EQ(probability_beyond(flat, 49.999, lower), 0.0);
  EXPECT_EQ(probability_beyond(flat, 50.001, lower), 1.0);

  // 80% of the mass at 50, 10% spread on each side.
  const forecast_point spike = pt(40, 50, 50, 50, 60);
  EXPECT_NEAR(probability_beyond(spike, 50, higher), 0.90, 1e-12);
  EXPECT_NEAR(probability_beyond(spike, 50, lower), 0.90, 1e-12);
  EXPECT_NEAR(probability_beyond(spike, 50.0 + 1e-9, higher), 0.10, 1e-6);
  EXPECT_NEAR(probability_beyond(spike, 55, higher), 0.10 - 0.075 * 0.5, 1e-12);

  // No outer tail: the 10% above hi80 sits at hi80 = hi95.
  const forecast_point capped = pt(85, 90, 100, 110, 110);
  EXPECT_NEAR(probability_beyond(capped, 110, higher), 0.10, 1e-12);
  EXPECT_EQ(probability_beyond(capped, 110.0001, higher), 0.0);
}

TEST(ProbabilityBeyond, BadInputIsHandled) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(probability_beyond(sym, nan, higher), 0.0);
  EXPECT_EQ(probability_beyond(pt(85, 90, nan, 110, 115), 100, higher), 0.0);
  // Missing outer bounds: no tail beyond the 80% interval.
  EXPECT_NEAR(probability_beyond(pt(nan, 90, 100, 110, nan), 110, higher), 0.10, 1e-12);
  EXPECT_EQ(probability_beyond(pt(nan, 90, 100, 110, nan), 111, higher), 0.0);
  // Bounds on the wrong side of the mean are clamped to it.
  const forecast_point crossed = pt(120, 130, 100, 90, 80);
  for (double t : {80.0, 99.0, 100.0, 101.0, 130.0}) {
    const double p = probability_beyond(crossed, t, higher);
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
  }
  EXPECT_EQ(probability_beyond(crossed, 100, higher), 1.0);
  EXPECT_EQ(probability_beyond(crossed, 100.5, higher), 0.0);
}

namespace {

// Mean 50, 55, 60, ... at 5-minute steps after t0; 80% interval +-10, 95% +-15.
forecast rising(int64_t t0, size_t n = 12, double start = 50, double slope = 5) {
  forecast f;
  f.metric_id = "m";
  f.generated_at = t0;
  f.step = five_min;
  for (size_t i = 0; i < n; ++i) {
    const double m = start + slope * static_cast<double>(i);
    f.points.push_back(pt(m - 15, m - 10, m, m + 10, m + 15, t0 + five_min * int64_t(i + 1)));
  }
  return f;
}

} // namespace

TEST(Assess, RisingForecastBreachTimeIsTheHalfMaxPoint) {
  const int64_t t0 = 1'700'000'000'000;
  const forecast f = rising(t0);
  threshold_spec t{"m", "svc", true, 90, 200};
  const auto o = assess(f, t);

  // Last point: mean 105, lo95 90 = threshold: P = 0.975. Half of it, 0.4875,
  // is first reached at point 8 (mean 90: 0.5); point 7 (mean 85) has 0.3.
  EXPECT_EQ(o.warning.severity, band::warning);
  EXPECT_EQ(o.warning.threshold, 90);
  EXPECT_NEAR(o.warning.probability, 0.975, 1e-12);
  EXPECT_EQ(o.warning.expected_breach_at, t0 + 9 * five_min);
  EXPECT_EQ(o.warning.predicted_value, 90);
  EXPECT_EQ(o.warning.lo80, 80);
  EXPECT_EQ(o.warning.hi80, 100);

  // 200 is ~10 scales beyond hi95: no meaningful probability, no breach time.
  EXPECT_EQ(o.critical.severity, band::critical);
  EXPECT_EQ(o.critical.threshold, 200);
  EXPECT_LT(o.critical.probability, grace::predictor::meaningful_probability);
  EXPECT_EQ(o.critical.expected_breach_at, 0);
}

TEST(Assess, PointsAreTakenInTimeOrder) {
  const int64_t t0 = 1'700'000'000'000;
  forecast f = rising(t0);
  std::reverse(f.points.begin(), f.points.end());
  const auto o = assess(f, threshold_spec{"m", "svc", true, 90, 200});
  EXPECT_EQ(o.warning.expected_breach_at, t0 + 9 * five_min);
}

TEST(Assess, LowerIsWorseOnAFallingForecast) {
  const int64_t t0 = 1'700'000'000'000;
  const forecast f = rising(t0, 12, 100, -5); // 100, 95, ..., 45
  const auto o = assess(f, threshold_spec{"m", "svc", false, 70, 40});
  // Last point mean 45: P(X <= 70) = 1 - tail beyond 60 (=lo95 mirrored) ~ 1.
  EXPECT_GT(o.warning.probability, 0.99);
  // First point with P >= ~0.5: mean 70 (index 6).
  EXPECT_EQ(o.warning.expected_breach_at, t0 + 7 * five_min);
  EXPECT_EQ(o.warning.predicted_value, 70);
  // 40 against the last points: mean 45 -> 0.3 (halfway lo80..mean), mean 50
  // -> 0.10 (at lo80), mean 55 -> 0.025 (at lo95). Max 0.3, half 0.15: only
  // the last point reaches it.
  EXPECT_NEAR(o.critical.probability, 0.30, 1e-12);
  EXPECT_EQ(o.critical.expected_breach_at, t0 + 12 * five_min);
  EXPECT_EQ(o.critical.predicted_value, 45);
}

TEST(Assess, APeakInTheMiddleIsBreachedOnTheWayUp) {
  const int64_t t0 = 1'700'000'000'000;
  forecast f;
  f.metric_id = "m";
  const double means[] = {50, 60, 70, 80, 90, 100, 90, 70, 50};
  for (size_t i = 0; i < std::size(means); ++i) {
    const double m = means[i];
    f.points.push_back(pt(m - 15, m - 10, m, m + 10, m + 15, t0 + five_min * int64_t(i + 1)));
  }
  const auto o = assess(f, threshold_spec{"m", "svc", true, 100, 1000});
  EXPECT_NEAR(o.warning.probability, 0.5, 1e-12); // at the peak, mean = threshold
  // Half of that, 0.25: mean 90 has 0.10, so the peak point itself.
  EXPECT_EQ(o.warning.expected_breach_at, t0 + 6 * five_min);

  // Threshold 90: the peak has 0.9 (90 = its lo80), half is 0.45, first
  // reached on the way up at mean 90 (0.5), one point before the peak; the
  // same value on the way down comes later.
  const auto o2 = assess(f, threshold_spec{"m", "svc", true, 90, 1000});
  EXPECT_NEAR(o2.warning.probability, 0.9, 1e-12);
  EXPECT_EQ(o2.warning.expected_breach_at, t0 + 5 * five_min);
  EXPECT_EQ(o2.warning.predicted_value, 90);
}

TEST(Assess, EmptyForecastHasNoBreach) {
  forecast f;
  const auto o = assess(f, threshold_spec{"m", "svc", true, 1, 2});
  EXPECT_EQ(o.warning.probability, 0.0);
  EXPECT_EQ(o.warning.expected_breach_at, 0);
  EXPECT_EQ(o.critical.expected_breach_at, 0);
}

TEST(Assess, NanThresholdMeansNone) {
  const auto o = assess(
      rising(1000), threshold_spec{"m", "svc", true, 60, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_GT(o.warning.probability, 0.9);
  EXPECT_EQ(o.critical.probability, 0.0);
  EXPECT_EQ(o.critical.expected_breach_at, 0);
}

namespace {

// n points around `mean` whose 80% / 95% half widths are `widths[h]` x (10, 15).
std::vector<forecast_point> path(double mean, const std::vector<double>& widths) {
  std::vector<forecast_point> points;
  for (size_t h = 0; h < widths.size(); ++h) {
    const double w = widths[h];
    points.push_back(pt(mean - 15 * w, mean - 10 * w, mean, mean + 10 * w, mean + 15 * w,
                        static_cast<int64_t>(h + 1) * five_min));
  }
  return points;
}

} // namespace

using grace::predictor::path_probability_beyond;

TEST(PathProbability, NoPointIsZeroAndOnePointIsItsMarginal) {
  EXPECT_EQ(path_probability_beyond({}, 100, higher), 0.0);
  EXPECT_NEAR(path_probability_beyond({sym}, 110, higher), 0.10, 1e-12);
  EXPECT_NEAR(path_probability_beyond({sym}, 90, lower), 0.10, 1e-12);
}

TEST(PathProbability, ConstantWidthMeansIndependentSteps) {
  // No widening: no shared level error, each step an independent 10% chance.
  const auto points = path(100, std::vector<double>(12, 1.0));
  EXPECT_NEAR(path_probability_beyond(points, 110, higher), 1.0 - std::pow(0.9, 12), 1e-6);
}

TEST(PathProbability, WideningIntervalsTieTheStepsTogether) {
  // Random-walk widening (sd grows as sqrt(h)): the steps share most of their
  // error, so crossing at any of them is likelier than at the last alone but
  // far less likely than if they were independent.
  std::vector<double> widths;
  for (int h = 1; h <= 12; ++h)
    widths.push_back(std::sqrt(static_cast<double>(h) / 12.0));
  const auto points = path(100, widths);
  double largest = 0.0, none_independent = 1.0;
  for (const auto& p : points) {
    const double m = probability_beyond(p, 110, higher);
    largest = std::max(largest, m);
    none_independent *= 1.0 - m;
  }
  const double any = path_probability_beyond(points, 110, higher);
  EXPECT_GT(any, largest + 0.02);
  EXPECT_LT(any, 1.0 - none_independent - 0.1);
  // A pure random walk with these marginals: 0.160 by 400000 plain Monte
  // Carlo paths (the reflection principle's continuous-path 2 x 0.1 is an
  // upper bound for Gaussian steps).
  EXPECT_NEAR(any, 0.160, 0.01);
}

TEST(PathProbability, NeverBelowTheLargestMarginalAndMonotoneInTheThreshold) {
  std::vector<double> widths;
  for (int h = 1; h <= 12; ++h)
    widths.push_back(0.5 + 0.05 * h);
  const auto points = path(100, widths);
  double previous = 1.0;
  for (double t = 95; t <= 125; t += 2.5) {
    double largest = 0.0;
    for (const auto& p : points)
      largest = std::max(largest, probability_beyond(p, t, higher));
    const double any = path_probability_beyond(points, t, higher);
    EXPECT_GE(any, largest) << t;
    EXPECT_LE(any, previous + 1e-12) << t;
    previous = any;
  }
  // Far away: about nothing; the other direction mirrors it.
  EXPECT_LT(path_probability_beyond(points, 200, higher), 1e-6);
  EXPECT_LT(path_probability_beyond(points, 0, lower), 1e-6);
  EXPECT_GT(path_probability_beyond(points, 95, lower), 0.3);
}

TEST(PathProbability, ZeroWidthAndBadPointsDoNotBreakIt) {
  auto points = path(100, std::vector<double>(6, 0.0));
  EXPECT_EQ(path_probability_beyond(points, 101, higher), 0.0);
  EXPECT_EQ(path_probability_beyond(points, 100, higher), 1.0);
  points = path(100, {1.0, 1.0, 1.0});
  points[1].mean = std::numeric_limits<double>::quiet_NaN();
  const double p = path_probability_beyond(points, 110, higher);
  EXPECT_TRUE(std::isfinite(p));
  EXPECT_NEAR(p, 1.0 - 0.9 * 0.9, 1e-6);
}

namespace {

using grace::predictor::condition_on_observed;

// A forecast from the origin 0 with path() points at 5, 10, ... minutes.
forecast forecast_of(const std::vector<forecast_point>& points) {
  forecast f;
  f.generated_at = 0;
  f.step = five_min;
  f.points = points;
  return f;
}

} // namespace

TEST(ConditionOnObserved, NoObservationLeavesTheForecastAsItIs) {
  std::vector<double> widths;
  for (int h = 1; h <= 12; ++h)
    widths.push_back(std::sqrt(static_cast<double>(h) / 12.0));
  const forecast f = forecast_of(path(100, widths));
  // None, one at the origin (not after it) and one beyond the last point.
  for (const auto& observed : {std::vector<std::pair<int64_t, double>>{},
                               std::vector<std::pair<int64_t, double>>{{0, 150.0}},
                               std::vector<std::pair<int64_t, double>>{{13 * five_min, 150.0}}}) {
    const forecast c = condition_on_observed(f, observed);
    ASSERT_EQ(c.points.size(), f.points.size());
    for (size_t h = 0; h < f.points.size(); ++h) {
      EXPECT_EQ(c.points[h].mean, f.points[h].mean);
      EXPECT_EQ(c.points[h].hi80, f.points[h].hi80);
    }
  }
}

TEST(ConditionOnObserved, ConstantWidthMeansTheErrorsAreIndependent) {
  // No widening: no shared level error, so a value far off moves nothing.
  const forecast f = forecast_of(path(100, std::vector<double>(12, 1.0)));
  const forecast c = condition_on_observed(f, {{five_min, 130.0}, {2 * five_min, 135.0}});
  ASSERT_EQ(c.points.size(), 10u); // the points observed are past
  for (const auto& p : c.points) {
    EXPECT_NEAR(p.mean, 100.0, 1e-9);
    EXPECT_NEAR(p.hi80 - p.mean, 10.0, 1e-9);
  }
}

TEST(ConditionOnObserved, ARandomWalkFollowsTheNewestValue) {
  // Variance growing by the same amount each step and nothing else: all of
  // it is level error, so the path moves to the value observed, and a point
  // k steps after it is as uncertain as the k-step point was at the origin.
  std::vector<double> widths;
  for (int h = 1; h <= 12; ++h)
    widths.push_back(std::sqrt(static_cast<double>(h) / 12.0));
  const forecast f = forecast_of(path(100, widths));
  const forecast c = condition_on_observed(f, {{2 * five_min, 106.0}});
  ASSERT_EQ(c.points.size(), 10u);
  for (size_t k = 0; k < c.points.size(); ++k) {
    EXPECT_NEAR(c.points[k].mean, 106.0, 1e-6) << k;
    EXPECT_NEAR(c.points[k].hi80 - c.points[k].mean, f.points[k].hi80 - f.points[k].mean, 1e-6)
        << k;
  }
  // A value between two points counts at its time: half a step later.
  const forecast half = condition_on_observed(f, {{five_min + five_min / 2, 106.0}});
  EXPECT_NEAR(half.points.front().mean, 106.0, 1e-6);
}

TEST(ConditionOnObserved, NoiseAndLevelShareTheSurprise) {
  // Widening from a noisy start: part of the error is level, part noise, so
  // the path moves part of the way and its intervals narrow, never widen.
  std::vector<double> widths;
  for (int h = 1; h <= 12; ++h)
    widths.push_back(std::sqrt(1.0 + static_cast<double>(h) / 12.0));
  const forecast f = forecast_of(path(100, widths));
  const forecast c = condition_on_observed(f, {{five_min, 110.0}});
  ASSERT_EQ(c.points.size(), 11u);
  for (size_t k = 0; k < c.points.size(); ++k) {
    EXPECT_GT(c.points[k].mean, 100.0);
    EXPECT_LT(c.points[k].mean, 110.0);
    EXPECT_LE(c.points[k].hi80 - c.points[k].mean, f.points[k + 1].hi80 - f.points[k + 1].mean);
  }
  // Below the forecast, the other way.
  const forecast down = condition_on_observed(f, {{five_min, 90.0}});
  EXPECT_LT(down.points.front().mean, 100.0);
}

TEST(ConditionOnObserved, ErrorsGrowingLikeASlopeAreExtrapolated) {
  // Intervals widening in proportion to h (variance h^2): the forecast's
  // doubt is about its slope. Errors of 1, 2, 3 at the first three points
  // then say the slope error is about 1 a step, and the path bends up with it.
  std::vector<double> widths;
  for (int h = 1; h <= 12; ++h)
    widths.push_back(0.3 * h);
  const forecast f = forecast_of(path(100, widths));
  const forecast c =
      condition_on_observed(f, {{five_min, 101.0}, {2 * five_min, 102.0}, {3 * five_min, 103.0}});
  ASSERT_EQ(c.points.size(), 9u);
  for (size_t k = 0; k < c.points.size(); ++k) {
    const double steps = static_cast<double>(k + 4);
    EXPECT_NEAR(c.points[k].mean, 100.0 + steps, 0.05 * steps) << k;
    EXPECT_LT(c.points[k].hi80 - c.points[k].mean, f.points[k + 3].hi80 - f.points[k + 3].mean);
  }
  // Random-walk widening with the same errors only follows the newest value.
  std::vector<double> walk;
  for (int h = 1; h <= 12; ++h)
    walk.push_back(std::sqrt(static_cast<double>(h)));
  const forecast w =
      condition_on_observed(forecast_of(path(100, walk)),
                            {{five_min, 101.0}, {2 * five_min, 102.0}, {3 * five_min, 103.0}});
  EXPECT_NEAR(w.points.back().mean, 103.0, 1e-6);
}
