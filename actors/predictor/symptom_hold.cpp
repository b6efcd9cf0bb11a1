#include "actors/predictor/symptom_hold.hpp"

#include <algorithm>

namespace grace::predictor {

cause_watch::cause_watch(int64_t linger_ms) : linger_ms_(std::max<int64_t>(0, linger_ms)) {}

void cause_watch::observe(const std::string& metric_id, band level, timestamp_ms at) {
  auto& m = metrics_[metric_id];
  if (at <= m.last_snapshot)
    return;
  m.last_snapshot = at;
  m.level = level;
  if (level != band::good)
    m.last_trouble = at;
}

std::optional<cause_watch::hold> cause_watch::holding(const std::vector<std::string>& causes,
                                                      timestamp_ms at,
                                                      const std::set<std::string>& warned,
                                                      const std::set<std::string>& climbing) const {
  for (const auto& cause : causes) {
    if (climbing.count(cause))
      continue;
    const auto it = metrics_.find(cause);
    if (it != metrics_.end() && it->second.level != band::good)
      return hold{cause, "in the " + to_string(it->second.level) + " band"};
    if (warned.count(cause))
      return hold{cause, "warned of a breach"};
    if (it != metrics_.end() && it->second.last_trouble != never
        && at - it->second.last_trouble < linger_ms_)
      return hold{cause,
                  "left the warning band "
                      + std::to_string(std::max<int64_t>(0, at - it->second.last_trouble) / 60000)
                      + " min ago"};
  }
  return std::nullopt;
}

} // namespace grace::predictor
