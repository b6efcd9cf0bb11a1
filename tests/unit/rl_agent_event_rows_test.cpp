// Pending events and expired ids stored apart from the RL agent's snapshot:
// the net changes a store applies (set_changes), and an agent restored from
// its policy snapshot plus those rows is the agent that wrote them.
#include "actors/rl_agent/agent.hpp"
#include "actors/rl_agent/set_changes.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <map>

using namespace grace::rl;

namespace {

const context_key api{"grace-api", "api.latency_p95"};
const context_key queue{"grace-executor", "executor.queue_depth"};
const std::vector<candidate> cands = {{"restart-api-workers", 2}, {"scale-api-shard", 2}};

// A store of rows as the metric store keeps them: erase, then put (a row put
// again moves to the end), read back in put order.
struct row_store {
  std::vector<std::pair<std::string, std::string>> rows;

  void apply(set_changes::taken&& t) {
    for (const auto& id : t.erase) {
      auto it =
          std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.first == id; });
      ASSERT_NE(it, rows.end()) << "erase of a row the store does not hold: " << id;
      rows.erase(it);
    }
    for (auto& [id, json] : t.put) {
      rows.erase(
          std::remove_if(rows.begin(), rows.end(), [&](const auto& r) { return r.first == id; }),
          rows.end());
      rows.emplace_back(std::move(id), std::move(json));
    }
  }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& r : rows)
      out.push_back(r.first);
    return out;
  }
};

struct stores {
  row_store pending;
  row_store expired;
  void apply(agent& a) {
    auto c = a.take_event_changes();
    pending.apply(std::move(c.pending));
    expired.apply(std::move(c.expired));
  }
};

agent restored(const agent& from, const stores& s, std::vector<std::string>* unusable = nullptr) {
  agent b = agent::from_json(nlohmann::json::parse(from.policy_json().dump()));
  auto bad = b.restore_events(s.pending.rows, s.expired.ids());
  if (unusable)
    *unusable = bad;
  else
    EXPECT_TRUE(bad.empty());
  b.track_event_changes(true);
  return b;
}

} // namespace

TEST(RlAgentSetChanges, ShortLivedItemsCostTheStoreNothing) {
  set_changes c;
  c.put("a", "1");
  c.put("b", "2");
  auto t = c.take();
  EXPECT_TRUE(t.erase.empty());
  ASSERT_EQ(t.put.size(), 2u);
  EXPECT_EQ(t.put[0].first, "a");
  EXPECT_EQ(t.put[1].second, "2");
  EXPECT_TRUE(c.empty());
  // Added and gone between two takes: nothing. Held before: erased.
  c.put("c", "3");
  c.erase("c");
  c.erase("a");
  t = c.take();
  EXPECT_EQ(t.erase, std::vector<std::string>{"a"});
  EXPECT_TRUE(t.put.empty());
  // Gone and back: erased, then put again; gone again: still erased.
  c.erase("b");
  c.put("b", "4");
  t = c.take();
  EXPECT_EQ(t.erase, std::vector<std::string>{"b"});
  ASSERT_EQ(t.put.size(), 1u);
  EXPECT_EQ(t.put[0].second, "4");
  c.erase("b");
  c.put("b", "5");
  c.erase("b");
  t = c.take();
  EXPECT_EQ(t.erase, std::vector<std::string>{"b"});
  EXPECT_TRUE(t.put.empty());
}

