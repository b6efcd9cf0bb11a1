#include "actors/predictor/breach.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
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

namespace {

// The standard normal's CDF and quantile (Acklam's rational approximation,
// relative error below 1.2e-9, enough for a copula).
double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double low = 0.02425;
  if (p < low) {
    const double q = std::sqrt(-2.0 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
           / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  if (p > 1.0 - low) {
    const double q = std::sqrt(-2.0 * std::log(1.0 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
           / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
         / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

constexpr size_t path_draws = 64;     // level paths (32 antithetic pairs)
constexpr size_t path_max_steps = 64; // steps per path in the tables; later ones reuse them

// Fixed draws per path and step, a uniform in (0, 1) and a standard normal:
// a Richtmyer quasi-random sequence (path k, dimension d: the fractional part
// of (k + 1/2) sqrt(prime_d)), the normals through the normal quantile; each
// pair of paths antithetic (1 - u, -e). Quasi-random points cover the
// dimensions evenly, so few paths give a small error.
struct path_draw {
  double uniform = 0.5, normal = 0.0;
};
const std::vector<path_draw>& path_table() {
  static const std::vector<path_draw> table = [] {
    std::vector<path_draw> t(path_draws * path_max_steps);
    std::vector<double> roots; // sqrt of the first 2 * path_max_steps primes
    for (int c = 2; roots.size() < 2 * path_max_steps; ++c) {
      bool prime = true;
      for (int d = 2; d * d <= c && prime; ++d)
        prime = c % d != 0;
      if (prime)
        roots.push_back(std::sqrt(static_cast<double>(c)));
    }
    const size_t pairs = path_draws / 2;
    for (size_t k = 0; k < pairs; ++k) {
      const double at = static_cast<double>(k) + 0.5;
      for (size_t h = 0; h < path_max_steps; ++h) {
        const double u = std::fmod(at * roots[2 * h], 1.0);
        const double e = normal_quantile(std::fmod(at * roots[2 * h + 1], 1.0));
        t[2 * k * path_max_steps + h] = {u, e};
        t[(2 * k + 1) * path_max_steps + h] = {1.0 - u, -e};
      }
    }
    return t;
  }();
  return table;
}

// A point's error spread for the dependence model: its 80% interval's half
// width in standard deviations (the 95% one where that is zero).
double spread_of(const forecast_point& p) {
  const double w80 = p.hi80 - p.lo80, w95 = p.hi95 - p.lo95;
  if (std::isfinite(w80) && w80 > 0.0)
    return w80 / (2.0 * 1.2815515655446004);
  if (std::isfinite(w95) && w95 > 0.0)
    return w95 / (2.0 * 1.959963984540054);
  return 0.0;
}

} // namespace

double path_probability_beyond(const std::vector<forecast_point>& points, double threshold,
                               bool higher_is_worse) {
  const size_t n = points.size();
  if (n == 0)
    return 0.0;
  std::vector<double> p(n), s(n);
  double largest = 0.0;
  for (size_t h = 0; h < n; ++h) {
    p[h] = probability_beyond(points[h], threshold, higher_is_worse);
    s[h] = spread_of(points[h]);
    largest = std::max(largest, p[h]);
  }
  if (n == 1 || largest <= 0.0 || largest >= 1.0)
    return largest;
  // Level variance: q per step, at most the smallest variance from there on
  // (a random walk's variance never shrinks).
  const double q = std::max(0.0, (s[n - 1] * s[n - 1] - s[0] * s[0]) / static_cast<double>(n - 1));
  std::vector<double> level_var(n), level_step(n), noise_sd(n), bound(n);
  double floor_after = std::numeric_limits<double>::infinity();
  for (size_t h = n; h-- > 0;) {
    floor_after = std::min(floor_after, s[h] * s[h]);
    level_var[h] = std::min(q * static_cast<double>(h + 1), floor_after);
  }
  for (size_t h = 0; h < n; ++h) {
    const double before = h == 0 ? 0.0 : level_var[h - 1];
    level_step[h] = std::sqrt(std::max(level_var[h] - before, 0.0));
    noise_sd[h] = std::sqrt(std::max(s[h] * s[h] - level_var[h], 0.0));
    // Beyond at h <=> the latent error at or above this bound.
    bound[h] = p[h] > 0.0 ? -normal_quantile(p[h]) * s[h] : std::numeric_limits<double>::infinity();
  }
  // Sequential conditioning (the GHK simulator): along each level path, each
  // step contributes its chance of staying short of the bound given the path
  // so far, and the path continues as if it did (the point's error drawn
  // below its bound, the level from its share of that error). Unbiased, and
  // smooth in the inputs because no draw is ever an indicator.
  const auto& table = path_table();
  double none = 0.0; // sum over paths of their chance that no point is beyond
  for (size_t k = 0; k < path_draws; ++k) {
    const path_draw* d = &table[k * path_max_steps];
    double level = 0.0, stays = 1.0;
    for (size_t h = 0; h < n && stays > 0.0; ++h) {
      const path_draw& x = d[h % path_max_steps];
      const double step = level_step[h], noise = noise_sd[h];
      if (p[h] <= 0.0 || s[h] <= 0.0) {
        if (s[h] <= 0.0)
          stays *= 1.0 - p[h]; // no spread to tie it to the others: independent
        level += step * x.normal;
        continue;
      }
      const double total = std::sqrt(step * step + noise * noise);
      if (!(total > 1e-12 * s[h])) {
        if (level >= bound[h])
          stays = 0.0;
        continue;
      }
      const double short_of = normal_cdf((bound[h] - level) / total);
      stays *= short_of;
      if (!(short_of > 0.0))
        break;
      // The point's error given that it stayed short, then the level given it.
      const double z = normal_quantile(std::clamp(x.uniform * short_of, 1e-300, 1.0 - 1e-16));
      const double error = level + total * z;
      const double share = step * step / (total * total);
      level += share * (error - level) + step * noise / total * x.normal;
    }
    none += stays;
  }
  const double any = 1.0 - none / static_cast<double>(path_draws);
  return std::clamp(std::max(any, largest), 0.0, 1.0);
}

namespace {

// The forecast errors' growth read off its intervals: a point's variance at
// h steps = noise + level * h + slope * h^2 (a local linear trend error:
// an unknown slope error, a random-walk level error, independent noise).
// Least squares relative to each variance (the near points count as much as
// the far ones), all three at least 0 (the best fit among the subsets whose
// solution is nonnegative).
struct error_growth {
  double noise = 0.0, level = 0.0, slope = 0.0;
};

error_growth fit_error_growth(const std::vector<double>& var) {
  const size_t n = var.size();
  error_growth best;
  double best_sse = std::numeric_limits<double>::infinity();
  for (int subset = 1; subset < 8; ++subset) {
    // Normal equations of the chosen columns (1, h, h^2), each row / var_h.
    std::array<int, 3> cols{};
    int k = 0;
    for (int c = 0; c < 3; ++c)
      if (subset & (1 << c))
        cols[static_cast<size_t>(k++)] = c;
    std::array<std::array<double, 4>, 3> a{}; // k x (k + 1) augmented
    for (size_t i = 0; i < n; ++i) {
      if (!(var[i] > 0.0))
        continue;
      const double h = static_cast<double>(i + 1);
      const std::array<double, 3> x{1.0 / var[i], h / var[i], h * h / var[i]};
      for (int r = 0; r < k; ++r) {
        const double xr = x[static_cast<size_t>(cols[static_cast<size_t>(r)])];
        for (int c = 0; c < k; ++c)
          a[static_cast<size_t>(r)][static_cast<size_t>(c)] +=
              xr * x[static_cast<size_t>(cols[static_cast<size_t>(c)])];
        a[static_cast<size_t>(r)][3] += xr; // target var / var = 1
      }
    }
    // Gaussian elimination with partial pivoting.
    bool singular = false;
    for (int c = 0; c < k && !singular; ++c) {
      int pivot = c;
      for (int r = c + 1; r < k; ++r)
        if (std::abs(a[static_cast<size_t>(r)][static_cast<size_t>(c)])
            > std::abs(a[static_cast<size_t>(pivot)][static_cast<size_t>(c)]))
          pivot = r;
      std::swap(a[static_cast<size_t>(c)], a[static_cast<size_t>(pivot)]);
      const double d = a[static_cast<size_t>(c)][static_cast<size_t>(c)];
      if (!(std::abs(d) > 1e-300)) {
        singular = true;
        break;
      }
      for (int r = 0; r < k; ++r) {
        if (r == c)
          continue;
        const double m = a[static_cast<size_t>(r)][static_cast<size_t>(c)] / d;
        for (int j = c; j < 4; ++j)
          a[static_cast<size_t>(r)][static_cast<size_t>(j)] -=
              m * a[static_cast<size_t>(c)][static_cast<size_t>(j)];
      }
    }
    if (singular)
      continue;
    std::array<double, 3> coef{};
    bool feasible = true;
    for (int r = 0; r < k; ++r) {
      const double v =
          a[static_cast<size_t>(r)][3] / a[static_cast<size_t>(r)][static_cast<size_t>(r)];
      feasible = feasible && std::isfinite(v) && v >= 0.0;
      coef[static_cast<size_t>(cols[static_cast<size_t>(r)])] = v;
    }
    if (!feasible)
      continue;
    double sse = 0.0;
    for (size_t i = 0; i < n; ++i) {
      if (!(var[i] > 0.0))
        continue;
      const double h = static_cast<double>(i + 1);
      const double e = (coef[0] + coef[1] * h + coef[2] * h * h) / var[i] - 1.0;
      sse += e * e;
    }
    if (sse < best_sse) {
      best_sse = sse;
      best = {coef[0], coef[1], coef[2]};
    }
  }
  return best;
}

} // namespace

forecast condition_on_observed(const forecast& f,
                               const std::vector<std::pair<timestamp_ms, double>>& observed) {
  std::vector<forecast_point> pts;
  for (const auto& pt : f.points)
    if (std::isfinite(pt.mean))
      pts.push_back(pt);
  if (pts.size() < 2 || observed.empty())
    return f;
  std::stable_sort(pts.begin(), pts.end(),
                   [](const forecast_point& a, const forecast_point& b) { return a.ts < b.ts; });
  const size_t n = pts.size();
  // Time in forecast steps from the origin; the step is the points' spacing.
  const double step = static_cast<double>(pts[n - 1].ts - pts[0].ts) / static_cast<double>(n - 1);
  if (!(step > 0.0))
    return f;
  const double origin = static_cast<double>(pts[0].ts) - step;
  auto steps_at = [&](timestamp_ms t) { return (static_cast<double>(t) - origin) / step; };
  std::vector<double> var(n);
  for (size_t h = 0; h < n; ++h)
    var[h] = spread_of(pts[h]) * spread_of(pts[h]);
  const error_growth g = fit_error_growth(var);
  // Mean and variance at `at` steps (linear between points; before the first
  // point, the first one), and the noise's share there: what the level and
  // slope errors do not explain.
  auto mean_at = [&](double at) {
    if (at <= 1.0)
      return pts[0].mean;
    const size_t hi = std::min(static_cast<size_t>(std::ceil(at - 1.0)), n - 1);
    const double w = std::clamp(at - static_cast<double>(hi), 0.0, 1.0);
    return pts[hi - 1].mean + w * (pts[hi].mean - pts[hi - 1].mean);
  };
  auto var_at = [&](double at) {
    if (at <= 1.0)
      return var[0];
    const size_t hi = std::min(static_cast<size_t>(std::ceil(at - 1.0)), n - 1);
    const double w = std::clamp(at - static_cast<double>(hi), 0.0, 1.0);
    return var[hi - 1] + w * (var[hi] - var[hi - 1]);
  };
  auto noise_at = [&](double at) {
    return std::max(var_at(at) - g.level * at - g.slope * at * at, 0.0);
  };
  // Kalman filter of (level error, slope error) through the observed errors:
  // from (0, 0) with variances (0, slope) at the origin.
  double level = 0.0, slope = 0.0;
  double p_ll = 0.0, p_ls = 0.0, p_ss = g.slope, last_at = 0.0;
  bool any = false;
  for (const auto& [t, y] : observed) {
    const double at = steps_at(t);
    if (!(at > last_at) || at > static_cast<double>(n) || !std::isfinite(y))
      continue;
    const double d = at - last_at;
    level += slope * d;
    p_ll += 2.0 * d * p_ls + d * d * p_ss + g.level * d;
    p_ls += d * p_ss;
    last_at = at;
    any = true;
    const double total = p_ll + noise_at(at);
    if (!(total > 0.0))
      continue; // a point without spread says nothing about the errors
    const double innovation = y - mean_at(at) - level;
    const double k_l = p_ll / total, k_s = p_ls / total;
    level += k_l * innovation;
    slope += k_s * innovation;
    const double ll = p_ll, ls = p_ls;
    p_ll -= k_l * ll;
    p_ls -= k_l * ls;
    p_ss -= k_s * ls;
  }
  if (!any)
    return f;
  forecast out = f;
  out.points.clear();
  for (size_t h = 0; h < n; ++h) {
    const forecast_point& pt = pts[h];
    const double at = static_cast<double>(h + 1);
    if (at <= last_at)
      continue;
    const double d = at - last_at;
    const double error_var = p_ll + 2.0 * d * p_ls + d * d * p_ss + g.level * d;
    const double now_var = error_var + noise_at(at);
    const double scale = var[h] > 0.0 ? std::sqrt(std::max(now_var, 0.0) / var[h]) : 1.0;
    forecast_point c = pt;
    c.mean = pt.mean + level + slope * d;
    c.lo80 = c.mean - (pt.mean - pt.lo80) * scale;
    c.hi80 = c.mean + (pt.hi80 - pt.mean) * scale;
    c.lo95 = c.mean - (pt.mean - pt.lo95) * scale;
    c.hi95 = c.mean + (pt.hi95 - pt.mean) * scale;
    out.points.push_back(c);
  }
  return out;
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
