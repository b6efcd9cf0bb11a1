#pragma once
// One forecast cycle's bookkeeping, without CAF: which metrics were asked
// for, which got a forecast, and the one-line summary of a forecast that the
// logs and the mesh events carry.
#include "messages/types.hpp"

#include <string>
#include <vector>

namespace grace::scheduler {

struct cycle_summary {
  timestamp_ms at = 0;
  std::vector<std::string> forecast;     // metrics that got a forecast
  std::vector<std::string> without_data; // asked for, but no snapshots yet
};

cycle_summary summarize(timestamp_ms at, const std::vector<std::string>& requested,
                        const std::vector<forecast>& forecasts);

// "api.latency_p95 +60m: 523.40 (80%: 480.10..560.20)" — the last point.
std::string headline(const forecast& f);

} // namespace grace::scheduler
