#pragma once
// Per-metric statistics over fixed event-time windows: the pure core of the
// aggregator. Samples are assigned to the window [k*period, (k+1)*period) that
// holds their own timestamp (event time, not arrival time); the caller's
// clock closes windows, and each closed window yields one grace::snapshot per
// metric that had samples in it.
//
// Definitions:
//   count, mean (compensated sum / count), min, max: over all samples. The sum
//     is kept in long double (x86-64: 64-bit mantissa, exponent up to 16383),
//     so any finite doubles, ±1.7e308 included, have a finite mean, which is
//     kept within [min, max] against rounding.
//   p50, p95: linear interpolation between closest ranks (NumPy's default,
//     Hyndman & Fan type 7): over the n values sorted, x[h] with
//     h = (n - 1) * q, interpolated between x[floor(h)] and x[floor(h) + 1].
//     With n = 1 both are the value. The interpolation cannot overflow (it
//     is kept between its two neighbours).
//   last: the value with the greatest event time; among equal event times,
//     the one that arrived last.
//   level: the band function's answer for the finished snapshot.
// Lateness: a window [start, end) stays open until the watermark passed to
//   close_until() reaches end + allowed_lateness. A sample for a window that is
//   already closed is dropped and counted (late_dropped()); it never reopens
//   or amends a published snapshot. Every window starting before
//   closed_before() is closed, for every metric; an earlier run's value is
//   restored with restore_closed_before(), so a restart never reopens a
//   stored window.
// Admission (the durable path): admit() checks a batch without adding it and
//   says why each refused sample is refused (late, not finite); the caller
//   logs the kept samples, holds their windows open (hold()) while the write
//   is under way, adds them and releases the hold. A held window does not
//   close, so a sample admitted is never found late when it is added.
// Memory: per open (metric, window) the exact count/sum/min/max/last plus the
//   values for the percentiles, at most `max_values_per_window`; beyond that a
//   uniform reservoir sample of that size is kept (Vitter's algorithm R, fixed
//   seed), so p50/p95 become estimates while the other statistics stay exact.
//   Nothing is kept for closed windows.
#include "messages/types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace grace::aggregator {

struct window_config {
  timestamp_ms period_ms = 5 * 60 * 1000;
  timestamp_ms allowed_lateness_ms = 0;
  size_t max_values_per_window = 1 << 16;
};

// The band of a finished snapshot (the catalog's thresholds live elsewhere).
using band_function = std::function<band(const std::string& metric_id, const snapshot&)>;

// Linear-interpolation percentile (type 7) of `values`, q in [0, 1]. Reorders
// `values`. Precondition: values not empty.
double percentile(std::vector<double>& values, double q);

// The checks of admit() for one batch.
struct admission {
  std::vector<uint32_t> kept; // indices of the samples to log and add, in batch order
  struct refusal {
    uint32_t index = 0;
    std::string reason;
  };
  std::vector<refusal> refused; // in batch order
  // The earliest window among the kept samples: hold() it while they are logged.
  timestamp_ms first_window = 0;
};

class snapshot_window {
public:
  snapshot_window(window_config config, band_function band_of);

  // Checks every sample of `batch` (adding none) and counts the refusals
  // (rejected_late, rejected_invalid): late when its window is closed, invalid
  // when the value is NaN or infinite.
  admission admit(const std::vector<metric_sample>& batch);

  // Windows from `window_start` on stay open until the matching release().
  void hold(timestamp_ms window_start);
  void release(timestamp_ms window_start);

  // Windows starting before `closed_before` were closed (and stored) by an
  // earlier run: samples for them are late from now on.
  void restore_closed_before(timestamp_ms closed_before);
  // Every window starting before this is closed (INT64_MIN: none yet).
  timestamp_ms closed_before() const { return closed_before_; }

  // Adds one sample. Returns false (and counts it) when its window is closed
  // (late_dropped) or the value is NaN/±Inf (non_finite_dropped).
  bool add(const metric_sample& sample);
  bool add(const std::string& metric_id, timestamp_ms ts, double value);

  // Closes every window with end + allowed_lateness <= watermark and returns
  // their snapshots ordered by (window_start, metric_id). The watermark never
  // goes back: a smaller value than before closes nothing.
  std::vector<snapshot> close_until(timestamp_ms watermark);

  // Closes every open window regardless of the watermark (end of an offline
  // replay); later samples for those windows count as late. Held windows
  // stay open, here as in close_until().
  std::vector<snapshot> close_all();

  // The earliest watermark at which close_until() would produce something
  // (INT64_MAX when no window is open): when to tick next.
  timestamp_ms next_close_at() const;

  // Start of the window that holds `ts`.
  timestamp_ms window_start_of(timestamp_ms ts) const;

  timestamp_ms watermark() const { return watermark_; }
  uint64_t accepted() const { return accepted_; }
  uint64_t late_dropped() const { return late_dropped_; }
  uint64_t non_finite_dropped() const { return non_finite_dropped_; }
  uint64_t rejected_late() const { return rejected_late_; }
  uint64_t rejected_invalid() const { return rejected_invalid_; }
  size_t held_windows() const { return holds_.size(); }
  size_t open_windows() const; // (metric, window) pairs currently open

private:
  struct accumulator {
    timestamp_ms start = 0;
    uint64_t count = 0;
    long double sum = 0.0L, compensation = 0.0L;
    double min = 0.0, max = 0.0;
    double last = 0.0;
    timestamp_ms last_ts = 0;
    std::vector<double> values; // all, or a reservoir once count > cap
  };
  struct metric_windows {
    std::vector<accumulator> open; // few: usually one, sorted by start
  };

  snapshot finish(const std::string& metric_id, accumulator& acc);
  std::vector<snapshot> close_windows(bool all);

  window_config config_;
  band_function band_of_;
  std::unordered_map<std::string, metric_windows> metrics_;
  timestamp_ms watermark_;
  timestamp_ms closed_before_; // windows with start < this are closed
  uint64_t accepted_ = 0;
  uint64_t late_dropped_ = 0;
  uint64_t non_finite_dropped_ = 0;
  uint64_t rejected_late_ = 0;
  uint64_t rejected_invalid_ = 0;
  std::map<timestamp_ms, uint32_t> holds_; // window start -> holds
  uint64_t rng_state_ = 0x9E3779B97F4A7C15ULL;
  // One-entry cache: consecutive samples of one metric skip the hash lookup.
  const std::string* cached_id_ = nullptr;
  metric_windows* cached_ = nullptr;
};

} // namespace grace::aggregator
