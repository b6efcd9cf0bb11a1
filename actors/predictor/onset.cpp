#include "actors/predictor/onset.hpp"

#include "actors/catalog/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace grace::predictor {

std::string diagnosis_of(const std::string& metric_id, onset o) {
  return o == onset::sudden ? metric_id + ":sudden" : metric_id;
}

onset_tracker::onset_tracker(onset_policy policy) : policy_(policy) {
  policy_.history = std::max<size_t>(policy_.history, 2);
  policy_.min_history = std::clamp<size_t>(policy_.min_history, 2, policy_.history);
  policy_.step_windows = std::max(policy_.step_windows, 1);
}

void onset_tracker::observe(const std::string& metric_id, timestamp_ms at, double value) {
  if (!std::isfinite(value))
    return;
  auto& s = metrics_[metric_id];
  if (s.any && at <= s.last)
    return;
  s.any = true;
  s.last = at;
  s.values.push_back(value);
  while (s.values.size() > policy_.history)
    s.values.pop_front();
}

std::optional<double> onset_tracker::normal_level(const std::string& metric_id,
                                                  bool higher_is_worse) const {
  const auto it = metrics_.find(metric_id);
  if (it == metrics_.end() || it->second.values.size() < policy_.min_history)
    return std::nullopt;
  return catalog::better_quartile({it->second.values.begin(), it->second.values.end()},
                                  higher_is_worse);
}

onset onset_tracker::classify(const std::string& metric_id, double critical,
                              bool higher_is_worse) const {
  const auto normal = normal_level(metric_id, higher_is_worse);
  if (!normal)
    return onset::gradual;
  // Everything in "how much worse than normal" units.
  const double sign = higher_is_worse ? 1.0 : -1.0;
  const double span = sign * (critical - *normal);
  if (!(span > 0.0))
    return onset::gradual;
  const auto& values = metrics_.at(metric_id).values;
  auto excess = [&](size_t i) { return sign * (values[i] - *normal); };
  const double low = 0.25 * span;
  const double high = 0.75 * span;
  // Start of the trailing run worse than `low`.
  size_t start = values.size();
  while (start > 0 && excess(start - 1) > low)
    --start;
  if (start == values.size() || start == 0)
    return onset::gradual; // not out now, or out since before the history kept
  for (size_t i = start; i < values.size(); ++i)
    if (excess(i) >= high)
      return i - (start - 1) <= static_cast<size_t>(policy_.step_windows) ? onset::sudden
                                                                          : onset::gradual;
  return onset::gradual;
}

} // namespace grace::predictor
