#include "actors/trainer/training_cycle.hpp"

#include "actors/forecaster/artifact.hpp"
#include "actors/forecaster/snapshot_series.hpp"
#include "common/utc_time.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace grace::trainer {

int64_t data_since(int64_t now_ms, const training_settings& settings) {
  return now_ms - std::max(settings.window_ms, settings.history_ms);
}

training_output train(const std::vector<snapshot>& snapshots,
                      const catalog::metrics_catalog& catalog, const training_settings& settings,
                      uint64_t cycle, int64_t started_at_ms) {
  auto series = forecaster::series_by_metric(snapshots, catalog, settings.step_ms);
  if (series.empty())
    throw training_error(
        "no snapshots of any catalog metric in the last "
        + std::to_string(std::max(settings.window_ms, settings.history_ms) / 3600'000) + " h");
  forecaster::forecaster_config config;
  config.horizon = settings.horizon_steps;
  config.threads = settings.threads;
  auto model = std::make_shared<forecaster::temporal_forecaster>(config);
  model->fit(series, started_at_ms);

  training_output out;
  out.record.cycle = cycle;
  out.record.started_at = started_at_ms;
  out.record.metrics = series.size();
  out.record.model_version = forecaster::model_version(started_at_ms);
  const int64_t window_start = started_at_ms - settings.window_ms;
  for (const auto& s : snapshots) {
    if (!catalog.find_metric(s.metric_id))
      continue;
    ++out.record.samples;
    if (s.window_end > window_start)
      ++out.window_samples;
  }
  for (const auto& [id, m] : model->series())
    out.record.validation_scores[id] = m.validation_mase;
  out.artifact_json = forecaster::to_json(*model).dump();
  out.model = std::move(model);
  return out;
}

std::string record_document(const training_output& output, const std::string& artifact_path) {
  const auto& r = output.record;
  nlohmann::json per_metric = nlohmann::json::object();
  for (const auto& [id, m] : output.model->series())
    per_metric[id] = {{"validation_mase", m.validation_mase},
                      {"naive_mase", m.validation_naive_mase},
                      {"history_rows", m.history_rows},
                      {"global_share", m.global_share}};
  nlohmann::json importance = nlohmann::json::array();
  for (const auto& w : output.model->feature_importance())
    importance.push_back({{"feature", w.group}, {"weight", w.weight}});
  const auto& v = output.model->validation();
  nlohmann::json doc{{"type", "tft_training"},
                     {"cycle", r.cycle},
                     {"started_at", iso_time(r.started_at)},
                     {"finished_at", iso_time(r.finished_at)},
                     {"samples", r.samples},
                     {"window_samples", output.window_samples},
                     {"metrics", r.metrics},
                     {"model_version", r.model_version},
                     {"artifact", artifact_path},
                     {"validation",
                      {{"mean_mase", v.mean_mase},
                       {"mean_naive_mase", v.mean_naive_mase},
                       {"per_metric", per_metric}}},
                     {"feature_importance", importance}};
  return doc.dump();
}

std::string record_id(int64_t unix_ms) {
  return format_utc(unix_ms, "%Y%m%d_%H%M%S");
}

std::string with_thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

} // namespace grace::trainer
