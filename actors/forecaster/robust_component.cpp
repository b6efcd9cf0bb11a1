#include "actors/forecaster/robust_component.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace grace::forecaster {

namespace {

// Doubles mapped to unsigned integers of the same order (no NaN).
inline uint64_t order_key(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return (b >> 63) ? ~b : (b | (uint64_t{1} << 63));
}

inline double from_order_key(uint64_t k) {
  const uint64_t b = (k >> 63) ? (k & ~(uint64_t{1} << 63)) : ~k;
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// The k-th smallest (0-based) of keys[0, n) by MSD radix selection: each
// pass keeps the 8-bit bucket (below the keys' common leading bits, lo and hi
// being their minimum and maximum) that holds the k-th key. keys is
// reordered.
uint64_t radix_select(uint64_t* keys, size_t n, size_t k, uint64_t lo, uint64_t hi) {
  while (n > 48) {
    if (lo == hi) {
      return lo;
    }
    const int top = 63 - __builtin_clzll(lo ^ hi);
    const int shift = std::max(top - 7, 0);
    // Four interleaved histograms: runs of one bucket do not serialise on
    // a single counter.
    uint32_t count[4][256] = {};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      ++count[0][(keys[i] >> shift) & 0xff];
      ++count[1][(keys[i + 1] >> shift) & 0xff];
      ++count[2][(keys[i + 2] >> shift) & 0xff];
      ++count[3][(keys[i + 3] >> shift) & 0xff];
    }
    for (; i < n; ++i) {
      ++count[0][(keys[i] >> shift) & 0xff];
    }
    uint64_t d = 0;
    for (;; ++d) {
      const size_t c = size_t{count[0][d]} + count[1][d] + count[2][d] + count[3][d];
      if (k < c) {
        break;
      }
      k -= c;
    }
    size_t m = 0;
    lo = ~uint64_t{0};
    hi = 0;
    for (i = 0; i < n; ++i) {
      const uint64_t key = keys[i];
      const bool keep = ((key >> shift) & 0xff) == d;
      keys[m] = key;
      m += keep ? 1 : 0;
      lo = keep ? std::min(lo, key) : lo;
      hi = keep ? std::max(hi, key) : hi;
    }
    n = m;
  }
  std::nth_element(keys, keys + k, keys + n);
  return keys[k];
}

// Exact median by selection on order keys. The median's value is the same
// whichever selection finds it unless two distinct doubles compare equal
// (-0 and +0) or a NaN is present: those inputs return false and take the
// std::nth_element path, so the result is always bit-identical to it.
bool radix_median(const std::vector<double>& v, double& out) {
  thread_local std::vector<uint64_t> keys;
  const size_t n = v.size();
  keys.resize(n);
  bool odd_input = false;
  uint64_t lo = ~uint64_t{0}, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x = v[i];
    odd_input |= (x != x) || (x == 0.0 && std::signbit(x));
    const uint64_t key = order_key(x);
    keys[i] = key;
    lo = std::min(lo, key);
    hi = std::max(hi, key);
  }
  if (odd_input) {
    return false;
  }
  const size_t mid = n / 2;
  const uint64_t km = radix_select(keys.data(), n, mid, lo, hi);
  double m = from_order_key(km);
  if (n % 2 == 0) {
    // The (mid - 1)-th value: the largest key below km, or km itself when
    // fewer than mid keys are below it (ties).
    size_t below = 0;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t k = order_key(v[i]);
      if (k < km) {
        ++below;
        prev = std::max(prev, k);
      }
    }
    m = 0.5 * (m + from_order_key(below >= mid ? prev : km));
  }
  out = m;
  return true;
}

} // namespace

double median_inplace(std::vector<double>& v) {
  if (v.empty()) {
    return 0.0;
  }
  double r;
  if (v.size() >= 64 && radix_median(v, r)) {
    return r;
  }
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    m = 0.5 * (m + *std::max_element(v.begin(), v.begin() + static_cast<long>(mid)));
  }
  return m;
}

double median_of_range(const std::vector<double>& y, size_t first, size_t last,
                       std::vector<double>& scratch) {
  scratch.assign(y.begin() + static_cast<long>(first), y.begin() + static_cast<long>(last));
  return median_inplace(scratch);
}