TEST(RlAgentSetChanges, ABurstKeepsOnlyTheSurvivorsInOrder) {
  set_changes c;
  for (int i = 0; i < 5000; ++i) {
    c.put("id" + std::to_string(i), "{}");
    if (i >= 10)
      c.erase("id" + std::to_string(i - 10)); // at most ten alive
  }
  const auto t = c.take();
  EXPECT_TRUE(t.erase.empty());
  ASSERT_EQ(t.put.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(t.put[static_cast<std::size_t>(i)].first, "id" + std::to_string(4990 + i));
}

TEST(RlAgentEventRows, TheRowsAndThePolicySnapshotRestoreTheAgent) {
  agent_config cfg;
  cfg.max_pending = 6; // the cap expires events, and expired ids roll over
  agent a(cfg);
  a.track_event_changes(true);
  stores s;
  std::vector<std::string> issued;
  for (int i = 0; i < 40; ++i) {
    const auto r = a.recommend(i % 3 ? api : queue, cands, std::nullopt, i);
    issued.push_back(r.event_id);
    if (i % 4 == 0)
      a.reward(r.event_id, 0.4, {}, i + 1);
    if (i % 7 == 0)
      s.apply(a); // saves at irregular moments
  }
  s.apply(a);
  const auto snapshot = a.policy_json();
  EXPECT_FALSE(snapshot.contains("pending"));
  EXPECT_FALSE(snapshot.contains("expired"));
  EXPECT_EQ(s.pending.rows.size(), a.statistics().pending);
  EXPECT_EQ(s.expired.rows.size(), cfg.max_pending);

  agent b = restored(a, s);
  EXPECT_EQ(b.to_json(), a.to_json()); // order of pending and expired included
  // A pending event's reward after the restart credits its own event.
  const auto& open = s.pending.rows.back().first;
  const auto la = a.reward(open, 0.7, {}, 50);
  const auto lb = b.reward(open, 0.7, {}, 50);
  EXPECT_EQ(lb.context, la.context);
  EXPECT_EQ(lb.playbook, la.playbook);
  EXPECT_EQ(lb.trust_delta, la.trust_delta);
  // An expired one is still expired, an old rewarded one still rewarded.
  try {
    b.reward(s.expired.rows.front().first, 0.1, {}, 50);
    ADD_FAILURE() << "an expired event was rewarded after the restart";
  } catch (const rl_error& e) {
    EXPECT_EQ(e.code(), error_code::expired_event);
  }
  EXPECT_THROW(b.reward(issued[0], 0.1, {}, 50), rl_error);
  // Both go on changing their rows alike.
  stores t = s;
  s.apply(a);
  auto cb = b.take_event_changes();
  t.pending.apply(std::move(cb.pending));
  t.expired.apply(std::move(cb.expired));
  EXPECT_EQ(t.pending.rows, s.pending.rows);
}

TEST(RlAgentEventRows, ASnapshotHoldingTheEventsPutsThemAll) {
  std::vector<std::string> open;
  agent a;
  for (int i = 0; i < 8; ++i)
    open.push_back(a.recommend(api, cands, std::nullopt, i).event_id);
  // A snapshot of the earlier format (to_json: events inside).
  agent b = agent::from_json(nlohmann::json::parse(a.to_json().dump()));
  b.track_event_changes(false);
  stores s;
  s.apply(b);
  EXPECT_EQ(s.pending.ids(), open);
  agent c = restored(b, s);
  EXPECT_EQ(c.to_json(), a.to_json());
}

TEST(RlAgentEventRows, UnusableRowsAreSkippedAndNamed) {
  agent a;
  a.track_event_changes(true);
  a.recommend(api, cands, std::nullopt, 1);
  a.recommend(queue, cands, std::nullopt, 2);
  stores s;
  s.apply(a);
  s.pending.rows[0].second = "{\"event_id\": 1}";
  s.pending.rows.emplace_back("rl-x", "not json");
  std::vector<std::string> unusable;
  agent b = restored(a, s, &unusable);
  EXPECT_EQ(unusable, (std::vector<std::string>{s.pending.rows[0].first, "rl-x"}));
  EXPECT_EQ(b.statistics().pending, 1u);
  // The context of the surviving event is restored with what was offered.
  ASSERT_TRUE(b.policy(queue));
  EXPECT_EQ(b.policy(queue)->arms.size(), cands.size());
  EXPECT_FALSE(b.policy(api));
}
