// One training cycle without actors: what it reads, what it fits, and the
// documents it leaves (artifact, training record).
#include "actors/forecaster/artifact.hpp"
#include "actors/trainer/training_cycle.hpp"
#include "tests/unit/shipped_catalog.hpp"

#include <cmath>
#include <cstdlib>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace grace;
using namespace grace::trainer;

namespace {

using grace::testing::shipped_catalog;

constexpr int64_t step = 300'000;
constexpr int64_t origin = 1'762'646'400'000; // 2025-11-09T00:00:00Z

// Two days of a daily cycle for two catalog metrics and one unknown metric.
std::vector<snapshot> two_days() {
  std::vector<snapshot> rows;
  for (int i = 0; i < 2 * 288; ++i) {
    const double phase = 2.0 * M_PI * i / 288.0;
    for (const char* id : {"infra.cpu_utilization", "api.latency_p95", "not.in.catalog"}) {
      snapshot s;
      s.metric_id = id;
      s.window_start = origin + int64_t{i} * step;
      s.window_end = s.window_start + step;
      s.count = 5;
      s.mean = s.p50 = s.last = 40.0 + 10.0 * std::sin(phase);
      s.p95 = 200.0 + 50.0 * std::sin(phase);
      s.min = s.mean - 1.0;
      s.max = s.mean + 1.0;
      rows.push_back(s);
    }
  }
  return rows;
}

} // namespace

TEST(TrainingCycle, ReadsTheLongerOfWindowAndHistory) {
  training_settings s;
  EXPECT_EQ(data_since(10 * 86'400'000LL, s), 3 * 86'400'000LL);
  s.history_ms = 3600'000;
  EXPECT_EQ(data_since(10 * 86'400'000LL, s), 9 * 86'400'000LL);
}

TEST(TrainingCycle, FitsEveryCatalogMetricAndCountsItsSamples) {
  training_settings s;
  const auto rows = two_days();
  const int64_t now = origin + 2 * 86'400'000LL;
  auto out = train(rows, shipped_catalog(), s, 3, now);
  ASSERT_TRUE(out.model);
  EXPECT_EQ(out.record.cycle, 3u);
  EXPECT_EQ(out.record.metrics, 2u);
  EXPECT_EQ(out.record.samples, 2u * 2 * 288); // the unknown metric is not trained on
  EXPECT_EQ(out.window_samples, 2u * 288);     // the last 24 h
  EXPECT_EQ(out.record.model_version, "tft-20251111T000000Z");
  EXPECT_EQ(out.record.validation_scores.size(), 2u);
  EXPECT_EQ(out.model->series().count("api.latency_p95"), 1u);
  EXPECT_EQ(out.model->trained_at_ms(), now);
  // The artifact restores a model that forecasts the same.
  auto restored = forecaster::forecaster_from_json(nlohmann::json::parse(out.artifact_json));
  auto a = out.model->forecast("infra.cpu_utilization", 12);
  auto b = restored.forecast("infra.cpu_utilization", 12);
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t k = 0; k < a.steps.size(); ++k)
    EXPECT_NEAR(a.steps[k].mean, b.steps[k].mean, 1e-9);
  // A daily sine is learnt: the validation error is far below the naive one's.
  const auto& m = out.model->series().at("infra.cpu_utilization");
  EXPECT_LT(m.validation_mase, 0.5 * m.validation_naive_mase);
}

TEST(TrainingCycle, NothingToTrainOnIsAnError) {
  training_settings s;
  std::vector<snapshot> unknown_only;
  for (const auto& r : two_days())
    if (r.metric_id == "not.in.catalog")
      unknown_only.push_back(r);
  EXPECT_THROW(train(unknown_only, shipped_catalog(), s, 1, origin), training_error);
  EXPECT_THROW(train({}, shipped_catalog(), s, 1, origin), training_error);
}

TEST(TrainingCycle, RecordDocumentNamesCycleArtifactAndValidation) {
  training_settings s;
  auto out = train(two_days(), shipped_catalog(), s, 1, origin + 2 * 86'400'000LL);
  out.record.finished_at = out.record.started_at + 1000;
  auto doc = nlohmann::json::parse(record_document(out, "/data/ml_artifacts/x/tft_model.json"));
  EXPECT_EQ(doc.at("type"), "tft_training");
  EXPECT_EQ(doc.at("cycle"), 1);
  EXPECT_EQ(doc.at("samples"), 1152);
  EXPECT_EQ(doc.at("window_samples"), 576);
  EXPECT_EQ(doc.at("started_at"), "2025-11-11T00:00:00Z");
  EXPECT_EQ(doc.at("finished_at"), "2025-11-11T00:00:01Z");
  EXPECT_EQ(doc.at("artifact"), "/data/ml_artifacts/x/tft_model.json");
  EXPECT_TRUE(doc.at("validation").at("per_metric").contains("api.latency_p95"));
  EXPECT_EQ(doc.at("feature_importance").size(), 6u);
}

TEST(TrainingCycle, RecordIdAndCounts) {
  EXPECT_EQ(record_id(1'762'703'123'000), "20251109_154523");
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1245), "1,245");
  EXPECT_EQ(with_thousands(1'234'567), "1,234,567");
}
