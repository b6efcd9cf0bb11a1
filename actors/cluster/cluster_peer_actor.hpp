#pragma once
// The cluster transport: what a node publishes to its peers on cluster.listen
// and how it connects to theirs, both through caf-openssl with the cluster
// CA (mutual TLS; the node's actor system config sets the certificate, key
// and CA, and a node without them never starts).
#include "messages/actors.hpp"

#include <caf/expected.hpp>
#include <optional>
#include <string>

namespace grace {

struct cluster_peer_state {
  static inline const char* name = "cluster-peer";
};

// Exposes the hello and the forwarded recommendations and rewards to the
// network and hands them to the cluster component, which knows the members
// and the owners.
cluster_peer_actor::behavior_type
cluster_peer_component(cluster_peer_actor::stateful_pointer<cluster_peer_state> self,
                       cluster_actor cluster);

// Publishes `peer` on host:port over mutual TLS; the reason on failure.
std::optional<std::string> publish_peer(const cluster_peer_actor& peer, const std::string& host,
                                        uint16_t port);

// A peer's published actor, over mutual TLS (blocks until connected or refused).
caf::expected<cluster_peer_actor> connect_peer(caf::actor_system& sys, const std::string& host,
                                               uint16_t port);

struct peer_dialer_state {
  static inline const char* name = "peer-dialer";
};

// Dials once (connect_peer), answers and quits: spawned detached per dial, so
// that the cluster component never waits for a connect.
peer_dialer_actor::behavior_type
peer_dialer(peer_dialer_actor::stateful_pointer<peer_dialer_state> self);

} // namespace grace
