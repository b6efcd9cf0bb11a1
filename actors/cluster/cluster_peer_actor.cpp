#include "actors/cluster/cluster_peer_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace grace {

cluster_peer_actor::behavior_type
cluster_peer_component(cluster_peer_actor::stateful_pointer<cluster_peer_state> self,
                       cluster_actor cluster) {
  return {
      [=](atom::hello, peer_hello& theirs, caf::actor& endpoint) {
        return self->delegate(cluster, atom::hello_v, std::move(theirs), std::move(endpoint));
      },
      [=](atom::recommend, recommend_request& request, std::string& from) {
        return self->delegate(cluster, atom::recommend_v, std::move(request), std::move(from));
      },
      [=](atom::reward, reward_report& report, std::string& from) {
        return self->delegate(cluster, atom::reward_v, std::move(report), std::move(from));
      },
      [=](atom::ingest, sample_batch& batch, std::string& from) {
        return self->delegate(cluster, atom::ingest_v, std::move(batch), std::move(from));
      },
      [=](atom::statistics, std::string& from) {
        return self->delegate(cluster, atom::statistics_v, std::move(from));
      },
      [=](atom::policies, std::string& from) {
        return self->delegate(cluster, atom::policies_v, std::move(from));
      },
      [=](atom::forecast, forecast_request& request, std::string& from) {
        return self->delegate(cluster, atom::forecast_v, std::move(request), std::move(from));
      },
      [=](atom::warnings, std::string& from) {
        return self->delegate(cluster, atom::warnings_v, std::move(from));
      },
      [=](atom::overview, std::string& from) {
        return self->delegate(cluster, atom::overview_v, std::move(from));
      },
      [=](atom::playbooks, std::string& from) {
        return self->delegate(cluster, atom::playbooks_v, std::move(from));
      },
      [=](atom::store, snapshot_handover& handover) {
        return self->delegate(cluster, atom::store_v, std::move(handover));
      },
      [=](atom::withdraw, std::string& event_id, std::string& from) {
        return self->delegate(cluster, atom::withdraw_v, std::move(event_id), std::move(from));
      },
      [=](atom::query, snapshot_query& query, std::string& from) {
        return self->delegate(cluster, atom::query_v, std::move(query), std::move(from));
      },
      [=](atom::accuracy, std::string& from) {
        return self->delegate(cluster, atom::accuracy_v, std::move(from));
      },
      [=](atom::learning, std::string& from) {
        return self->delegate(cluster, atom::learning_v, std::move(from));
      },
      [=](atom::training, std::string& from) {
        return self->delegate(cluster, atom::training_v, std::move(from));
      },
      [=](atom::forecasts, std::string& from) {
        return self->delegate(cluster, atom::forecasts_v, std::move(from));
      },
      [=](atom::executions, std::string& filter, std::string& from) {
        return self->delegate(cluster, atom::executions_v, std::move(filter), std::move(from));
      },
      [=](atom::store, closed_windows& history, std::string& from) {
        return self->delegate(cluster, atom::store_v, std::move(history), std::move(from));
      },
      [=](atom::approve, std::string& id, bool approved, std::string& from) {
        return self->delegate(cluster, atom::approve_v, std::move(id), approved, std::move(from));
      },
      [=](atom::evaluate, std::string& from) {
        return self->delegate(cluster, atom::evaluate_v, std::move(from));
      },
  };
}

std::optional<std::string> publish_peer(const cluster_peer_actor& peer, const std::string& host,
                                        uint16_t port) {
  auto published = caf::openssl::publish(peer, port, host.c_str(), true);
  if (!published)
    return peer.home_system().render(published.error());
  return std::nullopt;
}

caf::expected<cluster_peer_actor> connect_peer(caf::actor_system& sys, const std::string& host,
                                               uint16_t port) {
  return caf::openssl::remote_actor<cluster_peer_actor>(sys, host, port);
}

peer_dialer_actor::behavior_type
peer_dialer(peer_dialer_actor::stateful_pointer<peer_dialer_state> self) {
  return {
      [=](atom::connect, const std::string& host,
          uint16_t port) -> caf::result<cluster_peer_actor> {
        auto handle = connect_peer(self->system(), host, port);
        self->quit();
        if (!handle)
          return std::move(handle.error());
        return std::move(*handle);
      },
  };
}

} // namespace grace
