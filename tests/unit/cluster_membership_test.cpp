#include "actors/cluster/membership.hpp"
#include "actors/cluster/shard_map.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace grace::cluster;
using json = nlohmann::json;

namespace {

etcd::key_value kv(std::string key, std::string value, int64_t create_revision = 1,
                   int64_t lease = 0) {
  etcd::key_value out;
  out.key = std::move(key);
  out.value = std::move(value);
  out.create_revision = create_revision;
  out.lease = lease;
  return out;
}

} // namespace

TEST(ClusterMembership, NamesAreSafeInKeysAndLogs) {
  EXPECT_TRUE(valid_name("node-1.eu_west"));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name("a/b"));
  EXPECT_FALSE(valid_name("a b"));
  EXPECT_FALSE(valid_name(std::string(65, 'a')));
}

TEST(ClusterMembership, KeyLayout) {
  EXPECT_EQ(member_key("grace", "n1"), "/grace/grace/members/n1");
  EXPECT_EQ(owner_key("prod", 63), "/grace/prod/owner/63");
}

TEST(ClusterMembership, MemberRecordsRoundTrip) {
  member m{"n1", "http://127.0.0.1:8001", "127.0.0.1:9001", 1700000000123, 0};
  std::string why;
  auto back =
      parse_member(kv(member_key("g", "n1"), encode_member(m), 3, 55), members_prefix("g"), why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->id, "n1");
  EXPECT_EQ(back->http, m.http);
  EXPECT_EQ(back->cluster, m.cluster);
  EXPECT_EQ(back->incarnation, m.incarnation);
  EXPECT_EQ(back->lease, 55);
}

TEST(ClusterMembership, BadMemberRecordsAreSkippedWithAReason) {
  const auto p = members_prefix("g");
  std::string why;
  EXPECT_FALSE(parse_member(kv(p + "bad id", "{}"), p, why));
  EXPECT_EQ(why, "member key with an invalid node id");
  EXPECT_FALSE(parse_member(kv(p + "n1", "[1]"), p, why));
  EXPECT_EQ(why, "member 'n1': the value is not a JSON object");
  EXPECT_FALSE(
      parse_member(kv(p + "n1", R"({"http":"x","cluster":"y","incarnation":"1"})"), p, why));
  EXPECT_FALSE(parse_member(kv(p + "n1", R"({"http":"","cluster":"y","incarnation":1})"), p, why));
  EXPECT_FALSE(parse_member(kv("/other/n1", "{}"), p, why));
}

TEST(ClusterMembership, OwnerRecordsCarryTheFencingToken) {
  const auto p = owners_prefix("g");
  std::string why;
  auto o = parse_owner(kv(owner_key("g", 5), encode_owner("n2", 7), 1234, 99), p, shard_count, why);
  ASSERT_TRUE(o) << why;
  EXPECT_EQ(o->first, 5);
  EXPECT_EQ(o->second.node, "n2");
  EXPECT_EQ(o->second.fencing_token, 1234);
  EXPECT_EQ(o->second.lease, 99);
  EXPECT_FALSE(parse_owner(kv(p + "64", encode_owner("n2", 1)), p, shard_count, why));
  EXPECT_FALSE(parse_owner(kv(p + "007", encode_owner("n2", 1)), p, shard_count, why));
  EXPECT_FALSE(parse_owner(kv(p + "x", encode_owner("n2", 1)), p, shard_count, why));
  EXPECT_FALSE(parse_owner(kv(p + "1", R"({"node":"a b"})"), p, shard_count, why));
}

TEST(ClusterMembership, ViewListsMembersAndEveryShard) {
  etcd::range_answer members, owners;
  members.revision = 10;
  members.kvs.push_back(kv(member_key("g", "b"), encode_member({"b", "http://h:2", "h:92", 2, 0})));
  members.kvs.push_back(kv(member_key("g", "a"), encode_member({"a", "http://h:1", "h:91", 1, 0})));
  members.kvs.push_back(kv(member_key("g", "c"), "garbage"));
  owners.revision = 11;
  owners.kvs.push_back(kv(owner_key("g", 2), encode_owner("a", 1), 8, 1));
  auto snap = read_snapshot(members, owners, "g", 4);
  EXPECT_EQ(snap.revision, 11);
  EXPECT_EQ(member_ids(snap), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(snap.skipped.size(), 1u);
  auto view = json::parse(cluster_view_json("a", "g", snap, 4));
  EXPECT_EQ(view["node_id"], "a");
  EXPECT_EQ(view["cluster"], "g");
  ASSERT_EQ(view["members"].size(), 2u);
  EXPECT_EQ(view["members"][0],
            json({{"id", "a"}, {"http", "http://h:1"}, {"cluster", "h:91"}, {"incarnation", 1}}));
  ASSERT_EQ(view["shards"].size(), 4u);
  EXPECT_EQ(view["shards"][2], json({{"shard", 2}, {"owner", "a"}, {"fencing_token", 8}}));
  EXPECT_TRUE(view["shards"][0]["owner"].is_null());
}

TEST(ClusterMembership, RewardKeysAreOnePerEventUnderTheShard) {
  EXPECT_EQ(reward_key("g", 12, "evt-1"), "/grace/g/rewards/12/evt-1");
}

TEST(ClusterMembership, TheKillSwitchRecordRoundTripsWithItsRevision) {
  EXPECT_EQ(kill_switch_key("grace"), "/grace/grace/kill-switch");
  auto stored = kv("/grace/grace/kill-switch", encode_kill_switch({true, "db migration", "n2", 0}));
  stored.mod_revision = 42;
  etcd::range_answer range;
  range.kvs = {stored};
  std::string why;
  const auto r = read_kill_switch(range, "grace", why);
  ASSERT_TRUE(r) << why;
  EXPECT_TRUE(why.empty());
  EXPECT_TRUE(r->engaged);
  EXPECT_EQ(r->reason, "db migration");
  EXPECT_EQ(r->by, "n2");
  EXPECT_EQ(r->revision, 42);
  // Absent: nothing decided cluster-wide, no complaint.
  EXPECT_FALSE(read_kill_switch(etcd::range_answer{}, "grace", why));
  EXPECT_TRUE(why.empty());
  // A longer key under the same prefix is not the switch.
  range.kvs = {kv("/grace/grace/kill-switch-old", encode_kill_switch({true, "x", "n1", 0}))};
  EXPECT_FALSE(read_kill_switch(range, "grace", why));
  EXPECT_TRUE(why.empty());
}

TEST(ClusterMembership, ABadKillSwitchRecordIsIgnoredWithAReason) {
  for (const std::string value :
       {"", "not json", "[]", R"({"engaged": "yes", "reason": "r", "by": "n1"})",
        R"({"engaged": true, "by": "n1"})", R"({"engaged": true, "reason": "r", "by": "a/b"})",
        R"({"engaged": true, "reason": 3, "by": "n1"})"}) {
    etcd::range_answer range;
    range.kvs = {kv("/grace/grace/kill-switch", value)};
    std::string why;
    EXPECT_FALSE(read_kill_switch(range, "grace", why)) << value;
    EXPECT_NE(why.find("/grace/grace/kill-switch"), std::string::npos) << value;
  }
}
