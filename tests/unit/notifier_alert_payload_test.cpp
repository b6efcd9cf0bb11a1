#include "actors/notifier/alert_payload.hpp"

#include <gtest/gtest.h>

using namespace grace;

namespace {
early_warning sample() {
  early_warning w;
  w.id = "ew-api.latency_p95-1";
  w.metric_id = "api.latency_p95";
  w.service = "grace-api";
  w.severity = band::critical;
  w.probability = 0.853;
  w.raised_at = 1'762'703'123'000;
  w.expected_breach_at = 1'762'704'623'000;
  w.predicted_value = 523.4;
  w.threshold = 500.0;
  w.lo80 = 480.1;
  w.hi80 = 560.25;
  w.recommended_playbook = "scale-api-shard";
  return w;
}
} // namespace

TEST(AlertPayload, OpenWarningFiresWithLabelsAnnotationsAndAFutureEnd) {
  auto a =
      notifier::alertmanager_alert(sample(), {1'000'000'000'000, 999'999'000'000, 60'000,
                                              "http://127.0.0.1:8000/api/predictions/warnings"});
  EXPECT_EQ(a.at("labels").at("alertname"), "GracePredictedBreach");
  EXPECT_EQ(a.at("labels").at("metric"), "api.latency_p95");
  EXPECT_EQ(a.at("labels").at("service"), "grace-api");
  EXPECT_EQ(a.at("labels").at("severity"), "critical");
  EXPECT_EQ(a.at("annotations").at("predicted_value"), "523.40");
  EXPECT_EQ(a.at("annotations").at("probability"), "0.85");
  EXPECT_EQ(a.at("annotations").at("lower_80"), "480.10");
  EXPECT_EQ(a.at("annotations").at("upper_80"), "560.25");
  EXPECT_EQ(a.at("annotations").at("breach_time"), "2025-11-09T16:10:23.000Z");
  EXPECT_EQ(a.at("annotations").at("recommended_playbook"), "scale-api-shard");
  EXPECT_EQ(a.at("startsAt"), "2001-09-09T01:30:00.000Z");
  // Three resend intervals ahead of now.
  EXPECT_EQ(a.at("endsAt"), "2001-09-09T01:49:40.000Z");
  EXPECT_EQ(a.at("generatorURL"), "http://127.0.0.1:8000/api/predictions/warnings");
}

TEST(AlertPayload, ResolvedWarningEndsNowAndSaysHow) {
  auto w = sample();
  w.outcome = warning_outcome::prevented;
  auto a = notifier::alertmanager_alert(w, {1'000'000'000'000, 999'999'000'000, 60'000, ""});
  EXPECT_EQ(a.at("endsAt"), "2001-09-09T01:46:40.000Z");
  EXPECT_EQ(a.at("annotations").at("outcome"), "prevented");
  EXPECT_FALSE(a.contains("generatorURL"));
  auto body = notifier::webhook_body(w);
  EXPECT_EQ(body.at("status"), "resolved");
  EXPECT_EQ(body.at("warning").at("outcome"), "prevented");
  EXPECT_EQ(notifier::webhook_body(sample()).at("status"), "firing");
}

TEST(AlertPayload, NoRecommendationIsNoAnnotation) {
  auto w = sample();
  w.recommended_playbook.clear();
  auto a = notifier::alertmanager_alert(w, {1'000'000'000'000, 0, 60'000, ""});
  EXPECT_FALSE(a.at("annotations").contains("recommended_playbook"));
  EXPECT_TRUE(notifier::webhook_body(w).at("warning").at("recommended_playbook").is_null());
}

TEST(AlertPayload, EndpointToleratesTrailingSlashes) {
  EXPECT_EQ(notifier::alerts_endpoint("http://127.0.0.1:9093"),
            "http://127.0.0.1:9093/api/v2/alerts");
  EXPECT_EQ(notifier::alerts_endpoint("http://127.0.0.1:9093//"),
            "http://127.0.0.1:9093/api/v2/alerts");
}