const char* candidate_name(int c) {
  static const char* names[candidate_count] = {"naive",
                                               "median_short",
                                               "median_mid",
                                               "median_long",
                                               "seasonal_median",
                                               "seasonal_naive",
                                               "seasonal_naive_shifted",
                                               "damped_es",
                                               "seasonal_naive_drift",
                                               "weekly_naive",
                                               "weekly_naive_shifted"};
  return (c >= 0 && c < candidate_count) ? names[c] : "unknown";
}

std::vector<double> cycle_medians(const std::vector<double>& y, size_t end, int cycle) {
  if (cycle < 2 || end > y.size()) {
    return {};
  }
  const size_t m = static_cast<size_t>(cycle);
  const size_t cycles = end / m;
  const size_t begin = end - cycles * m;
  std::vector<double> out(cycles), scratch;
  for (size_t c = 0; c < cycles; ++c) {
    out[c] = median_of_range(y, begin + c * m, begin + (c + 1) * m, scratch);
  }
  return out;
}

std::vector<double> daily_profile(const std::vector<double>& y, size_t end, int cycle, int phase0,
                                  int halfwidth) {
  return daily_profile(y, end, cycle, phase0, halfwidth, cycle_medians(y, end, cycle));
}

std::vector<double> daily_profile(const std::vector<double>& y, size_t end, int cycle, int phase0,
                                  int halfwidth, const std::vector<double>& medians) {
  if (cycle < 2 || end > y.size()) {
    return {};
  }
  const size_t m = static_cast<size_t>(cycle);
  const size_t cycles = end / m;
  if (cycles < 1 || medians.size() < cycles) {
    return {};
  }
  const size_t begin = end - cycles * m;
  // Deviations from each cycle's own median, so that level shifts between
  // days do not leak into the profile.
  std::vector<double> dev(cycles * m);
  for (size_t c = 0; c < cycles; ++c) {
    const size_t b = begin + c * m;
    const double med = medians[c];
    for (size_t i = 0; i < m; ++i) {
      dev[c * m + i] = y[b + i] - med;
    }
  }
  // Per phase, the median over cycles; then a running median over +-halfwidth
  // phases (median of medians: close to pooling them, at a fraction of the cost).
  std::vector<double> per_phase(m), column(cycles);
  for (size_t i = 0; i < m; ++i) {
    for (size_t c = 0; c < cycles; ++c) {
      column[c] = dev[c * m + i];
    }
    per_phase[(static_cast<size_t>(phase0) + begin + i) % m] = median_inplace(column);
  }
  const long hw = std::clamp<long>(halfwidth, 0, static_cast<long>(m - 1) / 2);
  std::vector<double> profile(m);
  std::vector<double> near(static_cast<size_t>(2 * hw + 1));
  for (size_t i = 0; i < m; ++i) {
    for (long k = -hw; k <= hw; ++k) {
      near[static_cast<size_t>(k + hw)] = per_phase[static_cast<size_t>(
          (static_cast<long>(i) + k + static_cast<long>(m)) % static_cast<long>(m))];
    }
    profile[i] = median_inplace(near);
  }
  std::vector<double> copy(profile);
  const double centre = median_inplace(copy);
  for (double& v : profile) {
    v -= centre;
  }
  return profile;
}

double season_strength(const std::vector<double>& y, size_t end, int cycle, int phase0,
                       int halfwidth) {
  if (cycle < 2 || end > y.size()) {
    return 0.0;
  }
  const size_t m = static_cast<size_t>(cycle);
  const size_t cycles = end / m;
  if (cycles < 2) {
    return 1.0;
  }
  const size_t begin = end - cycles * m;
  // Deviations from each cycle's median, split into the even and the odd
  // cycles (each half laid out as a series of whole cycles).
  std::vector<double> half[2], scratch;
  for (size_t c = 0; c < cycles; ++c) {
    const size_t b = begin + c * m;
    const double med = median_of_range(y, b, b + m, scratch);
    for (size_t i = 0; i < m; ++i) {
      half[c % 2].push_back(y[b + i] - med);
    }
  }
  // Phase of the first row of each half: both start at a cycle boundary.
  const int first_phase = static_cast<int>((static_cast<size_t>(phase0) + begin) % m);
  double strength = 0.0;
  for (int k = 0; k < 2; ++k) {
    const std::vector<double>& fit = half[k];
    const std::vector<double>& test = half[1 - k];
    const std::vector<double> prof = daily_profile(fit, fit.size(), cycle, first_phase, halfwidth);
    double total = 0.0, left = 0.0;
    for (size_t i = 0; i < test.size(); ++i) {
      total += test[i] * test[i];
      const double r = test[i] - prof[(static_cast<size_t>(first_phase) + i) % m];
      left += r * r;
    }
    strength += total > 0.0 ? 0.5 * (1.0 - left / total) : 0.0;
  }
  return strength;
}

