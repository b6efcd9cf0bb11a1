#include "actors/cluster/reward_ledger.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace grace::cluster;

TEST(ClusterRewardLedger, AnEventIdNamesItsShard) {
  EXPECT_EQ(shard_of_event("rl-00ab-000000000001" + event_shard_suffix(17), 64), 17);
  EXPECT_EQ(shard_of_event("rl-00ab-000000000001-s0", 64), 0);
  EXPECT_EQ(shard_of_event("rl-00ab-000000000001-s63", 64), 63);
  EXPECT_FALSE(shard_of_event("rl-00ab-000000000001", 64));
  EXPECT_FALSE(shard_of_event("rl-00ab-000000000001-s64", 64));
  EXPECT_FALSE(shard_of_event("rl-00ab-000000000001-s07", 64));
  EXPECT_FALSE(shard_of_event("rl-00ab-000000000001-s", 64));
  EXPECT_FALSE(shard_of_event("rl-00ab-000000000001-s1x", 64));
  EXPECT_FALSE(shard_of_event("-s3", 64));
  EXPECT_FALSE(shard_of_event("", 64));
}

TEST(ClusterRewardLedger, HistoryIsGroupedByShardInCommitOrder) {
  etcd::range_answer snapshots;
  snapshots.kvs.push_back({"/grace/c/snapshots/3", "S3", 5, 5, 1, 0});
  snapshots.kvs.push_back({"/grace/c/snapshots/99", "bad", 6, 6, 1, 0});
  etcd::range_answer rewards;
  // Key order differs from commit order: the log follows create_revision.
  rewards.kvs.push_back({"/grace/c/rewards/3/rl-a-s3", "A", 20, 20, 1, 0});
  rewards.kvs.push_back({"/grace/c/rewards/3/rl-b-s3", "B", 10, 10, 1, 0});
  rewards.kvs.push_back({"/grace/c/rewards/12/rl-c-s12", "C", 11, 11, 1, 0});
  rewards.kvs.push_back({"/grace/c/rewards/12/", "no event", 12, 12, 1, 0});
  std::vector<std::string> skipped;
  auto h = group_history(snapshots, rewards, "c", 64, skipped);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[3].snapshot, "S3");
  EXPECT_EQ(h[3].log, (std::vector<std::string>{"B", "A"}));
  EXPECT_EQ(h[12].snapshot, "");
  EXPECT_EQ(h[12].log, (std::vector<std::string>{"C"}));
  EXPECT_EQ(skipped.size(), 2u);
}

TEST(ClusterRewardLedger, AFoldIsFencedAndSplitWithinEtcdsTxnLimit) {
  std::vector<std::string> ids;
  for (int i = 0; i < 150; ++i)
    ids.push_back("rl-x-" + std::to_string(i) + "-s5");
  auto reqs = fold_requests("/grace/c/owner/5", 42, "/grace/c/snapshots/5", "SNAP", "c", 5, ids);
  ASSERT_EQ(reqs.size(), 2u);
  auto first = nlohmann::json::parse(reqs[0].body);
  auto second = nlohmann::json::parse(reqs[1].body);
  EXPECT_EQ(reqs[0].path, "/v3/kv/txn");
  EXPECT_EQ(first["compare"][0]["create_revision"], "42");
  EXPECT_EQ(first["compare"][0]["key"], etcd::base64_encode("/grace/c/owner/5"));
  EXPECT_EQ(first["success"].size(), 1 + fold_batch);
  EXPECT_EQ(first["success"][0]["request_put"]["value"], etcd::base64_encode("SNAP"));
  EXPECT_EQ(first["success"][1]["request_delete_range"]["key"],
            etcd::base64_encode("/grace/c/rewards/5/rl-x-0-s5"));
  EXPECT_EQ(second["success"].size(), 50u);
  EXPECT_FALSE(second["success"][0].contains("request_put"));
  EXPECT_EQ(second["compare"][0]["create_revision"], "42");
  // Nothing to delete: the snapshot alone.
  auto alone = fold_requests("/grace/c/owner/5", 42, "/grace/c/snapshots/5", "SNAP", "c", 5, {});
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(alone[0].body)["success"].size(), 1u);
}

