#pragma once
// The etcd watch as an actor of the cluster component (spawned detached,
// monitored by the component, which spawns it again should it die): each
// tick opens one watch stream on /grace/<cluster>/ and tells the component
// `refresh` when the stream opens (whatever happened while it was closed is
// read back) and on every change under members/ or owner/ (rewards and
// snapshots under the same prefix change neither; the kill switch does).
// When the stream ends,
// fails (etcd unreachable) or is silent for `idle`, the watcher ticks itself
// again after `reopen_delay`, so it watches again once etcd is back. The
// component stops it on exit by stopping its source (which interrupts the
// stream) and sending it an exit.
#include "actors/cluster/etcd_transport.hpp"
#include "messages/actors.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace grace {

struct etcd_watcher_state {
  static inline const char* name = "etcd-watcher";
  std::string last_error; // logged once until it changes
  uint64_t streams = 0;   // watch streams opened (ticks handled)
};

// Whether a watch message is about members, owners or the kill switch (a
// refresh is due).
bool about_ownership(const cluster::etcd::watch_message& m, const std::string& cluster_name);

etcd_watcher_actor::behavior_type
etcd_watcher(etcd_watcher_actor::stateful_pointer<etcd_watcher_state> self,
             std::shared_ptr<cluster::etcd::etcd_watch_source> source, std::string cluster_name,
             refresh_sink_actor cluster, std::chrono::milliseconds idle,
             std::chrono::milliseconds reopen_delay);

} // namespace grace