namespace {
// y[0, end) less the daily profile of `season` (a copy).
std::vector<double> without_daily(const std::vector<double>& y, size_t end,
                                  const seasonality& season) {
  std::vector<double> rest(y.begin(), y.begin() + static_cast<long>(end));
  if (!season.profile.empty()) {
    const size_t m = season.profile.size();
    for (size_t i = 0; i < end; ++i) {
      rest[i] -= season.profile[(static_cast<size_t>(season.phase0) + i) % m];
    }
  }
  return rest;
}
} // namespace

seasonality estimate_seasonality(const std::vector<double>& y, size_t end, int cycle, int phase0,
                                 int week, int week_phase0, const robust_settings& st,
                                 const std::vector<double>& day_medians) {
  seasonality out;
  end = std::min(end, y.size());
  if (cycle >= 2 && end >= static_cast<size_t>(cycle)) {
    out.cycle = cycle;
    out.phase0 = phase0;
    out.profile = day_medians.empty()
                      ? daily_profile(y, end, cycle, phase0, st.profile_halfwidth)
                      : daily_profile(y, end, cycle, phase0, st.profile_halfwidth, day_medians);
  }
  if (week >= 2 && week > out.cycle
      && end >= static_cast<size_t>(week) * static_cast<size_t>(std::max(st.min_week_cycles, 2))) {
    out.week = week;
    out.week_phase0 = week_phase0;
    // The weekly profile is what the daily one leaves: the difference
    // between days of the week (and their hours).
    const std::vector<double> rest = without_daily(y, end, out);
    out.week_strength = season_strength(rest, end, week, week_phase0, st.profile_halfwidth);
    if (out.week_strength >= st.min_season_strength) {
      out.week_profile = daily_profile(rest, end, week, week_phase0, st.profile_halfwidth);
    }
  }
  return out;
}

seasonality refit_seasonality(const seasonality& like, const std::vector<double>& y, size_t end,
                              const robust_settings& st, const std::vector<double>& day_medians) {
  seasonality out = like;
  end = std::min(end, y.size());
  if (!like.profile.empty()) {
    out.profile =
        day_medians.empty()
            ? daily_profile(y, end, like.cycle, like.phase0, st.profile_halfwidth)
            : daily_profile(y, end, like.cycle, like.phase0, st.profile_halfwidth, day_medians);
  }
  if (!like.week_profile.empty()) {
    out.week_profile = daily_profile(without_daily(y, end, out), end, like.week, like.week_phase0,
                                     st.profile_halfwidth);
  }
  return out;
}

prepared_series prepare(std::vector<double> y, std::vector<double> profile, int cycle, int phase0,
                        const robust_settings& st) {
  seasonality season;
  season.cycle = profile.empty() ? 0 : cycle;
  season.profile = std::move(profile);
  season.phase0 = phase0;
  return prepare(std::move(y), std::move(season), st);
}

