#include "actors/cluster/ownership.hpp"
#include "actors/cluster/shard_map.hpp"

#include <gtest/gtest.h>

using namespace grace::cluster;

namespace {

constexpr int shards = 8;
constexpr int64_t lease = 77;
constexpr int64_t ttl = 10000;

// The shards `self` is preferred for among `members`.
std::vector<int> preferred_of(const std::string& self, const std::vector<std::string>& members) {
  std::vector<int> out;
  for (int s = 0; s < shards; ++s)
    if (*preferred_owner(s, members) == self)
      out.push_back(s);
  return out;
}

std::vector<int> claims(const std::vector<ownership_action>& actions) {
  std::vector<int> out;
  for (const auto& a : actions)
    if (a.kind == ownership_action_kind::claim)
      out.push_back(a.shard);
  return out;
}

} // namespace

TEST(ClusterOwnership, NothingIsClaimedWithoutALease) {
  ownership o("a", shards);
  EXPECT_TRUE(o.reconcile({"a"}, {}, 0).empty());
  EXPECT_TRUE(o.serving_shards(0).empty());
}

TEST(ClusterOwnership, ClaimsWhatItIsPreferredForThenServes) {
  const std::vector<std::string> members{"a", "b", "c"};
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  const auto mine = preferred_of("a", members);
  ASSERT_FALSE(mine.empty());
  const auto actions = o.reconcile(members, {}, 10);
  EXPECT_EQ(claims(actions), mine);
  for (int s : mine) {
    EXPECT_EQ(o.role(s), shard_role::claiming);
    EXPECT_FALSE(o.serving(s, 10)) << "a claim in flight is not served";
  }
  // The same view again sends no second claim.
  EXPECT_TRUE(o.reconcile(members, {}, 20).empty());
  o.claim_succeeded(mine[0], 1234);
  EXPECT_TRUE(o.serving(mine[0], 30));
  EXPECT_EQ(o.fencing_token(mine[0]), 1234);
}

TEST(ClusterOwnership, NotAMemberYetClaimsNothing) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  EXPECT_TRUE(o.reconcile({"b"}, {}, 1).empty());
}

TEST(ClusterOwnership, AFailedClaimLeavesTheShardToItsHolder) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  const auto actions = o.reconcile({"a"}, {}, 1);
  ASSERT_EQ(actions.size(), static_cast<size_t>(shards));
  o.claim_failed(0);
  EXPECT_EQ(o.role(0), shard_role::idle);
  // etcd shows another holder (e.g. a lease not yet expired): not served here.
  std::map<int, owner_record> owners{{0, {"b", 1, 55, 900}}};
  EXPECT_TRUE(claims(o.reconcile({"a"}, owners, 2)).empty());
  EXPECT_FALSE(o.serving(0, 2));
}

TEST(ClusterOwnership, AdoptsAClaimWhoseAnswerWasLost) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.reconcile({"a"}, {}, 1);
  std::map<int, owner_record> owners{{3, {"a", 1, lease, 4242}}};
  o.reconcile({"a"}, owners, 2);
  EXPECT_TRUE(o.serving(3, 2));
  EXPECT_EQ(o.fencing_token(3), 4242);
}

TEST(ClusterOwnership, AKeyOfAnEarlierLeaseIsNotServed) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  // A restarted node with the same id: its old claim lives until the old lease expires.
  std::map<int, owner_record> owners{{3, {"a", 1, lease - 1, 10}}};
  o.reconcile({"a"}, owners, 1);
  EXPECT_FALSE(o.serving(3, 1));
}

TEST(ClusterOwnership, StopsServingByItselfWhenTheLeaseDeadlinePasses) {
  ownership o("a", shards);
  o.lease_granted(lease, 1000, ttl);
  o.reconcile({"a"}, {}, 1000);
  o.claim_succeeded(2, 50);
  EXPECT_TRUE(o.serving(2, 1000 + ttl - 1));
  // No keepalive answered since: at the deadline nothing is served, even
  // before the node hears anything from etcd.
  EXPECT_FALSE(o.serving(2, 1000 + ttl));
  EXPECT_FALSE(o.expire_if_due(1000 + ttl - 1));
  EXPECT_TRUE(o.expire_if_due(1000 + ttl));
  EXPECT_EQ(o.role(2), shard_role::idle);
  EXPECT_EQ(o.lease_id(), 0);
  EXPECT_FALSE(o.expire_if_due(1000 + ttl + 1)) << "reported once";
}

