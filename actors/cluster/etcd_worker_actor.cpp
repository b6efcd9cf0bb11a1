#include "actors/cluster/etcd_worker_actor.hpp"

#include "messages/errors.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace grace {

namespace etcd = cluster::etcd;

namespace {

etcd_kv to_message(const etcd::key_value& kv) {
  return {kv.key, kv.value, kv.create_revision, kv.mod_revision, kv.version, kv.lease};
}

etcd::key_value from_message(const etcd_kv& kv) {
  return {kv.key, kv.value, kv.create_revision, kv.mod_revision, kv.version, kv.lease};
}

} // namespace

etcd_reply parse_etcd_reply(const etcd_call& call, const std::string& body) {
  etcd_reply out;
  if (call.path == "/v3/lease/grant") {
    const auto g = etcd::parse_lease_grant(body);
    out.lease_id = g.id;
    out.ttl_seconds = g.ttl_seconds;
  } else if (call.path == "/v3/lease/keepalive") {
    const auto k = etcd::parse_keepalive(body);
    out.lease_id = k.id;
    out.ttl_seconds = k.ttl_seconds;
  } else if (call.path == "/v3/kv/range") {
    auto r = etcd::parse_range(body);
    out.revision = r.revision;
    out.succeeded = true;
    for (const auto& kv : r.kvs)
      out.kvs.push_back(to_message(kv));
  } else if (call.path == "/v3/kv/txn") {
    auto t = etcd::parse_txn(body);
    out.revision = t.revision;
    out.succeeded = t.succeeded;
    for (const auto& kv : t.kvs)
      out.kvs.push_back(to_message(kv));
  } else {
    // A put or a revoke: etcd's 200 is the whole answer.
    out.succeeded = true;
  }
  return out;
}

etcd_call to_call(const etcd::request& r) {
  return {r.path, r.body};
}

etcd::range_answer to_range(const etcd_reply& r) {
  etcd::range_answer out;
  out.revision = r.revision;
  for (const auto& kv : r.kvs)
    out.kvs.push_back(from_message(kv));
  return out;
}

etcd::txn_answer to_txn(const etcd_reply& r) {
  etcd::txn_answer out;
  out.revision = r.revision;
  out.succeeded = r.succeeded;
  for (const auto& kv : r.kvs)
    out.kvs.push_back(from_message(kv));
  return out;
}

etcd_worker_actor::behavior_type etcd_worker(etcd_worker_actor::stateful_pointer<etcd_worker_state>,
                                             std::shared_ptr<etcd::etcd_transport> transport) {
  return {
      [=](atom::call, const std::vector<etcd_call>& calls) -> caf::result<std::vector<etcd_reply>> {
        std::vector<etcd_reply> replies;
        try {
          for (const auto& c : calls) {
            replies.push_back(parse_etcd_reply(c, transport->call({c.path, c.body})));
            if (c.path == "/v3/kv/txn" && !replies.back().succeeded)
              break;
          }
        } catch (const etcd::etcd_error& e) {
          return make_error(errc::unavailable, e.what());
        }
        return replies;
      },
  };
}

} // namespace grace
