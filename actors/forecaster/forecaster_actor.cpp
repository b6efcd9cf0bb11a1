#include "actors/forecaster/forecaster_actor.hpp"

#include "actors/forecaster/artifact.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "common/utc_time.hpp"
#include "messages/errors.hpp"

#include <algorithm>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_pointer = forecaster_actor::stateful_pointer<forecaster_state>;

constexpr const char* model_folder = "temporal_forecaster";
constexpr const char* model_file = "tft_model.json";

void install(self_pointer self, forecaster_model model, std::string version) {
  self->state.model = std::move(model);
  self->state.version = std::move(version);
}

// Loads the newest artifact that parses as a forecaster; older versions are
// the fallback for a corrupt or incompatible current file.
void load_artifact(self_pointer self, const supervisor_actor& supervisor) {
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::load_v, std::string(model_folder),
                  std::string(model_file))
        .then(
            [=](const std::vector<artifact_copy>& copies) {
              auto& st = self->state;
              if (st.model) // the trainer was faster
                return;
              for (const auto& copy : copies) {
                try {
                  auto model = std::make_shared<const forecaster::temporal_forecaster>(
                      forecaster::forecaster_from_json(nlohmann::json::parse(copy.content)));
                  st.loaded_from = copy.path;
                  install(self, model, forecaster::model_version(model->trained_at_ms()));
                  if (!st.rejected_artifacts.empty())
                    spdlog::warn("[ML-SYSTEMS] ⚠️ Fell back to the last good model: {}",
                                 copy.path);
                  break;
                } catch (const std::exception& e) {
                  st.rejected_artifacts.push_back("'" + copy.path + "': " + e.what());
                  spdlog::warn("[ML-SYSTEMS] ⚠️ Model artifact {} is unusable: {}", copy.path,
                               e.what());
                }
              }
              spdlog::info("[ML-SYSTEMS] ✅ Temporal Forecaster ready ({} metrics)",
                           st.model ? st.model->series().size() : 0);
            },
            [=](caf::error& e) {
              spdlog::warn("[ML-SYSTEMS] ⚠️ Cannot read the model artifacts: {}", describe(e));
              spdlog::info("[ML-SYSTEMS] ✅ Temporal Forecaster ready (0 metrics)");
            });
  });
}

// Snapshots gathered for one request, one slot per metric.
struct pending_forecast {
  forecast_request request;
  catalog_ref catalog;
  int64_t generated_at = 0;
  std::vector<std::vector<snapshot>> history;
  size_t remaining = 0;
  bool failed = false;
  caf::typed_response_promise<std::vector<forecast>> promise;
};

// The forecasts of a request, or (refused) what is wrong with it: each metric
// is forecast at its own sampling interval, which bounds its horizon.
std::vector<forecast> compute(self_pointer self, const pending_forecast& p, std::string& refused) {
  const auto& st = self->state;
  const auto& settings = st.settings;
  const auto& model = st.model ? st.model : st.statistical;
  std::vector<forecaster::series_input> inputs(p.request.metric_ids.size());
  for (size_t i = 0; i < p.request.metric_ids.size(); ++i) {
    const auto& id = p.request.metric_ids[i];
    const auto* metric = p.catalog->find_metric(id);
    // Without snapshots yet (nothing to forecast from), the metric is taken
    // to report at the snapshot interval.
    int64_t step = settings.limits.step_ms;
    if (metric && !p.history[i].empty()) {
      inputs[i] = forecaster::series_from_snapshots(id, p.history[i], metric->aggregation,
                                                    settings.limits.step_ms);
      step = inputs[i].step_ms;
    }
    refused = forecaster::check_metric_horizon(id, p.request.horizon_ms, step, settings.limits);
    if (!refused.empty())
      return {};
  }
  std::vector<forecast> out;
  for (size_t i = 0; i < p.request.metric_ids.size(); ++i) {
    const auto& series = inputs[i];
    if (series.values.empty())
      continue;
    const int steps = forecaster::horizon_steps(p.request.horizon_ms, series.step_ms);
    // The newest window closed up to a step before now: forecast from there
    // far enough that the points reach the whole horizon ahead of now.
    const int64_t data_end = series.start_ms
                             + static_cast<int64_t>(series.values.size()) * series.step_ms
                             - series.step_ms;
    const int64_t behind = std::max<int64_t>(0, p.generated_at - data_end);
    const int lag =
        static_cast<int>(std::min<int64_t>((behind + series.step_ms - 1) / series.step_ms, steps));
    auto result = model->forecast(series, steps + lag);
    out.push_back(forecaster::to_forecast(result, series.id, p.generated_at, series.step_ms,
                                          st.version, forecaster::nonnegative_floor(series)));
  }
  return out;
}

