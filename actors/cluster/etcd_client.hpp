#pragma once
// A blocking client of etcd's v3 JSON API over mutual TLS (cpp-httplib with
// OpenSSL): the node's certificate and key, etcd's certificate checked
// against the cluster CA. With several endpoints it moves to the next one
// when a call cannot reach the current one. One instance per thread.
#include "actors/cluster/cluster_settings.hpp"
#include "actors/cluster/etcd_json.hpp"
#include "actors/cluster/etcd_transport.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace httplib {
class SSLClient;
}

namespace grace::cluster::etcd {

struct tls_files {
  std::string cert;
  std::string key;
  std::string ca;
};

class etcd_client : public etcd_transport, public etcd_watch_source {
public:
  etcd_client(std::vector<endpoint> endpoints, tls_files tls, std::chrono::milliseconds timeout);
  ~etcd_client() override;
  etcd_client(const etcd_client&) = delete;
  etcd_client& operator=(const etcd_client&) = delete;

  // The body of etcd's 200 answer; etcd_error naming the endpoint and the
  // cause otherwise (unreachable, TLS refused, an error answer).
  std::string call(const request& r) override;
  std::string where() const override;

  // Opens a watch and hands every document of the stream to `on_document`
  // until it returns false, the stream ends or fails (etcd_error), or stop()
  // is called. `idle_timeout`: a stream silent this long is closed (the
  // caller reopens it and re-reads the state).
  void watch(const request& r, const std::function<bool(const std::string&)>& on_document,
             std::chrono::milliseconds idle_timeout) override;

  // Interrupts a watch or call under way on another thread.
  void stop() override;

  const endpoint& current() const { return endpoints_[current_]; }

private:
  httplib::SSLClient& connection();
  void next_endpoint();

  std::vector<endpoint> endpoints_;
  tls_files tls_;
  std::chrono::milliseconds timeout_;
  size_t current_ = 0;
  std::mutex mutex_; // guards client_ against stop() from another thread
  std::unique_ptr<httplib::SSLClient> client_;
  std::atomic<bool> stopped_{false};
};

} // namespace grace::cluster::etcd
