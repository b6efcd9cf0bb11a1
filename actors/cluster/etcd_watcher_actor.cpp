#include "actors/cluster/etcd_watcher_actor.hpp"

#include "actors/cluster/membership.hpp"

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace etcd = cluster::etcd;

bool about_ownership(const etcd::watch_message& m, const std::string& cluster_name) {
  const auto members = cluster::members_prefix(cluster_name);
  const auto owners = cluster::owners_prefix(cluster_name);
  const auto kill_switch = cluster::kill_switch_key(cluster_name);
  for (const auto& e : m.events)
    if (e.kv.key.rfind(members, 0) == 0 || e.kv.key.rfind(owners, 0) == 0
        || e.kv.key == kill_switch)
      return true;
  return false;
}

etcd_watcher_actor::behavior_type
etcd_watcher(etcd_watcher_actor::stateful_pointer<etcd_watcher_state> self,
             std::shared_ptr<etcd::etcd_watch_source> source, std::string cluster_name,
             refresh_sink_actor cluster, std::chrono::milliseconds idle,
             std::chrono::milliseconds reopen_delay) {
  return {
      [=](atom::tick) {
        auto& st = self->state;
        ++st.streams;
        const auto prefix = "/grace/" + cluster_name + "/";
        try {
          // Blocks while the stream is open: this actor runs detached.
          source->watch(
              etcd::watch_create_request(prefix, 0),
              [&](const std::string& doc) {
                etcd::watch_message m;
                try {
                  m = etcd::parse_watch_message(doc);
                } catch (const etcd::etcd_error& e) {
                  spdlog::warn("[CLUSTER] watch: {}", e.what());
                  return false;
                }
                if (m.canceled)
                  return false;
                // Opened (again): whatever happened while it was closed is read back.
                if (m.created || about_ownership(m, cluster_name))
                  self->send(cluster, atom::refresh_v);
                if (!self->state.last_error.empty()) {
                  spdlog::info("[CLUSTER] watching etcd again");
                  self->state.last_error.clear();
                }
                return true;
              },
              idle);
        } catch (const etcd::etcd_error& e) {
          if (e.what() != st.last_error)
            spdlog::debug("[CLUSTER] watch closed: {}", e.what());
          st.last_error = e.what();
        }
        self->delayed_send(self, reopen_delay, atom::tick_v);
      },
  };
}

} // namespace grace
