#pragma once
// Protocol P1 of docs EVALUATION.md: rolling-origin backtest of one CSV series,
// fitting the forecaster afresh from the window at each origin, the way the
// trainer fits it (same fit() code path).
#include "actors/forecaster/temporal_forecaster.hpp"

#include <ostream>
#include <string>

namespace grace::forecaster {

struct backtest_options {
  std::string csv_path;
  std::string out_path; // CSV: origin,step,mean,lo80,hi80,lo95,hi95
  int horizon = 12;
  int every = 144;
  int first = 576;
  int window = 2016;
  int threads = 1; // the window is one series: nothing to share across threads
  // The model's settings (the node's defaults); horizon and threads above
  // override theirs. Experiments (bench/forecaster) change the others.
  forecaster_config config;
};

// Returns a process exit code (0 on success); problems are written to log.
int run_backtest(const backtest_options& options, std::ostream& log);

} // namespace grace::forecaster
