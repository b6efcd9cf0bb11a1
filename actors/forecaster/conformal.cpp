#include "actors/forecaster/conformal.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace grace::forecaster {

namespace {
// vw sorted by value.
double sorted_weighted_quantile(const std::vector<std::pair<double, double>>& vw, double level) {
  if (vw.empty()) {
    return 0.0;
  }
  double total = 0.0;
  for (const auto& p : vw) {
    total += p.second;
  }
  const double target = std::clamp(level, 0.0, 1.0) * total;
  double acc = 0.0;
  for (const auto& p : vw) {
    acc += p.second;
    if (acc >= target) {
      return p.first;
    }
  }
  return vw.back().first;
}

// Weighted quantiles of the union of several lists, each sorted by value,
// `total` the sum of all their weights: the values sorted_weighted_quantile
// gives at each level on their merge (equal values aside, which are interchangeable).
// Levels up to 1/2 are found walking up from the smallest values, the
// others walking down from the largest: interval levels sit in the tails,
// so only about a tenth of the values is visited at each end.
template <size_t N>
std::array<double, N>
pooled_weighted_quantiles(const std::vector<const std::vector<std::pair<double, double>>*>& lists,
                          double total, const std::array<double, N>& levels) {
  std::array<double, N> out{};
  std::array<double, N> target{};
  std::array<size_t, N> order{}; // levels ascending
  for (size_t k = 0; k < N; ++k) {
    order[k] = k;
    target[k] = std::clamp(levels[k], 0.0, 1.0) * total;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return levels[a] < levels[b]; });
  const size_t L = lists.size();
  std::vector<size_t> at(L, 0);
  // Walking up: the first value whose cumulative weight reaches the target.
  size_t low = 0; // order[0, low) found
  size_t split = 0;
  while (split < N && levels[order[split]] <= 0.5) {
    ++split;
  }
  double acc = 0.0;
  double last = 0.0;
  bool seen = false;
  while (low < split) {
    size_t best = L;
    for (size_t k = 0; k < L; ++k) {
      if (at[k] < lists[k]->size()
          && (best == L || (*lists[k])[at[k]].first < (*lists[best])[at[best]].first)) {
        best = k;
      }
    }
    if (best == L) {
      break; // all walked: the largest value (below)
    }
    const auto& p = (*lists[best])[at[best]++];
    acc += p.second;
    last = p.first;
    seen = true;
    while (low < split && acc >= target[order[low]]) {
      out[order[low++]] = p.first;
    }
  }
  for (; low < split; ++low) {
    out[order[low]] = last;
  }
  if (!seen && split > 0) {
    return out; // no values at all
  }
  // Walking down: the cumulative weight up to a value is total less the
  // weight above it, and falls as we go; a level's quantile is the last
  // value walked whose cumulative weight still reaches its target (the
  // largest value when none does).
  for (size_t k = 0; k < L; ++k) {
    at[k] = lists[k]->size();
  }
  size_t high = N; // order[split, high) still open, the largest level last
  std::array<double, N> candidate{};
  bool first = true;
  double largest = 0.0;
  double above = 0.0;
  while (high > split) {
    size_t best = L;
    for (size_t k = 0; k < L; ++k) {
      if (at[k] > 0
          && (best == L || (*lists[k])[at[k] - 1].first > (*lists[best])[at[best] - 1].first)) {
        best = k;
      }
    }
    if (best == L) {
      break; // all walked: the smallest value is the last candidate
    }
    const auto& p = (*lists[best])[--at[best]];
    if (first) {
      largest = p.first;
      for (size_t j = split; j < high; ++j) {
        candidate[order[j]] = largest;
      }
      first = false;
    }
    const double cumulative = total - above;
    while (high > split && cumulative < target[order[high - 1]]) {
      out[order[high - 1]] = candidate[order[high - 1]];
      --high;
    }
    for (size_t j = split; j < high; ++j) {
      candidate[order[j]] = p.first;
    }
    above += p.second;
  }
  for (size_t j = split; j < high; ++j) {
    out[order[j]] = candidate[order[j]];
  }
  return out;
}
} // namespace

