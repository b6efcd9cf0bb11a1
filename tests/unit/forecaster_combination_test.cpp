// The candidate weights from age-weighted validation errors: recent
// behaviour counts most when a series changes, and the setting persists.
#include "actors/forecaster/artifact.hpp"
#include "actors/forecaster/temporal_forecaster.hpp"

#include <gtest/gtest.h>
#include <random>

namespace gf = grace::forecaster;

namespace {

constexpr int64_t five_min = 300'000;

// A random walk (the last value forecasts it best), then `recent` rows of
// noise around a level (medians forecast it best).
gf::series_input walk_then_noise(size_t rows, size_t recent, unsigned seed) {
  gf::series_input s;
  s.id = "changed";
  s.start_ms = 1'700'000'000'000 - (1'700'000'000'000 % gf::day_ms);
  s.step_ms = five_min;
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 5.0), step(0.0, 1.0);
  double walk = 100.0;
  for (size_t i = 0; i < rows; ++i) {
    walk += step(rng);
    s.values.push_back(i + recent < rows ? walk : 100.0 + noise(rng));
  }
  return s;
}

double median_weight(const gf::temporal_forecaster& f, const std::string& id) {
  const auto& w = f.series().at(id).weights.front();
  return w[gf::candidate_median_short] + w[gf::candidate_median_mid] + w[gf::candidate_median_long]
         + w[gf::candidate_seasonal_median];
}

} // namespace

TEST(ForecasterCombination, RecentErrorsWeighMostWhenTheSeriesChanges) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    const gf::series_input s = walk_then_noise(1152, 120, seed);
    gf::forecaster_config plain, recent;
    plain.combination_half_life = 0.0;
    recent.combination_half_life = 72.0;
    recent.combination_choose_recency = false;
    gf::temporal_forecaster a(plain), b(recent);
    a.fit(s);
    b.fit(s);
    // Over the whole validation day the last value did best (the walk);
    // over its last 120 rows the medians did.
    EXPECT_GT(median_weight(b, s.id), median_weight(a, s.id) + 0.1) << "seed " << seed;
    EXPECT_GT(median_weight(b, s.id), 0.6) << "seed " << seed;
  }
}

TEST(ForecasterCombination, EachSeriesChoosesTheErrorsThatForecastItsNewerOriginsBetter) {
  // The change (220 rows before the end) falls in the older half of the
  // validation origins (the newer half is the last 144 rows): weights from
  // the older half's recent errors forecast the newer half better. The
  // choice compares two noisy errors, so it is checked over 20 series: in
  // the runs so far 19 chose the age-weighted errors.
  int differ = 0, chose_recent = 0;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    const gf::series_input changed = walk_then_noise(1152, 220, seed);
    gf::forecaster_config plain, recent, choose;
    plain.combination_half_life = 0.0;
    recent.combination_half_life = 72.0;
    recent.combination_choose_recency = false;
    choose.combination_half_life = 72.0;
    gf::temporal_forecaster a(plain), b(recent), c(choose);
    a.fit(changed);
    b.fit(changed);
    c.fit(changed);
    const auto& chosen = c.series().at(changed.id).weights;
    differ += b.series().at(changed.id).weights != a.series().at(changed.id).weights ? 1 : 0;
    chose_recent += chosen == b.series().at(changed.id).weights ? 1 : 0;
    // Either set, nothing else.
    EXPECT_TRUE(chosen == a.series().at(changed.id).weights
                || chosen == b.series().at(changed.id).weights)
        << "seed " << seed;
  }
  EXPECT_GE(differ, 18);       // the choice is not moot here
  EXPECT_GE(chose_recent, 16); // and mostly falls on the recent errors
}

TEST(ForecasterCombination, HalfLifeRoundTripsAndOlderDocumentsLoadWithoutIt) {
  gf::temporal_forecaster model;
  model.fit(walk_then_noise(1152, 120, 4));
  nlohmann::json doc = gf::to_json(model);
  EXPECT_EQ(gf::forecaster_from_json(doc).config().combination_half_life, 72.0);
  EXPECT_TRUE(gf::forecaster_from_json(doc).config().combination_choose_recency);
  doc["config"]["combination_half_life"] = -1.0;
  try {
    gf::forecaster_from_json(doc);
    FAIL() << "a negative half-life accepted";
  } catch (const gf::artifact_error& e) {
    EXPECT_NE(std::string(e.what()).find("combination_half_life"), std::string::npos) << e.what();
  }
  // A version 4 document was fitted with the plain errors.
  doc["version"] = 4;
  doc["config"].erase("combination_half_life");
  doc["config"].erase("combination_choose_recency");
  EXPECT_EQ(gf::forecaster_from_json(doc).config().combination_half_life, 0.0);
}
