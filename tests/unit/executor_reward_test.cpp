#include "actors/executor/reward.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>

using namespace grace::executor;

namespace {

// Latency, higher is worse: warning 200, critical 300, baseline 100 (so the
// baseline-to-warning distance is 100).
outcome_inputs latency() {
  outcome_inputs in;
  in.higher_is_worse = true;
  in.warning = 200.0;
  in.critical = 300.0;
  in.before = {90.0, 100.0, 110.0};
  return in;
}

} // namespace

TEST(executor_reward, well_below_the_forecast_is_positive) {
  auto in = latency();
  in.counterfactual = {180.0, 190.0}; // mean 185
  in.after = {140.0, 130.0};          // mean 135: 50 below, half the distance
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_EQ(o.basis, "counterfactual");
  EXPECT_FALSE(o.breach_came);
  EXPECT_NEAR(o.effect, 0.5, 1e-12);
  EXPECT_NEAR(o.reward, 0.5, 1e-12);
  EXPECT_NEAR(o.kpi_deltas.at("api.latency.delta_vs_counterfactual"), (135.0 - 185.0) / 185.0,
              1e-12);
  EXPECT_NEAR(o.kpi_deltas.at("api.latency.delta_vs_before"), (135.0 - 100.0) / 100.0, 1e-12);
  EXPECT_EQ(o.summary, "api.latency 27% below the forecast, no breach, reward 0.50");
}

TEST(executor_reward, matching_the_forecast_earns_about_zero) {
  auto in = latency();
  // The metric was going to recover anyway: it did, just as forecast.
  in.counterfactual = {120.0, 110.0};
  in.after = {121.0, 109.5};
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_NEAR(o.effect, -0.0025, 1e-12);
  EXPECT_NEAR(o.reward, 0.0, 0.01);
  EXPECT_NE(o.summary.find("in line with the forecast"), std::string::npos) << o.summary;
}

TEST(executor_reward, breach_came_is_negative) {
  auto in = latency();
  in.counterfactual = {210.0, 220.0}; // mean 215
  in.after = {205.0, 215.0};          // mean 210: 5 better than forecast, but warning reached
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_TRUE(o.breach_came);
  EXPECT_FALSE(o.critical_came);
  EXPECT_NEAR(o.effect, 0.05, 1e-12);
  EXPECT_NEAR(o.reward, 0.05 - 0.5, 1e-12);
  EXPECT_NE(o.summary.find("warning threshold reached"), std::string::npos) << o.summary;
}

TEST(executor_reward, critical_breach_costs_more) {
  auto in = latency();
  in.counterfactual = {300.0};
  in.after = {300.0, 320.0}; // only the first window overlaps the forecast
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_TRUE(o.critical_came);
  EXPECT_TRUE(o.breach_came);
  EXPECT_NEAR(o.effect, 0.0, 1e-12);
  EXPECT_NEAR(o.reward, -0.75, 1e-12);
}

TEST(executor_reward, worse_than_the_forecast_is_negative_and_clipped) {
  auto in = latency();
  in.counterfactual = {100.0, 100.0};
  in.after = {150.0, 160.0}; // 55 worse: effect -0.55, no breach
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_NEAR(o.reward, -0.55, 1e-12);
  in.counterfactual = {50.0};
  in.after = {190.0}; // 140 worse: effect -1.4, clipped
  EXPECT_DOUBLE_EQ(evaluate_outcome("api.latency", in).reward, -1.0);
  in.counterfactual = {400.0};
  in.after = {100.0}; // 300 better: effect 3, clipped
  EXPECT_DOUBLE_EQ(evaluate_outcome("api.latency", in).reward, 1.0);
}

TEST(executor_reward, lower_is_worse_direction) {
  // Free disk (%), lower is worse: warning 20, critical 10, baseline 40.
  outcome_inputs in;
  in.higher_is_worse = false;
  in.warning = 20.0;
  in.critical = 10.0;
  in.before = {40.0};
  in.counterfactual = {25.0, 22.0}; // mean 23.5: heading for the warning
  in.after = {35.0, 36.0};          // mean 35.5: 12 above the forecast = better
  auto o = evaluate_outcome("node.disk_free", in);
  EXPECT_FALSE(o.breach_came);
  EXPECT_NEAR(o.effect, 12.0 / 20.0, 1e-12);
  EXPECT_NEAR(o.reward, 0.6, 1e-12);
  EXPECT_NE(o.summary.find("above the forecast"), std::string::npos) << o.summary;

  // Falling to the warning threshold is a breach for this direction.
  in.after = {21.0, 20.0};
  o = evaluate_outcome("node.disk_free", in);
  EXPECT_TRUE(o.breach_came);
  EXPECT_NEAR(o.effect, (20.5 - 23.5) / 20.0, 1e-12);
  EXPECT_NEAR(o.reward, -0.15 - 0.5, 1e-12);
}