std::vector<double> phase_spread(const std::vector<double>& y, int cycle, int phase0, int halfwidth,
                                 int min_days) {
  const size_t c = static_cast<size_t>(std::max(cycle, 0));
  if (c == 0 || min_days < 2 || y.size() < (static_cast<size_t>(min_days) + 1) * c) {
    return {};
  }
  // Changes by phase: all days, the even days and the odd days.
  std::array<std::vector<std::vector<double>>, 3> by_phase;
  for (auto& v : by_phase) {
    v.assign(c, {});
  }
  for (size_t t = c; t < y.size(); ++t) {
    const size_t p = (static_cast<size_t>(std::max(phase0, 0)) + t) % c;
    const double d = std::fabs(y[t] - y[t - c]);
    if (!std::isfinite(d)) {
      return {};
    }
    by_phase[0][p].push_back(d);
    by_phase[1 + (t / c) % 2][p].push_back(d);
  }
  const long hw = std::max(halfwidth, 0);
  std::array<std::vector<double>, 3> smooth;
  std::array<double, 3> mean{};
  std::vector<double> raw(c);
  for (size_t k = 0; k < 3; ++k) {
    for (size_t p = 0; p < c; ++p) {
      auto& v = by_phase[k][p];
      const auto mid = v.begin() + static_cast<long>(v.size() / 2);
      std::nth_element(v.begin(), mid, v.end());
      raw[p] = *mid;
    }
    smooth[k].assign(c, 0.0);
    for (size_t p = 0; p < c; ++p) {
      double a = 0.0;
      for (long j = -hw; j <= hw; ++j) {
        const long q = (static_cast<long>(p) + j) % static_cast<long>(c);
        a += raw[static_cast<size_t>(q < 0 ? q + static_cast<long>(c) : q)];
      }
      smooth[k][p] = a / static_cast<double>(2 * hw + 1);
      mean[k] += smooth[k][p] / static_cast<double>(c);
    }
  }
  if (!(mean[0] > 0.0)) {
    return {};
  }
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (size_t p = 0; p < c; ++p) {
    const double a = smooth[1][p] - mean[1], b = smooth[2][p] - mean[2];
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
  // The halves must agree beyond chance: r above the one-sided 5% level
  // of a correlation of independent profiles, with the smoothing leaving
  // about cycle / (2 halfwidth + 1) independent phases.
  const double r = aa > 0.0 && bb > 0.0 ? ab / std::sqrt(aa * bb) : 0.0;
  const double independent = static_cast<double>(c) / static_cast<double>(2 * hw + 1);
  if (!(r > 1.645 / std::sqrt(independent))) {
    return {};
  }
  const double reliability = 2.0 * r / (1.0 + r);
  std::vector<double> out(c);
  for (size_t p = 0; p < c; ++p) {
    out[p] = std::max(0.2, 1.0 + reliability * (smooth[0][p] / mean[0] - 1.0));
  }
  return out;
}

double weighted_quantile(std::vector<std::pair<double, double>>& vw, double level) {
  std::sort(vw.begin(), vw.end());
  return sorted_weighted_quantile(vw, level);
}

conformal_calibration
conformal_calibration::calibrate(const std::vector<std::vector<calibration_sample>>& samples,
                                 double half_life, int band, double dependence) {
  const size_t H = samples.size();
  std::vector<interval_offsets> out(H);
  std::vector<bool> done(H, false);
  const double decay = half_life > 0.0 ? std::log(2.0) / half_life : 0.0;
  // Ages are whole rows, and the same few hundred recur for every horizon:
  // their weights are computed once (same expression, same value).
  std::vector<double> age_weight;
  auto weight_of = [&](double age) {
    if (age >= 0.0 && age < 65536.0 && age == std::floor(age)) {
      const size_t a = static_cast<size_t>(age);
      while (age_weight.size() <= a) {
        age_weight.push_back(std::exp(-decay * static_cast<double>(age_weight.size())));
      }
      return age_weight[a];
    }
    return std::exp(-decay * age);
  };
  // Each horizon's (residual, weight) sorted once, with its weight sums;
  // a pooled horizon merges its neighbours' sorted lists.
  std::vector<std::vector<std::pair<double, double>>> sorted(H);
  std::vector<double> wsums(H, 0.0), w2sums(H, 0.0);
  for (size_t h = 0; h < H; ++h) {
    auto& vw = sorted[h];
    vw.reserve(samples[h].size());
    for (const auto& s : samples[h]) {
      const double w = weight_of(s.age);
      vw.emplace_back(s.residual, w);
      wsums[h] += w;
      w2sums[h] += w * w;
    }
    std::sort(vw.begin(), vw.end());
  }
  const size_t reach = static_cast<size_t>(std::max(band, 0));
  std::vector<const std::vector<std::pair<double, double>>*> lists;
  for (size_t h = 0; h < H; ++h) {
    if (samples[h].empty()) {
      continue;
    }
    const size_t first = h >= reach ? h - reach : 0;
    const size_t last = std::min(H - 1, h + reach);
    lists.clear();
    double wsum = 0.0, w2sum = 0.0;
    for (size_t k = first; k <= last; ++k) {
      lists.push_back(&sorted[k]);
      wsum += wsums[k];
      w2sum += w2sums[k];
    }
    // Finite-sample correction of split conformal, (n + 1) / n on the tail
    // mass, with n the effective sample size of the weights.
    const double n_eff = w2sum > 0.0 ? wsum * wsum / w2sum : 1.0;
    auto level = [&](double tail_mass, bool upper) {
      const double t = std::max(0.0, tail_mass * (n_eff + 1.0) / n_eff - 1.0 / n_eff);
      return upper ? 1.0 - t : t;
    };
    const std::array<double, 4> q =
        pooled_weighted_quantiles(lists, wsum,
                                  std::array<double, 4>{level(0.10, false), level(0.10, true),
                                                        level(0.025, false), level(0.025, true)});
    const double own_n = w2sums[h] > 0.0 ? wsums[h] * wsums[h] / w2sums[h] : 1.0;
    const double widen =
        std::sqrt(1.0 + std::max(dependence, 0.0) * static_cast<double>(h + 1) / own_n);
    interval_offsets o;
    o.lo80 = q[0] * widen;
    o.hi80 = q[1] * widen;
    o.lo95 = q[2] * widen;
    o.hi95 = q[3] * widen;
    o.lo95 = std::min(o.lo95, o.lo80);
    o.hi95 = std::max(o.hi95, o.hi80);
    out[h] = o;
    done[h] = true;
  }
  for (size_t h = 0; h < H; ++h) {
    if (done[h]) {
      continue;
    }
    // Borrow from the nearest calibrated horizon below (or above).
    long near = -1;
    for (long k = static_cast<long>(h) - 1; k >= 0; --k) {
      if (done[static_cast<size_t>(k)]) {
        near = k;
        break;
      }
    }
    for (size_t k = h + 1; near < 0 && k < H; ++k) {
      if (done[k]) {
        near = static_cast<long>(k);
      }
    }
    if (near < 0) {
      continue;
    }
    const double f = std::sqrt(static_cast<double>(h + 1) / static_cast<double>(near + 1));
    const interval_offsets& b = out[static_cast<size_t>(near)];
    out[h] = {b.lo80 * f, b.hi80 * f, b.lo95 * f, b.hi95 * f};
  }
  // Looking further ahead from the same origin does not make the forecast
  // more certain: each bound is at least as far out as at the horizon
  // before. Per horizon the quantiles are noisy (at long horizons they rest
  // on few independent errors: neighbouring origins miss together), and
  // the dips they leave were too narrow (M4 Hourly, 48 steps: 80% coverage
  // at steps 37-48 rose from 0.69 to 0.75, docs/evaluation/forecasting.md).
  for (size_t h = 1; h < H; ++h) {
    const interval_offsets& b = out[h - 1];
    interval_offsets& o = out[h];
    o.lo80 = std::min(o.lo80, b.lo80);
    o.hi80 = std::max(o.hi80, b.hi80);
    o.lo95 = std::min(o.lo95, b.lo95);
    o.hi95 = std::max(o.hi95, b.hi95);
  }
  return conformal_calibration(std::move(out));
}

interval_offsets conformal_calibration::offsets(int h) const {
  if (per_horizon_.empty() || h < 1) {
    return {};
  }
  const int H = horizons();
  if (h <= H) {
    return per_horizon_[static_cast<size_t>(h - 1)];
  }
  const double f = std::sqrt(static_cast<double>(h) / static_cast<double>(H));
  const interval_offsets& b = per_horizon_.back();
  return {b.lo80 * f, b.hi80 * f, b.lo95 * f, b.hi95 * f};
}

void conformal_calibration::observe(int h, double r, double step) {
  if (h < 1 || h > horizons() || !std::isfinite(r) || !(step > 0.0)) {
    return;
  }
  interval_offsets& o = per_horizon_[static_cast<size_t>(h - 1)];
  o.hi80 += step * ((r > o.hi80 ? 1.0 : 0.0) - 0.10);
  o.lo80 -= step * ((r < o.lo80 ? 1.0 : 0.0) - 0.10);
  o.hi95 += step * ((r > o.hi95 ? 1.0 : 0.0) - 0.025);
  o.lo95 -= step * ((r < o.lo95 ? 1.0 : 0.0) - 0.025);
  o.lo95 = std::min(o.lo95, o.lo80);
  o.hi95 = std::max(o.hi95, o.hi80);
}

} // namespace grace::forecaster
