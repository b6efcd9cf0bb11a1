// The executor's stored executions: the round trip, what a restart expires,
// the governor's replayed history, resumed evaluations and due selection.
#include "actors/executor/execution_history.hpp"

#include <gtest/gtest.h>

using namespace grace;
using namespace grace::executor;

namespace {

constexpr int64_t minute = 60000;
constexpr int64_t t0 = 1'700'000'000'000;

execution run(const std::string& id, execution_state state, int64_t started, bool ok = true) {
  execution e;
  e.id = id;
  e.playbook = "restart";
  e.metric_id = "api.latency";
  e.service = "api";
  e.state = state;
  e.requested_at = started;
  e.started_at = started;
  e.finished_at = started > 0 ? started + minute : 0;
  e.evaluate_at = ok && state == execution_state::succeeded ? started + 31 * minute : 0;
  return e;
}

execution_request request_for(const std::string& warning) {
  execution_request r;
  r.warning_id = warning;
  r.metric_id = "api.latency";
  r.playbook = "restart";
  r.counterfactual.step = 5 * minute;
  r.counterfactual.points.push_back({t0 + 5 * minute, 10.0, 9.0, 11.0, 8.0, 12.0});
  return r;
}

} // namespace

TEST(executor_history, a_restart_expires_what_waited_and_resumes_due_evaluations) {
  std::deque<execution> runs{run("ex-1", execution_state::failed, t0),
                             run("ex-2", execution_state::succeeded, t0 + 10 * minute),
                             run("ex-3", execution_state::pending_approval, 0),
                             run("ex-4", execution_state::running, t0 + 20 * minute),
                             run("ex-5", execution_state::evaluated, t0 + 2 * minute)};
  std::map<std::string, execution_request> awaiting{{"ex-2", request_for("w-2")},
                                                    {"ex-5", request_for("w-5")}};
  const auto doc = nlohmann::json::parse(history_json(6, runs, awaiting).dump());
  governor g(governance_settings{2, 30 * minute, 15 * minute});
  const auto h = restore_history(doc, g);
  EXPECT_EQ(h.next_id, 6u);
  ASSERT_EQ(h.executions.size(), 5u);
  EXPECT_EQ(h.executions[0].state, execution_state::failed);
  EXPECT_EQ(h.executions[1].state, execution_state::succeeded);
  for (size_t i : {2, 3}) {
    EXPECT_EQ(h.executions[i].state, execution_state::expired) << h.executions[i].id;
    EXPECT_EQ(h.executions[i].reason, "the node restarted before it was decided or finished");
  }
  // Only a succeeded run still being measured resumes its evaluation.
  ASSERT_EQ(h.awaiting.size(), 1u);
  EXPECT_EQ(h.awaiting.at("ex-2").warning_id, "w-2");
  EXPECT_EQ(h.awaiting.at("ex-2").counterfactual.points.size(), 1u);
  // Every started run counts toward the hour's rate; the running one was never finished.
  EXPECT_EQ(g.runs_last_hour("restart", t0 + 30 * minute), 4);
  EXPECT_EQ(g.consecutive_failures("restart"), 0) << "the later successes reset the failure";
}

TEST(executor_history, replayed_failures_open_the_breaker_again) {
  std::deque<execution> runs{run("ex-1", execution_state::failed, t0),
                             run("ex-2", execution_state::failed, t0 + 5 * minute)};
  governor g(governance_settings{2, 30 * minute, 15 * minute});
  restore_history(history_json(3, runs, {}), g);
  EXPECT_EQ(g.consecutive_failures("restart"), 2);
  EXPECT_EQ(g.breaker("restart", t0 + 10 * minute), breaker_state::open);
}

TEST(executor_history, an_unreadable_document_throws) {
  governor g;
  EXPECT_ANY_THROW(restore_history(nlohmann::json::parse(R"({"executions": []})"), g));
  EXPECT_ANY_THROW(restore_history(nlohmann::json::parse(R"({"next_id": 1, "executions": 3})"), g));
  const auto old = nlohmann::json{{"next_id", 2}, {"executions", nlohmann::json::array()}};
  EXPECT_TRUE(restore_history(old, g).awaiting.empty()) << "older documents have no requests";
}

TEST(executor_history, due_are_the_measured_runs_not_yet_evaluating) {
  std::deque<execution> runs{run("ex-1", execution_state::succeeded, t0),
                             run("ex-2", execution_state::succeeded, t0 + 20 * minute),
                             run("ex-3", execution_state::succeeded, t0),
                             run("ex-4", execution_state::succeeded, t0),
                             run("ex-5", execution_state::failed, t0)};
  std::map<std::string, execution_request> awaiting{
      {"ex-1", {}}, {"ex-2", {}}, {"ex-4", {}}, {"ex-5", {}}};
  // ex-2 is measured until t0 + 51 min, ex-3 has no request, ex-4 is evaluating.
  EXPECT_EQ(due_for_evaluation(runs, awaiting, {"ex-4"}, t0 + 40 * minute),
            (std::vector<std::string>{"ex-1"}));
  EXPECT_EQ(due_for_evaluation(runs, awaiting, {}, t0 + 60 * minute),
            (std::vector<std::string>{"ex-1", "ex-2", "ex-4"}));
}

TEST(executor_history, an_operators_kill_switch_survives_a_restart) {
  const kill_switch_status engaged{true, "database failover in progress", t0};
  governor g;
  const auto h =
      restore_history(nlohmann::json::parse(history_json(1, {}, {}, &engaged).dump()), g);
  EXPECT_TRUE(g.kill_switch());
  EXPECT_EQ(g.kill_switch_reason(), "database failover in progress");
  EXPECT_EQ(g.status(t0 + minute).kill_switch.since, t0);
  ASSERT_TRUE(h.kill_switch);
  EXPECT_TRUE(h.kill_switch->engaged);
  // Released by the operator: stored released, and a restart leaves the
  // governor as grace.yaml set it.
  const kill_switch_status released{false, "failover done", t0 + minute};
  governor fresh;
  restore_history(history_json(1, {}, {}, &released), fresh);
  EXPECT_FALSE(fresh.kill_switch());
  governor from_yaml;
  from_yaml.set_kill_switch(true, "engaged in grace.yaml (execution.kill_switch)", t0);
  restore_history(history_json(1, {}, {}, &released), from_yaml);
  EXPECT_TRUE(from_yaml.kill_switch()) << "grace.yaml's switch is not the operator's";
  // Older documents have no switch.
  governor old;
  EXPECT_FALSE(restore_history(history_json(1, {}, {}), old).kill_switch);
  EXPECT_FALSE(old.kill_switch());
}
