#pragma once
// The actor system settings of a cluster node's transport: the middleman
// with caf-openssl, the node's certificate, key and the cluster CA (CAF then
// requires a valid peer certificate both ways; without them it would fall
// back to anonymous TLS, which is why a cluster node never starts without
// them), and the middleman's heartbeat and connection timeout.
#include "actors/cluster/cluster_settings.hpp"

#include <caf/fwd.hpp>

namespace grace {

void enable_cluster_transport(caf::actor_system_config& cfg,
                              const cluster::cluster_settings& cluster);

} // namespace grace
