// Answers of the Prometheus HTTP API (the PromQL source's query and
// query_range): one series of finite values or an error in plain words;
// never a crash, all of it sendable as JSON.
#include "actors/promql/promql_query.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace {

void check(const grace::promql::query_answer& a, bool instant) {
  if (!a.ok()) {
    FUZZ_CHECK(a.error.size() < 1024);
    FUZZ_CHECK(a.points.empty());
    (void)nlohmann::json(a.error).dump(); // throws on a string that is not UTF-8
    return;
  }
  if (instant)
    FUZZ_CHECK(a.points.size() == 1 && a.series == 1);
  else
    FUZZ_CHECK(a.series <= 1);
  for (size_t i = 0; i < a.points.size(); ++i) {
    FUZZ_CHECK(std::isfinite(a.points[i].value));
    FUZZ_CHECK(a.points[i].ts_ms >= 0);
    FUZZ_CHECK(i == 0 || a.points[i].ts_ms > a.points[i - 1].ts_ms);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grace::promql;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (int status : {200, 400, 503}) {
    check(parse_instant_answer(status, body), true);
    check(parse_range_answer(status, body), false);
  }
  // A backfill of whatever points came out gives only closed windows.
  const auto range = parse_range_answer(200, body);
  if (range.ok() && !range.points.empty()) {
    const int64_t until = range.points.back().ts_ms;
    const auto snaps = backfill_snapshots(
        "m", range.points, 300000, until,
        [](const std::string&, const grace::snapshot&) { return grace::band::good; });
    for (const auto& s : snaps)
      FUZZ_CHECK(s.window_end <= until && s.count > 0 && s.min <= s.mean && s.mean <= s.max);
  }
  return 0;
}
