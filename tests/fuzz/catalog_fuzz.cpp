// The metrics catalog reader on any bytes: a catalog or a list of errors,
// never a crash, and whatever it accepts or says can be sent as JSON.
#include "actors/catalog/catalog.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grace;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  const auto result = catalog::load_catalog_string(yaml, "fuzz.yaml");
  FUZZ_CHECK(result.catalog.has_value() == result.errors.empty());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : result.errors) {
    const std::string line = e.to_string();
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(line.size() < 2048); // values are quoted cut, not whole
    out.push_back(line);
  }
  if (result.catalog) {
    const auto& c = *result.catalog;
    for (const auto& m : c.metrics()) {
      FUZZ_CHECK(c.find_metric(m.id) == &m);
      FUZZ_CHECK(m.collection_interval_ms > 0);
      FUZZ_CHECK(m.direction == catalog::direction::higher_is_worse ? m.warning < m.critical
                                                                    : m.warning > m.critical);
      FUZZ_CHECK(catalog::band_of(m, m.critical) == band::critical);
      (void)c.symptoms_of(m.id);
      out.push_back({m.id, m.category, m.service, m.unit, m.description, m.prometheus_name,
                     m.playbooks, m.symptom_of});
    }
    for (const auto& p : c.playbooks()) {
      FUZZ_CHECK(p.risk_tier >= 1 && p.risk_tier <= 4);
      FUZZ_CHECK(p.cooldown_ms >= 0);
      out.push_back(
          {p.id, p.description, p.action.url, p.action.headers, p.action.argv, p.action.env});
    }
  }
  // Throws (and so fails here) on any string that is not UTF-8.
  (void)out.dump();
  return 0;
}
