#include "actors/integration/band_watch.hpp"

namespace grace::integration {

std::vector<band_change> band_watch::observe(const std::vector<snapshot>& snapshots,
                                             const std::map<std::string, double>& statistic) {
  std::vector<band_change> out;
  for (const auto& s : snapshots) {
    auto [it, inserted] = last_.emplace(s.metric_id, band::good);
    const band before = it->second;
    it->second = s.level;
    if (s.level != band::good && static_cast<int>(s.level) > static_cast<int>(before)) {
      auto value = statistic.find(s.metric_id);
      out.push_back({s.metric_id, before, s.level, s.window_end,
                     value == statistic.end() ? s.mean : value->second});
    }
  }
  return out;
}

band band_watch::current(const std::string& metric_id) const {
  auto it = last_.find(metric_id);
  return it == last_.end() ? band::good : it->second;
}

} // namespace grace::integration
