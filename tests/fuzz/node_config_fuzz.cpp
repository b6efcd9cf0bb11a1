// grace.yaml on any bytes: settings within their documented ranges or a list
// of errors, never a crash.
#include "node/node_config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grace;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  const auto r = node::load_node_settings_string(yaml, "fuzz.yaml", "/base");
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : r.errors) {
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(e.to_string().size() < 2048);
    out.push_back(e.to_string());
  }
  if (r.ok()) {
    const auto& s = r.settings;
    FUZZ_CHECK(s.time_scale > 0 && s.time_scale <= 100000);
    FUZZ_CHECK(s.http.port >= 0 && s.http.port <= 65535);
    FUZZ_CHECK(s.http.threads >= 2 && s.http.threads <= 256);
    FUZZ_CHECK(s.http.max_body_bytes >= 1024);
    for (int64_t ms : {s.snapshot_interval_ms, s.retention_ms, s.forecast_interval_ms,
                       s.forecast_horizon_ms, s.training_interval_ms, s.training_window_ms,
                       s.training_history_ms, s.http.request_timeout_ms,
                       s.execution.evaluation_window_ms, s.execution.approval_timeout_ms,
                       s.supervisor.restart_window_ms, s.supervisor.backoff_initial_ms})
      FUZZ_CHECK(ms > 0 && ms <= config::max_duration_ms);
    FUZZ_CHECK(s.prediction.max_lead_ms > s.prediction.min_lead_ms);
    FUZZ_CHECK(s.rl_learning_rate > 0 && s.rl_learning_rate <= 1);
    out.push_back({s.data_dir, s.catalog_path, s.http.bind, s.http.token, s.alerting.webhooks});
    for (const auto& t : s.scrape_targets) {
      out.push_back({t.name, t.url});
      for (const auto& m : t.mappings)
        out.push_back({m.series, m.metric_id, m.match});
    }
  }
  (void)out.dump(); // throws on a string that is not UTF-8
  return 0;
}
