// Prometheus text exposition (POST /api/metrics with text/plain, and what a
// scrape target serves): a syntax error naming line and column, or samples
// accepted or rejected with a reason; never a crash, all of it sendable as
// JSON.
#include "actors/ingest/prometheus_text.hpp"
#include "actors/ingest/sample_batch_parser.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grace::ingest;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const time_rules rules{1'700'000'000'000, 300'000};
  const auto resolve = [](const std::string& name) -> std::optional<std::string> {
    if (name == "up" || name == "grace_api_latency_p95_ms")
      return "api.latency_p95";
    return std::nullopt;
  };
  const auto r = parse_prometheus_batch(body, resolve, rules);
  nlohmann::json out = nlohmann::json::array();
  if (r.malformed()) {
    FUZZ_CHECK(r.accepted.empty() && r.rejected.empty());
    FUZZ_CHECK(r.error.size() < 1024);
    out.push_back(r.error);
  } else {
    FUZZ_CHECK(r.accepted.size() + r.rejected.size() == r.total);
    for (const auto& s : r.accepted) {
      FUZZ_CHECK(std::isfinite(s.value));
      FUZZ_CHECK(s.ts >= 0 && s.ts <= rules.now_ms + rules.max_future_ms);
      out.push_back({s.metric_id, s.labels});
    }
    for (const auto& x : r.rejected) {
      FUZZ_CHECK(!x.reason.empty() && x.reason.size() < 1024);
      out.push_back(x.reason);
    }
  }
  // The scrape path: the same document through the parser and a mapper.
  try {
    const auto doc = parse_prometheus_text(body);
    FUZZ_CHECK(!r.malformed());
    series_mapper mapper({{"up", {}, "api.latency_p95"}, {"up", {{"job", "x"}}, "b"}});
    const auto mapped = mapper.map(doc.samples, rules.now_ms);
    FUZZ_CHECK(mapped.unmatched + mapped.non_finite <= doc.samples.size());
    for (const auto& f : doc.families)
      out.push_back({f.name, f.help});
  } catch (const text_format_error& e) {
    FUZZ_CHECK(r.malformed());
    FUZZ_CHECK(e.line() >= 1 && e.column() >= 1);
  }
  (void)out.dump(); // throws on a string that is not UTF-8
  return 0;
}
