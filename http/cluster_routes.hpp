#pragma once
// GET /api/cluster: this node's view of its cluster (members and shard
// owners as etcd shows them); 404 on a node that runs alone.
#include "http/actor_gateway.hpp"
#include "http/router.hpp"

namespace grace::http {

void install_cluster_routes(router& server, actor_gateway& gateway);

} // namespace grace::http
