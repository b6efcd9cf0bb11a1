#include "actors/aggregator/aggregator_actor.hpp"

#include "actors/storage/json_mapping.hpp"
#include "actors/supervisor/actor_lookup.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_ptr = aggregator_actor::stateful_pointer<aggregator_state>;

int64_t virtual_now(self_ptr self, const node_clock& clock) {
  return clock.actor_now_ms(self);
}

void refresh_catalog(self_ptr self, const supervisor_actor& supervisor) {
  with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor c) {
    self->request(c, std::chrono::seconds(5), atom::get_v)
        .then([=](catalog_ref& ref) { self->state.catalog = std::move(ref); }, [](caf::error&) {});
  });
}

void emit(self_ptr self, const supervisor_actor& supervisor, std::vector<snapshot> snapshots) {
  if (snapshots.empty())
    return;
  self->state.snapshots_emitted += snapshots.size();
  spdlog::debug("[AGGREGATOR] {} snapshots closed", snapshots.size());
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor s) {
    self->request(s, std::chrono::seconds(30), atom::store_v, snapshots)
        .then([](uint64_t) {},
              [](caf::error& e) {
                spdlog::error("[AGGREGATOR] Snapshots not stored: {}", describe(e));
              });
  });
  with_component<integration_actor>(self, supervisor, "integration", [=](integration_actor i) {
    self->send(i, atom::ingest_v, snapshots);
  });
  if (self->state.has_predictor)
    with_component<predictor_actor>(self, supervisor, "predictor", [=](predictor_actor p) {
      self->send(p, atom::ingest_v, snapshots);
    });
  with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor m) {
    for (const auto& s : snapshots)
      self->send(m, atom::publish_v, std::string("snapshots"), nlohmann::json(s).dump());
  });
}

} // namespace

aggregator_actor::behavior_type
aggregator_component(aggregator_actor::stateful_pointer<aggregator_state> self,
                     supervisor_actor supervisor, node_clock clock, aggregator_settings settings) {
  self->state.has_predictor = settings.notify_predictor;
  aggregator::window_config config;
  config.period_ms = settings.snapshot_interval_ms;
  config.allowed_lateness_ms = settings.allowed_lateness_ms;
  // The band of the catalog's aggregation statistic; unknown metrics stay good.
  auto band_of = [self](const std::string& metric_id, const snapshot& s) {
    const auto& cat = self->state.catalog;
    const auto* m = cat ? cat->find_metric(metric_id) : nullptr;
    return m ? catalog::band_of(*m, catalog::statistic_of(s, m->aggregation)) : band::good;
  };
  self->state.window = std::make_unique<aggregator::snapshot_window>(config, band_of);
  refresh_catalog(self, supervisor);
  self->delayed_send(self, clock.real_delay(settings.tick_ms), atom::tick_v);
  return {
      [=](atom::ingest, const sample_batch& batch) {
        for (const auto& s : batch)
          self->state.window->add(s);
      },
      [=](atom::tick) {
        emit(self, supervisor, self->state.window->close_until(virtual_now(self, clock)));
        refresh_catalog(self, supervisor);
        self->delayed_send(self, clock.real_delay(settings.tick_ms), atom::tick_v);
      },
      [=](atom::status) -> std::string {
        const auto& w = *self->state.window;
        return nlohmann::json{{"accepted", w.accepted()},
                              {"late_dropped", w.late_dropped()},
                              {"non_finite_dropped", w.non_finite_dropped()},
                              {"open_windows", w.open_windows()},
                              {"watermark", w.watermark()},
                              {"snapshots_emitted", self->state.snapshots_emitted}}
            .dump();
      },
  };
}

} // namespace grace
