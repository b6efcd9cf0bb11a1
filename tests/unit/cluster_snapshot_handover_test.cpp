#include "actors/cluster/shard_map.hpp"
#include "actors/cluster/snapshot_handover.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <limits>

using namespace grace;
using namespace grace::cluster;

namespace {

snapshot at(const std::string& metric, timestamp_ms start) {
  snapshot s;
  s.metric_id = metric;
  s.window_start = start;
  s.window_end = start + 300000;
  s.count = 3;
  s.mean = s.min = s.max = s.p50 = s.p95 = s.last = 1.5;
  return s;
}

const std::map<std::string, int64_t> three{{"n1", 11}, {"n2", 12}, {"n3", 13}};

// The metric ids (of "m0".."m199") whose shard `owner` would serve.
std::vector<std::string> metrics_owned_by(const std::string& owner,
                                          const std::vector<std::string>& members) {
  std::vector<std::string> out;
  for (int i = 0; i < 200; ++i) {
    const auto id = "m" + std::to_string(i);
    if (preferred_owner(shard_of_metric(id), members) == owner)
      out.push_back(id);
  }
  return out;
}

std::vector<int> all_shards() {
  std::vector<int> out;
  for (int s = 0; s < shard_count; ++s)
    out.push_back(s);
  return out;
}

} // namespace

TEST(SnapshotHandover, TheNextOwnerIsWhoOwnsTheShardOnceTheOwnerIsGone) {
  const std::vector<std::string> members{"n1", "n2", "n3", "n4"};
  for (int shard = 0; shard < shard_count; ++shard) {
    const auto owner = *preferred_owner(shard, members);
    const auto next = next_owner(shard, members, owner);
    ASSERT_TRUE(next);
    EXPECT_NE(*next, owner);
    std::vector<std::string> survivors;
    for (const auto& m : members)
      if (m != owner)
        survivors.push_back(m);
    EXPECT_EQ(next, preferred_owner(shard, survivors)) << shard;
  }
  EXPECT_FALSE(next_owner(3, {"n1"}, "n1"));
}

TEST(SnapshotHandover, AFirstHandoverSendsTheHistoryThenOnlyNewWindows) {
  const std::vector<std::string> ids{"n1", "n2", "n3"};
  const auto mine = metrics_owned_by("n1", ids);
  ASSERT_FALSE(mine.empty());
  const auto metric = mine.front();
  const int shard = shard_of_metric(metric);
  handover_ledger ledger;
  auto due = ledger.due({at(metric, 900000)}, {shard}, three, "n1", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].metric_id, metric);
  EXPECT_EQ(due[0].shard, shard);
  EXPECT_EQ(due[0].to.node, *next_owner(shard, ids, "n1"));
  EXPECT_EQ(due[0].to.incarnation, three.at(due[0].to.node));
  EXPECT_EQ(due[0].since, 0);
  EXPECT_EQ(due[0].limit, handover_history_limit);

  ledger.sent(due[0], 900000);
  EXPECT_TRUE(ledger.due({at(metric, 900000)}, {shard}, three, "n1", 10).empty());
  due = ledger.due({at(metric, 1200000)}, {shard}, three, "n1", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].since, 900001);
}

TEST(SnapshotHandover, ANewNextOwnerOrIncarnationGetsEverythingAgain) {
  const std::vector<std::string> ids{"n1", "n2", "n3"};
  const auto mine = metrics_owned_by("n1", ids);
  ASSERT_FALSE(mine.empty());
  const auto metric = mine.front();
  const int shard = shard_of_metric(metric);
  handover_ledger ledger;
  auto due = ledger.due({at(metric, 900000)}, {shard}, three, "n1", 10);
  ASSERT_EQ(due.size(), 1u);
  ledger.sent(due[0], 900000);
  const auto next = due[0].to.node;

  auto restarted = three;
  restarted[next] += 1;
  due = ledger.due({at(metric, 900000)}, {shard}, restarted, "n1", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].since, 0);

  auto without = three;
  without.erase(next);
  due = ledger.due({at(metric, 900000)}, {shard}, without, "n1", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_NE(due[0].to.node, next);
  EXPECT_NE(due[0].to.node, "n1");
  EXPECT_EQ(due[0].since, 0);
}

TEST(SnapshotHandover, OnlyServedShardsAndOnlyWithAnotherMember) {
  handover_ledger ledger;
  const auto a = at("m1", 0);
  EXPECT_TRUE(ledger.due({a}, {}, three, "n1", 10).empty());
  EXPECT_TRUE(ledger.due({a}, all_shards(), {{"n1", 1}}, "n1", 10).empty());
  EXPECT_EQ(ledger.due({a}, all_shards(), three, "n1", 10).size(), 1u);
}

TEST(SnapshotHandover, AtMostMaxItemsTheLeastRecentlySentFirst) {
  handover_ledger ledger;
  std::vector<snapshot> latest;
  for (int i = 0; i < 5; ++i)
    latest.push_back(at("m" + std::to_string(i), 0));
  auto first = ledger.due(latest, all_shards(), three, "n1", 3);
  ASSERT_EQ(first.size(), 3u);
  for (const auto& item : first)
    ledger.sent(item, 0);
  for (auto& s : latest)
    s.window_start = 300000;
  // The two never sent come before the three sent last round.
  auto second = ledger.due(latest, all_shards(), three, "n1", 3);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[0].since, 0);
  EXPECT_EQ(second[1].since, 0);
  EXPECT_EQ(second[2].since, 1);
}

TEST(SnapshotHandover, AReceivedHandoverIsCheckedBeforeItIsStored) {
  const int shard = shard_of_metric("cpu");
  EXPECT_FALSE(check_handover(shard, {at("cpu", 0), at("cpu", 300000)}, shard_count));
  EXPECT_FALSE(check_handover(shard, {}, shard_count));
  const auto other = (shard + 1) % shard_count;
  auto why = check_handover(other, {at("cpu", 0)}, shard_count);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("belongs to shard " + std::to_string(shard)), std::string::npos) << *why;
  EXPECT_TRUE(check_handover(shard_count, {}, shard_count));
  EXPECT_TRUE(check_handover(-1, {}, shard_count));
  auto empty_id = at("", 0);
  EXPECT_TRUE(check_handover(shard, {empty_id}, shard_count));
  auto backwards = at("cpu", 0);
  backwards.window_end = backwards.window_start;
  EXPECT_TRUE(check_handover(shard, {backwards}, shard_count));
  auto nan = at("cpu", 0);
  nan.p95 = std::numeric_limits<double>::quiet_NaN();
  why = check_handover(shard, {nan}, shard_count);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("not finite"), std::string::npos);
  std::vector<snapshot> too_many(handover_max_snapshots + 1, at("cpu", 0));
  EXPECT_TRUE(check_handover(shard, too_many, shard_count));
}

TEST(SnapshotHandover, ANodeForecastsOnlyTheMetricsOfTheShardsItServes) {
  const std::vector<std::string> ids{"cpu", "memory", "latency", "errors"};
  const std::vector<int> served{shard_of_metric("memory"), shard_of_metric("errors")};
  const auto kept = metrics_of_shards(ids, served);
  for (const auto& id : ids) {
    const bool ours = std::find(served.begin(), served.end(), shard_of_metric(id)) != served.end();
    EXPECT_EQ(std::find(kept.begin(), kept.end(), id) != kept.end(), ours) << id;
  }
  EXPECT_TRUE(metrics_of_shards(ids, {}).empty());
  EXPECT_EQ(metrics_of_shards(ids, all_shards()), ids);
}