TEST(executor_reward, without_counterfactual_compares_with_before) {
  auto in = latency();
  in.after = {80.0, 80.0}; // 20 below the baseline of 100
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_EQ(o.basis, "before");
  EXPECT_NEAR(o.effect, 0.2, 1e-12);
  EXPECT_NEAR(o.reward, 0.2, 1e-12);
  EXPECT_EQ(o.kpi_deltas.count("api.latency.delta_vs_counterfactual"), 0u);
  EXPECT_NE(o.summary.find("no forecast"), std::string::npos) << o.summary;
  EXPECT_NE(o.summary.find("20% below the pre-action level"), std::string::npos) << o.summary;
}

TEST(executor_reward, no_after_data_is_not_judged) {
  auto in = latency();
  in.counterfactual = {150.0};
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_EQ(o.basis, "none");
  EXPECT_DOUBLE_EQ(o.reward, 0.0);
  EXPECT_FALSE(o.summary.empty());
}

TEST(executor_reward, baseline_on_the_threshold_uses_the_floor_scale) {
  auto in = latency();
  // Distance to warning 1: floor is 0.1 * (300 - 200) = 10. (At 200 it would
  // be in breach: judged as a reaction, see below.)
  in.before = {199.0};
  in.counterfactual = {250.0};
  in.after = {245.0};
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_NEAR(o.effect, 0.5, 1e-12);
  EXPECT_NEAR(o.reward, 0.5 - 0.5, 1e-12);
}

