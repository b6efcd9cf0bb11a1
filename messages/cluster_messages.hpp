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
constexpr uint32_t cluster_protocol_version = 4;

// The first message on a new connection, both ways.
struct peer_hello {
  uint32_t protocol_version = cluster_protocol_version;
  std::string node_id;
  int64_t incarnation = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, peer_hello& x) {
  return f(caf::meta::type_name("peer_hello"), x.protocol_version, x.node_id, x.incarnation);
}

// A shard owner's metric snapshots for the shard's next owner, which stores
// them as its own history (so that forecasts after a failover have it).
struct snapshot_handover {
  std::string from; // the owner's node id
  int32_t shard = 0;
  std::vector<snapshot> snapshots; // of metrics of `shard`, oldest first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_handover& x) {
  return f(caf::meta::type_name("snapshot_handover"), x.from, x.shard, x.snapshots);
}

} // namespace grace
