#include "actors/integration/integration_actor.hpp"

#include "actors/supervisor/actor_lookup.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

nlohmann::json to_json(const integration::band_change& c) {
  return {{"metric_id", c.metric_id},
          {"from", to_string(c.from)},
          {"to", to_string(c.to)},
          {"at", c.at},
          {"value", c.value}};
}

} // namespace

integration_actor::behavior_type
integration_component(integration_actor::stateful_pointer<integration_state> self,
                      supervisor_actor supervisor) {
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
          auto event = to_json(c).dump();
          with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
            self->send(mesh, atom::publish_v, std::string("band_changes"), event);
          });
        }
      },
      [=](atom::status) -> std::string {
        nlohmann::json recent = nlohmann::json::array();
        for (const auto& c : self->state.recent)
          recent.push_back(to_json(c));
        return nlohmann::json{{"forecast_requests", self->state.forecast_requests},
                              {"recent_escalations", recent}}
            .dump();
      },
  };
}

} // namespace grace