prepared_series prepare(std::vector<double> y, seasonality season, const robust_settings& st) {
  prepared_series p;
  p.y = std::move(y);
  p.profile = std::move(season.profile);
  p.cycle = season.cycle;
  p.phase0 = season.phase0;
  p.week_profile = std::move(season.week_profile);
  p.week = season.week;
  p.week_phase0 = season.week_phase0;
  const size_t n = p.y.size();
  p.d.resize(n);
  if (p.profile.empty()) {
    for (size_t i = 0; i < n; ++i) {
      p.d[i] = p.y[i] - 0.0;
    }
  } else {
    // p.seasonal(i) with the phase stepped instead of a division per row.
    const size_t m = p.profile.size();
    size_t phase = static_cast<size_t>(p.phase0) % m;
    for (size_t i = 0; i < n; ++i) {
      p.d[i] = p.y[i] - p.profile[phase];
      if (++phase == m) {
        phase = 0;
      }
    }
  }
  if (!p.week_profile.empty()) {
    const size_t w = p.week_profile.size();
    size_t phase = static_cast<size_t>(p.week_phase0) % w;
    for (size_t i = 0; i < n; ++i) {
      p.d[i] -= p.week_profile[phase];
      if (++phase == w) {
        phase = 0;
      }
    }
  }
  p.cum.resize(n + 1);
  p.cum_d.resize(n + 1);
  p.cum[0] = 0.0;
  p.cum_d[0] = 0.0;
  for (size_t i = 0; i < n; ++i) {
    p.cum[i + 1] = p.cum[i] + p.y[i];
    p.cum_d[i + 1] = p.cum_d[i] + p.d[i];
  }
  // Clip threshold from the typical one-step change: the median keeps spikes
  // out of it; a fraction of the mean covers step-like series whose median
  // change is 0.
  std::vector<double> diffs;
  diffs.reserve(n);
  double mean_abs = 0.0;
  for (size_t i = 1; i < n; ++i) {
    diffs.push_back(std::fabs(p.d[i] - p.d[i - 1]));
    mean_abs += diffs.back();
  }
  mean_abs = diffs.empty() ? 0.0 : mean_abs / static_cast<double>(diffs.size());
  const double robust_sigma = std::max(1.4826 * median_inplace(diffs), 0.2 * mean_abs);
  // The shift test uses the larger of the robust sigma and the mean change:
  // on bursty series (frequent spikes) it then stays quiet rather than
  // mistaking every burst for a new level.
  p.noise_sigma = std::max(robust_sigma, mean_abs);
  const double limit =
      robust_sigma > 0.0 ? st.clip * robust_sigma : std::numeric_limits<double>::infinity();
  p.es.resize(n + 1);
  es_state s;
  if (n > 0) {
    std::vector<double> scratch;
    s.level =
        median_of_range(p.d, 0, std::min<size_t>(n, static_cast<size_t>(st.short_window)), scratch);
  }
  p.es[0] = s;
  for (size_t i = 0; i < n; ++i) {
    const double predicted = s.level + st.phi * s.trend;
    const double e = std::clamp(p.d[i] - predicted, -limit, limit);
    s.level = predicted + st.alpha * e;
    s.trend = st.phi * s.trend + st.beta * e;
    p.es[i + 1] = s;
  }
  return p;
}

origin_summary summarise(const prepared_series& p, size_t t, const robust_settings& st,
                         std::vector<double>& scratch) {
  origin_summary s;
  if (t == 0) {
    return s;
  }
  const size_t ks = std::min(t, static_cast<size_t>(st.short_window));
  const size_t kl = std::min(t, static_cast<size_t>(st.long_window));
  s.med_short = median_of_range(p.y, t - ks, t, scratch);
  s.med_long = median_of_range(p.y, t - kl, t, scratch);
  s.med_mid = median_of_range(p.y, t - std::min(t, 2 * ks), t, scratch);
  s.med_short_d = p.profile.empty() ? s.med_short : median_of_range(p.d, t - ks, t, scratch);
  double sum = 0.0, lo = p.y[t - ks], hi = lo;
  for (size_t i = t - ks; i < t; ++i) {
    sum += p.y[i];
    lo = std::min(lo, p.y[i]);
    hi = std::max(hi, p.y[i]);
  }
  s.mean_short = sum / static_cast<double>(ks);
  s.mid_short = 0.5 * (lo + hi);
  const size_t kr = std::min(t, static_cast<size_t>(std::max(st.shift_rows, 1)));
  const double med_recent = median_of_range(p.y, t - kr, t, scratch);
  s.level_shift =
      p.noise_sigma > 0.0 && std::fabs(med_recent - s.med_long) > st.shift_sigmas * p.noise_sigma;
  detect_trend(p.d, t, p.noise_sigma, st, s);
  const size_t m = static_cast<size_t>(p.cycle);
  if (m > 0 && t >= m + ks) {
    s.med_prev_cycle = median_of_range(p.y, t - m - ks, t - m, scratch);
    s.has_prev_cycle = true;
  }
  summarise_cycles(p, t, st, s);
  return s;
}

