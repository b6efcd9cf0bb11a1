#include "actors/supervisor/supervisor_actor.hpp"

#include "messages/errors.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_ptr = supervisor_full_actor::stateful_pointer<supervisor_state>;

int64_t now_ms(self_ptr self) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(self->clock().now().time_since_epoch()).count();
}

component_slot* find_by_name(supervisor_state& st, const std::string& name) {
  for (auto& s : st.slots)
    if (s.spec.name == name)
      return &s;
  return nullptr;
}

void start(self_ptr self, component_slot& slot) {
  slot.handle = slot.spec.spawn(self, caf::actor_cast<supervisor_actor>(self));
}

} // namespace

supervisor_full_actor::behavior_type
supervisor(supervisor_full_actor::stateful_pointer<supervisor_state> self,
           std::vector<component_spec> components, supervision::restart_limits limits) {
  self->state.limits = limits;
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    component_slot* slot = nullptr;
    for (auto& s : st.slots)
      if (s.handle && s.handle.address() == msg.source)
        slot = &s;
    if (slot == nullptr) {
      // Not one of ours: the node asks us to stop; linked children follow.
      self->quit(msg.reason);
      return;
    }
    slot->handle = nullptr;
    const std::string name = slot->spec.name;
    if (is(msg.reason, errc::startup_failed)) {
      spdlog::critical("[SUPERVISOR] ❌ {} could not start: {}; stopping the node", name,
                       describe(msg.reason));
      self->quit(msg.reason);
      return;
    }
    auto decision = slot->history.on_crash(now_ms(self), st.limits);
    if (decision.give_up) {
      spdlog::critical("[SUPERVISOR] ❌ Giving up on {}: {} restarts within {} ms; last exit: {}",
                       name, decision.restarts_in_window, st.limits.window_ms,
                       describe(msg.reason));
      self->quit(make_error(errc::internal, "component " + name + " crashed "
                                                + std::to_string(decision.restarts_in_window + 1)
                                                + " times within the restart window"));
      return;
    }
    spdlog::warn("[SUPERVISOR] ⚠️ {} exited ({}); restart #{} in {} ms", name,
                 describe(msg.reason), slot->history.total_restarts(), decision.delay_ms);
    self->delayed_send(self, std::chrono::milliseconds(decision.delay_ms), atom::restart_v, name);
  });
  // Spawn in order: later components may ask for earlier ones at start.
  for (auto& spec : components) {
    self->state.slots.push_back(component_slot{std::move(spec), nullptr, {}});
    start(self, self->state.slots.back());
  }
  return {
      [=](atom::get, const std::string& name) -> caf::result<caf::actor> {
        auto* slot = find_by_name(self->state, name);
        if (slot == nullptr)
          return make_error(errc::not_found, "no component named '" + name + "'");
        if (!slot->handle)
          return make_error(errc::unavailable, "component '" + name + "' is restarting");
        return slot->handle;
      },
      [=](atom::ready) -> bool {
        for (const auto& s : self->state.slots)
          if (!s.handle)
            return false;
        return true;
      },
      [=](atom::restart, const std::string& name) {
        auto* slot = find_by_name(self->state, name);
        if (slot == nullptr || slot->handle)
          return;
        start(self, *slot);
        spdlog::info("[SUPERVISOR] 🔁 {} restarted", name);
      },
      [=](atom::status) -> std::string {
        nlohmann::json components = nlohmann::json::array();
        for (const auto& s : self->state.slots)
          components.push_back({{"name", s.spec.name},
                                {"up", static_cast<bool>(s.handle)},
                                {"restarts", s.history.total_restarts()}});
        return nlohmann::json{{"components", components}}.dump();
      },
  };
}

} // namespace grace
