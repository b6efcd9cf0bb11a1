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

// sorted_weighted_quantile at several levels in one pass (same sums, same
// comparisons, hence the same values).
template <size_t N>
std::array<double, N> sorted_weighted_quantiles(const std::vector<std::pair<double, double>>& vw,
                                                const std::array<double, N>& levels) {
  std::array<double, N> out{};
  if (vw.empty()) {
    return out;
  }
  double total = 0.0;
  for (const auto& p : vw) {
    total += p.second;
  }
  std::array<double, N> target{};
  std::array<bool, N> found{};
  for (size_t k = 0; k < N; ++k) {
    target[k] = std::clamp(levels[k], 0.0, 1.0) * total;
    out[k] = vw.back().first;
  }
  size_t left = N;
  double acc = 0.0;
  for (const auto& p : vw) {
    acc += p.second;
    for (size_t k = 0; k < N; ++k) {
      if (!found[k] && acc >= target[k]) {
        found[k] = true;
        out[k] = p.first;
        --left;
      }
    }
    if (left == 0) {
      break;
    }
  }
  return out;
}
} // namespace

double weighted_quantile(std::vector<std::pair<double, double>>& vw, double level) {
  std::sort(vw.begin(), vw.end());
  return sorted_weighted_quantile(vw, level);
}

conformal_calibration
conformal_calibration::calibrate(const std::vector<std::vector<calibration_sample>>& samples,
                                 double half_life) {
  const size_t H = samples.size();
  std::vector<interval_offsets> out(H);
  std::vector<bool> done(H, false);
  std::vector<std::pair<double, double>> vw;
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
  for (size_t h = 0; h < H; ++h) {
    if (samples[h].empty()) {
      continue;
    }
    vw.clear();
    vw.reserve(samples[h].size());
    double wsum = 0.0, w2sum = 0.0;
    for (const auto& s : samples[h]) {
      const double w = weight_of(s.age);
      vw.emplace_back(s.residual, w);
      wsum += w;
      w2sum += w * w;
    }
    // Finite-sample correction of split conformal, (n + 1) / n on the tail
    // mass, with n the effective sample size of the weights.
    const double n_eff = w2sum > 0.0 ? wsum * wsum / w2sum : 1.0;
    auto level = [&](double tail_mass, bool upper) {
      const double t = std::max(0.0, tail_mass * (n_eff + 1.0) / n_eff - 1.0 / n_eff);
      return upper ? 1.0 - t : t;
    };
    std::sort(vw.begin(), vw.end());
    const std::array<double, 4> q = sorted_weighted_quantiles(
        vw, std::array<double, 4>{level(0.10, false), level(0.10, true), level(0.025, false),
                                  level(0.025, true)});
    interval_offsets o;
    o.lo80 = q[0];
    o.hi80 = q[1];
    o.lo95 = q[2];
    o.hi95 = q[3];
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
