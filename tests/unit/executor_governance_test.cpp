#include "actors/executor/governance.hpp"

#include <gtest/gtest.h>

using namespace grace;
using namespace grace::executor;

namespace {

constexpr int64_t minute = 60000;
constexpr int64_t hour = 60 * minute;
constexpr timestamp_ms t0 = 1700000000000;

catalog::playbook_definition
playbook(const std::string& id, catalog::playbook_mode mode = catalog::playbook_mode::auto_run,
         int64_t cooldown_ms = 0, int max_runs_per_hour = 100) {
  catalog::playbook_definition pb;
  pb.id = id;
  pb.mode = mode;
  pb.cooldown_ms = cooldown_ms;
  pb.max_runs_per_hour = max_runs_per_hour;
  return pb;
}

} // namespace

TEST(executor_governance, auto_playbook_runs_when_nothing_stops_it) {
  governor g;
  auto d = g.decide(playbook("restart"), "grace-api", t0);
  EXPECT_EQ(d.kind, verdict::run);
  EXPECT_EQ(d.rule, "");
  EXPECT_EQ(to_string(d.kind), "run");
}

TEST(executor_governance, kill_switch_refuses_every_mode_and_releases) {
  governor g;
  g.set_kill_switch(true, "incident review", t0);
  EXPECT_TRUE(g.kill_switch());
  for (auto mode : {catalog::playbook_mode::auto_run, catalog::playbook_mode::approval,
                    catalog::playbook_mode::dry_run}) {
    auto d = g.decide(playbook("restart", mode), "grace-api", t0 + 5 * minute);
    EXPECT_EQ(d.kind, verdict::refused);
    EXPECT_EQ(d.rule, "kill_switch");
    EXPECT_NE(d.reason.find("incident review"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("5m ago"), std::string::npos) << d.reason;
  }
  g.set_kill_switch(false, "", t0 + 6 * minute);
  EXPECT_FALSE(g.kill_switch());
  EXPECT_EQ(g.decide(playbook("restart"), "grace-api", t0 + 6 * minute).kind, verdict::run);
}

TEST(executor_governance, kill_switch_comes_before_every_other_rule) {
  governor g(governance_settings{1, hour, 15 * minute});
  g.started("restart", "grace-api", t0);
  g.finished("restart", false, t0); // breaker open
  g.set_kill_switch(true, "stop", t0);
  EXPECT_EQ(g.decide(playbook("restart"), "grace-api", t0 + 1).rule, "kill_switch");
}

TEST(executor_governance, breaker_opens_after_consecutive_failures_only) {
  governor g(governance_settings{3, 30 * minute, 15 * minute});
  const auto pb = playbook("restart");
  // Two failures, a success, two failures: never three in a row.
  g.finished("restart", false, t0);
  g.finished("restart", false, t0 + 1);
  g.finished("restart", true, t0 + 2);
  g.finished("restart", false, t0 + 3);
  g.finished("restart", false, t0 + 4);
  EXPECT_EQ(g.consecutive_failures("restart"), 2);
  EXPECT_EQ(g.breaker("restart", t0 + 5), breaker_state::closed);
  EXPECT_EQ(g.decide(pb, "grace-api", t0 + 5).kind, verdict::run);
  // The third in a row opens it.
  g.finished("restart", false, t0 + 10);
  EXPECT_EQ(g.breaker("restart", t0 + 11), breaker_state::open);
  auto d = g.decide(pb, "grace-api", t0 + 11);
  EXPECT_EQ(d.kind, verdict::refused);
  EXPECT_EQ(d.rule, "circuit_breaker");
  EXPECT_NE(d.reason.find("3 times in a row"), std::string::npos) << d.reason;
  // Other playbooks are not affected.
  EXPECT_EQ(g.decide(playbook("scale"), "grace-api", t0 + 11).kind, verdict::run);
}

TEST(executor_governance, breaker_half_opens_for_one_trial_and_success_closes_it) {
  governor g(governance_settings{2, 30 * minute, 15 * minute});
  const auto pb = playbook("restart");
  g.finished("restart", false, t0);
  g.finished("restart", false, t0);
  EXPECT_EQ(g.decide(pb, "a", t0 + 30 * minute - 1).rule, "circuit_breaker");
  // Half-open: one trial allowed.
  const auto half = t0 + 30 * minute;
  EXPECT_EQ(g.breaker("restart", half), breaker_state::half_open);
  EXPECT_EQ(g.decide(pb, "a", half).kind, verdict::run);
  g.started("restart", "a", half);
  // While the trial runs, no second run.
  auto d = g.decide(pb, "b", half + 1000);
  EXPECT_EQ(d.rule, "circuit_breaker");
  EXPECT_NE(d.reason.find("trial"), std::string::npos) << d.reason;
  // Its success closes the breaker.
  g.finished("restart", true, half + 2000);
  EXPECT_EQ(g.breaker("restart", half + 2000), breaker_state::closed);
  EXPECT_EQ(g.consecutive_failures("restart"), 0);
  EXPECT_EQ(g.decide(pb, "b", half + 2000).kind, verdict::run);
}

TEST(executor_governance, failed_trial_reopens_the_breaker) {
  governor g(governance_settings{1, 10 * minute, 15 * minute});
  const auto pb = playbook("restart");
  g.finished("restart", false, t0);
  const auto half = t0 + 10 * minute;
  g.started("restart", "a", half);
  g.finished("restart", false, half + 1000);
  EXPECT_EQ(g.breaker("restart", half + 1000), breaker_state::open);
  EXPECT_EQ(g.decide(pb, "a", half + 1000 + 10 * minute - 1).rule, "circuit_breaker");
  EXPECT_EQ(g.decide(pb, "a", half + 1000 + 10 * minute).kind, verdict::run);
}

TEST(executor_governance, cooldown_is_per_playbook_and_target) {
  governor g;
  const auto pb = playbook("scale-api-shard", catalog::playbook_mode::auto_run, 10 * minute);
  g.started("scale-api-shard", "grace-api", t0);
  auto d = g.decide(pb, "grace-api", t0 + 4 * minute);
  EXPECT_EQ(d.kind, verdict::refused);
  EXPECT_EQ(d.rule, "cooldown");
  EXPECT_NE(d.reason.find("'scale-api-shard' on grace-api ran 4m ago, cooldown 10m"),
            std::string::npos)
      << d.reason;
  // Another target is not blocked, nor another playbook on the same target.
  EXPECT_EQ(g.decide(pb, "grace-db", t0 + 4 * minute).kind, verdict::run);
  EXPECT_EQ(g.decide(playbook("restart", catalog::playbook_mode::auto_run, 10 * minute),
                     "grace-api", t0 + 4 * minute)
                .kind,
            verdict::run);
  // The cooldown ends exactly cooldown_ms after the start.
  EXPECT_EQ(g.decide(pb, "grace-api", t0 + 10 * minute - 1).rule, "cooldown");
  EXPECT_EQ(g.decide(pb, "grace-api", t0 + 10 * minute).kind, verdict::run);
}

TEST(executor_governance, rate_limit_counts_runs_in_a_sliding_hour_over_all_targets) {
  governor g;
  const auto pb = playbook("restart", catalog::playbook_mode::auto_run, 0, 3);
  g.started("restart", "a", t0);
  g.started("restart", "b", t0 + 10 * minute);
  g.started("restart", "c", t0 + 20 * minute);
  EXPECT_EQ(g.runs_last_hour("restart", t0 + 30 * minute), 3);
  auto d = g.decide(pb, "d", t0 + 30 * minute);
  EXPECT_EQ(d.kind, verdict::refused);
  EXPECT_EQ(d.rule, "rate_limit");
  EXPECT_NE(d.reason.find("3 times in the last hour, limit 3"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("next slot in 30m"), std::string::npos) << d.reason;
  // The first run leaves the window one hour after it started.
  EXPECT_EQ(g.decide(pb, "d", t0 + hour - 1).rule, "rate_limit");
  EXPECT_EQ(g.decide(pb, "d", t0 + hour).kind, verdict::run);
  EXPECT_EQ(g.runs_last_hour("restart", t0 + hour), 2);
  // Another playbook has its own count.
  EXPECT_EQ(
      g.decide(playbook("scale", catalog::playbook_mode::auto_run, 0, 3), "d", t0 + 30 * minute)
          .kind,
      verdict::run);
}

TEST(executor_governance, cooldown_is_checked_before_rate_limit) {
  governor g;
  const auto pb = playbook("restart", catalog::playbook_mode::auto_run, 10 * minute, 1);
  g.started("restart", "a", t0);
  EXPECT_EQ(g.decide(pb, "a", t0 + minute).rule, "cooldown");
  EXPECT_EQ(g.decide(pb, "b", t0 + minute).rule, "rate_limit");
}

TEST(executor_governance, dry_run_mode_gives_dry_run_verdict) {
  governor g;
  auto d = g.decide(playbook("restart", catalog::playbook_mode::dry_run), "grace-api", t0);
  EXPECT_EQ(d.kind, verdict::dry_run);
  EXPECT_EQ(d.rule, "mode");
  EXPECT_EQ(to_string(d.kind), "dry_run");
}

TEST(executor_governance, approval_mode_awaits_approval_and_approved_run_rechecks_rules) {
  governor g;
  const auto pb = playbook("failover", catalog::playbook_mode::approval, 10 * minute);
  auto d = g.decide(pb, "grace-db", t0);
  EXPECT_EQ(d.kind, verdict::await_approval);
  EXPECT_EQ(d.rule, "mode");
  EXPECT_NE(d.reason.find("'failover'"), std::string::npos) << d.reason;
  EXPECT_EQ(g.decide_approved(pb, "grace-db", t0).kind, verdict::run);
  g.set_kill_switch(true, "freeze", t0 + 1);
  EXPECT_EQ(g.decide_approved(pb, "grace-db", t0 + 1).rule, "kill_switch");
}

TEST(executor_governance, status_reports_switch_breakers_and_runs) {
  governor g(governance_settings{1, 10 * minute, 15 * minute});
  g.started("restart", "a", t0);
  g.started("restart", "b", t0 + 1);
  g.finished("restart", false, t0 + 2);
  g.set_kill_switch(true, "maintenance", t0 + 3);
  const auto s = g.status(t0 + 4);
  EXPECT_TRUE(s.kill_switch.engaged);
  EXPECT_EQ(s.kill_switch.reason, "maintenance");
  EXPECT_EQ(s.kill_switch.since, t0 + 3);
  ASSERT_EQ(s.breakers.size(), 1u);
  EXPECT_EQ(s.breakers[0].playbook, "restart");
  EXPECT_EQ(s.breakers[0].state, "open");
  EXPECT_EQ(s.breakers[0].failures, 1);
  EXPECT_TRUE(s.breakers[0].opened);
  EXPECT_EQ(s.breakers[0].opens_until, t0 + 2 + 10 * minute);
  EXPECT_EQ(s.runs_last_hour.at("restart"), 2);
  EXPECT_EQ(s.settings.breaker_failures, 1);
  EXPECT_EQ(g.status(t0 + 2 + 10 * minute).breakers[0].state, "half_open");
  EXPECT_EQ(g.status(t0 + 2 * hour).runs_last_hour.at("restart"), 0);
}

TEST(executor_governance, durations_read_plainly) {
  EXPECT_EQ(format_duration(250), "250ms");
  EXPECT_EQ(format_duration(45000), "45s");
  EXPECT_EQ(format_duration(4 * minute), "4m");
  EXPECT_EQ(format_duration(4 * minute + 30000), "4m 30s");
  EXPECT_EQ(format_duration(2 * hour + 5 * minute), "2h 5m");
}

TEST(executor_approvals, take_returns_a_pending_approval_once) {
  approval_queue q;
  q.add({"e1", "failover", "grace-db", t0, t0 + 15 * minute});
  auto p = q.take("e1", t0 + minute);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->playbook, "failover");
  EXPECT_EQ(p->target, "grace-db");
  EXPECT_FALSE(q.take("e1", t0 + minute).has_value());
  EXPECT_FALSE(q.take("unknown", t0).has_value());
}

TEST(executor_approvals, take_after_expiry_returns_nullopt_and_drops_it) {
  approval_queue q;
  q.add({"e1", "failover", "grace-db", t0, t0 + 15 * minute});
  EXPECT_FALSE(q.take("e1", t0 + 15 * minute).has_value());
  EXPECT_EQ(q.size(), 0u);
}

TEST(executor_approvals, expire_removes_and_returns_only_expired_ones) {
  approval_queue q;
  q.add({"late", "b", "x", t0 + minute, t0 + 16 * minute});
  q.add({"early", "a", "x", t0, t0 + 15 * minute});
  q.add({"fresh", "c", "x", t0 + 10 * minute, t0 + 25 * minute});
  EXPECT_TRUE(q.expire(t0 + 15 * minute - 1).empty());
  auto gone = q.expire(t0 + 20 * minute);
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_EQ(gone[0].execution_id, "early");
  EXPECT_EQ(gone[1].execution_id, "late");
  auto left = q.pending();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].execution_id, "fresh");
  EXPECT_TRUE(q.take("fresh", t0 + 20 * minute).has_value());
}

