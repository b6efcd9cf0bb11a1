#pragma once
// Reward arithmetic shared by the scenario worlds (bench/rl_agent): rewards
// are a normal effect clipped to [-1, 1], and a world's best candidate is the
// one with the highest expected clipped reward.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace grace::rl {

inline double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

inline double normal_pdf(double x) {
  return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
}

/// E[clip(mu + sd * Z, -1, 1)] for standard normal Z.
inline double expected_clipped(double mu, double sd) {
  const double a = (-1.0 - mu) / sd, b = (1.0 - mu) / sd;
  const double inside = mu * (normal_cdf(b) - normal_cdf(a)) + sd * (normal_pdf(a) - normal_pdf(b));
  return -normal_cdf(a) + (1.0 - normal_cdf(b)) + inside;
}

inline std::size_t argmax(const std::vector<double>& v) {
  return static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

} // namespace grace::rl
