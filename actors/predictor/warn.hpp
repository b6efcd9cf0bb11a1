#pragma once
// `grace-node warn`: streams a `timestamp,value` CSV row by row through the
// node's early-warning path and writes `timestamp,score`, the probability of
// a breach of the threshold within the horizon (60 min), using only rows up
// to each timestamp: one output row per input row, input order, the
// timestamp text copied unchanged (protocol P3h, EVALUATION.md 2b).
//
// The path: rows finer than the node's 5-minute snapshot interval are
// averaged into 5-minute windows (the current window's mean so far); every
// 15 minutes of data time (the node's forecast cadence; every row when rows
// are further apart) the forecaster forecasts the horizon from up to a week
// of those values, exactly as the forecaster actor's call does; each row's
// score is breach_warner::probability (the class the predictor uses for its
// warnings) of the latest forecast at the row's time. The command line sets
// `warner.exclusive_threshold` (a breach is strictly beyond the threshold,
// the event P3h scores) unless given --breach-at-threshold.
#include "actors/predictor/breach_warner.hpp"
#include "common/cadence.hpp"

#include <ostream>
#include <string>

namespace grace::predictor {

struct warn_options {
  std::string csv_path;
  std::string out_path;
  double threshold = 0.0;
  bool higher_is_worse = true;                               // --direction above (default) / below
  int64_t bucket_ms = cadence::snapshot_interval_ms;         // the node's snapshot interval
  int64_t forecast_every_ms = cadence::forecast_interval_ms; // the node's forecast cadence
  size_t history_rows = // the forecaster actor's week of snapshots
      static_cast<size_t>(cadence::training_history_ms / cadence::snapshot_interval_ms);
  breach_warner_settings warner;
};

// Does the whole CLI job. Returns the process exit code (0 on success) and
// writes problems (unreadable file, bad row, bad threshold, unwritable
// output) to `log`.
int run_warn(const warn_options& options, std::ostream& log);

} // namespace grace::predictor
