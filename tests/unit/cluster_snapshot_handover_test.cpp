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

namespace {

forecast predicted(const std::string& metric, timestamp_ms generated_at) {
  forecast f;
  f.metric_id = metric;
  f.generated_at = generated_at;
  f.step = 300000;
  f.points = {{generated_at + 300000, 1.0, 0.5, 1.5, 0.25, 1.75}};
  return f;
}

} // namespace

TEST(SnapshotHandover, ALiveHandoverSendsEveryMetricOfTheShardOnceAndForecastsSince) {
  const std::vector<std::string> ids{"n1", "n2", "n3"};
  const auto mine = metrics_owned_by("n1", ids);
  ASSERT_GE(mine.size(), 2u);
  const int shard = shard_of_metric(mine[0]);
  std::vector<snapshot> latest;
  std::vector<std::string> same_shard;
  for (const auto& m : mine)
    if (shard_of_metric(m) == shard) {
      latest.push_back(at(m, 900000));
      same_shard.push_back(m);
    }
  latest.push_back(at(mine[0], 900000)); // listed twice: sent once
  const int other = (shard + 1) % shard_count;
  for (int i = 0; i < 200; ++i)
    if (shard_of_metric("x" + std::to_string(i)) == other) {
      latest.push_back(at("x" + std::to_string(i), 900000)); // another shard: not sent
      break;
    }
  handover_ledger ledger;
  const handover_target n4{"n4", 14};
  auto items = ledger.for_shard(latest, shard, n4);
  ASSERT_EQ(items.size(), same_shard.size());
  for (const auto& item : items) {
    EXPECT_EQ(item.shard, shard);
    EXPECT_EQ(item.to, n4);
    EXPECT_EQ(item.since, 0);
    EXPECT_EQ(item.forecasts_since, 0);
    EXPECT_EQ(item.limit, handover_history_limit);
    EXPECT_EQ(item.forecast_limit, handover_forecast_limit);
  }
  // What n4 already holds (sent to it as the next owner) is not sent again.
  ledger.sent(items[0], 900000, 600000);
  items = ledger.for_shard(latest, shard, n4);
  ASSERT_EQ(items.size(), same_shard.size());
  EXPECT_EQ(items[0].since, 900001);
  EXPECT_EQ(items[0].forecasts_since, 600001);
  // Another target (or n4 restarted: a new incarnation) gets everything.
  items = ledger.for_shard(latest, shard, {"n4", 15});
  EXPECT_EQ(items[0].since, 0);
  EXPECT_EQ(items[0].forecasts_since, 0);
  // A shard with no metric stored has nothing to send.
  EXPECT_TRUE(ledger.for_shard({}, shard, n4).empty());
}

TEST(SnapshotHandover, TheNextOwnersHandoverCarriesForecastsSinceTheLastSent) {
  const std::vector<std::string> ids{"n1", "n2", "n3"};
  const auto metric = metrics_owned_by("n1", ids).front();
  const int shard = shard_of_metric(metric);
  handover_ledger ledger;
  auto due = ledger.due({at(metric, 900000)}, {shard}, three, "n1", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].forecasts_since, 0);
  EXPECT_EQ(due[0].forecast_limit, handover_forecast_limit);
  ledger.sent(due[0], 900000, 700000);
  due = ledger.due({at(metric, 1200000)}, {shard}, three, "n1", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].forecasts_since, 700001);
  // A round that sent no forecast keeps the newest sent before.
  ledger.sent(due[0], 1200000, 0);
  due = ledger.due({at(metric, 1500000)}, {shard}, three, "n1", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].forecasts_since, 700001);
}

