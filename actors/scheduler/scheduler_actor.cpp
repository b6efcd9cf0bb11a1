#include "actors/scheduler/scheduler_actor.hpp"

#include "actors/catalog/catalog.hpp"
#include "actors/cluster/shard_map.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_pointer = scheduler_actor::stateful_pointer<scheduler_state>;

void deliver(self_pointer self, const supervisor_actor& supervisor,
             const std::vector<std::string>& requested, std::vector<forecast> forecasts) {
  auto& st = self->state;
  ++st.cycles;
  st.forecasts += forecasts.size();
  st.last = scheduler::summarize(virtual_now(self), requested, forecasts);
  for (const auto& f : forecasts)
    spdlog::debug("[FORECAST-SCHED] {}", scheduler::headline(f));
  if (!st.last->without_data.empty())
    spdlog::info("[FORECAST-SCHED] ⏳ No snapshots yet for {} metric(s)",
                 st.last->without_data.size());
  if (forecasts.empty())
    return;
  if (st.settings.notify_predictor)
    with_component<predictor_actor>(self, supervisor, "predictor", [=](predictor_actor p) {
      self->send(p, atom::forecast_v, forecasts);
    });
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::store_v, forecasts)
        .then([](uint64_t) {},
              [](caf::error& e) {
                spdlog::error("[FORECAST-SCHED] ❌ Forecasts not stored: {}", describe(e));
              });
  });
  std::vector<std::string> events;
  for (const auto& f : forecasts)
    events.push_back(nlohmann::json(f).dump());
  with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
    for (const auto& e : events)
      self->send(mesh, atom::publish_v, std::string("forecasts"), e);
  });
}

void forecast_metrics(self_pointer self, const supervisor_actor& supervisor,
                      std::vector<std::string> ids);

// In a cluster: only the metrics of the shards this node serves now.
void run_cycle(self_pointer self, const supervisor_actor& supervisor) {
  with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor catalog) {
    self->request(catalog, std::chrono::seconds(5), atom::get_v)
        .then(
            [=](catalog_ref cat) {
              auto ids = cat->forecast_metrics();
              if (!self->state.settings.cluster) {
                forecast_metrics(self, supervisor, std::move(ids));
                return;
              }
              with_component<cluster_actor>(
                  self, supervisor, "cluster", [=](cluster_actor cluster) {
                    self->request(cluster, std::chrono::seconds(5), atom::get_v)
                        .then(
                            [=](const cluster_view& view) {
                              forecast_metrics(self, supervisor,
                                               cluster::metrics_of_shards(ids, view.serving));
                            },
                            [=](caf::error& e) {
                              ++self->state.failures;
                              spdlog::warn("[FORECAST-SCHED] cycle skipped: which shards this "
                                           "node serves is not known: {}",
                                           describe(e));
                            });
                  });
            },
            [=](caf::error& e) {
              ++self->state.failures;
              spdlog::error("[FORECAST-SCHED] ❌ No catalog: {}", describe(e));
            });
  });
}

void forecast_metrics(self_pointer self, const supervisor_actor& supervisor,
                      std::vector<std::string> ids) {
  if (ids.empty())
    return;
  spdlog::info("[FORECAST-SCHED] 🔮 Generating {}-metric forecast...", ids.size());
  forecast_request request{ids, self->state.settings.horizon_ms};
  with_component<forecaster_actor>(self, supervisor, "forecaster", [=](forecaster_actor f) {
    self->request(f, std::chrono::seconds(60), atom::forecast_v, request)
        .then([=](std::vector<forecast>& out) { deliver(self, supervisor, ids, std::move(out)); },
              [=](caf::error& e) {
                ++self->state.failures;
                spdlog::error("[FORECAST-SCHED] ❌ Forecast cycle failed: {}", describe(e));
              });
  });
}

} // namespace

scheduler_actor::behavior_type
scheduler_component(scheduler_actor::stateful_pointer<scheduler_state> self,
                    supervisor_actor supervisor, scheduler_settings settings) {
  self->state.settings = std::move(settings);
  const auto& s = self->state.settings;
  self->state.next_due_ms = virtual_now(self) + s.interval_ms;
  self->delayed_send(self, s.clock.real_delay(s.interval_ms), atom::tick_v);
  spdlog::info("[ML-SYSTEMS] 🔮 Predictive forecasting active ({} intervals)",
               config::format_duration(s.interval_ms));
  return {
      [=](atom::tick) {
        run_cycle(self, supervisor);
        const auto& st = self->state;
        self->state.next_due_ms = virtual_now(self) + st.settings.interval_ms;
        self->delayed_send(self, st.settings.clock.real_delay(st.settings.interval_ms),
                           atom::tick_v);
      },
      [=](atom::status) -> scheduler_status {
        const auto& st = self->state;
        scheduler_status out;
        out.cycles = st.cycles;
        out.forecasts = st.forecasts;
        out.failures = st.failures;
        out.interval_ms = st.settings.interval_ms;
        out.horizon_ms = st.settings.horizon_ms;
        out.next_cycle_at = st.next_due_ms;
        out.has_last_cycle = st.last.has_value();
        if (st.last)
          out.last_cycle = {st.last->at, st.last->forecast, st.last->without_data};
        return out;
      },
  };
}

} // namespace grace
