#include "actors/forecaster/backtest.hpp"

#include "actors/forecaster/temporal_forecaster.hpp"
#include "actors/ingest/csv_series.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <vector>

namespace grace::forecaster {

int run_backtest(const backtest_options& opt, std::ostream& log) {
  if (opt.horizon < 1 || opt.every < 1 || opt.first < 1 || opt.window < 1) {
    log << "backtest: horizon, every, first and window must be positive\n";
    return 2;
  }
  std::vector<ingest::csv_row> rows;
  try {
    rows = ingest::sorted_unique_by_time(ingest::read_csv_series_file(opt.csv_path).rows);
  } catch (const std::exception& e) {
    log << "backtest: " << e.what() << "\n";
    return 1;
  }
  const int64_t step_ms = nominal_step_ms(ingest::median_step_ms(rows));
  std::ofstream out(opt.out_path);
  if (!out) {
    log << "backtest: cannot write " << opt.out_path << "\n";
    return 1;
  }
  out << "origin,step,mean,lo80,hi80,lo95,hi95\n";
  forecaster_config config = opt.config;
  config.horizon = opt.horizon;
  config.threads = opt.threads;
  const size_t n = rows.size();
  size_t fits = 0;
  double seconds = 0.0;
  char line[256];
  for (size_t origin = static_cast<size_t>(opt.first);
       origin + static_cast<size_t>(opt.horizon) <= n; origin += static_cast<size_t>(opt.every)) {
    const size_t begin =
        origin > static_cast<size_t>(opt.window) ? origin - static_cast<size_t>(opt.window) : 0;
    // The rows are placed on the inferred grid: a missing sample becomes a
    // NaN step rather than shifting the daily phase.
    std::vector<int64_t> ts;
    std::vector<double> vs;
    for (size_t i = begin; i < origin; ++i) {
      ts.push_back(rows[i].unix_ms);
      vs.push_back(rows[i].value);
    }
    const series_input input = regularise(opt.csv_path, ts, vs, step_ms);
    const auto t0 = std::chrono::steady_clock::now();
    temporal_forecaster model(config);
    model.fit(input);
    const forecast_result f = model.forecast(input.id, opt.horizon);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++fits;
    for (size_t s = 0; s < f.steps.size(); ++s) {
      const forecast_step& p = f.steps[s];
      std::snprintf(line, sizeof line, "%zu,%zu,%.10g,%.10g,%.10g,%.10g,%.10g\n", origin, s + 1,
                    p.mean, p.lo80, p.hi80, p.lo95, p.hi95);
      out << line;
    }
  }
  log << "backtest: " << opt.csv_path << " rows=" << n << " step_ms=" << step_ms << " fits=" << fits
      << " ms_per_fit=" << (fits ? 1e3 * seconds / static_cast<double>(fits) : 0.0) << "\n";
  return out ? 0 : 1;
}

} // namespace grace::forecaster
