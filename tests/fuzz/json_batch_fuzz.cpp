// POST /api/metrics JSON bodies: the fast parser (simdjson when built in)
// and the nlohmann reference give the same result for any bytes, every
// sample is accepted or rejected with a reason, and all of it can be sent
// back as JSON.
#include "actors/ingest/sample_batch_parser.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace {

bool same_samples(const grace::ingest::batch_parse_result& a,
                  const grace::ingest::batch_parse_result& b) {
  if (a.error != b.error || a.total != b.total || a.accepted.size() != b.accepted.size()
      || a.rejected.size() != b.rejected.size())
    return false;
  for (size_t i = 0; i < a.accepted.size(); ++i) {
    const auto &x = a.accepted[i], &y = b.accepted[i];
    if (x.metric_id != y.metric_id || x.ts != y.ts || x.value != y.value || x.labels != y.labels)
      return false;
  }
  for (size_t i = 0; i < a.rejected.size(); ++i)
    if (a.rejected[i].index != b.rejected[i].index || a.rejected[i].reason != b.rejected[i].reason)
      return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grace::ingest;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const time_rules rules{1'700'000'000'000, 300'000};
  const auto known = [](const std::string& id) { return id == "a" || id == "api.latency_p95"; };
  const auto fast = parse_json_batch(body, known, rules);
  const auto reference = parse_json_batch_nlohmann(body, known, rules);
  FUZZ_CHECK(same_samples(fast, reference));
  nlohmann::json out = nlohmann::json::array();
  if (fast.malformed()) {
    FUZZ_CHECK(fast.accepted.empty() && fast.rejected.empty());
    out.push_back(fast.error);
  } else {
    FUZZ_CHECK(fast.accepted.size() + fast.rejected.size() == fast.total);
    for (const auto& s : fast.accepted) {
      FUZZ_CHECK(known(s.metric_id));
      FUZZ_CHECK(std::isfinite(s.value));
      FUZZ_CHECK(s.ts >= 0 && s.ts <= rules.now_ms + rules.max_future_ms);
      out.push_back({s.metric_id, s.labels});
    }
    for (const auto& r : fast.rejected) {
      FUZZ_CHECK(!r.reason.empty() && r.reason.size() < 1024);
      out.push_back(r.reason);
    }
  }
  (void)out.dump(); // throws on a string that is not UTF-8
  return 0;
}
