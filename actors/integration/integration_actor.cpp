#include "actors/integration/integration_actor.hpp"

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

// A targeted forecast of a metric that just escalated: logged, and published
// on the "forecasts" topic with the escalation that caused it.
void request_forecast(integration_actor::stateful_pointer<integration_state> self,
                      const supervisor_actor& supervisor, const integration::band_change& change,
                      int64_t horizon_ms) {
  forecast_request request{{change.metric_id}, horizon_ms};
  with_component<forecaster_actor>(self, supervisor, "forecaster", [=](forecaster_actor f) {
    self->request(f, std::chrono::seconds(30), atom::forecast_v, request)
        .then(
            [=](std::vector<forecast>& out) {
              if (out.empty() || out.front().points.empty())
                return;
              ++self->state.forecasts_received;
              const auto& fc = out.front();
              const auto& last = fc.points.back();
              spdlog::info("[SNAPSHOT-INTEGRATION] 📈 {} trend: {:.2f} in {}m (80%: {:.2f}..{:.2f})",
                           fc.metric_id, last.mean, (last.ts - fc.generated_at) / 60000, last.lo80,
                           last.hi80);
              with_component<predictor_actor>(
                  self, supervisor, "predictor",
                  [=](predictor_actor p) { self->send(p, atom::forecast_v, out); });
              nlohmann::json event = fc;
              event["reason"] = {{"band_change", nlohmann::json(change)}};
              with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
                self->send(mesh, atom::publish_v, std::string("forecasts"), event.dump());
              });
            },
            [=](caf::error& e) {
              spdlog::warn("[SNAPSHOT-INTEGRATION] ⚠️ No trend for {}: {}", change.metric_id,
                           describe(e));
            });
  });
}

} // namespace

integration_actor::behavior_type
integration_component(integration_actor::stateful_pointer<integration_state> self,
                      supervisor_actor supervisor, int64_t horizon_ms) {
  return {
      [=](atom::ingest, const std::vector<snapshot>& snapshots) {
        auto changes = self->state.watch.observe(snapshots);
        for (const auto& c : changes) {
          spdlog::info("[SNAPSHOT-INTEGRATION] ⚠️ {} → {}, predicting trend...", c.metric_id,
                       to_string(c.to));
          ++self->state.forecast_requests;
          self->state.recent.push_back(c);
          if (self->state.recent.size() > 50)
            self->state.recent.pop_front();
          auto event = nlohmann::json(c).dump();
          with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
            self->send(mesh, atom::publish_v, std::string("band_changes"), event);
          });
          if (c.to != band::good)
            request_forecast(self, supervisor, c, horizon_ms);
        }
      },
      [=](atom::status) -> integration_status {
        const auto& st = self->state;
        return {st.forecast_requests, st.forecasts_received, {st.recent.begin(), st.recent.end()}};
      },
  };
}

} // namespace grace