// Asks storage for each metric's recent snapshots; the last answer computes.
void query_history(self_pointer self, const storage_actor& storage,
                   std::shared_ptr<pending_forecast> p) {
  const auto& s = self->state.settings;
  const auto rows = static_cast<uint64_t>(s.history_ms / s.limits.step_ms);
  for (size_t i = 0; i < p->request.metric_ids.size(); ++i) {
    snapshot_query q{p->request.metric_ids[i], p->generated_at - s.history_ms,
                     std::numeric_limits<timestamp_ms>::max(), rows};
    self->request(storage, std::chrono::seconds(10), atom::query_v, q)
        .then(
            [=](std::vector<snapshot>& snapshots) {
              p->history[i] = std::move(snapshots);
              if (--p->remaining > 0 || p->failed)
                return;
              try {
                std::string refused;
                auto out = compute(self, *p, refused);
                if (!refused.empty()) {
                  ++self->state.requests_refused;
                  p->promise.deliver(make_error(errc::invalid_input, refused));
                  return;
                }
                self->state.forecasts_served += out.size();
                p->promise.deliver(std::move(out));
              } catch (const std::exception& e) {
                p->promise.deliver(make_error(errc::internal, e.what()));
              }
            },
            [=](caf::error& e) {
              if (!p->failed)
                p->promise.deliver(
                    make_error(errc::unavailable, "cannot read snapshots: " + describe(e)));
              p->failed = true;
            });
  }
}

} // namespace

forecaster_actor::behavior_type
forecaster_component(forecaster_actor::stateful_pointer<forecaster_state> self,
                     supervisor_actor supervisor, forecaster_settings settings) {
  forecaster::forecaster_config config;
  config.horizon = settings.horizon_steps;
  self->state.statistical = std::make_shared<const forecaster::temporal_forecaster>(config);
  self->state.settings = std::move(settings);
  load_artifact(self, supervisor);
  return {
      [=](atom::forecast, forecast_request request) -> caf::result<std::vector<forecast>> {
        auto p = std::make_shared<pending_forecast>();
        p->promise = self->make_response_promise<std::vector<forecast>>();
        p->request = std::move(request);
        with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor catalog) {
          self->request(catalog, std::chrono::seconds(5), atom::get_v)
              .then(
                  [=](catalog_ref cat) {
                    auto check =
                        forecaster::check_request(p->request, *cat, self->state.settings.limits);
                    if (!check.ok) {
                      ++self->state.requests_refused;
                      p->promise.deliver(
                          make_error(check.unknown_metric ? errc::not_found : errc::invalid_input,
                                     check.message));
                      return;
                    }
                    p->catalog = cat;
                    p->generated_at = virtual_now(self);
                    p->history.resize(p->request.metric_ids.size());
                    p->remaining = p->request.metric_ids.size();
                    with_component<storage_actor>(
                        self, supervisor, "storage",
                        [=](storage_actor storage) { query_history(self, storage, p); });
                  },
                  [=](caf::error& e) {
                    p->promise.deliver(make_error(errc::unavailable, "no catalog: " + describe(e)));
                  });
        });
        return p->promise;
      },
      [=](atom::model, forecaster_model model, std::string version) {
        if (!model)
          return;
        self->state.loaded_from.clear();
        install(self, std::move(model), std::move(version));
      },
      [=](atom::statistics) -> forecaster_statistics {
        const auto& st = self->state;
        forecaster_statistics out;
        out.model_version = st.version;
        out.forecasts_served = st.forecasts_served;
        out.loaded_from = st.loaded_from;
        out.rejected_artifacts = st.rejected_artifacts;
        out.has_model = static_cast<bool>(st.model);
        if (st.model) {
          out.metrics_modelled = st.model->series().size();
          out.trained_at = st.model->trained_at_ms();
          out.mean_mase = st.model->validation().mean_mase;
          out.mean_naive_mase = st.model->validation().mean_naive_mase;
          for (const auto& [id, m] : st.model->series())
            out.per_metric[id] = {m.validation_mase, m.validation_naive_mase, m.history_rows,
                                  m.global_share};
          for (const auto& w : st.model->feature_importance())
            out.feature_importance.push_back({w.group, w.weight});
        }
        return out;
      },
      [=](atom::status) -> forecaster_status {
        const auto& st = self->state;
        return {st.version, st.model ? st.model->series().size() : 0, st.forecasts_served,
                st.requests_refused};
      },
  };
}

} // namespace grace
