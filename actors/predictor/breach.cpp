#include "actors/predictor/breach.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <vector>

namespace grace::predictor {

namespace {

// The five quantiles of one point, ordered: q[0] <= ... <= q[4].
using quantiles = std::array<double, 5>;
constexpr std::array<double, 5> levels = {q_lo95, q_lo80, q_median, q_hi80, q_hi95};

// ln(0.10 / 0.025): the exponential tail through the 10% and 2.5% points
// has scale (hi95 - hi80) / tail_log_ratio.
const double tail_log_ratio = std::log(q_lo80 / q_lo95);

double finite_or(double x, double fallback) {
  return std::isfinite(x) ? x : fallback;
}

quantiles sanitize(double lo95, double lo80, double mean, double hi80, double hi95) {
  quantiles q;
  q[2] = mean;
  q[1] = std::min(finite_or(lo80, mean), mean);
  q[0] = std::min(finite_or(lo95, q[1]), q[1]);
  q[3] = std::max(finite_or(hi80, mean), mean);
  q[4] = std::max(finite_or(hi95, q[3]), q[3]);
  return q;
}

// P(X >= t) for the distribution with ordered quantiles q: 1 - F(t-), the
// left limit of the CDF, so that a point mass at t counts as "beyond".
double survival_closed(const quantiles& q, double t) {
  if (t > q[4]) {
    const double scale = (q[4] - q[3]) / tail_log_ratio;
    return scale > 0.0 ? (1.0 - q_hi95) * std::exp(-(t - q[4]) / scale) : 0.0;
  }
  if (t <= q[0]) {
    const double scale = (q[1] - q[0]) / tail_log_ratio;
    const double below = scale > 0.0 ? q_lo95 * std::exp(-(q[0] - t) / scale) : 0.0;
    return 1.0 - below;
  }
  // q[0] < t <= q[4]: the first knot at or above t; the segment before it has
  // positive width because its left knot is below t.
  size_t i = 1;
  while (q[i] < t)
    ++i;
  const double frac = (t - q[i - 1]) / (q[i] - q[i - 1]);
  const double cdf = levels[i - 1] + (levels[i] - levels[i - 1]) * frac;
  return 1.0 - cdf;
}

} // namespace

double probability_beyond(const forecast_point& p, double threshold, bool higher_is_worse) {
  if (!std::isfinite(p.mean) || std::isnan(threshold))
    return 0.0;
  double result;
  if (higher_is_worse) {
    result = survival_closed(sanitize(p.lo95, p.lo80, p.mean, p.hi80, p.hi95), threshold);
  } else {
    // P(X <= t) = P(-X >= -t): the mirrored distribution, whose quantiles
    // are the negated ones in reverse order.
    result = survival_closed(sanitize(-p.hi95, -p.hi80, -p.mean, -p.lo80, -p.lo95), -threshold);
  }
  return std::clamp(result, 0.0, 1.0);
}

breach_assessment assess_threshold(const forecast& f, double threshold, bool higher_is_worse,
                                   band severity) {
  breach_assessment a;
  a.severity = severity;
  a.threshold = threshold;

  std::vector<size_t> order(f.points.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return f.points[x].ts < f.points[y].ts; });

  std::vector<double> prob(f.points.size(), 0.0);
  for (size_t i = 0; i < f.points.size(); ++i) {
    prob[i] = probability_beyond(f.points[i], threshold, higher_is_worse);
    a.probability = std::max(a.probability, prob[i]);
  }
  if (a.probability < meaningful_probability)
    return a;

  for (size_t i : order) {
    if (prob[i] >= 0.5 * a.probability) {
      const forecast_point& p = f.points[i];
      a.expected_breach_at = p.ts;
      a.predicted_value = p.mean;
      a.lo80 = p.lo80;
      a.hi80 = p.hi80;
      break;
    }
  }
  return a;
}

breach_outlook assess(const forecast& f, const threshold_spec& t) {
  return {assess_threshold(f, t.warning, t.higher_is_worse, band::warning),
          assess_threshold(f, t.critical, t.higher_is_worse, band::critical)};
}

} // namespace grace::predictor
