#include "actors/scheduler/forecast_cycle.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace grace::scheduler {

cycle_summary summarize(timestamp_ms at, const std::vector<std::string>& requested,
                        const std::vector<forecast>& forecasts) {
  cycle_summary s;
  s.at = at;
  std::set<std::string> done;
  for (const auto& f : forecasts)
    if (!f.points.empty())
      done.insert(f.metric_id);
  for (const auto& id : requested) {
    if (done.count(id))
      s.forecast.push_back(id);
    else
      s.without_data.push_back(id);
  }
  return s;
}

std::string headline(const forecast& f) {
  if (f.points.empty())
    return f.metric_id + ": no forecast";
  const auto& p = f.points.back();
  const long long minutes = std::max<long long>(0, (p.ts - f.generated_at) / 60000);
  char text[160];
  std::snprintf(text, sizeof text, " +%lldm: %.2f (80%%: %.2f..%.2f)", minutes, p.mean, p.lo80,
                p.hi80);
  return f.metric_id + text;
}

} // namespace grace::scheduler
