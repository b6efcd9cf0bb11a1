#include "actors/predictor/warn.hpp"

#include "actors/forecaster/snapshot_series.hpp"
#include "actors/forecaster/temporal_forecaster.hpp"
#include "actors/ingest/csv_series.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <exception>
#include <fstream>
#include <limits>
#include <vector>

namespace grace::predictor {

namespace {

constexpr size_t steps_to_infer_interval = 16;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// The rows seen so far, averaged per slot of `step` ms (a slot holds the rows
// whose time falls in it), as the forecaster's series: up to `rows` slots
// ending with the slot of `now`; empty slots are missing values.
forecaster::series_input series_up_to(const std::deque<std::pair<int64_t, double>>& seen,
                                      int64_t step, size_t rows, int64_t now) {
  forecaster::series_input s;
  s.id = "csv";
  s.step_ms = step;
  const int64_t last_slot = floor_div(now, step);
  const int64_t first_slot = last_slot - static_cast<int64_t>(rows) + 1;
  std::vector<double> sum(rows, 0.0), count(rows, 0.0);
  int64_t lowest = last_slot + 1;
  for (const auto& [t, v] : seen) {
    const int64_t slot = floor_div(t, step);
    if (slot < first_slot || slot > last_slot)
      continue;
    const size_t i = static_cast<size_t>(slot - first_slot);
    sum[i] += v;
    count[i] += 1.0;
    lowest = std::min(lowest, slot);
  }
  if (lowest > last_slot)
    return s;
  const size_t from = static_cast<size_t>(lowest - first_slot);
  s.start_ms = lowest * step;
  for (size_t i = from; i < rows; ++i)
    s.values.push_back(count[i] > 0.0 ? sum[i] / count[i]
                                      : std::numeric_limits<double>::quiet_NaN());
  return s;
}

} // namespace

int run_warn(const warn_options& o, std::ostream& log) {
  if (!std::isfinite(o.threshold)) {
    log << "warn: --threshold must be a finite number\n";
    return 2;
  }
  if (o.bucket_ms <= 0 || o.forecast_every_ms <= 0 || o.history_rows < 2) {
    log << "warn: bucket, forecast interval and history must be positive\n";
    return 2;
  }
  ingest::csv_series series;
  try {
    series = ingest::read_csv_series_file(o.csv_path);
  } catch (const std::exception& e) {
    log << "warn: " << e.what() << "\n";
    return 1;
  }
  std::ofstream out(o.out_path, std::ios::trunc);
  if (!out) {
    log << "warn: " << o.out_path << ": cannot open for writing\n";
    return 1;
  }
  out << "timestamp,score\n";

  // Untrained: the per-series statistical forecaster, as the node uses it
  // before its first training; one CSV gives no other metrics to learn from.
  const forecaster::temporal_forecaster model;
  breach_warner warner(o.threshold, o.higher_is_worse, o.warner);
  std::deque<std::pair<int64_t, double>> seen; // (monotone time, value)
  std::vector<int64_t> first_steps;
  int64_t step = 0; // the series' slot: the bucket, or the rows' own spacing when coarser
  int64_t last_t = std::numeric_limits<int64_t>::min();
  // The slot being filled (not yet observed by the warner when rows are finer).
  int64_t open_slot = std::numeric_limits<int64_t>::min();
  double open_sum = 0.0, open_count = 0.0;
  forecast latest;
  int64_t forecast_at = std::numeric_limits<int64_t>::min();
  char buf[32];
  size_t forecasts = 0;

  for (const auto& row : series.rows) {
    // Repeated or backward timestamps join the time already reached.
    const int64_t t = std::max(row.unix_ms, last_t);
    if (step == 0 && last_t != std::numeric_limits<int64_t>::min() && t > last_t) {
      first_steps.push_back(t - last_t);
      if (first_steps.size() >= steps_to_infer_interval) {
        std::nth_element(first_steps.begin(), first_steps.begin() + first_steps.size() / 2,
                         first_steps.end());
        const int64_t typical = first_steps[first_steps.size() / 2];
        // Rows further apart than a bucket are their own slots (whole minutes).
        step = std::max(o.bucket_ms, (typical + 30'000) / 60'000 * 60'000);
      }
    }
    last_t = t;
    const int64_t slot_step = step == 0 ? o.bucket_ms : step;
    seen.emplace_back(t, row.value);
    const int64_t keep_from = t - static_cast<int64_t>(o.history_rows + 1) * slot_step;
    while (!seen.empty() && seen.front().first < keep_from)
      seen.pop_front();

    // The warner sees what the predictor sees: closed bucket means where rows
    // are finer than a bucket, each row where they are not.
    const int64_t slot = floor_div(t, o.bucket_ms);
    if (step >= o.bucket_ms) {
      warner.observe(t, row.value);
    } else {
      if (slot != open_slot && open_count > 0.0)
        warner.observe((open_slot + 1) * o.bucket_ms, open_sum / open_count);
      if (slot != open_slot) {
        open_slot = slot;
        open_sum = open_count = 0.0;
      }
      open_sum += row.value;
      open_count += 1.0;
    }

    if (forecast_at == std::numeric_limits<int64_t>::min() || t - forecast_at >= o.forecast_every_ms
        || step > o.forecast_every_ms) {
      const auto input = series_up_to(seen, slot_step, o.history_rows, t);
      if (!input.values.empty()) {
        const int steps = static_cast<int>((o.warner.horizon_ms + slot_step - 1) / slot_step) + 1;
        const auto result = model.forecast(input, steps);
        latest = forecaster::to_forecast(result, "csv", t, slot_step,
                                         forecaster::model_version(model.trained_at_ms()),
                                         forecaster::nonnegative_floor(input));
        warner.note_forecast(latest);
        forecast_at = t;
        ++forecasts;
      }
    }
    const double p = warner.score(latest, t);
    std::snprintf(buf, sizeof buf, "%.9g", p);
    out << row.timestamp_text << ',' << buf << '\n';
  }
  out.flush();
  if (!out) {
    log << "warn: " << o.out_path << ": write failed\n";
    return 1;
  }
  log << "warn: " << series.rows.size() << " rows, " << forecasts << " forecasts, written to "
      << o.out_path << "\n";
  return 0;
}

} // namespace grace::predictor
