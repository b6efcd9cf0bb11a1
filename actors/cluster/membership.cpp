#include "actors/cluster/membership.hpp"

#include <nlohmann/json.hpp>

namespace grace::cluster {

namespace {

using json = nlohmann::json;

bool valid_address(const std::string& s) {
  return !s.empty() && s.size() <= 300;
}

} // namespace

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::string members_prefix(std::string_view cluster) {
  return "/grace/" + std::string(cluster) + "/members/";
}

std::string member_key(std::string_view cluster, std::string_view id) {
  return members_prefix(cluster) + std::string(id);
}

std::string owners_prefix(std::string_view cluster) {
  return "/grace/" + std::string(cluster) + "/owner/";
}

std::string owner_key(std::string_view cluster, int shard) {
  return owners_prefix(cluster) + std::to_string(shard);
}

std::string kill_switch_key(std::string_view cluster) {
  return "/grace/" + std::string(cluster) + "/kill-switch";
}

std::string encode_kill_switch(const kill_switch_record& r) {
  return json{{"engaged", r.engaged}, {"reason", r.reason}, {"by", r.by}}.dump();
}

std::optional<kill_switch_record> read_kill_switch(const etcd::range_answer& range,
                                                   std::string_view cluster, std::string& why) {
  const auto key = kill_switch_key(cluster);
  for (const auto& kv : range.kvs) {
    if (kv.key != key)
      continue; // a longer key under the same prefix is not ours
    json doc = json::parse(kv.value, nullptr, false);
    if (!doc.is_object() || !doc.contains("engaged") || !doc["engaged"].is_boolean()
        || !doc.contains("reason") || !doc["reason"].is_string() || !doc.contains("by")
        || !doc["by"].is_string()) {
      why = key + ": not a kill switch record {\"engaged\": bool, \"reason\", \"by\"}";
      return std::nullopt;
    }
    kill_switch_record r;
    r.engaged = doc["engaged"].get<bool>();
    r.reason = doc["reason"].get<std::string>();
    r.by = doc["by"].get<std::string>();
    r.revision = kv.mod_revision;
    if (r.reason.size() > 500 || !valid_name(r.by)) {
      why = key + ": reason over 500 characters or 'by' not a node id";
      return std::nullopt;
    }
    return r;
  }
  return std::nullopt;
}

std::string reward_key(std::string_view cluster, int shard, std::string_view event_id) {
  return "/grace/" + std::string(cluster) + "/rewards/" + std::to_string(shard) + "/"
         + std::string(event_id);
}

std::string encode_member(const member& m) {
  return json{{"http", m.http}, {"cluster", m.cluster}, {"incarnation", m.incarnation}}.dump();
}

std::string encode_owner(std::string_view node, int64_t incarnation) {
  return json{{"node", std::string(node)}, {"incarnation", incarnation}}.dump();
}

std::optional<member> parse_member(const etcd::key_value& kv, std::string_view prefix,
                                   std::string& why) {
  if (kv.key.compare(0, prefix.size(), prefix) != 0) {
    why = "a key outside the members prefix";
    return std::nullopt;
  }
  member m;
  m.id = kv.key.substr(prefix.size());
  if (!valid_name(m.id)) {
    why = "member key with an invalid node id";
    return std::nullopt;
  }
  auto doc = json::parse(kv.value, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    why = "member '" + m.id + "': the value is not a JSON object";
    return std::nullopt;
  }
  auto http = doc.find("http");
  auto cluster = doc.find("cluster");
  auto incarnation = doc.find("incarnation");
  if (http == doc.end() || !http->is_string() || cluster == doc.end() || !cluster->is_string()
      || incarnation == doc.end() || !incarnation->is_number_integer()) {
    why = "member '" + m.id + "': needs string 'http', string 'cluster', integer 'incarnation'";
    return std::nullopt;
  }
  m.http = http->get<std::string>();
  m.cluster = cluster->get<std::string>();
  if (!valid_address(m.http) || !valid_address(m.cluster)) {
    why = "member '" + m.id + "': empty or overlong address";
    return std::nullopt;
  }
  if (incarnation->is_number_unsigned()
      && incarnation->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    why = "member '" + m.id + "': incarnation out of range";
    return std::nullopt;
  }
  m.incarnation = incarnation->get<int64_t>();
  m.lease = kv.lease;
  return m;
}

std::optional<std::pair<int, owner_record>>
parse_owner(const etcd::key_value& kv, std::string_view prefix, int shards, std::string& why) {
  if (kv.key.compare(0, prefix.size(), prefix) != 0) {
    why = "a key outside the owner prefix";
    return std::nullopt;
  }
  const auto digits = kv.key.substr(prefix.size());
  if (digits.empty() || digits.size() > 4
      || digits.find_first_not_of("0123456789") != std::string::npos) {
    why = "owner key without a shard number";
    return std::nullopt;
  }
  const int shard = std::stoi(digits);
  if (shard >= shards || std::to_string(shard) != digits) {
    why = "owner key for shard " + digits + ", outside 0.." + std::to_string(shards - 1);
    return std::nullopt;
  }
  auto doc = json::parse(kv.value, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("node") || !doc["node"].is_string()
      || !valid_name(doc["node"].get<std::string>())) {
    why = "owner of shard " + digits + ": needs a valid string 'node'";
    return std::nullopt;
  }
  owner_record r;
  r.node = doc["node"].get<std::string>();
  auto incarnation = doc.find("incarnation");
  if (incarnation != doc.end() && incarnation->is_number_integer()
      && !(incarnation->is_number_unsigned()
           && incarnation->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
    r.incarnation = incarnation->get<int64_t>();
  r.lease = kv.lease;
  r.fencing_token = kv.create_revision;
  return std::make_pair(shard, r);
}

cluster_snapshot read_snapshot(const etcd::range_answer& members, const etcd::range_answer& owners,
                               std::string_view cluster, int shards) {
  cluster_snapshot s;
  s.revision = std::max(members.revision, owners.revision);
  const auto mp = members_prefix(cluster);
  for (const auto& kv : members.kvs) {
    std::string why;
    if (auto m = parse_member(kv, mp, why))
      s.members[m->id] = std::move(*m);
    else
      s.skipped.push_back(why);
  }
  const auto op = owners_prefix(cluster);
  for (const auto& kv : owners.kvs) {
    std::string why;
    if (auto o = parse_owner(kv, op, shards, why))
      s.owners[o->first] = std::move(o->second);
    else
      s.skipped.push_back(why);
  }
  return s;
}

std::vector<std::string> member_ids(const cluster_snapshot& s) {
  std::vector<std::string> ids;
  for (const auto& [id, m] : s.members)
    ids.push_back(id);
  return ids;
}

std::string cluster_view_json(std::string_view node_id, std::string_view cluster,
                              const cluster_snapshot& s, int shards) {
  json members = json::array();
  for (const auto& [id, m] : s.members)
    members.push_back(
        {{"id", id}, {"http", m.http}, {"cluster", m.cluster}, {"incarnation", m.incarnation}});
  json table = json::array();
  for (int shard = 0; shard < shards; ++shard) {
    auto it = s.owners.find(shard);
    if (it == s.owners.end())
      table.push_back({{"shard", shard}, {"owner", nullptr}, {"fencing_token", 0}});
    else
      table.push_back({{"shard", shard},
                       {"owner", it->second.node},
                       {"fencing_token", it->second.fencing_token}});
  }
  return json{{"node_id", std::string(node_id)},
              {"cluster", std::string(cluster)},
              {"members", members},
              {"shards", table}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace grace::cluster
