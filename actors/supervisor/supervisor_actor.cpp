#include "actors/supervisor/supervisor_actor.hpp"

#include "messages/errors.hpp"

#include <algorithm>
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

// Kept for each flushing component still to stop, so that a slow component
// before it cannot use up its time.
constexpr int64_t flush_reserve_ms = 1000;
// At most this long for one component that does not flush (a detached actor
// busy in a long handler is left behind after it).
constexpr int64_t max_stop_step_ms = 1500;
constexpr int64_t min_stop_step_ms = 50;

void finish_shutdown(self_ptr self) {
  auto& sd = self->state.shutdown;
  sd.waiting_for = nullptr;
  if (sd.all_in_time)
    spdlog::info("[SUPERVISOR] ✅ Every component stopped");
  sd.promise.deliver(sd.all_in_time);
  self->quit(caf::exit_reason::user_shutdown);
}

// Stops the next running component (reverse start order): HTTP and the
// sources first, the storage last.
void stop_next(self_ptr self) {
  auto& st = self->state;
  auto& sd = st.shutdown;
  while (sd.remaining > 0) {
    auto& slot = st.slots[--sd.remaining];
    if (!slot.handle)
      continue;
    int64_t reserve = 0;
    for (size_t i = 0; i < sd.remaining; ++i)
      if (st.slots[i].handle && st.slots[i].spec.flush_on_stop)
        reserve += flush_reserve_ms;
    const int64_t left = sd.deadline_ms - now_ms(self) - reserve;
    const int64_t budget = slot.spec.flush_on_stop
                               ? std::max(left, min_stop_step_ms)
                               : std::clamp(left, min_stop_step_ms, max_stop_step_ms);
    const uint64_t step = ++sd.step;
    const caf::actor handle = slot.handle;
    sd.waiting_for = handle.address();
    sd.waiting_name = slot.spec.name;
    // Monitored: an exit we send unlinks the child, so no exit message comes back.
    self->monitor(handle);
    self->delayed_send(self, std::chrono::milliseconds(budget), atom::shutdown_v, atom::tick_v,
                       step);
    if (!slot.spec.flush_on_stop) {
      self->send_exit(handle, caf::exit_reason::user_shutdown);
      return;
    }
    const std::string name = slot.spec.name;
    self->request(handle, std::chrono::milliseconds(budget), atom::flush_v)
        .then(
            [=](bool) {
              spdlog::info("[SUPERVISOR] 💾 {} flushed", name);
              if (self->state.shutdown.step == step)
                self->send_exit(handle, caf::exit_reason::user_shutdown);
            },
            [=](caf::error& e) {
              spdlog::error("[SUPERVISOR] ❌ {} did not flush: {}", name, describe(e));
              if (self->state.shutdown.step == step)
                self->send_exit(handle, caf::exit_reason::user_shutdown);
            });
    return;
  }
  finish_shutdown(self);
}

} // namespace

supervisor_full_actor::behavior_type
supervisor(supervisor_full_actor::stateful_pointer<supervisor_state> self,
           std::vector<component_spec> components, supervision::restart_limits limits) {
  self->state.limits = limits;
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    auto& sd = st.shutdown;
    for (auto& s : st.slots)
      if (s.handle && s.handle.address() == msg.source)
        s.handle = nullptr;
    if (sd.active && msg.source == sd.waiting_for) {
      sd.waiting_for = nullptr;
      stop_next(self);
    }
  });
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
    auto& sd = st.shutdown;
    if (sd.active) {
      // Stopping: nothing is restarted; the next component's turn.
      if (msg.source == sd.waiting_for) {
        sd.waiting_for = nullptr;
        stop_next(self);
      }
      return;
    }
    if (is(msg.reason, errc::startup_failed)) {
      spdlog::critical("[SUPERVISOR] ❌ {} could not start: {}; stopping the node", name,
                       describe(msg.reason));
      self->quit(msg.reason);
      return;
    }
    auto decision = slot->history.on_crash(now_ms(self), st.limits);
    if (decision.give_up) {
      spdlog::critical("[SUPERVISOR] ❌ Giving up on {}: {} restarts within {} ms; last exit: {}",
                       name, decision.restarts_in_window, st.limits.restart_window_ms,
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
      [=](atom::shutdown, int64_t within_ms) -> caf::result<bool> {
        auto& sd = self->state.shutdown;
        if (sd.active)
          return make_error(errc::conflict, "already shutting down");
        sd.active = true;
        sd.promise = self->make_response_promise<bool>();
        sd.deadline_ms = now_ms(self) + within_ms;
        sd.remaining = self->state.slots.size();
        spdlog::info("[SUPERVISOR] 🛑 Stopping the components (within {} ms)", within_ms);
        auto answer = sd.promise;
        stop_next(self);
        return answer;
      },
      [=](atom::shutdown, atom::tick, uint64_t step) {
        auto& sd = self->state.shutdown;
        if (!sd.active || step != sd.step || !sd.waiting_for)
          return;
        spdlog::warn("[SUPERVISOR] ⚠️ {} did not stop in its time; going on without it",
                     sd.waiting_name);
        sd.all_in_time = false;
        sd.waiting_for = nullptr;
        stop_next(self);
      },
      [=](atom::restart, const std::string& name) {
        auto* slot = find_by_name(self->state, name);
        if (slot == nullptr || slot->handle || self->state.shutdown.active)
          return;
        start(self, *slot);
        spdlog::info("[SUPERVISOR] 🔁 {} restarted", name);
      },
      [=](atom::status) -> supervisor_status {
        supervisor_status out;
        for (const auto& s : self->state.slots)
          out.components.push_back(
              {s.spec.name, static_cast<bool>(s.handle), s.history.total_restarts()});
        return out;
      },
  };
}

} // namespace grace
