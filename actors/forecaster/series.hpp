#pragma once
// A metric's history as the forecaster sees it: regularly spaced rows, with
// NaN standing for a missing step (the node's snapshots can have gaps).
#include <cstdint>
#include <string>
#include <vector>

namespace grace::forecaster {

constexpr int64_t day_ms = 86'400'000;
constexpr int64_t week_ms = 7 * day_ms;

struct series_input {
  std::string id;
  int64_t start_ms = 0;       // time of values[0], unix ms
  int64_t step_ms = 300'000;  // spacing of the rows
  std::vector<double> values; // NaN (or ±inf) = missing step
};

// Places irregular (timestamp, value) pairs on a regular grid. The step is the
// median positive spacing when step_ms is 0; a grid slot takes the first value
// whose timestamp rounds to it; empty slots become NaN. Timestamps need not be
// sorted. Throws std::invalid_argument if the two vectors differ in length.
series_input regularise(std::string id, const std::vector<int64_t>& timestamps_ms,
                        const std::vector<double>& values, int64_t step_ms = 0);

// The sampling step of irregular timestamps: the median positive spacing
// (timestamps need not be sorted), as nominal_step_ms; `fallback` when there
// are fewer than two distinct timestamps.
int64_t median_step_ms(std::vector<int64_t> timestamps_ms, int64_t fallback);

// A measured spacing snapped to the nominal interval it jitters around: the
// whole-second divisor of a day (or whole number of days) within 2% of it,
// the nearest one; otherwise the spacing itself. Samples taken "hourly"
// arrive a second late or early, and 3601 s has no daily cycle.
int64_t nominal_step_ms(int64_t spacing_ms);

// Rows per daily cycle: 288 for 5-minute data, 24 for hourly. 0 when the step
// does not divide a day or the cycle would be shorter than 4 rows or longer
// than 2016 rows (no usable daily profile then).
int daily_cycle_rows(int64_t step_ms);
// Rows per weekly cycle: 7 for daily data, 168 for hourly, 2016 for
// 5-minute. 0 when the step does not divide a week or the cycle would be
// shorter than 4 rows or longer than 2016 rows.
int weekly_cycle_rows(int64_t step_ms);

// Position of a time within its day in rows (0 ... cycle-1); 0 without a cycle.
int phase_of(int64_t time_ms, int64_t step_ms, int cycle_rows);
// Position of a time within its week (weeks counted from the epoch) in rows
// (0 ... cycle-1); 0 without a cycle.
int week_phase_of(int64_t time_ms, int64_t step_ms, int cycle_rows);

// Missing values filled so that the statistics stay defined: interior gaps are
// interpolated linearly, leading/trailing gaps hold the nearest value, an
// all-missing series becomes zeros. `missing` counts the filled rows.
std::vector<double> fill_missing(const std::vector<double>& values, int* missing = nullptr);

} // namespace grace::forecaster