TEST(executor_reward, before_the_breach_the_normal_level_bounds_the_scale) {
  // Climbed to 190 of a warning at 200 from a normal level of 100: the
  // distance from the baseline (180) to warning alone (20) made a 50-point
  // partial mitigation and a 150-point fix both earn +1. Against the normal-to-warning distance
  // (100) they earn their share.
  auto in = latency();
  in.before = {170.0, 180.0, 190.0};
  in.normal_level = 100.0;
  in.counterfactual = {260.0, 270.0};
  in.after = {210.0, 220.0}; // partial: 50 below the forecast, still in breach
  const auto partial = evaluate_outcome("api.latency", in);
  in.after = {110.0, 120.0}; // fix: back to normal, 150 below the forecast
  const auto fix = evaluate_outcome("api.latency", in);
  EXPECT_NEAR(partial.effect, 0.5, 1e-12);
  EXPECT_NEAR(fix.effect, 1.5, 1e-12);
  EXPECT_NEAR(partial.reward, 0.5 - 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(fix.reward, 1.0);
  // Without a normal level, the old scale: both saturate.
  in.normal_level = std::numeric_limits<double>::quiet_NaN();
  in.after = {210.0, 220.0};
  EXPECT_NEAR(evaluate_outcome("api.latency", in).effect, 2.5, 1e-12);
  // A baseline farther from the warning than the normal level keeps its own.
  in.before = {10.0, 20.0, 30.0};
  in.normal_level = 100.0;
  in.counterfactual = {150.0};
  in.after = {60.0};
  EXPECT_NEAR(evaluate_outcome("api.latency", in).effect, 90.0 / 180.0, 1e-12);
}

TEST(executor_reward, other_kpis_are_passed_through) {
  auto in = latency();
  in.counterfactual = {150.0};
  in.after = {150.0};
  in.other_kpi_deltas = {{"api.error_rate.delta_vs_before", -0.25}, {"api.cpu", 0.1}};
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_DOUBLE_EQ(o.kpi_deltas.at("api.error_rate.delta_vs_before"), -0.25);
  EXPECT_DOUBLE_EQ(o.kpi_deltas.at("api.cpu"), 0.1);
  EXPECT_DOUBLE_EQ(o.kpi_deltas.at("api.latency.delta_vs_counterfactual"), 0.0);
  EXPECT_EQ(o.kpi_deltas.size(), 4u);
}

// Actions taken in breach (reactions): judged on ending the breach.
TEST(executor_reward, in_breach_the_forecast_is_shifted_to_the_observed_level) {
  auto in = latency();
  in.before = {150.0, 240.0, 260.0}; // in breach at the action (warning 200)
  // The forecast made before the breach did not see it: it says 120.
  in.counterfactual = {120.0, 120.0, 120.0, 120.0};
  in.counterfactual_at_action = 120.0;
  // A playbook that ends the breach: recovering, then back to normal.
  in.after = {230.0, 180.0, 120.0, 110.0};
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_TRUE(o.started_in_breach);
  EXPECT_FALSE(o.breach_came); // the last half is clear: the first windows may still be high
  // counterfactual 260 (120 + 140); after mean 160; scale max(60, 100) = 100.
  EXPECT_NEAR(o.effect, 1.0, 1e-12);
  EXPECT_NEAR(o.reward, 1.0, 1e-12);
  EXPECT_NE(o.summary.find("breach ended"), std::string::npos) << o.summary;
}

TEST(executor_reward, in_breach_a_breach_that_persists_is_penalised) {
  auto in = latency();
  in.before = {240.0, 260.0};
  in.counterfactual = {120.0, 120.0, 120.0, 120.0};
  in.counterfactual_at_action = 120.0;
  in.after = {262.0, 258.0, 261.0, 259.0}; // no effect: stays where it was
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_TRUE(o.started_in_breach);
  EXPECT_TRUE(o.breach_came);
  EXPECT_NEAR(o.effect, 0.0, 1e-12);
  EXPECT_NEAR(o.reward, -0.5, 1e-12);
  EXPECT_NE(o.summary.find("breach persisted"), std::string::npos) << o.summary;
  // Without the forecast's value at the action the forecast is used as it is
  // (effect -1.4 clipped with the penalty).
  in.counterfactual_at_action = std::numeric_limits<double>::quiet_NaN();
  EXPECT_DOUBLE_EQ(evaluate_outcome("api.latency", in).reward, -1.0);
}

TEST(executor_reward, before_the_breach_the_forecast_is_used_as_it_is) {
  auto in = latency();
  in.counterfactual = {180.0, 190.0};
  in.counterfactual_at_action = 50.0; // ignored: the metric was not in breach
  in.after = {140.0, 130.0};
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_FALSE(o.started_in_breach);
  EXPECT_NEAR(o.effect, 0.5, 1e-12);
}

TEST(executor_reward, in_breach_a_fix_earns_more_than_a_partial_mitigation) {
  // Memory: normal 62, warning 85, critical 95; the breach sits at 99.
  outcome_inputs in;
  in.higher_is_worse = true;
  in.warning = 85.0;
  in.critical = 95.0;
  in.before = {97.0, 99.0};
  in.normal_level = 62.0;
  in.counterfactual = {99.0, 99.0, 99.0, 99.0};
  in.counterfactual_at_action = 99.0;
  in.after = {80.0, 62.0, 62.0, 62.0}; // a fix: back to normal
  const auto fix = evaluate_outcome("mem", in);
  in.after = {90.0, 81.0, 80.5, 80.5}; // half the excess gone, below the warning
  const auto partial = evaluate_outcome("mem", in);
  // Sized by the breach (99 - 62 = 37), not clipped alike.
  EXPECT_NEAR(fix.effect, (99.0 - 66.5) / 37.0, 1e-12);
  EXPECT_NEAR(partial.effect, (99.0 - 83.0) / 37.0, 1e-12);
  EXPECT_FALSE(fix.breach_came);
  EXPECT_FALSE(partial.breach_came);
  EXPECT_GT(fix.reward, partial.reward + 0.3);
  // A normal level past the warning threshold says nothing about the breach's
  // size: the thresholds size it instead (max(99 - 85, 95 - 85) = 14).
  in.normal_level = 90.0;
  EXPECT_NEAR(evaluate_outcome("mem", in).effect, (99.0 - 83.0) / 14.0, 1e-12);
}

TEST(executor_reward, in_breach_without_a_forecast_the_level_at_the_action_persists) {
  auto in = latency();
  in.before = {150.0, 220.0, 260.0}; // mean 210 includes the ramp; the level is 260
  in.after = {200.0, 160.0};         // mean 180
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_TRUE(o.started_in_breach);
  EXPECT_EQ(o.basis, "before");
  EXPECT_NEAR(o.effect, (260.0 - 180.0) / 100.0, 1e-12);
  EXPECT_NE(o.summary.find("below the level at the action"), std::string::npos) << o.summary;
}

TEST(executor_reward, in_breach_a_new_breach_after_the_recovery_is_not_counted) {
  auto in = latency();
  in.before = {120.0, 260.0}; // a step: in breach at the action
  in.counterfactual = {120.0, 120.0, 120.0, 120.0, 120.0, 120.0};
  in.counterfactual_at_action = 120.0;
  // Fixed at once (two windows back to normal), then the next incident.
  in.after = {110.0, 100.0, 280.0, 290.0, 290.0, 290.0};
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_TRUE(o.started_in_breach);
  EXPECT_FALSE(o.breach_came);
  // Judged on the first two windows: counterfactual 260, after mean 105,
  // scale max(260 - 200, 300 - 200) = 100.
  EXPECT_NEAR(o.effect, (260.0 - 105.0) / 100.0, 1e-12);
  EXPECT_NEAR(o.reward, 1.0, 1e-12);
  EXPECT_NE(o.summary.find("a later breach not counted"), std::string::npos) << o.summary;

  // One good window is not a recovery: the breach persisted.
  in.after = {110.0, 280.0, 290.0, 290.0, 290.0, 290.0};
  o = evaluate_outcome("api.latency", in);
  EXPECT_TRUE(o.breach_came);
  EXPECT_LT(o.reward, 0.0);
  EXPECT_EQ(o.summary.find("not counted"), std::string::npos) << o.summary;

  // Before the breach (an early warning's run) every window counts.
  in.before = {120.0, 150.0};
  in.after = {110.0, 100.0, 280.0, 290.0, 290.0, 290.0};
  o = evaluate_outcome("api.latency", in);
  EXPECT_FALSE(o.started_in_breach);
  EXPECT_TRUE(o.breach_came);
}

TEST(executor_reward,
     in_breach_a_recovery_that_began_after_the_attribution_windows_is_not_credited) {
  auto in = latency();
  in.before = {100.0, 100.0, 260.0}; // an outage: a step into breach
  in.normal_level = 100.0;
  in.counterfactual = {100.0, 100.0, 100.0, 100.0, 100.0, 100.0};
  in.counterfactual_at_action = 100.0;
  // Nothing happened for two windows; the outage then ended by itself.
  in.after = {262.0, 258.0, 120.0, 100.0, 100.0, 100.0};
  auto credited = evaluate_outcome("api.error_rate", in);
  EXPECT_GT(credited.reward, 0.3) << credited.summary; // without the rule: the recovery's credit

  in.attribution_windows = 2;
  auto o = evaluate_outcome("api.error_rate", in);
  EXPECT_TRUE(o.not_attributed);
  EXPECT_TRUE(o.breach_came);
  // Judged on the two windows alone: no effect (260 vs 260 on average), breach went on.
  EXPECT_NEAR(o.effect, 0.0, 1e-12);
  EXPECT_NEAR(o.reward, -0.5, 1e-12);
  EXPECT_NE(o.summary.find("no recovery began within 2 windows"), std::string::npos) << o.summary;
}

TEST(executor_reward, in_breach_a_fix_that_acts_within_the_attribution_windows_is_credited) {
  auto in = latency();
  in.before = {100.0, 100.0, 260.0};
  in.normal_level = 100.0;
  in.counterfactual = {100.0, 100.0, 100.0, 100.0, 100.0, 100.0};
  in.counterfactual_at_action = 100.0;
  in.attribution_windows = 2;
  in.after = {250.0, 230.0, 100.0, 100.0, 100.0, 100.0}; // recovering in the second window
  auto o = evaluate_outcome("api.error_rate", in);
  EXPECT_FALSE(o.not_attributed);
  EXPECT_FALSE(o.breach_came);
  EXPECT_GT(o.reward, 0.6) << o.summary;

  // Less than 0.15 of the breach's size (160, so 24) in those windows is not a recovery.
  in.after = {245.0, 240.0, 100.0, 100.0, 100.0, 100.0};
  o = evaluate_outcome("api.error_rate", in);
  EXPECT_TRUE(o.not_attributed);
  EXPECT_LT(o.reward, 0.0) << o.summary;

  // Against a breach still climbing (the shifted forecast rises 30 a window),
  // holding the level is an effect under way.
  in.counterfactual = {100.0, 130.0, 160.0, 190.0, 220.0, 250.0};
  in.after = {262.0, 262.0, 262.0, 262.0, 262.0, 262.0};
  o = evaluate_outcome("api.error_rate", in);
  EXPECT_FALSE(o.not_attributed) << o.summary;
  in.counterfactual = {100.0, 100.0, 100.0, 100.0, 100.0, 100.0};

  // An evaluation cut within the attribution windows is judged as before.
  in.after = {262.0, 258.0};
  o = evaluate_outcome("api.error_rate", in);
  EXPECT_FALSE(o.not_attributed);
}

TEST(executor_reward, in_breach_one_window_back_near_normal_ends_the_incident) {
  auto in = latency();
  in.before = {100.0, 100.0, 260.0};
  in.normal_level = 100.0;
  in.counterfactual = {100.0, 100.0, 100.0, 100.0, 100.0, 100.0};
  in.counterfactual_at_action = 100.0;
  // Fixed at once; the next outage began before a second good window.
  in.after = {105.0, 280.0, 290.0, 290.0, 290.0, 290.0};
  auto o = evaluate_outcome("api.error_rate", in);
  EXPECT_FALSE(o.breach_came);
  EXPECT_GT(o.reward, 0.9) << o.summary;
  EXPECT_NE(o.summary.find("a later breach not counted"), std::string::npos) << o.summary;

  // In the good band but not near normal (above half way to the warning) is not enough.
  in.after = {160.0, 280.0, 290.0, 290.0, 290.0, 290.0};
  o = evaluate_outcome("api.error_rate", in);
  EXPECT_TRUE(o.breach_came);
  EXPECT_LT(o.reward, 0.0) << o.summary;
}
