#pragma once
// cluster: in grace.yaml and the --node-id/--cluster-* flags. A cluster node
// must hold a certificate from the cluster CA: without cert, key and CA it
// does not start (CAF and OpenSSL would otherwise fall back to anonymous TLS
// or plain TCP, and any process could join).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grace::cluster {

struct cluster_settings {
  std::string node_id;
  std::string name = "grace";
  std::vector<std::string> etcd; // https://host:port endpoints; empty: the node runs alone
  std::string listen;            // host:port for the cluster transport
  std::string cert;              // PEM: this node's certificate, issued by the cluster CA
  std::string key;               // PEM: its private key
  std::string ca;                // PEM: the cluster CA
  int64_t lease_ttl_ms = 10000;
  int64_t keepalive_interval_ms = 3000;
  int64_t etcd_timeout_ms = 2000;

  bool enabled() const { return !etcd.empty(); }
};

struct endpoint {
  std::string host;
  int port = 0;
};

// https://host:port (an optional trailing slash); etcd is never reached
// without TLS. nullopt with `why` set otherwise.
std::optional<endpoint> parse_etcd_url(std::string_view url, std::string& why);
// host:port with a port in 1..65535.
std::optional<endpoint> parse_host_port(std::string_view text, std::string& why);
// "a,b , c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> split_list(std::string_view text);

// Every reason the settings cannot start a cluster node, each naming the
// setting (cluster.<key>); empty when they can, or when the cluster is off.
// `check_files`: the PEM files must exist and be readable.
std::vector<std::string> cluster_settings_problems(const cluster_settings& s, bool check_files);

} // namespace grace::cluster
