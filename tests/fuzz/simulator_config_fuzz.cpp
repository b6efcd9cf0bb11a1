// The simulator's config on any bytes: a config or a config_error listing
// what is wrong, nothing else thrown, never a crash.
#include "actors/simulator/simulator_config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grace::simulator;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  nlohmann::json out = nlohmann::json::array();
  try {
    const auto c = parse_simulator_config(yaml, "fuzz.yaml");
    FUZZ_CHECK(c.collection_interval_ms > 0);
    for (const auto& m : c.metrics) {
      FUZZ_CHECK(m.min <= m.max);
      FUZZ_CHECK(m.interval_ms > 0 && m.interval_ms % c.collection_interval_ms == 0);
      out.push_back(m.id);
    }
    for (const auto& t : c.incident_types) {
      for (const auto* r : {&t.ramp, &t.duration, &t.recovery})
        FUZZ_CHECK(r->min_ms >= 0 && r->min_ms <= r->max_ms);
      for (const auto& p : t.playbooks)
        FUZZ_CHECK(p.success_probability >= 0 && p.success_probability <= 1);
      out.push_back({t.name, t.description});
    }
    for (const auto& e : c.validate_against({"api.latency_p95"}, {"scale-api"}))
      out.push_back(e);
  } catch (const config_error& e) {
    FUZZ_CHECK(!e.errors().empty());
    for (const auto& line : e.errors())
      out.push_back(line);
  }
  (void)out.dump(); // throws on a string that is not UTF-8
  return 0;
}
