#pragma once
// The cluster's layout in etcd and the records kept there:
//   /grace/<cluster>/members/<id> = {"http", "cluster", "incarnation"}  (bound to the node's lease)
//   /grace/<cluster>/owner/<shard> = {"node", "incarnation"}            (bound to the owner's
//   lease)
//   /grace/<cluster>/kill-switch = {"engaged", "reason", "by"}         (no lease: it outlives
//   every node)
// What etcd holds is outside input: a record that does not parse is skipped
// with a reason, never trusted.
#include "actors/cluster/etcd_json.hpp"
#include "actors/cluster/ownership.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grace::cluster {

struct member {
  std::string id;
  std::string http;    // the node's HTTP API, http://host:port
  std::string cluster; // the node's cluster (CAF) listen address, host:port
  int64_t incarnation = 0;
  int64_t lease = 0;
};

// 1-64 characters of [A-Za-z0-9._-]; a name safe inside an etcd key and a log line.
bool valid_name(std::string_view name);

std::string members_prefix(std::string_view cluster);
std::string member_key(std::string_view cluster, std::string_view id);
std::string owners_prefix(std::string_view cluster);
std::string owner_key(std::string_view cluster, int shard);
// An acknowledged reward of the (service, diagnosis) context's shard, one key
// per event: /grace/<cluster>/rewards/<shard>/<event_id> (reward_ledger.hpp).
std::string reward_key(std::string_view cluster, int shard, std::string_view event_id);

// The cluster's kill switch, set by an operator through any node; every
// member applies each new revision of it to its executor.
std::string kill_switch_key(std::string_view cluster);

struct kill_switch_record {
  bool engaged = false;
  std::string reason;
  std::string by;       // the node whose API set it
  int64_t revision = 0; // etcd's mod revision of the key (0 when encoding)
};

std::string encode_kill_switch(const kill_switch_record& r);
// The record under kill_switch_key from a range over it: nullopt when the
// key is absent, or (with `why` set) when its value is not such a record.
std::optional<kill_switch_record> read_kill_switch(const etcd::range_answer& range,
                                                   std::string_view cluster, std::string& why);

std::string encode_member(const member& m);
std::string encode_owner(std::string_view node, int64_t incarnation);

// A member from its key-value under members_prefix; nullopt with `why` set
// when the key or value is not a member record.
std::optional<member> parse_member(const etcd::key_value& kv, std::string_view prefix,
                                   std::string& why);
// The shard and its owner from a key-value under owners_prefix.
std::optional<std::pair<int, owner_record>>
parse_owner(const etcd::key_value& kv, std::string_view prefix, int shards, std::string& why);

// What etcd shows of the cluster, read with two range requests.
struct cluster_snapshot {
  int64_t revision = 0;
  std::map<std::string, member> members; // by id
  std::map<int, owner_record> owners;    // by shard
  std::vector<std::string> skipped;      // why records were ignored
};

cluster_snapshot read_snapshot(const etcd::range_answer& members, const etcd::range_answer& owners,
                               std::string_view cluster, int shards);

std::vector<std::string> member_ids(const cluster_snapshot& s);

// GET /api/cluster: {"node_id", "cluster", "members": [{"id", "http",
// "cluster", "incarnation"}], "shards": [{"shard", "owner", "fencing_token"}]}.
// A shard nobody holds has "owner": null and "fencing_token": 0.
std::string cluster_view_json(std::string_view node_id, std::string_view cluster,
                              const cluster_snapshot& s, int shards);

} // namespace grace::cluster
