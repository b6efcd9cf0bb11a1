#include "actors/mesh/mesh_actor.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

namespace grace {

mesh_actor::behavior_type mesh_component(mesh_actor::stateful_pointer<mesh_state> self) {
  self->set_down_handler([=](caf::down_msg& msg) {
    self->state.table.unsubscribe_everywhere(msg.source);
    self->state.handles.erase(msg.source);
  });
  return {
      [=](atom::subscribe, const std::string& topic, const caf::actor& subscriber) {
        if (!subscriber)
          return;
        auto addr = subscriber.address();
        if (self->state.handles.emplace(addr, subscriber).second)
          self->monitor(subscriber);
        self->state.table.subscribe(topic, addr);
      },
      [=](atom::publish, const std::string& topic, const std::string& json) {
        ++self->state.published[topic];
        for (const auto& addr : self->state.table.recipients(topic)) {
          auto it = self->state.handles.find(addr);
          if (it != self->state.handles.end())
            caf::anon_send(it->second, atom::event_v, topic, json);
        }
      },
      [=](atom::status) -> mesh_status {
        return {self->state.table.subscriptions(), self->state.published};
      },
  };
}

} // namespace grace
