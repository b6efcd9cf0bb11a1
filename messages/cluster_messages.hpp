#pragma once
// What cluster nodes say to each other over the middleman (mutual TLS). The
// registered type names are the wire identity: renaming breaks peers.
#include "messages/types.hpp"

#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace grace {

// Raised whenever a message crossing the wire changes shape; a peer speaking
// another version is refused.
constexpr uint32_t cluster_protocol_version = 7;

// The first message on a new connection, both ways.
struct peer_hello {
  uint32_t protocol_version = cluster_protocol_version;
  std::string node_id;
  int64_t incarnation = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, peer_hello& x) {
  return f(caf::meta::type_name("peer_hello"), x.protocol_version, x.node_id, x.incarnation);
}

// Between the cluster component and its etcd workers (same node, never on
// the wire): one call of etcd's v3 JSON API, and its answer parsed.
struct etcd_call {
  std::string path; // e.g. /v3/kv/txn
  std::string body; // the request (JSON), built by etcd_json.hpp
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, etcd_call& x) {
  return f(caf::meta::type_name("etcd_call"), x.path, x.body);
}

struct etcd_kv {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, etcd_kv& x) {
  return f(caf::meta::type_name("etcd_kv"), x.key, x.value, x.create_revision, x.mod_revision,
           x.version, x.lease);
}

// What the call's path answers: a range its revision and key-values, a txn
// its revision, whether it succeeded and what its ranges read, a lease grant
// or keepalive the lease and its TTL (0: the lease is gone).
struct etcd_reply {
  int64_t revision = 0;
  bool succeeded = false;
  std::vector<etcd_kv> kvs;
  int64_t lease_id = 0;
  int64_t ttl_seconds = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, etcd_reply& x) {
  return f(caf::meta::type_name("etcd_reply"), x.revision, x.succeeded, x.kvs, x.lease_id,
           x.ttl_seconds);
}

// A shard owner's metric snapshots and stored forecasts for the shard's next
// owner, or for the member it hands the shard over to, which stores them as
// its own history (so that forecasts after a failover or a handover have it,
// and the latest forecasts and the accuracy go on).
struct snapshot_handover {
  std::string from; // the owner's node id
  int32_t shard = 0;
  std::vector<snapshot> snapshots; // of metrics of `shard`, oldest first
  std::vector<forecast> forecasts; // of metrics of `shard`, oldest first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_handover& x) {
  return f(caf::meta::type_name("snapshot_handover"), x.from, x.shard, x.snapshots, x.forecasts);
}

} // namespace grace
