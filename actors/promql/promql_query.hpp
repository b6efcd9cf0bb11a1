#pragma once
// The pure core of the PromQL source (no CAF, no network): planning
// /api/v1/query_range requests under the server's point limit, reading the
// Prometheus HTTP API's JSON answers into one series of finite values or a
// plain-words error, and turning a backfilled series into the snapshots the
// aggregator would have made of the same samples.
#include "actors/aggregator/snapshot_window.hpp"
#include "messages/types.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace grace::promql {

// Prometheus refuses a query_range of more than 11,000 points per series;
// chunks stay well under it.
constexpr size_t max_points_per_query = 10000;

// One query_range request: evaluation times start, start + step, ..., end
// (both inclusive, milliseconds).
struct range_chunk {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  size_t points() const { return static_cast<size_t>((end_ms - start_ms) / step_ms) + 1; }
};

// The chunks covering the evaluation times in [from_ms, until_ms) that are
// multiples of step_ms, oldest first, each of at most max_points, adjacent
// without overlap. Empty when the range holds no such time. Throws
// std::invalid_argument for step_ms <= 0 or max_points == 0.
std::vector<range_chunk> plan_chunks(int64_t from_ms, int64_t until_ms, int64_t step_ms,
                                     size_t max_points = max_points_per_query);

struct point {
  int64_t ts_ms = 0;
  double value = 0.0;
};

// What one answer of the Prometheus HTTP API says. `error` is empty when it
// holds exactly one series (or a scalar); `points` are then its finite values
// in time order. Values that are NaN or ±Inf are left out and counted in
// `non_finite` (an instant answer whose one value is not finite is an error).
struct query_answer {
  std::string error;
  std::vector<point> points;
  size_t non_finite = 0;
  size_t series = 0; // how many series the answer held
  bool ok() const { return error.empty(); }
};

// An answer of GET /api/v1/query (resultType vector or scalar).
query_answer parse_instant_answer(int http_status, std::string_view body);
// An answer of GET /api/v1/query_range (resultType matrix). No series at all
// is not an error here (no data in that part of the range): `points` is empty.
query_answer parse_range_answer(int http_status, std::string_view body);

// Seconds with millisecond precision, as Prometheus takes `time`, `start`,
// `end` and `step` ("1700000000.123", "60").
std::string prometheus_seconds(int64_t ms);

// Turns a backfilled series, read chunk by chunk in time order, into the
// snapshots of its closed windows: the same windows and statistics as the
// aggregator makes of the same samples arriving live. Only the windows a
// chunk may still add to stay open, so memory is bounded by a window, not by
// the history. Windows reaching `until_ms` or later are left out (not closed
// yet).
class backfill_accumulator {
public:
  backfill_accumulator(std::string metric_id, int64_t period_ms, int64_t until_ms,
                       aggregator::band_function band_of);
  // A chunk's finite points, in time order, all after those of earlier
  // chunks; `chunk_end_ms`: the chunk's last evaluation time (no later chunk
  // has a point at or before it).
  void add(const std::vector<point>& points, int64_t chunk_end_ms);
  // Every closed window's snapshot, oldest first; the accumulator is spent.
  std::vector<snapshot> finish();
  uint64_t points() const { return points_; }

private:
  std::string metric_id_;
  int64_t period_ms_;
  int64_t until_ms_;
  aggregator::snapshot_window window_;
  std::vector<snapshot> closed_;
  uint64_t points_ = 0;
};

// The snapshots of the closed windows a backfilled series fills: the same
// windows and statistics as the aggregator makes of the same samples arriving
// live. Windows reaching `until_ms` or later are left out (they are not
// closed yet). Points must be finite (parse_*_answer guarantees it).
std::vector<snapshot> backfill_snapshots(const std::string& metric_id,
                                         const std::vector<point>& points, int64_t period_ms,
                                         int64_t until_ms,
                                         const aggregator::band_function& band_of);

} // namespace grace::promql
