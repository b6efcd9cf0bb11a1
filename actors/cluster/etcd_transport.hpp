#pragma once
// What the cluster component needs of etcd: one blocking call of its v3 JSON
// API at a time. etcd_client makes it over mutual TLS; the protocol tests
// put an in-memory etcd behind it.
#include "actors/cluster/etcd_json.hpp"

#include <chrono>
#include <functional>
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

// etcd's watch stream: etcd_client opens it over mutual TLS; the protocol
// tests feed documents of their own.
class etcd_watch_source {
public:
  virtual ~etcd_watch_source() = default;
  // Opens a watch and hands every document of the stream to `on_document`
  // until it returns false, the stream ends or fails (etcd_error), or stop()
  // is called. A stream silent for `idle_timeout` is closed.
  virtual void watch(const request& r, const std::function<bool(const std::string&)>& on_document,
                     std::chrono::milliseconds idle_timeout) = 0;
  // Interrupts a watch under way on another thread; later watches return at once.
  virtual void stop() = 0;
};

} // namespace grace::cluster::etcd
