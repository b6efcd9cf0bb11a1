#include "actors/cluster/cluster_settings.hpp"

#include "actors/cluster/certificate_names.hpp"
#include "actors/cluster/membership.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace grace::cluster {

std::optional<endpoint> parse_host_port(std::string_view text, std::string& why) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    why = "expected host:port";
    return std::nullopt;
  }
  std::string host(text.substr(0, colon));
  const auto digits = text.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']' && host.size() > 2)
    host = host.substr(1, host.size() - 2);
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == ':';
    if (!ok) {
      why = "the host has a character that is not allowed in a host name or address";
      return std::nullopt;
    }
  }
  if (digits.empty() || digits.size() > 5
      || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    why = "the port must be a number from 1 to 65535";
    return std::nullopt;
  }
  const int port = std::stoi(std::string(digits));
  if (port < 1 || port > 65535) {
    why = "the port must be a number from 1 to 65535";
    return std::nullopt;
  }
  return endpoint{host, port};
}

std::optional<endpoint> parse_etcd_url(std::string_view url, std::string& why) {
  constexpr std::string_view scheme = "https://";
  if (url.substr(0, scheme.size()) != scheme) {
    why = "etcd is reached over TLS only: expected https://host:port";
    return std::nullopt;
  }
  auto rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    why = "expected https://host:port without a path";
    return std::nullopt;
  }
  return parse_host_port(rest, why);
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos)
      comma = text.size();
    auto item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (!item.empty())
      out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> cluster_settings_problems(const cluster_settings& s, bool check_files) {
  std::vector<std::string> problems;
  if (!s.enabled())
    return problems;
  if (s.node_id.empty())
    problems.push_back("cluster.node_id (--node-id) is required in a cluster");
  else if (!valid_name(s.node_id))
    problems.push_back("cluster.node_id must be 1-64 characters of A-Z a-z 0-9 . _ -");
  if (!valid_name(s.name))
    problems.push_back("cluster.name must be 1-64 characters of A-Z a-z 0-9 . _ -");
  for (const auto& url : s.etcd) {
    std::string why;
    if (!parse_etcd_url(url, why))
      problems.push_back("cluster.etcd: '" + url.substr(0, 200) + "': " + why);
  }
  if (s.listen.empty()) {
    problems.push_back("cluster.listen (--cluster-listen) is required in a cluster");
  } else {
    std::string why;
    if (!parse_host_port(s.listen, why))
      problems.push_back("cluster.listen: " + why);
  }
  auto pem = [&](const std::string& path, const char* key, const char* flag) {
    if (path.empty()) {
      problems.push_back(std::string("cluster.") + key + " (" + flag
                         + ") is required: a cluster node never runs without its certificate");
      return;
    }
    if (check_files && !std::ifstream(path).good())
      problems.push_back(std::string("cluster.") + key + ": cannot read " + path);
  };
  pem(s.cert, "cert", "--cluster-cert");
  // A node's id is a name its certificate is issued to (CN or DNS name):
  // one certificate speaks for one member, and a misplaced file is caught.
  if (check_files && !s.cert.empty() && valid_name(s.node_id)) {
    std::ifstream in(s.cert);
    if (in.good()) {
      std::stringstream text;
      text << in.rdbuf();
      std::string why;
      const auto names = certificate_names(text.str(), why);
      if (!names) {
        problems.push_back("cluster.cert: " + s.cert + ": " + why);
      } else if (std::find(names->begin(), names->end(), s.node_id) == names->end()) {
        std::string listed;
        for (const auto& n : *names)
          listed += (listed.empty() ? "'" : ", '") + n.substr(0, 64) + "'";
        problems.push_back("cluster.node_id '" + s.node_id + "' is not a name of the certificate "
                           + s.cert + " (it names " + (listed.empty() ? "nothing" : listed)
                           + "): a node's id must be its certificate's CN or a DNS name in it");
      }
    }
  }
  pem(s.key, "key", "--cluster-key");
  pem(s.ca, "ca", "--cluster-ca");
  if (s.lease_ttl_ms < 2000)
    problems.push_back("cluster lease TTL must be at least 2 s");
  if (s.keepalive_interval_ms <= 0 || s.keepalive_interval_ms * 2 > s.lease_ttl_ms)
    problems.push_back(
        "cluster keepalive interval must be positive and at most half the lease TTL");
  return problems;
}

} // namespace grace::cluster
