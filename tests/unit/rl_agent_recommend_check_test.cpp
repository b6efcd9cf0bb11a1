// Recommend requests against the shipped catalog: only contexts the node can
// really have pass (a made-up service once created a context per name), and
// an unknown candidate is left out with its reason instead of failing the
// whole request.
#include "actors/rl_agent/recommend_check.hpp"
#include "tests/unit/shipped_catalog.hpp"

#include <gtest/gtest.h>

using namespace grace::rl;
using grace::testing::shipped_catalog;

namespace {

checked_request check(const std::string& service, const std::string& diagnosis,
                      const std::vector<std::string>& candidates = {}) {
  return check_recommend_request(shipped_catalog(), service, diagnosis, candidates);
}

bool mentions(const checked_request& r, const std::string& text) {
  return r.problem.find(text) != std::string::npos;
}

} // namespace

TEST(RlRecommendCheck, AMetricsServiceAndIdAreAContextWithTheMetricsPlaybooks) {
  const auto r = check("grace-api", "api.error_rate");
  ASSERT_EQ(r.problem, "");
  EXPECT_EQ(r.context.to_string(), "grace-api|api.error_rate");
  ASSERT_EQ(r.candidates.size(), 3u);
  EXPECT_EQ(r.candidates[0].playbook, "rollback-last-deploy");
  EXPECT_EQ(r.max_risk_tier, 3);
  EXPECT_TRUE(r.unknown.empty());
  // The predictor's sudden-onset context is one too.
  EXPECT_EQ(check("grace-api", "api.error_rate:sudden").problem, "");
}

TEST(RlRecommendCheck, MadeUpNamesAreRefusedNamingWhatIsWrong) {
  auto r = check("made-up-service-4711", "api.latency_p95");
  EXPECT_TRUE(mentions(r, "service 'made-up-service-4711' is not the service of metric "
                          "'api.latency_p95' ('grace-api')"))
      << r.problem;
  r = check("grace-executor", "api.latency_p95"); // a real service, but not this metric's
  EXPECT_TRUE(mentions(r, "'grace-executor' is not the service")) << r.problem;
  r = check("grace-api", "not.a.metric");
  EXPECT_TRUE(mentions(r, "diagnosis 'not.a.metric' is not a catalog metric")) << r.problem;
  r = check("grace-api", "api.latency_p95:gradual");
  EXPECT_TRUE(mentions(r, "unknown qualifier 'gradual'")) << r.problem;
  r = check("grace-api", "api.latency_p95:");
  EXPECT_TRUE(mentions(r, "unknown qualifier ''")) << r.problem;
  EXPECT_TRUE(mentions(check("", "api.latency_p95"), "service must not be empty"));
  EXPECT_TRUE(mentions(check("grace-api", ""), "diagnosis must not be empty"));
}

TEST(RlRecommendCheck, AnUnknownCandidateIsLeftOutAndTheRestRanked) {
  auto r = check("grace-api", "api.latency_p95",
                 {"scale-api-shard", "no-such-playbook", "scale-api-shard", "restart-api-workers"});
  ASSERT_EQ(r.problem, "");
  ASSERT_EQ(r.candidates.size(), 2u); // the duplicate offered once
  EXPECT_EQ(r.candidates[0].playbook, "scale-api-shard");
  EXPECT_EQ(r.candidates[1].playbook, "restart-api-workers");
  ASSERT_EQ(r.unknown.size(), 1u);
  EXPECT_EQ(r.unknown[0].first, "no-such-playbook");
  EXPECT_EQ(r.unknown[0].second, "not a playbook of the catalog");
  r = check("grace-api", "api.latency_p95", {"nope-1", "nope-2"});
  EXPECT_TRUE(mentions(r, "no candidate left")) << r.problem;
  EXPECT_TRUE(mentions(r, "'nope-1'")) << r.problem;
}

TEST(RlRecommendCheck, AboveCapReasonNamesTierAndCap) {
  EXPECT_EQ(above_cap_reason(4, 3), "risk tier 4 is above this context's cap of 3");
}