TEST(ClusterOwnership, KeepaliveExtendsFromWhenItWasSent) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.lease_kept(4000, ttl);
  EXPECT_EQ(o.lease_deadline_ms(), 4000 + ttl);
  // A late answer to an older keepalive never shortens the deadline.
  o.lease_kept(3000, ttl);
  EXPECT_EQ(o.lease_deadline_ms(), 4000 + ttl);
  EXPECT_TRUE(o.lease_alive(4000 + ttl - 1));
}

TEST(ClusterOwnership, LosingTheLeaseStopsEverythingAndDropsLateClaimAnswers) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.reconcile({"a"}, {}, 1);
  o.claim_succeeded(0, 10);
  o.lease_lost();
  EXPECT_TRUE(o.serving_shards(1).empty());
  o.claim_succeeded(1, 11); // answered after the loss
  EXPECT_FALSE(o.serving(1, 2));
  EXPECT_TRUE(o.reconcile({"a"}, {}, 2).empty()) << "no claims without a lease";
}

TEST(ClusterOwnership, ANewLeaseStartsFromNothing) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.reconcile({"a"}, {}, 1);
  o.claim_succeeded(0, 10);
  o.lease_granted(lease + 1, 100, ttl);
  EXPECT_FALSE(o.serving(0, 101));
}

TEST(ClusterOwnership, HandsOverToANewlyPreferredMember) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.reconcile({"a"}, {}, 1);
  std::map<int, owner_record> owners;
  for (int s = 0; s < shards; ++s) {
    o.claim_succeeded(s, 100 + s);
    owners[s] = {"a", 1, lease, 100 + s};
  }
  const std::vector<std::string> members{"a", "b"};
  const auto to_b = preferred_of("b", members);
  ASSERT_FALSE(to_b.empty());
  const auto actions = o.reconcile(members, owners, 2);
  ASSERT_EQ(actions.size(), to_b.size());
  for (size_t i = 0; i < actions.size(); ++i) {
    EXPECT_EQ(actions[i].kind, ownership_action_kind::release);
    EXPECT_EQ(actions[i].shard, to_b[i]);
    EXPECT_EQ(actions[i].fencing_token, 100 + to_b[i]) << "the release names the claim";
    EXPECT_FALSE(o.serving(to_b[i], 2)) << "stopped before the delete is sent";
  }
  for (int s : preferred_of("a", members))
    EXPECT_TRUE(o.serving(s, 2));
  // No second release while the first is on its way.
  EXPECT_TRUE(o.reconcile(members, owners, 3).empty());
  for (int s : to_b) {
    o.release_done(s);
    owners.erase(s);
  }
  // b claims; a never claims these back while b is preferred.
  EXPECT_TRUE(claims(o.reconcile(members, owners, 4)).empty());
}

TEST(ClusterOwnership, ShardsOfADeadMemberAreClaimedWhenItsKeysExpire) {
  const std::vector<std::string> three{"a", "b", "c"};
  const std::vector<std::string> two{"a", "b"};
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  std::map<int, owner_record> owners;
  for (int s = 0; s < shards; ++s)
    owners[s] = {*preferred_owner(s, three), 1, *preferred_owner(s, three) == "a" ? lease : 9, 5};
  EXPECT_TRUE(claims(o.reconcile(three, owners, 1)).empty());
  // c's lease expired: its member key and owner keys are gone together.
  std::vector<int> orphaned;
  for (int s = 0; s < shards; ++s)
    if (owners[s].node == "c") {
      owners.erase(s);
      if (*preferred_owner(s, two) == "a")
        orphaned.push_back(s);
    }
  EXPECT_EQ(claims(o.reconcile(two, owners, 2)), orphaned);
}

TEST(ClusterOwnership, EtcdShowingAnotherOwnerStopsServing) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.reconcile({"a"}, {}, 1);
  o.claim_succeeded(4, 10);
  std::map<int, owner_record> owners{{4, {"b", 1, 9, 20}}};
  o.reconcile({"a", "b"}, owners, 2);
  EXPECT_FALSE(o.serving(4, 2));
}

