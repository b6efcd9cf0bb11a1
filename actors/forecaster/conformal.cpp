#include "actors/forecaster/conformal.hpp"

#include <algorithm>
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
  for (size_t h = 0; h < H; ++h) {
    if (samples[h].empty()) {
      continue;
    }
    vw.clear();
    double wsum = 0.0, w2sum = 0.0;
    for (const auto& s : samples[h]) {
      const double w = std::exp(-decay * s.age);
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
    interval_offsets o;
    o.lo80 = sorted_weighted_quantile(vw, level(0.10, false));
    o.hi80 = sorted_weighted_quantile(vw, level(0.10, true));
    o.lo95 = sorted_weighted_quantile(vw, level(0.025, false));
    o.hi95 = sorted_weighted_quantile(vw, level(0.025, true));
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
