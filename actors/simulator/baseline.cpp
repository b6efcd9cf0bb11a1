#include "actors/simulator/baseline.hpp"

#include <cmath>

namespace grace::simulator {

namespace {
constexpr int64_t day_ms = 24LL * 3600 * 1000;
constexpr double pi = 3.14159265358979323846;
} // namespace

double baseline_value(const metric_baseline& m, int64_t t_ms, int64_t start_ms) {
  const int64_t of_day = ((t_ms % day_ms) + day_ms) % day_ms;
  const double hour = static_cast<double>(of_day) / 3600000.0;
  const double daily = m.daily_amplitude * std::cos(2.0 * pi * (hour - m.daily_peak_hour) / 24.0);
  int64_t elapsed = t_ms > start_ms ? t_ms - start_ms : 0;
  if (m.trend_period_ms > 0)
    elapsed %= m.trend_period_ms;
  const double trend = m.trend_per_day * static_cast<double>(elapsed) / static_cast<double>(day_ms);
  return m.level + daily + trend;
}

} // namespace grace::simulator
