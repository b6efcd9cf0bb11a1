#pragma once
// What the cluster component needs of etcd: one blocking call of its v3 JSON
// API at a time. etcd_client makes it over mutual TLS; the protocol tests
// put an in-memory etcd behind it.
#include "actors/cluster/etcd_json.hpp"

#include <string>

namespace grace::cluster::etcd {

class etcd_transport {
public:
  virtual ~etcd_transport() = default;
  // The body of etcd's 200 answer; etcd_error naming the endpoint and the
  // cause otherwise (unreachable, TLS refused, an error answer).
  virtual std::string call(const request& r) = 0;
  // The endpoint calls go to now, for logs.
  virtual std::string where() const = 0;
};

} // namespace grace::cluster::etcd
