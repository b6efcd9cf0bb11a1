#pragma once
// What cluster nodes say to each other over the middleman (mutual TLS). The
// registered type names are the wire identity: renaming breaks peers.
#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>

namespace grace {

// Raised whenever a message crossing the wire changes shape; a peer speaking
// another version is refused.
constexpr uint32_t cluster_protocol_version = 3;

// The first message on a new connection, both ways.
struct peer_hello {
  uint32_t protocol_version = cluster_protocol_version;
  std::string node_id;
  int64_t incarnation = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, peer_hello& x) {
  return f(caf::meta::type_name("peer_hello"), x.protocol_version, x.node_id, x.incarnation);
}

} // namespace grace
