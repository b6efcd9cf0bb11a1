#include "actors/simulator/simulator_actor.hpp"

#include "actors/supervisor/supervisor_actor_lookup.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_ptr = simulator_actor::stateful_pointer<simulator_state>;

int64_t virtual_now(self_ptr self, const node_clock& clock) {
  return clock.actor_now_ms(self);
}

void log_events(self_ptr self) {
  for (const auto& e : self->state.world->take_events())
    spdlog::info("[SIMULATOR] {}", e.message);
}

} // namespace

simulator_actor::behavior_type
simulator_component(simulator_actor::stateful_pointer<simulator_state> self,
                    supervisor_actor supervisor, node_clock clock,
                    simulator::simulator_config config, uint64_t seed, std::string sink) {
  const int64_t interval = config.collection_interval_ms;
  self->state.world =
      std::make_unique<simulator::world>(std::move(config), seed, virtual_now(self, clock));
  spdlog::info("[SIMULATOR] 🌍 Simulated world running (seed {}, time scale {})", seed, clock.scale);
  self->delayed_send(self, clock.real_delay(interval), atom::tick_v);
  return {
      [=](atom::tick) {
        auto batch = self->state.world->advance_to(virtual_now(self, clock));
        log_events(self);
        self->state.samples += batch.size();
        if (!batch.empty())
          with_component<sample_sink_actor>(
              self, supervisor, sink, [=, b = std::move(batch)](sample_sink_actor i) {
                self->request(i, std::chrono::seconds(10), atom::ingest_v, b)
                    .then([](const ingest_receipt&) {}, [](caf::error&) {});
              });
        self->delayed_send(self, clock.real_delay(interval), atom::tick_v);
      },
      [=](atom::apply, const std::string& playbook) -> simulated_action {
        auto r = self->state.world->apply_playbook(playbook, virtual_now(self, clock));
        ++self->state.playbooks_applied;
        log_events(self);
        return simulated_action{r.playbook_id, r.matched, r.incident_id, r.action_message};
      },
      [=](atom::status) -> simulator_status {
        const auto& world = *self->state.world;
        simulator_status out;
        out.seed = world.seed();
        out.samples = self->state.samples;
        out.playbooks_applied = self->state.playbooks_applied;
        out.incidents_so_far = world.incident_history().size();
        for (const auto& i : world.active_incidents())
          out.active_incidents.push_back({i.id, i.type});
        return out;
      },
  };
}

} // namespace grace
