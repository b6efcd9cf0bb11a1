#pragma once
// Threshold breach probabilities from a forecast: how likely each forecast
// point is to be at or beyond a catalog threshold, and when the breach is
// expected. Pure core: no CAF, no state, deterministic.
#include "messages/types.hpp"

#include <string>
#include <utility>
#include <vector>

namespace grace::predictor {

// A metric's catalog thresholds. A NaN threshold means "no such threshold":
// its assessment always has probability 0.
struct threshold_spec {
  std::string metric_id;
  std::string service;
  bool higher_is_worse = true;
  double warning = 0.0;
  double critical = 0.0;
};

// The quantile levels a forecast point's bounds stand for.
inline constexpr double q_lo95 = 0.025;
inline constexpr double q_lo80 = 0.10;
inline constexpr double q_median = 0.50;
inline constexpr double q_hi80 = 0.90;
inline constexpr double q_hi95 = 0.975;

// P(value beyond threshold) at one forecast point, from its predictive
// distribution given by the quantiles lo95 (2.5%), lo80 (10%), mean (taken as
// the median), hi80 (90%) and hi95 (97.5%).
//
// - Between the quantiles the CDF is linear.
// - Beyond lo95 / hi95 the 2.5% tail is exponential, fitted through the two
//   outer quantiles: its scale is (hi95 - hi80) / ln(0.10 / 0.025), i.e. the
//   exponential tail that passes through both the 10% and the 2.5% point
//   (exact for a Laplace distribution, somewhat heavier than a normal's tail
//   far out - the cautious side for a warning).
// - Coinciding quantiles (zero-width intervals) put point masses there (a
//   step CDF); a zero-width outer interval means no tail at all.
// - "Beyond" respects direction (above for higher_is_worse, below
//   otherwise) and is closed: P(X >= threshold), resp. P(X <= threshold),
//   because a value at the threshold is in that band.
// - Bad input: a non-finite mean or a NaN threshold gives 0; a non-finite
//   bound is replaced by the next inner quantile; bounds on the wrong side
//   of an inner quantile are clamped to it (lo95 <= lo80 <= mean <= hi80 <= hi95).
// The result is in [0, 1].
double probability_beyond(const forecast_point& p, double threshold, bool higher_is_worse);

// P(the forecast path is at or beyond the threshold at one or more of
// `points` (taken in time order)): the probability that the future crosses,
// not the largest marginal. Each point's marginal is probability_beyond's;
// their dependence is that of a local-level model, the forecast errors'
// usual structure: a random-walk level error whose variance grows by the
// same amount each step (the growth of the 80% interval's variance from
// the first point to the last) plus independent noise making up the rest
// of each point's variance. Constant-width intervals thus mean independent
// steps, widening ones a shared drifting error. The marginals enter through
// a Gaussian copula (each point's beyond-event is its latent error above
// the normal quantile of its probability); the level paths are integrated
// by 64 fixed quasi-random paths, the noise exactly, so the result is
// deterministic and smooth. Never below the largest marginal; 0 with no
// point, the marginal with one.
double path_probability_beyond(const std::vector<forecast_point>& points, double threshold,
                               bool higher_is_worse);

// The forecast's points after the newest of `observed` (values of the
// metric after the forecast was made, (time, value), in time order), their
// predictive distributions conditioned on those values. The forecast's
// errors are taken as a local linear trend: an unknown slope error, a
// random-walk level error and independent noise, whose variances are read
// off the forecast's own intervals (a point's variance at h steps = noise +
// level * h + slope * h^2, fitted nonnegative, relative to each variance;
// the noise takes up each point's rest, so the marginals are the forecast's).
// A Kalman filter runs through the observed errors (the mean and variance at
// an observation's time linear between points); each later point moves by
// the estimated level and slope errors, and its spread becomes what is left
// of their uncertainty plus its noise (the quantiles keep their shape,
// scaled about the moved mean). Constant-width intervals (independent
// errors) move nothing; random-walk widening follows the newest value;
// widening faster than that extrapolates where the errors are heading.
// Observations at or before the forecast's time, or after its last point,
// are ignored; with none the forecast is returned as it is.
forecast condition_on_observed(const forecast& f,
                               const std::vector<std::pair<timestamp_ms, double>>& observed);

// Below this peak probability a forecast says nothing about when a breach
// would come: the assessment's expected_breach_at stays 0.
inline constexpr double meaningful_probability = 1e-3;

struct breach_assessment {
  band severity = band::warning;
  double threshold = 0.0;
  // Of crossing within the forecast's horizon: the maximum over the points of
  // probability_beyond. The points of one forecast are strongly dependent
  // (one smooth future path, not independent draws), so summing or
  // multiplying them would wildly overstate the risk; the maximum is exactly
  // P(beyond at the worst point), which is a lower bound of P(any crossing),
  // and close to it when the points move together.
  double probability = 0.0;
  // The first point (in time) whose probability reaches half of that maximum;
  // 0 if the maximum is below meaningful_probability. On a rising forecast
  // the probability at time t approximates P(crossed by t), so the half-max
  // point approximates the median crossing time among the futures that do
  // cross within the horizon: not the first point with a tiny probability
  // (too early, noise) and not the peak (too late).
  timestamp_ms expected_breach_at = 0;
  // The probability this metric warns at (breach_warner::alarm_cut, learned
  // from its own false alarms); 0: the warning policy's min_probability.
  double min_probability = 0.0;
  double predicted_value = 0.0;  // forecast mean at expected_breach_at
  double lo80 = 0.0, hi80 = 0.0; // bounds at that point
};

struct breach_outlook {
  breach_assessment warning;
  breach_assessment critical;
};

// One threshold against every point of a forecast (taken in time order).
breach_assessment assess_threshold(const forecast& f, double threshold, bool higher_is_worse,
                                   band severity);

// Both thresholds of t against the forecast.
breach_outlook assess(const forecast& f, const threshold_spec& t);

} // namespace grace::predictor
