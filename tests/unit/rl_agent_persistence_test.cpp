// RL agent persistence: snapshot round trip, corrupt snapshots rejected with
// a clear error, one context moved between agents.
#include "actors/rl_agent/agent.hpp"
#include "actors/rl_agent/views.hpp"
#include "messages/json.hpp"

#include <gtest/gtest.h>

using namespace grace::rl;

namespace {

const context_key api{"grace-api", "api.latency_p95"};
const context_key queue{"grace-executor", "executor.queue_depth"};
const std::vector<candidate> cands = {{"restart-api-workers", 2}, {"scale-api-shard", 2}};

agent trained(std::vector<std::string>* open = nullptr) {
  agent a;
  for (int i = 0; i < 60; ++i) {
    const auto r = a.recommend(i % 2 ? api : queue, cands, std::nullopt, i);
    if (i >= 55 && open)
      open->push_back(r.event_id);
    else
      a.reward(r.event_id, r.chosen == "scale-api-shard" ? 0.5 : -0.2, {{"latency_ms", -40.0}},
               i + 1);
  }
  return a;
}

std::string corrupt_message(const nlohmann::json& j) {
  try {
    agent::from_json(j);
  } catch (const rl_error& e) {
    EXPECT_EQ(e.code(), error_code::corrupt_state) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "snapshot accepted: " << j.dump().substr(0, 200);
  return {};
}

} // namespace

TEST(RlAgentPersistence, RoundTripRestoresEverything) {
  std::vector<std::string> open;
  agent a = trained(&open);
  const auto snapshot = a.to_json();
  agent b = agent::from_json(nlohmann::json::parse(snapshot.dump()));
  EXPECT_EQ(b.to_json(), snapshot);
  EXPECT_EQ(b.statistics().experiences, a.statistics().experiences);
  EXPECT_EQ(b.statistics().pending, open.size());
  EXPECT_EQ(b.experiences().items().back().kpi_deltas.at("latency_ms"), -40.0);
  // Pending events can be rewarded after the restart, and both agents go on
  // to make the same decisions (RNG state restored).
  for (const auto& id : open) {
    EXPECT_EQ(a.reward(id, 0.3).trust_delta, b.reward(id, 0.3).trust_delta);
  }
  for (int i = 0; i < 20; ++i) {
    const auto ra = a.recommend(api, cands);
    const auto rb = b.recommend(api, cands);
    EXPECT_EQ(ra.event_id, rb.event_id);
    EXPECT_EQ(ra.chosen, rb.chosen);
  }
}

TEST(RlAgentPersistence, CorruptSnapshotsAreRejectedClearly) {
  const auto good = trained().to_json();
  EXPECT_NE(corrupt_message(nlohmann::json::array()).find("not a JSON object"), std::string::npos);
  auto j = good;
  j["format"] = "grace.rl_agent/0";
  EXPECT_NE(corrupt_message(j).find("format"), std::string::npos);
  j = good;
  j.erase("contexts");
  EXPECT_NE(corrupt_message(j).find("contexts"), std::string::npos);
  j = good;
  j["rng"] = "not a generator";
  EXPECT_NE(corrupt_message(j).find("random generator"), std::string::npos);
  j = good;
  j["contexts"][0]["policy"]["arms"]["scale-api-shard"]["weight"] = -3.0;
  EXPECT_NE(corrupt_message(j).find("negative weight"), std::string::npos);
  j = good;
  j["contexts"][0]["policy"]["arms"]["scale-api-shard"]["sum"] = "many";
  corrupt_message(j);
  j = good;
  j["experiences"][0]["propensity"] = 0.0;
  EXPECT_NE(corrupt_message(j).find("propensity"), std::string::npos);
  j = good;
  j["experiences"][0]["reward"] = 4.0;
  EXPECT_NE(corrupt_message(j).find("reward"), std::string::npos);
  j = good;
  j["config"]["policy"] = "bogus";
  EXPECT_NE(corrupt_message(j).find("bogus"), std::string::npos);
  j = good;
  j["contexts"].push_back(j["contexts"][0]);
  EXPECT_NE(corrupt_message(j).find("twice"), std::string::npos);
}

TEST(RlAgentPersistence, OneContextMovesBetweenAgents) {
  agent a = trained();
  agent b;
  b.import_context(a.export_context(api));
  ASSERT_TRUE(b.policy(api));
  // The context's statistics move as they are; its posteriors may differ,
  // since the pooled prior comes from the other contexts each agent holds.
  EXPECT_EQ(b.export_context(api), a.export_context(api));
  EXPECT_EQ(b.policy(api)->arms.front().playbook, a.policy(api)->arms.front().playbook);
  EXPECT_FALSE(b.policy(queue));
  a.erase_context(api);
  EXPECT_FALSE(a.policy(api));
  for (const auto& e : a.experiences().items())
    EXPECT_FALSE(e.context == api);
  EXPECT_THROW(a.export_context(api), rl_error);
  auto bad = b.export_context(api);
  bad["policy"]["arms"]["scale-api-shard"]["ema_value"] = 7.0;
  EXPECT_THROW(b.import_context(bad), rl_error);
  EXPECT_THROW(b.import_context({{"format", "x"}}), rl_error);
}

TEST(RlAgentPersistence, ExperiencesAloneRebuildThePolicies) {
  agent a = trained();
  agent b;
  b.load_experiences(a.experiences().to_vector());
  EXPECT_EQ(nlohmann::json(policies_view(b)), nlohmann::json(policies_view(a)));
  EXPECT_EQ(b.statistics().updates, a.statistics().updates);
  auto list = a.experiences().to_vector();
  list[3].propensity = 0.0;
  EXPECT_THROW(b.load_experiences(list), rl_error);
  // A rewarded event loaded from storage cannot be rewarded again.
  EXPECT_THROW(b.reward(list[0].event_id, 0.1), rl_error);
  // Nor is its id issued again, although c's own counter starts at 0: every
  // start issues ids under a salt of its own.
  list[3].propensity = 0.5;
  agent c;
  c.set_event_id_salt(fresh_event_id_salt());
  c.load_experiences(list);
  for (int i = 0; i < 80; ++i)
    EXPECT_FALSE(c.experiences().contains(c.recommend(api, cands).event_id));
}

TEST(RlAgentPersistence, PendingEventsAndExperiencesMoveWithTheirContext) {
  std::vector<std::string> open;
  agent a = trained(&open);
  agent b;
  b.import_context(a.export_context(api));
  a.erase_context(api);
  std::size_t moved = 0;
  for (const auto& id : open) {
    // Events of the moved context are rewarded by the new owner only.
    bool at_b = true;
    try {
      b.reward(id, 0.2);
      ++moved;
    } catch (const rl_error& e) {
      EXPECT_EQ(e.code(), error_code::unknown_event);
      at_b = false;
    }
    if (at_b)
      EXPECT_THROW(a.reward(id, 0.2), rl_error);
    else
      EXPECT_NO_THROW(a.reward(id, 0.2));
  }
  EXPECT_GT(moved, 0u);
  EXPECT_LT(moved, open.size());
  EXPECT_EQ(b.experiences().size(), 27u + moved); // 27 api incidents rewarded at a + the moved
  // An invalid export changes nothing.
  auto bad = b.export_context(api);
  bad["experiences"][0]["propensity"] = 2.0;
  agent c;
  EXPECT_THROW(c.import_context(bad), rl_error);
  EXPECT_FALSE(c.policy(api));
  EXPECT_EQ(c.experiences().size(), 0u);
}

// The cluster's fold carries a context as a typed grace::context_snapshot;
// its JSON (what etcd holds) is exactly the agent's export, which a new
// owner's agent imports.
TEST(RlAgentPersistence, TheTypedContextSnapshotIsTheAgentsExport) {
  std::vector<std::string> open;
  agent a = trained(&open);
  a.recommend(api, cands, 2, 99); // a pending event with a risk ceiling
  const auto exported = a.export_context(api);
  const auto typed = exported.get<grace::context_snapshot>();
  EXPECT_EQ(typed.service, api.service);
  EXPECT_FALSE(typed.pending.empty());
  EXPECT_FALSE(typed.experiences.empty());
  ASSERT_EQ(typed.arms.size(), 2u);
  EXPECT_EQ(nlohmann::json(typed), exported);
  grace::shard_snapshot shard{7, {typed}};
  const auto doc = nlohmann::json(shard);
  EXPECT_EQ(doc.at("format"), "grace.shard_snapshot/1");
  EXPECT_EQ(doc.get<grace::shard_snapshot>().contexts.size(), 1u);
  agent b;
  b.import_context(doc.at("contexts").at(0));
  EXPECT_EQ(b.export_context(api), exported);
  auto wrong = exported;
  wrong["format"] = "grace.rl_context/0";
  EXPECT_ANY_THROW(wrong.get<grace::context_snapshot>());
}

namespace {

agent::stored_outcome outcome_of(const experience& e) {
  return {e.event_id, e.context, e.chosen, e.propensity, e.reward, e.kpi_deltas, e.rewarded_at_ms};
}

} // namespace

TEST(RlAgentPersistence, RecoverLearnsWhatTheSnapshotMissed) {
  std::vector<std::string> open;
  agent live = trained(&open);
  const auto snapshot = live.to_json(); // taken before the last rewards
  // After the snapshot: the open events are rewarded, and one more is
  // recommended and rewarded.
  for (const auto& id : open)
    live.reward(id, 0.4, {}, 100);
  const auto late = live.recommend(api, cands, std::nullopt, 101);
  live.reward(late.event_id, -0.5, {}, 102);
  std::vector<agent::stored_outcome> rows;
  for (const auto& e : live.experiences().items())
    rows.push_back(outcome_of(e));

  agent restored = agent::from_json(snapshot);
  restored.set_event_id_salt(fresh_event_id_salt()); // as its owner does at every start
  const auto before = restored.statistics();
  size_t skipped = 99;
  const auto learned = restored.recover(rows, &skipped);
  EXPECT_EQ(learned, open.size() + 1);
  EXPECT_EQ(skipped, 0u);
  EXPECT_EQ(restored.statistics().experiences, live.statistics().experiences);
  EXPECT_EQ(restored.statistics().updates, before.updates + open.size() + 1);
  EXPECT_EQ(restored.statistics().pending, 0u);
  // A second pass changes nothing; the late event's id is never issued again.
  EXPECT_EQ(restored.recover(rows), 0u);
  const auto next = restored.recommend(api, cands, std::nullopt, 200);
  EXPECT_NE(next.event_id, late.event_id);
  // The rewards replayed for pending events are as if they came live: the
  // same values per arm.
  for (const auto& ctx : live.policies()) {
    const auto other = restored.policy(ctx.context);
    ASSERT_TRUE(other.has_value());
    EXPECT_EQ(other->updates, ctx.updates);
  }
}

TEST(RlAgentPersistence, RecoverSkipsInvalidOutcomes) {
  agent a;
  std::vector<agent::stored_outcome> rows = {
      {"x-1", api, "scale-api-shard", 0.0, 0.5, {}, 1},   // propensity 0
      {"x-2", api, "scale-api-shard", 0.5, 1.5, {}, 2},   // reward out of range
      {"x-3", api, "", 0.5, 0.5, {}, 3},                  // no playbook
      {"x-4", api, "scale-api-shard", 0.5, -0.25, {}, 4}, // good
  };
  size_t skipped = 0;
  EXPECT_EQ(a.recover(rows, &skipped), 1u);
  EXPECT_EQ(skipped, 3u);
  const auto p = a.policy(api);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->updates, 1u);
}