namespace {
// The drift per row of the means of the `back` + 1 whole cycles of m rows
// before t (from the day-over-day changes of the means); `significant`
// false (and 0 returned) when it is not distinguishable from their
// wandering: |mean change| below z standard errors (a day of incident
// traffic moves one mean; a drift moves them all).
double significant_drift(const prepared_series& p, size_t t, size_t m, size_t back, double z,
                         bool& significant) {
  auto mean = [&](size_t a, size_t b) { return p.mean(a, b); };
  double sum = 0.0, sum2 = 0.0;
  double newer = mean(t - m, t);
  for (size_t j = 1; j <= back; ++j) {
    const double older = mean(t - (j + 1) * m, t - j * m);
    const double change = newer - older;
    sum += change;
    sum2 += change * change;
    newer = older;
  }
  const double k = static_cast<double>(back);
  const double avg = sum / k;
  if (back >= 2) {
    const double var = std::max(0.0, (sum2 - k * avg * avg) / (k - 1.0));
    if (std::fabs(avg) < z * std::sqrt(var / k)) {
      significant = false;
      return 0.0;
    }
  }
  significant = true;
  return avg / static_cast<double>(m);
}
} // namespace

void summarise_cycles(const prepared_series& p, size_t t, const robust_settings& st,
                      origin_summary& s) {
  const size_t m = static_cast<size_t>(p.cycle);
  if (m > 0 && t >= 2 * m) {
    const size_t back =
        std::min<size_t>(t / m - 1, static_cast<size_t>(std::max(st.drift_cycles, 1)));
    s.has_cycle_drift = true;
    s.drift = significant_drift(p, t, m, back, st.drift_z, s.drift_significant);
  }
  const size_t w = static_cast<size_t>(p.week);
  const size_t level_rows = m > 0 ? m : static_cast<size_t>(std::max(st.short_window, 1));
  if (w > 0 && t >= w + level_rows) {
    s.has_week_shift = true;
    s.week_shift = p.mean(t - level_rows, t) - p.mean(t - level_rows - w, t - w);
  }
}

std::array<bool, candidate_count> usable_candidates(const prepared_series& p, size_t first_origin) {
  std::array<bool, candidate_count> u{};
  u.fill(true);
  const size_t m = static_cast<size_t>(p.cycle);
  const bool drift = m > 0 && first_origin >= 2 * m;
  u[candidate_seasonal_naive_drift] = drift;
  const bool weekly = p.week > 0 && first_origin >= static_cast<size_t>(p.week);
  u[candidate_weekly_naive] = weekly;
  u[candidate_weekly_naive_shifted] = weekly;
  return u;
}

namespace {
// le = number of w[0, size) <= v, lt = number < old (for sorted w: the
// upper bound of v and the lower bound of old).
inline void count_le_lt(const double* w, size_t size, double v, double old, size_t& le,
                        size_t& lt) {
  size_t q = 0;
#if defined(__SSE2__)
  __m128i acc_le = _mm_setzero_si128(), acc_lt = _mm_setzero_si128();
  const __m128d vv = _mm_set1_pd(v), vo = _mm_set1_pd(old);
  for (; q + 2 <= size; q += 2) {
    const __m128d x = _mm_loadu_pd(w + q);
    // A true comparison is all ones, -1 as an integer.
    acc_le = _mm_sub_epi64(acc_le, _mm_castpd_si128(_mm_cmple_pd(x, vv)));
    acc_lt = _mm_sub_epi64(acc_lt, _mm_castpd_si128(_mm_cmplt_pd(x, vo)));
  }
  alignas(16) int64_t a[2], b[2];
  _mm_store_si128(reinterpret_cast<__m128i*>(a), acc_le);
  _mm_store_si128(reinterpret_cast<__m128i*>(b), acc_lt);
  le = static_cast<size_t>(a[0] + a[1]);
  lt = static_cast<size_t>(b[0] + b[1]);
#else
  le = 0;
  lt = 0;
#endif
  for (; q < size; ++q) {
    le += w[q] <= v ? 1 : 0;
    lt += w[q] < old ? 1 : 0;
  }
}
} // namespace

