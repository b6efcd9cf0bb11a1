#pragma once
// For actor shells (it uses CAF): finding another component from inside an
// actor. Ask the supervisor for the live handle every time, so that a
// restarted component is found again.
#include "messages/actors.hpp"
#include "messages/errors.hpp"

#include <caf/actor_cast.hpp>
#include <chrono>
#include <spdlog/spdlog.h>
#include <string>

namespace grace {

template <class Handle, class Self, class F>
void with_component(Self* self, const supervisor_actor& supervisor, const std::string& name,
                    F on_handle) {
  self->request(supervisor, std::chrono::seconds(5), atom::get_v, name)
      .then([on_handle](caf::actor& a) { on_handle(caf::actor_cast<Handle>(a)); },
            [name](caf::error& e) {
              spdlog::warn("[SUPERVISOR] {} is not reachable: {}", name, describe(e));
            });
}

// As with_component, and `on_missing(error)` runs when the component cannot
// be found (for callers that owe somebody an answer).
template <class Handle, class Self, class F, class G>
void with_component_or(Self* self, const supervisor_actor& supervisor, const std::string& name,
                       F on_handle, G on_missing) {
  self->request(supervisor, std::chrono::seconds(5), atom::get_v, name)
      .then([on_handle](caf::actor& a) { on_handle(caf::actor_cast<Handle>(a)); },
            [name, on_missing](caf::error& e) {
              spdlog::warn("[SUPERVISOR] {} is not reachable: {}", name, describe(e));
              on_missing(e);
            });
}

// Stores a component's state (JSON) under `key` in the metric store; a
// failure is logged as "<what>: <reason>". `on_saved` runs once it is stored.
template <class Self, class OnSaved = void (*)()>
void store_state(
    Self* self, const supervisor_actor& supervisor, std::string key, std::string json,
    std::string what, OnSaved on_saved = [] {}) {
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::state_v, key, json)
        .then([=](uint64_t) { on_saved(); },
              [=](caf::error& e) { spdlog::error("{}: {}", what, describe(e)); });
  });
}

// Virtual now for a component whose state holds `settings.clock`.
template <class Self> int64_t virtual_now(Self* self) {
  return self->state.settings.clock.actor_now_ms(self);
}

} // namespace grace
