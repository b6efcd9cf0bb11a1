#include "actors/cluster/shard_map.hpp"

#include <gtest/gtest.h>
#include <map>
#include <set>

using namespace grace::cluster;

TEST(ClusterShardMap, FnvMatchesTheReferenceVectors) {
  // From the FNV reference test suite.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(ClusterShardMap, KeysAreStableAndInRange) {
  // Pinned: every node, build and platform must agree on these.
  EXPECT_EQ(shard_of_metric("api.latency_p95"), shard_of_metric("api.latency_p95"));
  std::set<int> seen;
  for (int i = 0; i < 5000; ++i) {
    const int s = shard_of_metric("metric." + std::to_string(i));
    ASSERT_GE(s, 0);
    ASSERT_LT(s, shard_count);
    seen.insert(s);
  }
  EXPECT_EQ(static_cast<int>(seen.size()), shard_count);
}

TEST(ClusterShardMap, ContextFieldsDoNotRunTogether) {
  int differing = 0;
  for (int i = 0; i < 64; ++i) {
    const auto n = std::to_string(i);
    if (shard_of_context("ab" + n, "c") != shard_of_context("a", "b" + n + "c"))
      ++differing;
  }
  // With a separator the pairs hash independently: almost all differ.
  EXPECT_GT(differing, 50);
}

TEST(ClusterShardMap, MetricsSpreadEvenlyOverShards) {
  std::vector<int> counts(shard_count, 0);
  const int n = 64000;
  for (int i = 0; i < n; ++i)
    ++counts[static_cast<size_t>(
        shard_of_metric("svc" + std::to_string(i % 97) + ".m" + std::to_string(i)))];
  for (int c : counts) {
    EXPECT_GT(c, 800); // expected 1000 each
    EXPECT_LT(c, 1200);
  }
}

TEST(ClusterShardMap, NoPreferredOwnerWithoutMembers) {
  EXPECT_FALSE(preferred_owner(3, {}).has_value());
}

TEST(ClusterShardMap, PreferredOwnerIgnoresMemberOrder) {
  const std::vector<std::string> a{"n1", "n2", "n3"}, b{"n3", "n1", "n2"};
  for (int s = 0; s < shard_count; ++s)
    EXPECT_EQ(preferred_owner(s, a), preferred_owner(s, b));
}

TEST(ClusterShardMap, ThreeMembersShareTheShards) {
  const std::vector<std::string> members{"node-a", "node-b", "node-c"};
  std::map<std::string, int> owned;
  for (int s = 0; s < shard_count; ++s)
    ++owned[*preferred_owner(s, members)];
  ASSERT_EQ(owned.size(), 3u);
  for (const auto& [m, n] : owned) {
    EXPECT_GE(n, 10) << m;
    EXPECT_LE(n, 35) << m;
  }
}

TEST(ClusterShardMap, RemovingAMemberMovesOnlyItsShards) {
  const std::vector<std::string> all{"n1", "n2", "n3", "n4"};
  const std::vector<std::string> without_n3{"n1", "n2", "n4"};
  int moved = 0;
  for (int s = 0; s < shard_count; ++s) {
    const auto before = *preferred_owner(s, all);
    const auto after = *preferred_owner(s, without_n3);
    if (before != "n3") {
      EXPECT_EQ(before, after) << "shard " << s;
    } else {
      ++moved;
    }
    EXPECT_NE(after, "n3");
  }
  EXPECT_GT(moved, 0);
}

TEST(ClusterShardMap, AddingAMemberTakesOnlyShardsItIsPreferredFor) {
  const std::vector<std::string> before{"n1", "n2"};
  const std::vector<std::string> after{"n1", "n2", "n9"};
  for (int s = 0; s < shard_count; ++s) {
    const auto now = *preferred_owner(s, after);
    if (now != "n9") {
      EXPECT_EQ(now, *preferred_owner(s, before)) << "shard " << s;
    }
  }
}
