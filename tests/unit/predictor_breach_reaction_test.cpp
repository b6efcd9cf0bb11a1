// Reactions to breaches nobody warned about: confirmation over snapshots, a
// metric already recovering, spacing after any action on the metric or its
// service, escalation when the episode's own reaction did not end it, the
// per-episode cap, the playbooks tried in an episode, and late snapshots.
#include "actors/predictor/breach_reaction.hpp"

#include <gtest/gtest.h>
#include <limits>
#include <vector>

using grace::band;
using grace::timestamp_ms;
using grace::predictor::breach_reactions;
using grace::predictor::reaction_policy;
using grace::predictor::warning_gate;

namespace {

constexpr int64_t minute = 60'000;
constexpr timestamp_ms t0 = 1'700'000'000'000;
const std::string metric = "api.error_rate";
const std::string service = "grace-api";

// Window end of the i-th 5-minute snapshot.
timestamp_ms window(int i) {
  return t0 + i * 5 * minute;
}

// The i-th snapshot of a higher-is-worse metric; in breach the value rises
// slowly unless given.
breach_reactions::observation snap(band level, int i, double value = -1.0,
                                   const std::string& id = metric) {
  if (value < 0)
    value = level == band::good ? 1.0 : 6.0 + 0.01 * i;
  return {id, service, level, value, true, window(i)};
}

TEST(BreachReactions, AOneWindowSpikeDoesNotAct) {
  breach_reactions r;
  EXPECT_FALSE(r.observe(snap(band::good, 0)));
  EXPECT_FALSE(r.observe(snap(band::critical, 1)));
  EXPECT_FALSE(r.observe(snap(band::good, 2)));
  EXPECT_FALSE(r.observe(snap(band::warning, 3)));
  EXPECT_EQ(r.episode_windows(metric), 1);
}

TEST(BreachReactions, ActsOnceTheBreachIsConfirmed) {
  breach_reactions r(reaction_policy{2, 30 * minute, 2, 0});
  EXPECT_FALSE(r.observe(snap(band::warning, 1)));
  EXPECT_TRUE(r.observe(snap(band::warning, 2)));
  r.acted(metric, service, window(2), true);
  // Still in breach, but the outcome of that action is being measured.
  for (int i = 3; i < 8; ++i)
    EXPECT_FALSE(r.observe(snap(band::critical, i))) << i;
}

TEST(BreachReactions, AMetricAlreadyRecoveringIsLeftAlone) {
  breach_reactions r;
  r.observe(snap(band::critical, 1, 9.0));
  EXPECT_FALSE(r.observe(snap(band::critical, 2, 7.5))); // better than before
  EXPECT_FALSE(r.observe(snap(band::warning, 3, 4.0)));
  EXPECT_TRUE(r.observe(snap(band::warning, 4, 4.2))); // worse again
  // Lower-is-worse metrics improve upward.
  breach_reactions low;
  const auto rate = [](int i, double v) {
    return breach_reactions::observation{"delivery", "mesh", band::warning, v, false, window(i)};
  };
  low.observe(rate(1, 90.0));
  EXPECT_FALSE(low.observe(rate(2, 93.0)));
  EXPECT_TRUE(low.observe(rate(3, 92.0)));
  // An unknown value is not taken as recovery.
  breach_reactions unknown;
  unknown.observe(snap(band::warning, 1, std::numeric_limits<double>::quiet_NaN()));
  EXPECT_TRUE(unknown.observe(snap(band::warning, 2, std::numeric_limits<double>::quiet_NaN())));
}

TEST(BreachReactions, ASecondTryAfterTheGapThenNoMore) {
  breach_reactions r(reaction_policy{2, 30 * minute, 2, 0});
  r.observe(snap(band::warning, 1));
  ASSERT_TRUE(r.observe(snap(band::warning, 2)));
  r.acted(metric, service, window(2), true);
  int second = -1;
  for (int i = 3; i < 30 && second < 0; ++i)
    if (r.observe(snap(band::critical, i)))
      second = i;
  EXPECT_EQ(second, 8); // 30 minutes after window 2
  r.acted(metric, service, window(second), true);
  for (int i = second + 1; i < 40; ++i)
    EXPECT_FALSE(r.observe(snap(band::critical, i))) << i;
}

TEST(BreachReactions, ABreachTheReactionDidNotEndEscalatesAfterTenMinutes) {
  breach_reactions r(reaction_policy{2, 30 * minute, 3, 10 * minute});
  r.observe(snap(band::warning, 1));
  ASSERT_TRUE(r.observe(snap(band::warning, 2)));
  r.acted(metric, service, window(2), true);
  r.ran(metric, "rollback-last-deploy");
  EXPECT_FALSE(r.observe(snap(band::critical, 3)));
  EXPECT_TRUE(r.observe(snap(band::critical, 4))); // 10 minutes after, still in breach
  r.acted(metric, service, window(4), true);
  r.ran(metric, "restart-api-workers");
  r.ran(metric, "restart-api-workers"); // listed once
  EXPECT_EQ(r.tried(metric),
            (std::vector<std::string>{"rollback-last-deploy", "restart-api-workers"}));
  EXPECT_FALSE(r.observe(snap(band::critical, 5)));
  EXPECT_TRUE(r.observe(snap(band::critical, 6)));
  r.acted(metric, service, window(6), true);
  for (int i = 7; i < 30; ++i) // the cap of 3
    EXPECT_FALSE(r.observe(snap(band::critical, i))) << i;
  // Recovery ends the episode: its tried playbooks are forgotten.
  r.observe(snap(band::good, 30));
  EXPECT_TRUE(r.tried(metric).empty());
  // A playbook run outside an episode is not one of the next episode's.
  r.ran(metric, "enable-circuit-breaker");
  r.observe(snap(band::warning, 31));
  EXPECT_TRUE(r.tried(metric).empty());
}

TEST(BreachReactions, EscalationWaitsForARecoveringMetricAndForOtherRuns) {
  // Getting better after the reaction: no escalation while it lasts.
  breach_reactions r(reaction_policy{2, 30 * minute, 3, 10 * minute});
  r.observe(snap(band::critical, 1, 9.0));
  ASSERT_TRUE(r.observe(snap(band::critical, 2, 9.5)));
  r.acted(metric, service, window(2), true);
  EXPECT_FALSE(r.observe(snap(band::critical, 3, 8.0)));
  EXPECT_FALSE(r.observe(snap(band::warning, 4, 5.0)));
  EXPECT_TRUE(r.observe(snap(band::warning, 5, 5.1))); // stalled in breach
  // Another run on the service since the reaction: the full gap after it.
  breach_reactions s(reaction_policy{2, 30 * minute, 3, 10 * minute});
  s.observe(snap(band::warning, 1));
  ASSERT_TRUE(s.observe(snap(band::warning, 2)));
  s.acted(metric, service, window(2), true);
  s.acted("api.latency_p95", service, window(3), false); // an early warning's playbook
  EXPECT_FALSE(s.observe(snap(band::warning, 4)));
  EXPECT_FALSE(s.observe(snap(band::warning, 8)));
  EXPECT_TRUE(s.observe(snap(band::warning, 9))); // 30 minutes after that run
  // Escalation is never slower than the gap; 0 turns it off.
  breach_reactions off(reaction_policy{2, 30 * minute, 3, 0});
  off.observe(snap(band::warning, 1));
  ASSERT_TRUE(off.observe(snap(band::warning, 2)));
  off.acted(metric, service, window(2), true);
  for (int i = 3; i < 8; ++i)
    EXPECT_FALSE(off.observe(snap(band::warning, i))) << i;
  EXPECT_TRUE(off.observe(snap(band::warning, 8)));
}

TEST(BreachReactions, ASuddenBreachWaitsOnlyTheShortGapAfterAnotherRunOnItsService) {
  breach_reactions r(reaction_policy{2, 30 * minute, 3, 10 * minute});
  r.acted("api.latency_p95", service, window(2), true);
  auto step = [](int i) {
    auto o = snap(band::critical, i, 9.0);
    o.sudden = true;
    return o;
  };
  r.observe(step(2));
  EXPECT_FALSE(r.observe(step(3))); // confirmed, 5 minutes after the latency's run
  EXPECT_TRUE(r.observe(step(4)));  // 10 minutes after it
  // The same breach without the step waits the full gap.
  breach_reactions gradual(reaction_policy{2, 30 * minute, 3, 10 * minute});
  gradual.acted("api.latency_p95", service, window(2), true);
  gradual.observe(snap(band::critical, 2, 9.0));
  for (int i = 3; i < 8; ++i)
    EXPECT_FALSE(gradual.observe(snap(band::critical, i, 9.0))) << i;
  EXPECT_TRUE(gradual.observe(snap(band::critical, 8, 9.0))); // 30 minutes after
}

TEST(BreachReactions, AWarningRunSpacesTheReactionButDoesNotCount) {
  breach_reactions r(reaction_policy{2, 30 * minute, 1, 0});
  r.acted(metric, service, window(0), false); // the early warning's playbook ran
  r.observe(snap(band::warning, 1));
  for (int i = 2; i < 6; ++i)
    EXPECT_FALSE(r.observe(snap(band::warning, i))) << i;
  // The prevention failed: 30 minutes after it, the one reaction.
  EXPECT_TRUE(r.observe(snap(band::warning, 6)));
}

TEST(BreachReactions, AnActionOnTheServiceSpacesItsOtherMetrics) {
  breach_reactions r;
  r.acted("api.latency_p95", service, window(1), true);
  r.observe(snap(band::warning, 2));
  EXPECT_FALSE(r.observe(snap(band::warning, 3))); // latency's playbook is being measured
  EXPECT_TRUE(r.observe(snap(band::warning, 7)));  // 30 minutes after it
  // Another service is not held back.
  breach_reactions other;
  other.acted("infra.cpu_utilization", "grace-infra", window(1), true);
  other.observe(snap(band::warning, 2));
  EXPECT_TRUE(other.observe(snap(band::warning, 3)));
}

TEST(BreachReactions, AMetricBreachedAfterAnotherOfItsServiceIsASymptom) {
  breach_reactions r(reaction_policy{2, 30 * minute, 2, 0});
  const std::string cause = "api.request_rate";
  r.observe(snap(band::warning, 1, -1.0, cause));
  r.observe(snap(band::warning, 2, -1.0, metric)); // the error rate follows
  ASSERT_TRUE(r.observe(snap(band::warning, 2, -1.0, cause)));
  r.acted(cause, service, window(2), true);
  std::vector<int> cause_reactions;
  for (int i = 3; i < 14; ++i) {
    if (r.observe(snap(band::critical, i, -1.0, cause))) {
      cause_reactions.push_back(i);
      r.acted(cause, service, window(i), true);
    }
    EXPECT_FALSE(r.observe(snap(band::critical, i, -1.0, metric))) << i;
  }
  EXPECT_EQ(cause_reactions, std::vector<int>{8});
  // The cause has had both its reactions and still breaches: the symptom's
  // own playbooks get their turn, 30 minutes after the last one.
  EXPECT_FALSE(r.observe(snap(band::critical, 14, -1.0, cause)));
  EXPECT_TRUE(r.observe(snap(band::critical, 14, -1.0, metric)));
  // A metric of another service is not a symptom.
  breach_reactions other;
  other.observe(snap(band::warning, 1, -1.0, cause));
  other.observe({"infra.cpu_utilization", "grace-infra", band::warning, 90.0, true, window(2)});
  EXPECT_TRUE(other.observe(
      {"infra.cpu_utilization", "grace-infra", band::warning, 91.0, true, window(3)}));
}

TEST(BreachReactions, AStepIsNotHeldAsTheSymptomOfAClimbWhenSoSet) {
  // A memory leak climbs on grace-infra; a host fails meanwhile and the CPU
  // steps to critical. By default the CPU is taken as the memory's symptom.
  const std::string memory = "infra.memory_utilization";
  const std::string cpu = "infra.cpu_utilization";
  auto leak = [&](int i) {
    return breach_reactions::observation{memory,   "grace-infra", band::critical,
                                         90.0 + i, true,          window(i)};
  };
  auto host = [&](int i, bool sudden) {
    breach_reactions::observation o{cpu, "grace-infra", band::critical, 95.0, true, window(i)};
    o.sudden = sudden;
    return o;
  };
  reaction_policy held{2, 30 * minute, 3, 10 * minute};
  breach_reactions by_default(held);
  reaction_policy apart = held;
  apart.steps_not_held_by_climbs = true;
  breach_reactions stepped(apart);
  for (auto* r : {&by_default, &stepped}) {
    r->observe(leak(1));
    r->observe(leak(2));
    r->observe(host(2, true));
  }
  EXPECT_FALSE(by_default.observe(host(3, true)));
  EXPECT_TRUE(stepped.observe(host(3, true)));
  // A climb on the CPU is still the memory's symptom with the switch on.
  breach_reactions climbing(apart);
  climbing.observe(leak(1));
  climbing.observe(leak(2));
  climbing.observe(host(2, false));
  EXPECT_FALSE(climbing.observe(host(3, false)));
  // And a step is held by an earlier episode that stepped too (one outage
  // stepping two metrics of a service: the later one is the symptom).
  breach_reactions both(apart);
  auto outage = [&](int i) {
    auto o = leak(i);
    o.sudden = true;
    return o;
  };
  both.observe(outage(1));
  both.observe(outage(2));
  both.observe(host(2, true));
  EXPECT_FALSE(both.observe(host(3, true)));
}

TEST(BreachReactions, ADeclaredSymptomThatBreachedFirstIsNotTheCause) {
  // A slow API's error rate can cross its threshold before the latency does;
  // the catalog says the error rate is the latency's symptom, so the latency
  // is not held back as the error rate's (which waits on the latency).
  const std::string latency = "api.latency_p95";
  breach_reactions r(reaction_policy{2, 30 * minute, 2, 0});
  r.observe(snap(band::warning, 1, -1.0, metric)); // the error rate first
  r.observe(snap(band::warning, 2, -1.0, metric));
  auto latency_snap = [&](int i) {
    auto o = snap(band::warning, i, 450.0 + i, latency);
    o.effects = {metric};
    return o;
  };
  r.observe(latency_snap(2));
  EXPECT_TRUE(r.observe(latency_snap(3)));
  // Without the declaration the earlier breach is taken as the cause.
  breach_reactions undeclared(reaction_policy{2, 30 * minute, 2, 0});
  undeclared.observe(snap(band::warning, 1, -1.0, metric));
  undeclared.observe(snap(band::warning, 2, -1.0, metric));
  undeclared.observe(snap(band::warning, 2, 452.0, latency));
  EXPECT_FALSE(undeclared.observe(snap(band::warning, 3, 453.0, latency)));
}

TEST(BreachReactions, ANewEpisodeStartsAfterRecovery) {
  breach_reactions r(reaction_policy{2, 30 * minute, 1, 0});
  r.observe(snap(band::warning, 1));
  ASSERT_TRUE(r.observe(snap(band::warning, 2)));
  r.acted(metric, service, window(2), true);
  EXPECT_FALSE(r.observe(snap(band::warning, 9))); // cap reached
  EXPECT_FALSE(r.observe(snap(band::good, 10)));
  EXPECT_EQ(r.episode_windows(metric), 0);
  EXPECT_FALSE(r.observe(snap(band::critical, 11)));
  EXPECT_TRUE(r.observe(snap(band::critical, 12)));
}

TEST(BreachReactions, LateAndRepeatedSnapshotsAreIgnored) {
  breach_reactions r;
  EXPECT_FALSE(r.observe(snap(band::warning, 5)));
  EXPECT_FALSE(r.observe(snap(band::warning, 5))); // repeated
  EXPECT_FALSE(r.observe(snap(band::warning, 4))); // late
  EXPECT_EQ(r.episode_windows(metric), 1);
  EXPECT_TRUE(r.observe(snap(band::warning, 6)));
}

TEST(BreachReactions, MetricsAreIndependent) {
  breach_reactions r;
  r.observe(snap(band::warning, 1, -1.0, "a"));
  r.acted("b", "elsewhere", window(1), true);
  EXPECT_TRUE(r.observe(snap(band::warning, 2, -1.0, "a")));
  EXPECT_FALSE(r.observe(snap(band::warning, 2, -1.0, "b")));
}

// Early warnings and the runs on their service (warnings_wait_for_runs).
reaction_policy waiting_policy() {
  reaction_policy p{2, 30 * minute, 3, 10 * minute};
  p.warnings_wait_for_runs = true;
  return p;
}

TEST(BreachReactions, AWarningWaitsForAYoungRunOnItsService) {
  breach_reactions r(waiting_policy());
  // Nothing ran: the warning acts.
  EXPECT_EQ(r.warning_action("infra.cpu_utilization", "grace-infra", window(1)).gate,
            warning_gate::act);
  // A run on another metric of the service three minutes ago: not before
  // ten minutes after it.
  r.acted("infra.memory_utilization", "grace-infra", window(1), true);
  const auto d = r.warning_action("infra.cpu_utilization", "grace-infra", window(1) + 3 * minute);
  EXPECT_EQ(d.gate, warning_gate::wait);
  EXPECT_EQ(d.until, window(1) + 10 * minute);
  EXPECT_EQ(r.warning_action("infra.cpu_utilization", "grace-infra", window(3)).gate,
            warning_gate::act);
  // Another service is not held back.
  EXPECT_EQ(r.warning_action(metric, service, window(1) + minute).gate, warning_gate::act);
}

TEST(BreachReactions, AWarningForABreachItsReactionIsActingOnIsSuperseded) {
  breach_reactions r(waiting_policy());
  r.observe(snap(band::warning, 1));
  ASSERT_TRUE(r.observe(snap(band::warning, 2)));
  r.acted(metric, service, window(2), true);
  // A critical warning for the same metric two minutes after its reaction,
  // and still after ten minutes while the episode lasts: the escalation's.
  EXPECT_EQ(r.warning_action(metric, service, window(2) + 2 * minute).gate,
            warning_gate::superseded);
  r.observe(snap(band::critical, 5));
  EXPECT_EQ(r.warning_action(metric, service, window(5)).gate, warning_gate::superseded);
  // The episode over, a new warning acts (the last run long past).
  r.observe(snap(band::good, 6));
  EXPECT_EQ(r.warning_action(metric, service, window(8)).gate, warning_gate::act);
}

TEST(BreachReactions, WarningsActAtOnceByDefault) {
  breach_reactions r(reaction_policy{2, 30 * minute, 3, 10 * minute});
  r.observe(snap(band::warning, 1));
  ASSERT_TRUE(r.observe(snap(band::warning, 2)));
  r.acted(metric, service, window(2), true);
  EXPECT_EQ(r.warning_action(metric, service, window(2) + minute).gate, warning_gate::act);
  EXPECT_EQ(r.warning_action("api.latency_p95", service, window(2) + minute).gate,
            warning_gate::act);
}

TEST(BreachReactions, EveryBreachThatGetsNoReactionSaysWhy) {
  using grace::predictor::reaction_reason;
  const std::string latency = "api.latency_p95";
  breach_reactions r(reaction_policy{2, 30 * minute, 1, 10 * minute});
  EXPECT_EQ(r.observe(snap(band::good, 0)).reason, reaction_reason::good);
  EXPECT_EQ(r.observe(snap(band::critical, 1)).reason, reaction_reason::confirming);
  EXPECT_EQ(r.observe(snap(band::critical, 1)).reason, reaction_reason::stale);
  EXPECT_EQ(r.observe(snap(band::critical, 2, 5.0)).reason, reaction_reason::recovering);
  const auto due = r.observe(snap(band::critical, 3, 7.0));
  EXPECT_TRUE(due.due());
  r.acted(metric, service, window(3), true);
  EXPECT_EQ(r.observe(snap(band::critical, 4, 8.0)).reason, reaction_reason::exhausted);
  // Another metric of the service: a symptom of the earlier episode, named.
  breach_reactions two(reaction_policy{2, 30 * minute, 2, 10 * minute});
  two.observe(snap(band::critical, 1));
  two.observe(snap(band::warning, 2, 450.0, latency));
  const auto symptom = two.observe(snap(band::warning, 3, 451.0, latency));
  EXPECT_EQ(symptom.reason, reaction_reason::symptom);
  EXPECT_EQ(symptom.other, metric);
  // Spaced after the last run on the service, which is named with its time.
  breach_reactions spaced(reaction_policy{2, 30 * minute, 2, 10 * minute});
  spaced.acted(latency, service, window(1), false); // a warning's run on the latency
  spaced.observe(snap(band::critical, 2));
  const auto wait = spaced.observe(snap(band::critical, 3));
  EXPECT_EQ(wait.reason, reaction_reason::spacing);
  EXPECT_EQ(wait.other, latency);
  EXPECT_EQ(wait.last_action, window(1));
  EXPECT_EQ(wait.until, window(1) + 30 * minute);
  EXPECT_EQ(spaced.observe(snap(band::critical, 7)).reason, reaction_reason::due);
}

TEST(BreachReactions, WithARecoveryShareAPlateausDipIsNotRecovery) {
  // An outage's plateau, 8 above the metric's normal level of 1: the second
  // window is 0.5 below the first. By default that is "getting better" and
  // nothing runs; with a recovery share of 0.15 a recovery must take 1.2
  // (0.15 of 8) off.
  auto plateau = [](int i, double mean) {
    auto o = snap(band::critical, i, mean);
    o.normal = 1.0;
    return o;
  };
  reaction_policy shared{2, 30 * minute, 3, 10 * minute};
  shared.recovery_share = 0.15;
  breach_reactions by_default(reaction_policy{2, 30 * minute, 3, 10 * minute});
  breach_reactions with_share(shared);
  for (auto* r : {&by_default, &with_share})
    r->observe(plateau(1, 9.0));
  EXPECT_EQ(by_default.observe(plateau(2, 8.5)).reason,
            grace::predictor::reaction_reason::recovering);
  EXPECT_TRUE(with_share.observe(plateau(2, 8.5)));
  // A real recovery takes more than the share off: not acted on.
  breach_reactions recovering(shared);
  recovering.observe(plateau(1, 9.0));
  EXPECT_EQ(recovering.observe(plateau(2, 7.7)).reason,
            grace::predictor::reaction_reason::recovering);
  // Lower-is-worse metrics improve upward, the size measured the same way.
  breach_reactions low(shared);
  auto rate = [](int i, double v) {
    breach_reactions::observation x{"delivery", "mesh", band::warning, v, false, window(i)};
    x.normal = 99.0;
    return x;
  };
  low.observe(rate(1, 89.0));
  EXPECT_TRUE(low.observe(rate(2, 90.0)));  // 1 of a size of 10: below the share
  EXPECT_FALSE(low.observe(rate(3, 92.0))); // 2 of 9: past it
  // Without a normal level any improvement counts, as before.
  breach_reactions unknown(shared);
  unknown.observe(snap(band::critical, 1, 9.0));
  EXPECT_FALSE(unknown.observe(snap(band::critical, 2, 8.9)));
}

} // namespace