TEST(SnapshotHandover, AReceivedHandoversForecastsAreChecked) {
  const int shard = shard_of_metric("cpu");
  EXPECT_FALSE(check_handover(shard, {at("cpu", 0)}, {predicted("cpu", 0)}, shard_count));
  EXPECT_FALSE(check_handover(shard, {}, {}, shard_count));
  // The snapshots' checks still apply.
  EXPECT_TRUE(check_handover(shard_count, {}, {predicted("cpu", 0)}, shard_count));
  int other = 0;
  std::string stranger;
  for (int i = 0; i < 200 && stranger.empty(); ++i)
    if (shard_of_metric("m" + std::to_string(i)) != shard)
      stranger = "m" + std::to_string(i);
  auto why = check_handover(shard, {}, {predicted(stranger, 0)}, shard_count);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("belongs to shard"), std::string::npos) << *why;
  other = shard_of_metric(stranger);
  EXPECT_NE(other, shard);
  auto nameless = predicted("", 0);
  EXPECT_TRUE(check_handover(shard, {}, {nameless}, shard_count));
  auto pointless = predicted("cpu", 0);
  pointless.points.clear();
  EXPECT_TRUE(check_handover(shard, {}, {pointless}, shard_count));
  auto nan = predicted("cpu", 0);
  nan.points[0].hi95 = std::numeric_limits<double>::infinity();
  why = check_handover(shard, {}, {nan}, shard_count);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("not finite"), std::string::npos) << *why;
  std::vector<forecast> too_many(handover_max_forecasts + 1, predicted("cpu", 0));
  EXPECT_TRUE(check_handover(shard, {}, too_many, shard_count));
}

TEST(ReleaseHandover, TheReleaseWaitsForTheHistoryToBeAcknowledged) {
  release_handover r;
  r.begin(7, 101, "n4", 1000);
  EXPECT_TRUE(r.pending(7));
  // n4 not connected yet: nothing to do.
  EXPECT_TRUE(r.next(1500, {"n2"}, {7}).empty());
  // Connected: the history is sent, once.
  auto steps = r.next(2000, {"n2", "n4"}, {7});
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, release_step::send);
  EXPECT_EQ(steps[0].shard, 7);
  EXPECT_EQ(steps[0].to, "n4");
  EXPECT_TRUE(r.next(2100, {"n4"}, {7}).empty()); // in flight
  // Acknowledged: released (with our fencing token), then forgotten.
  r.acknowledged(7);
  steps = r.next(2200, {"n4"}, {7});
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, release_step::release);
  EXPECT_EQ(steps[0].fencing_token, 101);
  EXPECT_TRUE(steps[0].handed_over);
  EXPECT_FALSE(r.pending(7));
  EXPECT_TRUE(r.next(2300, {"n4"}, {7}).empty());
}

TEST(ReleaseHandover, AFailedSendIsTriedAgainAndTheWaitIsBounded) {
  release_handover r;
  r.begin(3, 55, "n4", 0);
  r.begin(3, 99, "n5", 10); // begun again: kept as it was
  auto steps = r.next(100, {"n4"}, {3});
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].to, "n4");
  r.failed(3);
  steps = r.next(1100, {"n4"}, {3});
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, release_step::send);
  // The member never stores it: released anyway once the wait has passed,
  // saying the history did not go.
  EXPECT_TRUE(r.next(release_handover_wait_ms - 1, {"n4"}, {3}).empty());
  steps = r.next(release_handover_wait_ms, {"n4"}, {3});
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, release_step::release);
  EXPECT_EQ(steps[0].fencing_token, 55);
  EXPECT_FALSE(steps[0].handed_over);
  // A member that never connects: the same bound.
  r.begin(4, 56, "n9", 0);
  steps = r.next(release_handover_wait_ms, {"n4"}, {4});
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].kind, release_step::release);
  EXPECT_FALSE(steps[0].handed_over);
}

TEST(ReleaseHandover, AShardNoLongerReleasedIsDroppedWithoutARelease) {
  release_handover r;
  r.begin(1, 10, "n4", 0);
  r.begin(2, 20, "n4", 0);
  // The lease was lost: the ownership state machine stopped releasing 1
  // (its claim died with the lease); nothing may be deleted for it.
  auto steps = r.next(release_handover_wait_ms, {}, {2});
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].shard, 2);
  EXPECT_FALSE(r.pending(1));
  EXPECT_EQ(r.size(), 0u);
  // An acknowledgement or failure for a forgotten shard changes nothing.
  r.acknowledged(1);
  r.failed(1);
  EXPECT_EQ(r.size(), 0u);
}
