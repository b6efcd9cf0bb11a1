#include "actors/scheduler/forecast_cycle.hpp"

#include <gtest/gtest.h>

using namespace grace;

namespace {
forecast fc(const std::string& id, bool with_points) {
  forecast f;
  f.metric_id = id;
  f.generated_at = 1'000'000;
  if (with_points) {
    f.points.push_back({1'300'000, 1.0, 0.5, 1.5, 0.2, 1.8});
    f.points.push_back({4'600'000, 523.4, 480.1, 560.25, 450.0, 600.0});
  }
  return f;
}
} // namespace

TEST(ForecastCycle, SplitsForecastAndMissingMetricsInRequestOrder) {
  auto s = scheduler::summarize(42, {"b", "a", "c"}, {fc("a", true), fc("c", false)});
  EXPECT_EQ(s.at, 42);
  EXPECT_EQ(s.forecast, (std::vector<std::string>{"a"}));
  EXPECT_EQ(s.without_data, (std::vector<std::string>{"b", "c"}));
}

TEST(ForecastCycle, HeadlineShowsTheLastPoint) {
  EXPECT_EQ(scheduler::headline(fc("api.latency_p95", true)),
            "api.latency_p95 +60m: 523.40 (80%: 480.10..560.25)");
  EXPECT_EQ(scheduler::headline(fc("x", false)), "x: no forecast");
}
