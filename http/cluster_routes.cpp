#include "http/cluster_routes.hpp"

#include "http/json_response.hpp"
#include "messages/json.hpp"

#include <nlohmann/json.hpp>

namespace grace::http {

void install_cluster_routes(router& server, actor_gateway& gateway) {
  server.Get("/api/cluster", [&gateway](const httplib::Request&, httplib::Response& res) {
    gateway_failure failure;
    auto body = gateway.ask<cluster_view, cluster_actor>("cluster", failure, atom::get_v);
    if (!body) {
      // The supervisor knows no cluster component when cluster.etcd is unset.
      if (failure.status == 404)
        failure.message = "this node runs alone: set cluster.etcd (--cluster-etcd) to join a "
                          "cluster";
      return send_failure(res, failure);
    }
    send_json(res, 200, nlohmann::json(*body));
  });
}

} // namespace grace::http