void detect_trend(const std::vector<double>& d, size_t t, double noise_sigma,
                  const robust_settings& st, origin_summary& s) {
  s.trend = false;
  const int k = st.trend_rows;
  if (k < 3 || t < static_cast<size_t>(k) || !(noise_sigma > 0.0) || k > 64) {
    return;
  }
  const double* x = d.data() + (t - static_cast<size_t>(k));
  auto sign = [](double v) { return v > 0.0 ? 1 : (v < 0.0 ? -1 : 0); };
  // Mann-Kendall: S over all pairs, and over the pairs of the newer half.
  // Significance needs |S| >= s_min, i.e. at most `slack` pairs against the
  // majority: the scan stops as soon as both directions exceed it (on noise,
  // after a few pairs).
  const int half = k / 2;
  const int pairs = k * (k - 1) / 2;
  const double var = static_cast<double>(k) * (k - 1) * (2 * k + 5) / 18.0;
  const int s_min = static_cast<int>(std::ceil(st.trend_z * std::sqrt(var) + 1.0));
  if (s_min > pairs) {
    return;
  }
  const int slack = (pairs - s_min) / 2;
  int up = 0, down = 0, S_new = 0;
  for (int i = 0; i < k; ++i) {
    for (int j = i + 1; j < k; ++j) {
      const int sg = sign(x[j] - x[i]);
      up += sg > 0;
      down += sg < 0;
      if (i >= k - half) {
        S_new += sg;
      }
    }
    if (up > slack && down > slack) {
      return;
    }
  }
  const int S = up - down;
  const int pairs_new = half * (half - 1) / 2;
  // The newer half must rise too: a step in the middle of the window makes
  // S significant, but its newer half is flat.
  if (std::abs(S) < s_min || S * S_new <= 0 || 2 * std::abs(S_new) < pairs_new) {
    return;
  }
  // Theil-Sen: median of the pairwise slopes, anchored at the newest row.
  std::array<double, 64 * 63 / 2> slopes;
  size_t count = 0;
  for (int i = 0; i < k; ++i) {
    for (int j = i + 1; j < k; ++j) {
      slopes[count++] = (x[j] - x[i]) / static_cast<double>(j - i);
    }
  }
  std::nth_element(slopes.begin(), slopes.begin() + static_cast<long>(count / 2),
                   slopes.begin() + static_cast<long>(count));
  const double b = slopes[count / 2];
  if (sign(b) != sign(static_cast<double>(S))
      || std::fabs(b) * static_cast<double>(k - 1) < st.trend_sigmas * noise_sigma) {
    return;
  }
  // The newer half's own slope must keep at least half the pace: a burst
  // that decays (or a step) has a steep overall slope but a flat newer half.
  size_t count_new = 0;
  for (int i = k - half; i < k; ++i) {
    for (int j = i + 1; j < k; ++j) {
      slopes[count_new++] = (x[j] - x[i]) / static_cast<double>(j - i);
    }
  }
  std::nth_element(slopes.begin(), slopes.begin() + static_cast<long>(count_new / 2),
                   slopes.begin() + static_cast<long>(count_new));
  const double b_new = slopes[count_new / 2];
  if (b_new * b <= 0.0 || std::fabs(b_new) < st.trend_keep_pace * std::fabs(b)) {
    return;
  }
  std::array<double, 64> at_end;
  for (int i = 0; i < k; ++i) {
    at_end[static_cast<size_t>(i)] = x[i] + b * static_cast<double>(k - 1 - i);
  }
  std::nth_element(at_end.begin(), at_end.begin() + k / 2, at_end.begin() + k);
  double anchor = at_end[static_cast<size_t>(k / 2)];
  if (k % 2 == 0) {
    anchor = 0.5 * (anchor + *std::max_element(at_end.begin(), at_end.begin() + k / 2));
  }
  s.trend = true;
  s.trend_slope = b;
  s.trend_anchor = anchor;
}

