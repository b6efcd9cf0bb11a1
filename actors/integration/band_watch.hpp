#pragma once
// Which metrics just got worse: a snapshot whose band is warning or critical
// and worse than the metric's previous snapshot is a trigger for a targeted
// forecast. Staying in (or recovering within) a band is not.
#include "messages/status.hpp"
#include "messages/types.hpp"

#include <map>
#include <string>
#include <vector>

namespace grace::integration {

using grace::band_change;

class band_watch {
public:
  // Feeds snapshots (any order of metrics); returns the escalations.
  std::vector<band_change> observe(const std::vector<snapshot>& snapshots,
                                   const std::map<std::string, double>& statistic_by_metric = {});

  band current(const std::string& metric_id) const;

private:
  std::map<std::string, band> last_;
};

} // namespace grace::integration
