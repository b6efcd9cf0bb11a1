#pragma once
// The cluster component's connection to etcd, as an actor of its own: the
// component sends calls and goes on serving requests; a worker makes them one
// at a time on its own thread (spawned detached) and answers each parsed.
#include "actors/cluster/etcd_transport.hpp"
#include "messages/actors.hpp"

#include <memory>
#include <vector>

namespace grace {

struct etcd_worker_state {
  static inline const char* name = "etcd-worker";
};

etcd_worker_actor::behavior_type
etcd_worker(etcd_worker_actor::stateful_pointer<etcd_worker_state> self,
            std::shared_ptr<cluster::etcd::etcd_transport> transport);

// etcd's answer to `call` (its 200 body) parsed by what the path answers;
// etcd_error when the body is not such an answer.
etcd_reply parse_etcd_reply(const etcd_call& call, const std::string& body);

etcd_call to_call(const cluster::etcd::request& r);
cluster::etcd::range_answer to_range(const etcd_reply& r);
cluster::etcd::txn_answer to_txn(const etcd_reply& r);

} // namespace grace
