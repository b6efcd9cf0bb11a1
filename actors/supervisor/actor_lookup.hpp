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

} // namespace grace