TEST(ClusterRewardLedger, AServedShardIsRestoredOnceBeforeItIsReady) {
  reward_ledger ledger;
  EXPECT_EQ(ledger.to_restore({1, 2}), (std::vector<int>{1, 2}));
  ledger.restore_started(1);
  EXPECT_EQ(ledger.to_restore({1, 2}), (std::vector<int>{2}));
  EXPECT_FALSE(ledger.ready(1));
  ledger.restore_done(1);
  EXPECT_TRUE(ledger.ready(1));
  ledger.restore_started(2);
  ledger.restore_failed(2);
  EXPECT_EQ(ledger.to_restore({1, 2}), (std::vector<int>{2}));
  // A shard no longer served is restored afresh when served again.
  ledger.learned(1, "e1", 0);
  ledger.keep_only({2});
  EXPECT_FALSE(ledger.ready(1));
  EXPECT_EQ(ledger.unfolded(1), 0u);
  EXPECT_EQ(ledger.to_restore({1}), (std::vector<int>{1}));
  // Forgotten alone: the others stay ready.
  ledger.restore_started(2);
  ledger.restore_done(2);
  ledger.restore_started(3);
  ledger.restore_done(3);
  ledger.forget(2);
  EXPECT_FALSE(ledger.ready(2));
  EXPECT_TRUE(ledger.ready(3));
  // Lost while restoring: the restore's end does not make it ready.
  ledger.restore_started(1);
  ledger.keep_only({});
  ledger.restore_done(1);
  EXPECT_FALSE(ledger.ready(1));
}

TEST(ClusterRewardLedger, AnEarlierRestoreOfAShardLostAndWonAgainDoesNotCount) {
  reward_ledger ledger;
  const auto first = ledger.restore_started(4);
  EXPECT_TRUE(ledger.restoring(4, first));
  ledger.keep_only({}); // lost while its history was read
  EXPECT_FALSE(ledger.restoring(4, first));
  const auto second = ledger.restore_started(4); // won again: read afresh
  EXPECT_NE(first, second);
  // The first read's answer arrives now: it predates the interim owner's commits.
  EXPECT_FALSE(ledger.restoring(4, first));
  ledger.restore_done(4, first);
  EXPECT_FALSE(ledger.ready(4));
  ledger.restore_failed(4, first);
  EXPECT_TRUE(ledger.restoring(4, second)) << "the earlier restore's failure does not end this one";
  ledger.restore_done(4, second);
  EXPECT_TRUE(ledger.ready(4));
}

TEST(ClusterRewardLedger, RewardsAreFoldedWhenManyOrOld) {
  reward_ledger ledger(fold_policy{3, 1000});
  for (int shard : {1, 2}) {
    ledger.restore_started(shard);
    ledger.restore_done(shard);
  }
  ledger.learned(1, "a", 100);
  ledger.learned(1, "b", 200);
  ledger.learned(2, "c", 100);
  ledger.learned(2, "d", 100);
  ledger.learned(2, "e", 100);
  EXPECT_EQ(ledger.due(500), (std::vector<int>{2}));
  EXPECT_EQ(ledger.due(1100), (std::vector<int>{2, 1}));
  EXPECT_EQ(ledger.take(2), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(ledger.unfolded(2), 0u);
  ledger.learned(2, "f", 1200);
  ledger.fold_failed(2, {"c", "d", "e"}, 1200);
  EXPECT_EQ(ledger.take(2), (std::vector<std::string>{"c", "d", "e", "f"}));
  // Unfolded rewards of a shard not restored here are never folded.
  ledger.learned(7, "g", 0);
  EXPECT_EQ(ledger.due(5000), (std::vector<int>{1}));
}
