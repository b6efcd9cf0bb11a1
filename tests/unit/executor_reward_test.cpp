#include "actors/executor/reward.hpp"

#include <gtest/gtest.h>

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
  in.before = {200.0}; // distance to warning 0: floor is 0.1 * (300 - 200) = 10
  in.counterfactual = {250.0};
  in.after = {245.0};
  auto o = evaluate_outcome("api.latency", in);
  EXPECT_NEAR(o.effect, 0.5, 1e-12);
  EXPECT_NEAR(o.reward, 0.5 - 0.5, 1e-12);
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