TEST(executor_approvals, pending_lists_oldest_first_and_remove_rejects) {
  approval_queue q;
  q.add({"z", "a", "x", t0, t0 + minute});
  q.add({"a", "a", "y", t0 + 1, t0 + minute});
  auto p = q.pending();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].execution_id, "z");
  EXPECT_TRUE(q.remove("z"));
  EXPECT_FALSE(q.remove("z"));
  auto s = q.status(t0 + 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].execution_id, "a");
  EXPECT_EQ(s[0].expires_in_ms, minute - 1);
}

// What a caller whose pick was refused may ask again among: the playbooks a
// run on the target would really run now, in the order given.
TEST(executor_governance, runnable_leaves_out_refused_dry_run_and_unknown_playbooks) {
  governor g;
  const catalog::metrics_catalog cat(
      1, {},
      {playbook("restart", catalog::playbook_mode::auto_run, 10 * minute),
       playbook("scale", catalog::playbook_mode::auto_run, 10 * minute),
       playbook("page", catalog::playbook_mode::approval),
       playbook("describe", catalog::playbook_mode::dry_run)},
      "test");
  g.started("restart", "grace-api", t0);
  const std::vector<std::string> asked{"restart", "describe", "unknown", "page", "scale"};
  EXPECT_EQ(g.runnable(cat, asked, "grace-api", t0 + minute),
            (std::vector<std::string>{"page", "scale"}));
  // The cooldown is per target; once it is over, the playbook runs again.
  EXPECT_EQ(g.runnable(cat, asked, "grace-db", t0 + minute),
            (std::vector<std::string>{"restart", "page", "scale"}));
  EXPECT_EQ(g.runnable(cat, asked, "grace-api", t0 + 10 * minute),
            (std::vector<std::string>{"restart", "page", "scale"}));
  g.set_kill_switch(true, "maintenance", t0);
  EXPECT_TRUE(g.runnable(cat, asked, "grace-db", t0 + minute).empty());
}
