#pragma once
// An in-memory etcd behind the etcd_transport interface, for the cluster
// component's protocol tests: leases, keys with create/mod revisions, prefix
// ranges and the transactions etcd_json.hpp builds (compare create_revision,
// put, delete, range), answered in etcd 3.4's JSON (64-bit integers as
// strings, keys and values in base64).
#include "actors/cluster/etcd_transport.hpp"

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace grace::testing {

class memory_etcd {
public:
  struct entry {
    std::string value;
    int64_t create_revision = 0;
    int64_t mod_revision = 0;
    int64_t version = 0;
    int64_t lease = 0;
  };

  bool unreachable = false;       // every call fails as if etcd were down
  bool refuse_grants = false;     // lease grants fail (the rest answers)
  std::vector<std::string> paths; // every call made, in order
  std::map<std::string, entry> kv;
  int64_t revision = 1;

  std::string call(const cluster::etcd::request& r) {
    using nlohmann::json;
    if (unreachable || (refuse_grants && r.path == "/v3/lease/grant"))
      throw cluster::etcd::etcd_error("etcd memory" + r.path + ": unreachable");
    paths.push_back(r.path);
    const auto body = json::parse(r.body);
    if (r.path == "/v3/lease/grant") {
      const auto id = next_lease_++;
      leases_[id] = std::stoll(body.at("TTL").get<std::string>());
      return json{{"ID", std::to_string(id)}, {"TTL", std::to_string(leases_[id])}}.dump();
    }
    if (r.path == "/v3/lease/keepalive") {
      const auto id = std::stoll(body.at("ID").get<std::string>());
      json result{{"ID", std::to_string(id)}};
      if (leases_.count(id))
        result["TTL"] = std::to_string(leases_[id]);
      return json{{"result", result}}.dump();
    }
    if (r.path == "/v3/lease/revoke") {
      expire(std::stoll(body.at("ID").get<std::string>()));
      return header().dump();
    }
    if (r.path == "/v3/kv/put") {
      ++revision;
      put(body);
      return header().dump();
    }
    if (r.path == "/v3/kv/range") {
      auto out = header();
      out["kvs"] = range(body);
      return out.dump();
    }
    if (r.path == "/v3/kv/txn")
      return txn(body).dump();
    throw cluster::etcd::etcd_error("etcd memory: no such call " + r.path);
  }

  // A lease etcd let expire (or revoked): it and every key bound to it go,
  // in one revision.
  void expire(int64_t lease) {
    leases_.erase(lease);
    ++revision;
    for (auto it = kv.begin(); it != kv.end();)
      it = it->second.lease == lease ? kv.erase(it) : std::next(it);
  }

  void put_key(const std::string& key, const std::string& value, int64_t lease = 0) {
    ++revision;
    write(key, value, lease);
  }

private:
  static std::string text(const nlohmann::json& j, const char* field) {
    auto it = j.find(field);
    if (it == j.end())
      return {};
    return *cluster::etcd::base64_decode(it->get<std::string>());
  }

  nlohmann::json header() const { return {{"header", {{"revision", std::to_string(revision)}}}}; }

  void write(const std::string& key, const std::string& value, int64_t lease) {
    auto& e = kv[key];
    if (e.create_revision == 0)
      e.create_revision = revision;
    e.mod_revision = revision;
    ++e.version;
    e.value = value;
    e.lease = lease;
  }

  void put(const nlohmann::json& op) {
    int64_t lease = 0;
    if (op.contains("lease"))
      lease = std::stoll(op.at("lease").get<std::string>());
    write(text(op, "key"), text(op, "value"), lease);
  }

  nlohmann::json range(const nlohmann::json& op) const {
    const auto key = text(op, "key");
    const auto end = text(op, "range_end");
    auto out = nlohmann::json::array();
    for (const auto& [k, e] : kv) {
      if (end.empty() ? k != key : (k < key || k >= end))
        continue;
      out.push_back({{"key", cluster::etcd::base64_encode(k)},
                     {"value", cluster::etcd::base64_encode(e.value)},
                     {"create_revision", std::to_string(e.create_revision)},
                     {"mod_revision", std::to_string(e.mod_revision)},
                     {"version", std::to_string(e.version)},
                     {"lease", std::to_string(e.lease)}});
    }
    return out;
  }

  nlohmann::json txn(const nlohmann::json& body) {
    bool ok = true;
    for (const auto& c : body.value("compare", nlohmann::json::array())) {
      const auto it = kv.find(text(c, "key"));
      const int64_t created = it == kv.end() ? 0 : it->second.create_revision;
      ok = ok && created == std::stoll(c.at("create_revision").get<std::string>());
    }
    const auto ops = body.value(ok ? "success" : "failure", nlohmann::json::array());
    bool writes = false;
    for (const auto& op : ops)
      writes = writes || op.contains("request_put") || op.contains("request_delete_range");
    if (writes)
      ++revision;
    auto responses = nlohmann::json::array();
    for (const auto& op : ops) {
      if (op.contains("request_put")) {
        put(op.at("request_put"));
        responses.push_back({{"response_put", nlohmann::json::object()}});
      } else if (op.contains("request_delete_range")) {
        kv.erase(text(op.at("request_delete_range"), "key"));
        responses.push_back({{"response_delete_range", nlohmann::json::object()}});
      } else if (op.contains("request_range")) {
        responses.push_back({{"response_range", {{"kvs", range(op.at("request_range"))}}}});
      }
    }
    auto out = header();
    out["succeeded"] = ok;
    out["responses"] = responses;
    return out;
  }

  std::map<int64_t, int64_t> leases_; // id -> TTL in seconds
  int64_t next_lease_ = 0x1000;
};

// One connection to the shared in-memory etcd.
class memory_transport : public cluster::etcd::etcd_transport {
public:
  explicit memory_transport(std::shared_ptr<memory_etcd> etcd) : etcd_(std::move(etcd)) {}
  std::string call(const cluster::etcd::request& r) override { return etcd_->call(r); }
  std::string where() const override { return "memory"; }

private:
  std::shared_ptr<memory_etcd> etcd_;
};

} // namespace grace::testing
