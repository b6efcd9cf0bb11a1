// Holding a symptom's remediation while a cause named in the catalog's
// symptom_of is in breach, warned of, or only just recovered.
#include "actors/predictor/symptom_hold.hpp"

#include <gtest/gtest.h>
#include <set>
#include <string>
#include <vector>

using grace::band;
using grace::timestamp_ms;
using grace::predictor::cause_watch;

namespace {

constexpr int64_t minute = 60'000;
constexpr timestamp_ms t0 = 1'700'000'000'000;
const std::vector<std::string> latency_causes = {"infra.cpu_utilization", "api.request_rate"};
const std::set<std::string> none_warned;

timestamp_ms window(int i) {
  return t0 + i * 5 * minute;
}

} // namespace

TEST(CauseWatch, NoCauseInTroubleHoldsNothing) {
  cause_watch w;
  EXPECT_FALSE(w.holding(latency_causes, window(0), none_warned)); // never seen
  w.observe("infra.cpu_utilization", band::good, window(1));
  w.observe("api.request_rate", band::good, window(1));
  EXPECT_FALSE(w.holding(latency_causes, window(1), none_warned));
  EXPECT_FALSE(w.holding({}, window(1), {"infra.cpu_utilization"})); // no causes declared
}

TEST(CauseWatch, ACauseInBreachHoldsAndIsNamed) {
  cause_watch w;
  w.observe("infra.cpu_utilization", band::good, window(1));
  w.observe("api.request_rate", band::critical, window(1));
  const auto h = w.holding(latency_causes, window(1), none_warned);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->cause, "api.request_rate");
  EXPECT_EQ(h->state, "in the critical band");
  // Catalog order decides which cause is named when several are in trouble.
  w.observe("infra.cpu_utilization", band::warning, window(2));
  EXPECT_EQ(w.holding(latency_causes, window(2), none_warned)->cause, "infra.cpu_utilization");
}

TEST(CauseWatch, AnOpenWarningOnACauseHolds) {
  cause_watch w;
  w.observe("api.request_rate", band::good, window(1));
  const auto h = w.holding(latency_causes, window(1), {"api.request_rate"});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->cause, "api.request_rate");
  EXPECT_EQ(h->state, "warned of a breach");
  // A warning on a metric that is not a cause does not.
  EXPECT_FALSE(w.holding(latency_causes, window(1), {"api.error_rate"}));
}

TEST(CauseWatch, TheHoldLingersAfterTheCauseRecovers) {
  cause_watch w(10 * minute);
  w.observe("infra.cpu_utilization", band::warning, window(1));
  w.observe("infra.cpu_utilization", band::good, window(2));
  const auto h = w.holding(latency_causes, window(2) + minute, none_warned);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->state, "left the warning band 6 min ago");
  EXPECT_TRUE(w.holding(latency_causes, window(1) + 10 * minute - 1, none_warned));
  EXPECT_FALSE(w.holding(latency_causes, window(1) + 10 * minute, none_warned));
  // 0 lingers not at all: only a cause in trouble now holds.
  cause_watch prompt(0);
  prompt.observe("infra.cpu_utilization", band::warning, window(1));
  prompt.observe("infra.cpu_utilization", band::good, window(2));
  EXPECT_FALSE(prompt.holding(latency_causes, window(2), none_warned));
}

TEST(CauseWatch, LateSnapshotsDoNotRewriteTheCauseState) {
  cause_watch w(0);
  w.observe("infra.cpu_utilization", band::good, window(3));
  w.observe("infra.cpu_utilization", band::critical, window(2)); // arrived late
  w.observe("infra.cpu_utilization", band::critical, window(3)); // repeated
  EXPECT_FALSE(w.holding(latency_causes, window(3), none_warned));
}

TEST(CauseWatch, ACauseNamedAsClimbingHoldsNothing) {
  // A breach that began with a step is not held by a cause whose trouble
  // climbed (the engine names those with prediction.steps_not_held_by_climbs).
  cause_watch w;
  w.observe("infra.cpu_utilization", band::good, window(1));
  w.observe("api.request_rate", band::warning, window(1));
  EXPECT_TRUE(w.holding(latency_causes, window(1), none_warned));
  EXPECT_FALSE(w.holding(latency_causes, window(1), none_warned, {"api.request_rate"}));
  // Warned of, or lingering, a climbing cause holds nothing either.
  EXPECT_FALSE(w.holding(latency_causes, window(1), {"api.request_rate"}, {"api.request_rate"}));
  w.observe("api.request_rate", band::good, window(2));
  EXPECT_TRUE(w.holding(latency_causes, window(2), none_warned));
  EXPECT_FALSE(w.holding(latency_causes, window(2), none_warned, {"api.request_rate"}));
  // Another cause in trouble still holds.
  w.observe("infra.cpu_utilization", band::critical, window(2));
  const auto h = w.holding(latency_causes, window(2), none_warned, {"api.request_rate"});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->cause, "infra.cpu_utilization");
}