TEST(ClusterOwnership, OutOfRangeShardsAreIgnored) {
  ownership o("a", shards);
  o.claim_succeeded(-1, 1);
  o.claim_succeeded(shards, 1);
  o.release_done(99);
  EXPECT_EQ(o.role(99), shard_role::idle);
  EXPECT_FALSE(o.serving(-1, 0));
  EXPECT_THROW(ownership("a", 0), std::invalid_argument);
}

// Answers come back as messages from the etcd worker, possibly after the
// lease changed and after later reads: each carries the lease it was sent
// under and the revision etcd answered at.
TEST(ClusterOwnership, AClaimAnsweredForAnEarlierLeaseIsDropped) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.reconcile({"a"}, {}, 1);
  o.lease_lost();
  o.lease_granted(lease + 1, 100, ttl);
  o.reconcile({"a"}, {}, 101); // claims every shard again under the new lease
  ASSERT_EQ(o.role(2), shard_role::claiming);
  o.claim_succeeded(2, 50, lease); // the old claim's answer arrives now
  EXPECT_EQ(o.role(2), shard_role::claiming) << "the old claim died with its lease";
  EXPECT_FALSE(o.serving(2, 102));
  o.claim_failed(2, lease);
  EXPECT_EQ(o.role(2), shard_role::claiming) << "neither does its failure count";
  o.claim_succeeded(2, 60, lease + 1);
  EXPECT_TRUE(o.serving(2, 103));
  EXPECT_EQ(o.fencing_token(2), 60);
}

TEST(ClusterOwnership, AReadOlderThanAClaimsAnswerDoesNotUndoIt) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.reconcile({"a"}, {}, 1, 10);
  o.claim_succeeded(3, 42, lease);
  // A read sent before the claim committed (revision 41) shows nobody.
  EXPECT_TRUE(claims(o.reconcile({"a"}, {}, 2, 41)).empty());
  EXPECT_TRUE(o.serving(3, 2)) << "the claim at revision 42 is newer than the read";
  EXPECT_EQ(o.fencing_token(3), 42);
  // A read at or after the claim is the truth again: the key is gone.
  o.reconcile({"a"}, {}, 3, 42);
  EXPECT_EQ(o.role(3), shard_role::claiming) << "gone at revision 42: claimed afresh";
}

TEST(ClusterOwnership, AReadOlderThanAReleaseDoesNotServeTheShardAgain) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.reconcile({"a"}, {}, 1, 1);
  std::map<int, owner_record> owners;
  for (int s = 0; s < shards; ++s) {
    o.claim_succeeded(s, 100 + s, lease);
    owners[s] = {"a", 1, lease, 100 + s};
  }
  const std::vector<std::string> members{"a", "b"};
  const auto to_b = preferred_of("b", members);
  ASSERT_FALSE(to_b.empty());
  o.reconcile(members, owners, 2, 200);
  const int s = to_b.front();
  o.release_done(s, lease, 300);
  EXPECT_EQ(o.role(s), shard_role::idle);
  // A read at revision 250 still shows our claim: it predates the delete.
  o.reconcile(members, owners, 3, 250);
  EXPECT_FALSE(o.serving(s, 3)) << "a handed-over shard is never served again from an old read";
  // A release answered for an earlier lease changes nothing.
  ownership p("a", shards);
  p.lease_granted(lease + 1, 0, ttl);
  p.reconcile({"a"}, {}, 1);
  p.release_done(0, lease, 5);
  EXPECT_EQ(p.role(0), shard_role::claiming);
}

TEST(ClusterOwnership, AKeepaliveForAnEarlierLeaseDoesNotExtendTheNewOne) {
  ownership o("a", shards);
  o.lease_granted(lease, 0, ttl);
  o.lease_lost();
  o.lease_granted(lease + 1, 100, ttl);
  o.lease_kept(lease, 5000, ttl);
  EXPECT_EQ(o.lease_deadline_ms(), 100 + ttl);
  o.lease_kept(lease + 1, 5000, ttl);
  EXPECT_EQ(o.lease_deadline_ms(), 5000 + ttl);
}
