#include "node/cluster_transport.hpp"

#include "messages/cluster_messages.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <chrono>

namespace grace {

void enable_cluster_transport(caf::actor_system_config& cfg,
                              const cluster::cluster_settings& cluster) {
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = cluster.cert;
  cfg.openssl_key = cluster.key;
  cfg.openssl_cafile = cluster.ca;
  // A silent peer is noticed within the timeout; a down message only marks it
  // suspect (etcd decides membership).
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(5)});
  // Peers of another application (or another cluster protocol) are refused
  // by CAF's own handshake too.
  cfg.set("middleman.app-identifiers",
          std::vector<std::string>{"grace-cluster-v" + std::to_string(cluster_protocol_version)});
}

} // namespace grace
