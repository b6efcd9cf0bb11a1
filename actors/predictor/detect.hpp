#pragma once
// `grace-node detect`: streams a `timestamp,value` CSV through the anomaly
// scorer row by row, as the node would see the samples arrive, and writes
// `timestamp,value,anomaly_score` (one row per input row, input order,
// timestamp and value text copied unchanged). This is how NAB scores GRACE.
#include "actors/predictor/anomaly_score.hpp"

#include <optional>
#include <ostream>
#include <string>

namespace grace::predictor {

struct detect_options {
  std::string csv_path;
  std::string out_path;
  // Scorer settings; the defaults are the node's. Set only to evaluate others.
  anomaly_score_params params;
};

// Does the whole CLI job. Returns the process exit code (0 on success) and
// writes problems (unreadable file, bad row, unwritable output) to `log`.
int run_detect(const detect_options& options, std::ostream& log);

} // namespace grace::predictor
