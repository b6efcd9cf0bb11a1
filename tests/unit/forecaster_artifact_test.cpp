// The persisted forecaster: round trip, and corrupt/incompatible documents
// rejected with a clear error.
#include "actors/forecaster/artifact.hpp"

#include <cmath>
#include <gtest/gtest.h>

namespace gf = grace::forecaster;
using nlohmann::json;

namespace {

gf::temporal_forecaster fitted() {
  std::vector<gf::series_input> inputs;
  for (int k = 0; k < 3; ++k) {
    gf::series_input s;
    s.id = "metric" + std::to_string(k);
    s.start_ms = 1'700'000'000'000;
    s.step_ms = 3'600'000;
    for (int i = 0; i < 24 * 8; ++i) {
      s.values.push_back(10.0 * k + 5.0 * std::sin(2.0 * M_PI * i / 24.0)
                         + ((i * 7919) % 13) * 0.1);
    }
    inputs.push_back(s);
  }
  gf::temporal_forecaster f;
  f.fit(inputs, 1'700'000'123'000);
  return f;
}

void expect_rejected(const json& doc, const std::string& mention) {
  try {
    gf::forecaster_from_json(doc);
    FAIL() << "accepted a document that should mention " << mention;
  } catch (const gf::artifact_error& e) {
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
  }
}

} // namespace

TEST(ForecasterArtifact, RoundTripKeepsForecastsAndContent) {
  const gf::temporal_forecaster original = fitted();
  const json doc = gf::to_json(original);
  EXPECT_EQ(doc["version"], gf::artifact_version);
  EXPECT_EQ(doc["trained_at_ms"], 1'700'000'123'000);
  const gf::temporal_forecaster loaded = gf::forecaster_from_json(json::parse(doc.dump()));
  EXPECT_EQ(gf::to_json(loaded), doc);
  for (const auto& [id, m] : original.series()) {
    const auto a = original.forecast(id, 15);
    const auto b = loaded.forecast(id, 15);
    ASSERT_EQ(a.steps.size(), b.steps.size());
    for (size_t h = 0; h < a.steps.size(); ++h) {
      EXPECT_NEAR(a.steps[h].mean, b.steps[h].mean, 1e-9);
      EXPECT_NEAR(a.steps[h].lo95, b.steps[h].lo95, 1e-9);
      EXPECT_NEAR(a.steps[h].hi80, b.steps[h].hi80, 1e-9);
    }
  }
}

TEST(ForecasterArtifact, CorruptOrIncompatibleDocumentsAreRejected) {
  const json good = gf::to_json(fitted());
  expect_rejected(json::array(), "expected a JSON object");
  json d = good;
  d["format"] = "something.else";
  expect_rejected(d, "format");
  d = good;
  d["version"] = 99;
  expect_rejected(d, "version 99 is not supported");
  d = good;
  d.erase("global_model");
  expect_rejected(d, "missing field 'global_model'");
  d = good;
  d["global_model"]["weights"][0].erase(0);
  expect_rejected(d, "global_model.weights");
  d = good;
  d["global_model"]["weights"][1][2] = "x";
  expect_rejected(d, "global_model.weights");
  d = good;
  d["global_model"]["features"][3] = "renamed";
  expect_rejected(d, "incompatible feature set");
  d = good;
  d["series"][0]["profile"].erase(0);
  expect_rejected(d, "series[0].profile");
  d = good;
  d["series"][1]["candidate_weights"][0]["naive"] = 5.0;
  expect_rejected(d, "weights must sum to 1");
  d = good;
  d["series"][2]["scale"] = -1.0;
  expect_rejected(d, "series[2].scale");
  d = good;
  d["series"][0]["calibration"].erase(0);
  expect_rejected(d, "series[0].calibration");
  d = good;
  d["series"][1]["id"] = d["series"][0]["id"];
  expect_rejected(d, "duplicate id");
  d = good;
  d["series"][0]["tail"][0] = nullptr; // what a NaN would have become
  expect_rejected(d, "series[0].tail");
}
