#include "actors/forecaster/series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace grace::forecaster {

series_input regularise(std::string id, const std::vector<int64_t>& timestamps_ms,
                        const std::vector<double>& values, int64_t step_ms) {
  if (timestamps_ms.size() != values.size()) {
    throw std::invalid_argument("regularise: " + std::to_string(timestamps_ms.size())
                                + " timestamps but " + std::to_string(values.size()) + " values");
  }
  series_input out;
  out.id = std::move(id);
  if (timestamps_ms.empty()) {
    if (step_ms > 0) {
      out.step_ms = step_ms;
    }
    return out;
  }
  std::vector<size_t> order(timestamps_ms.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return timestamps_ms[a] < timestamps_ms[b]; });
  if (step_ms <= 0) {
    step_ms = median_step_ms(timestamps_ms, out.step_ms);
  }
  out.step_ms = step_ms;
  out.start_ms = timestamps_ms[order.front()];
  const int64_t span = timestamps_ms[order.back()] - out.start_ms;
  const size_t rows = static_cast<size_t>((span + step_ms / 2) / step_ms) + 1;
  out.values.assign(rows, std::numeric_limits<double>::quiet_NaN());
  for (size_t i : order) {
    const auto slot =
        static_cast<size_t>((timestamps_ms[i] - out.start_ms + step_ms / 2) / step_ms);
    if (slot < rows && std::isnan(out.values[slot])) {
      out.values[slot] = values[i];
    }
  }
  return out;
}

int64_t median_step_ms(std::vector<int64_t> timestamps_ms, int64_t fallback) {
  std::sort(timestamps_ms.begin(), timestamps_ms.end());
  std::vector<int64_t> steps;
  steps.reserve(timestamps_ms.size());
  for (size_t i = 1; i < timestamps_ms.size(); ++i) {
    const int64_t d = timestamps_ms[i] - timestamps_ms[i - 1];
    if (d > 0) {
      steps.push_back(d);
    }
  }
  if (steps.empty()) {
    return fallback;
  }
  std::nth_element(steps.begin(), steps.begin() + static_cast<long>(steps.size() / 2), steps.end());
  return nominal_step_ms(steps[steps.size() / 2]);
}

int64_t nominal_step_ms(int64_t spacing_ms) {
  if (spacing_ms <= 0) {
    return spacing_ms;
  }
  const double s = static_cast<double>(spacing_ms);
  int64_t best = spacing_ms;
  double best_gap = 0.02 * s;
  auto consider = [&](int64_t candidate) {
    const double gap = std::fabs(static_cast<double>(candidate) - s);
    if (gap <= best_gap) {
      best_gap = gap;
      best = candidate;
    }
  };
  if (spacing_ms >= day_ms / 2) {
    consider(std::max<int64_t>(1, (spacing_ms + day_ms / 2) / day_ms) * day_ms);
  } else {
    static const std::vector<int64_t> divisors = [] {
      constexpr int64_t day_s = day_ms / 1000;
      std::vector<int64_t> out;
      for (int64_t d = 1; d <= day_s; ++d) {
        if (day_s % d == 0) {
          out.push_back(d * 1000);
        }
      }
      return out;
    }();
    for (int64_t d : divisors) {
      consider(d);
    }
  }
  return best;
}

int daily_cycle_rows(int64_t step_ms) {
  if (step_ms <= 0 || day_ms % step_ms != 0) {
    return 0;
  }
  const int64_t rows = day_ms / step_ms;
  return (rows >= 4 && rows <= 2016) ? static_cast<int>(rows) : 0;
}

int weekly_cycle_rows(int64_t step_ms) {
  if (step_ms <= 0 || week_ms % step_ms != 0) {
    return 0;
  }
  const int64_t rows = week_ms / step_ms;
  return (rows >= 4 && rows <= 2016) ? static_cast<int>(rows) : 0;
}

int week_phase_of(int64_t time_ms, int64_t step_ms, int cycle_rows) {
  if (cycle_rows <= 0 || step_ms <= 0) {
    return 0;
  }
  int64_t in_week = time_ms % week_ms;
  if (in_week < 0) {
    in_week += week_ms;
  }
  return static_cast<int>((in_week / step_ms) % cycle_rows);
}

int phase_of(int64_t time_ms, int64_t step_ms, int cycle_rows) {
  if (cycle_rows <= 0 || step_ms <= 0) {
    return 0;
  }
  int64_t in_day = time_ms % day_ms;
  if (in_day < 0) {
    in_day += day_ms;
  }
  return static_cast<int>((in_day / step_ms) % cycle_rows);
}

std::vector<double> fill_missing(const std::vector<double>& values, int* missing) {
  std::vector<double> out(values);
  int filled = 0;
  long last = -1; // index of the last finite value
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) {
      ++filled;
      continue;
    }
    if (last < 0) {
      std::fill(out.begin(), out.begin() + static_cast<long>(i), out[i]);
    } else if (static_cast<size_t>(last) + 1 < i) {
      const double a = out[static_cast<size_t>(last)], b = out[i];
      const double gap = static_cast<double>(i - static_cast<size_t>(last));
      for (size_t j = static_cast<size_t>(last) + 1; j < i; ++j) {
        out[j] = a + (b - a) * static_cast<double>(j - static_cast<size_t>(last)) / gap;
      }
    }
    last = static_cast<long>(i);
  }
  if (last < 0) {
    std::fill(out.begin(), out.end(), 0.0);
  } else {
    std::fill(out.begin() + last + 1, out.end(), out[static_cast<size_t>(last)]);
  }
  if (missing) {
    *missing = filled;
  }
  return out;
}

} // namespace grace::forecaster