std::vector<double> sliding_medians(const std::vector<double>& x, size_t first, size_t last,
                                    size_t k) {
  std::vector<double> out;
  if (last <= first || k == 0) {
    return out;
  }
  out.reserve(last - first);
  std::vector<double> window; // sorted values of x[t - k', t)
  const size_t start = first > k ? first - k : 0;
  window.assign(x.begin() + static_cast<long>(start), x.begin() + static_cast<long>(first));
  std::sort(window.begin(), window.end());
  for (size_t t = first; t < last; ++t) {
    if (t > first) {
      // Row t - 1 enters, row t - 1 - k leaves (when it was inside): the
      // first copy of the old value is removed and the new value goes after
      // its equals, done as one shift of the values in between. The windows
      // are short, so the positions are counted without branches rather
      // than searched (count of <= v is upper_bound, of < old lower_bound).
      const double v = x[t - 1];
      double* w = window.data();
      const size_t size = window.size();
      if (t - 1 >= k) {
        size_t j = 0, i = 0;
        count_le_lt(w, size, v, x[t - 1 - k], j, i);
        if (j > i) {
          for (size_t q = i; q + 1 < j; ++q) {
            w[q] = w[q + 1];
          }
          w[j - 1] = v;
        } else {
          for (size_t q = i; q > j; --q) {
            w[q] = w[q - 1];
          }
          w[j] = v;
        }
      } else {
        window.insert(std::upper_bound(window.begin(), window.end(), v), v);
      }
    }
    const size_t n = window.size();
    out.push_back(n == 0 ? 0.0
                         : (n % 2 ? window[n / 2] : 0.5 * (window[n / 2 - 1] + window[n / 2])));
  }
  return out;
}

std::vector<origin_summary> summarise_range(const prepared_series& p, size_t first, size_t last,
                                            const robust_settings& st) {
  std::vector<origin_summary> out;
  if (last <= first) {
    return out;
  }
  const size_t ks = static_cast<size_t>(std::max(st.short_window, 1));
  const auto med_short = sliding_medians(p.y, first, last, ks);
  const auto med_mid = sliding_medians(p.y, first, last, 2 * ks);
  const auto med_long =
      sliding_medians(p.y, first, last, static_cast<size_t>(std::max(st.long_window, 1)));
  const auto med_recent =
      sliding_medians(p.y, first, last, static_cast<size_t>(std::max(st.shift_rows, 1)));
  const auto med_short_d = p.profile.empty() ? med_short : sliding_medians(p.d, first, last, ks);
  const size_t m = static_cast<size_t>(p.cycle);
  std::vector<double> med_prev;
  size_t prev_first = 0;
  if (m > 0 && last > m + ks) {
    prev_first = std::max(first, m + ks);
    med_prev = sliding_medians(p.y, prev_first - m, last - m, ks);
  }
  std::vector<double> scratch;
  out.reserve(last - first);
  for (size_t t = first; t < last; ++t) {
    const size_t i = t - first;
    origin_summary s;
    if (t == 0) {
      out.push_back(s);
      continue;
    }
    s.med_short = med_short[i];
    s.med_mid = med_mid[i];
    s.med_long = med_long[i];
    s.med_short_d = med_short_d[i];
    const size_t kk = std::min(t, ks);
    double sum = 0.0, lo = p.y[t - kk], hi = lo;
    for (size_t j = t - kk; j < t; ++j) {
      sum += p.y[j];
      lo = std::min(lo, p.y[j]);
      hi = std::max(hi, p.y[j]);
    }
    s.mean_short = sum / static_cast<double>(kk);
    s.mid_short = 0.5 * (lo + hi);
    s.level_shift = p.noise_sigma > 0.0
                    && std::fabs(med_recent[i] - s.med_long) > st.shift_sigmas * p.noise_sigma;
    if (!med_prev.empty() && t >= prev_first) {
      s.med_prev_cycle = med_prev[t - prev_first];
      s.has_prev_cycle = true;
    }
    detect_trend(p.d, t, p.noise_sigma, st, s);
    summarise_cycles(p, t, st, s);
    out.push_back(s);
  }
  return out;
}

std::array<double, candidate_count> candidate_forecasts(const prepared_series& p, size_t t, int h,
                                                        const origin_summary& s, const es_state& es,
                                                        const robust_settings& st) {
  return candidate_forecasts_given(p, t, h, s, es, damped_trend_factor(st.phi, h),
                                   p.seasonal(t + static_cast<size_t>(h) - 1));
}

} // namespace grace::forecaster
