// Interval calibration: quantiles pooled over neighbouring horizons, long
// horizons widened for the overlap of their errors, and the spread by time
// of day (busy hours wider than quiet ones) with its artifact form.
#include "actors/forecaster/artifact.hpp"
#include "actors/forecaster/conformal.hpp"
#include "actors/forecaster/series.hpp"
#include "actors/forecaster/temporal_forecaster.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <random>

namespace gf = grace::forecaster;

namespace {

constexpr int64_t hour = 3'600'000;
constexpr int64_t monday = 1'699'833'600'000; // 2023-11-13 00:00 UTC

// Hourly values from Monday 00:00: a daily shape plus noise whose standard
// deviation is `busy_sd` from 09:00 to 16:59 and `quiet_sd` otherwise.
gf::series_input busy_hours(size_t rows, double busy_sd, double quiet_sd, unsigned seed,
                            const std::string& id = "busy") {
  gf::series_input s;
  s.id = id;
  s.start_ms = monday;
  s.step_ms = hour;
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (size_t i = 0; i < rows; ++i) {
    const int hod = static_cast<int>(i % 24);
    const bool busy = hod >= 9 && hod < 17;
    s.values.push_back(100.0 + (busy ? 20.0 : 0.0) + noise(rng) * (busy ? busy_sd : quiet_sd));
  }
  return s;
}

gf::forecaster_config config_with_horizon(int horizon) {
  gf::forecaster_config c;
  c.horizon = horizon;
  c.threads = 1;
  return c;
}

// A shuffled uniform on [-0.5, 0.5) times `width`, `n` values.
std::vector<gf::calibration_sample> uniform_residuals(size_t n, double width) {
  std::vector<gf::calibration_sample> out;
  for (size_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(i * 37 % n) / static_cast<double>(n) - 0.5;
    out.push_back({width * u, 0.0});
  }
  return out;
}

} // namespace

TEST(ForecasterIntervals, NeighbouringHorizonsArePooled) {
  // Two tight horizons, then a wide one. Alone, each is its own quantile;
  // pooled over +-1 horizon, the middle one borrows some of the wide
  // horizon's spread and the last some of the tight ones'.
  const std::vector<std::vector<gf::calibration_sample>> samples{
      uniform_residuals(200, 0.5), uniform_residuals(200, 0.5), uniform_residuals(200, 2.0)};
  const auto alone = gf::conformal_calibration::calibrate(samples, 0.0, 0, 0.0);
  const auto pooled = gf::conformal_calibration::calibrate(samples, 0.0, 1, 0.0);
  EXPECT_NEAR(alone.offsets(1).hi80, 0.2, 0.01);
  EXPECT_NEAR(alone.offsets(2).hi80, 0.2, 0.01);
  EXPECT_NEAR(alone.offsets(3).hi80, 0.8, 0.01);
  EXPECT_NEAR(pooled.offsets(1).hi80, 0.2, 0.01); // only tight neighbours
  EXPECT_GT(pooled.offsets(2).hi80, 0.25);
  EXPECT_LT(pooled.offsets(2).hi80, 0.75);
  EXPECT_GE(pooled.offsets(3).hi80, pooled.offsets(2).hi80);
  EXPECT_LT(pooled.offsets(3).hi80, 0.75);
}

TEST(ForecasterIntervals, PooledQuantilesAreThoseOfTheUnion) {
  // Two horizons pooled with each other: both get the quantiles of the
  // union of their residuals, age weights included.
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<std::vector<gf::calibration_sample>> two(2);
  std::vector<std::vector<gf::calibration_sample>> one(1);
  for (int i = 0; i < 300; ++i) {
    for (size_t h = 0; h < 2; ++h) {
      const gf::calibration_sample s{normal(rng) * (h == 0 ? 1.0 : 3.0) + (h == 0 ? 0.0 : 0.5),
                                     static_cast<double>(299 - i)};
      two[h].push_back(s);
      one[0].push_back(s);
    }
  }
  const auto pooled = gf::conformal_calibration::calibrate(two, 50.0, 1, 0.0);
  const auto union_of = gf::conformal_calibration::calibrate(one, 50.0, 0, 0.0);
  for (int h : {1, 2}) {
    EXPECT_DOUBLE_EQ(pooled.offsets(h).lo95, union_of.offsets(1).lo95) << h;
    EXPECT_DOUBLE_EQ(pooled.offsets(h).lo80, union_of.offsets(1).lo80) << h;
    EXPECT_DOUBLE_EQ(pooled.offsets(h).hi80, union_of.offsets(1).hi80) << h;
    EXPECT_DOUBLE_EQ(pooled.offsets(h).hi95, union_of.offsets(1).hi95) << h;
  }
  // ... which are the weighted quantiles of split conformal, with the
  // finite-sample correction on the effective sample size.
  std::vector<std::pair<double, double>> vw;
  double wsum = 0.0, w2sum = 0.0;
  for (const auto& s : one[0]) {
    const double w = std::exp(-std::log(2.0) / 50.0 * s.age);
    vw.emplace_back(s.residual, w);
    wsum += w;
    w2sum += w * w;
  }
  const double n = wsum * wsum / w2sum;
  const double tail80 = 0.10 * (n + 1.0) / n - 1.0 / n;
  EXPECT_DOUBLE_EQ(union_of.offsets(1).lo80, gf::weighted_quantile(vw, tail80));
  EXPECT_DOUBLE_EQ(union_of.offsets(1).hi80, gf::weighted_quantile(vw, 1.0 - tail80));
  EXPECT_LT(union_of.offsets(1).lo95, union_of.offsets(1).lo80);
  EXPECT_LT(union_of.offsets(1).hi80, union_of.offsets(1).hi95);
}

TEST(ForecasterIntervals, LongHorizonsWidenWithTheOverlapOfTheirErrors) {
  // The same residuals at every horizon: with dependence k the offsets of
  // horizon h are the quantile times sqrt(1 + k h / n), n = 200 residuals.
  const size_t n = 200;
  std::vector<std::vector<gf::calibration_sample>> samples(24, uniform_residuals(n, 1.0));
  const auto plain = gf::conformal_calibration::calibrate(samples, 0.0, 0, 0.0);
  const auto wide = gf::conformal_calibration::calibrate(samples, 0.0, 0, 2.0);
  for (int h : {1, 12, 24}) {
    const double expected = std::sqrt(1.0 + 2.0 * h / static_cast<double>(n));
    EXPECT_NEAR(wide.offsets(h).hi80 / plain.offsets(h).hi80, expected, 1e-12) << h;
    EXPECT_NEAR(wide.offsets(h).lo95 / plain.offsets(h).lo95, expected, 1e-12) << h;
  }
  EXPECT_DOUBLE_EQ(plain.offsets(24).hi80, plain.offsets(1).hi80);
}

TEST(ForecasterIntervals, PhaseSpreadFindsTheBusyHours) {
  const gf::series_input s = busy_hours(24 * 28, 4.0, 0.5, 3);
  const std::vector<double> spread = gf::phase_spread(s.values, 24, 0, 1, 14);
  ASSERT_EQ(spread.size(), 24u);
  for (int hod = 0; hod < 24; ++hod) {
    EXPECT_GT(spread[static_cast<size_t>(hod)], 0.0);
  }
  // Busy afternoon against the small hours (away from the smoothing's edges).
  EXPECT_GT(spread[13], 3.0 * spread[3]);
  // The phase of the first row shifts the result.
  const std::vector<double> shifted = gf::phase_spread(s.values, 24, 5, 1, 14);
  ASSERT_EQ(shifted.size(), 24u);
  EXPECT_DOUBLE_EQ(shifted[18], spread[13]);
  // Fewer days than asked for, no cycle, or a NaN: none.
  EXPECT_TRUE(gf::phase_spread(s.values, 24, 0, 1, 28).empty());
  EXPECT_TRUE(gf::phase_spread(s.values, 0, 0, 1, 14).empty());
  std::vector<double> with_nan = s.values;
  with_nan[100] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(gf::phase_spread(with_nan, 24, 0, 1, 14).empty());
  // The same noise at every hour: the halves disagree on where it is
  // larger, so the spread stays near 1 everywhere (or is not used at all).
  const std::vector<double> even =
      gf::phase_spread(busy_hours(24 * 28, 1.0, 1.0, 4).values, 24, 0, 1, 14);
  for (double v : even) {
    EXPECT_NEAR(v, 1.0, 0.35);
  }
}

TEST(ForecasterIntervals, BusyHoursGetWiderIntervalsThanQuietOnes) {
  const gf::series_input s = busy_hours(24 * 28, 4.0, 0.5, 5);
  gf::temporal_forecaster model(config_with_horizon(24));
  model.fit(s);
  ASSERT_EQ(model.series().at("busy").phase_spread.size(), 24u);
  const auto f = model.forecast("busy", 24); // 00:00 ... 23:00 of the next day
  const auto width = [&](int hod) {
    const auto& st = f.steps[static_cast<size_t>(hod)];
    EXPECT_EQ(gf::phase_of(st.time_ms, hour, 24), hod);
    return st.hi80 - st.lo80;
  };
  EXPECT_GT(width(13), 3.0 * width(3));
  // And the 80% band holds about 80% of each kind of hour ahead (the truth
  // is the noise-free level, so a busy hour's band must reach past it).
  EXPECT_GT(width(13), 2.0 * 1.2816 * 4.0 * 0.7);
  EXPECT_LT(width(3), 2.0 * 1.2816 * 0.5 * 3.0);
  // Without the spread (fewer days required than held: never), every hour
  // gets the same kind of band.
  gf::forecaster_config off = config_with_horizon(24);
  off.phase_spread_days = 0;
  gf::temporal_forecaster flat(off);
  flat.fit(s);
  EXPECT_TRUE(flat.series().at("busy").phase_spread.empty());
  const auto g = flat.forecast("busy", 24);
  EXPECT_LT(g.steps[13].hi80 - g.steps[13].lo80, 2.0 * (g.steps[3].hi80 - g.steps[3].lo80));
  // A week of history is too little to tell the hours apart.
  gf::temporal_forecaster week(config_with_horizon(24));
  week.fit(busy_hours(24 * 7, 4.0, 0.5, 6));
  EXPECT_TRUE(week.series().at("busy").phase_spread.empty());
}

TEST(ForecasterIntervals, PhaseSpreadRoundTripsAndIsChecked) {
  gf::temporal_forecaster model(config_with_horizon(24));
  model.fit(busy_hours(24 * 28, 4.0, 0.5, 7));
  const nlohmann::json doc = gf::to_json(model);
  ASSERT_EQ(doc["series"][0]["phase_spread"].size(), 24u);
  const auto back = gf::forecaster_from_json(nlohmann::json::parse(doc.dump()));
  EXPECT_EQ(gf::to_json(back), doc);
  const auto a = model.forecast("busy", 24), b = back.forecast("busy", 24);
  for (size_t h = 0; h < 24; ++h) {
    EXPECT_NEAR(a.steps[h].lo80, b.steps[h].lo80, 1e-9) << h;
    EXPECT_NEAR(a.steps[h].hi95, b.steps[h].hi95, 1e-9) << h;
  }
  const auto refused = [](nlohmann::json d, const std::string& field) {
    try {
      gf::forecaster_from_json(d);
      ADD_FAILURE() << "accepted a bad " << field;
    } catch (const gf::artifact_error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  nlohmann::json short_spread = doc;
  short_spread["series"][0]["phase_spread"].erase(0);
  refused(short_spread, "series[0].phase_spread");
  nlohmann::json negative = doc;
  negative["series"][0]["phase_spread"][3] = -1.0;
  refused(negative, "series[0].phase_spread");
  nlohmann::json bad_band = doc;
  bad_band["config"]["calibration_band"] = -1;
  refused(bad_band, "config");
  // A version 3 document loads with all of it off, as it was fitted.
  nlohmann::json v3 = doc;
  v3["version"] = 3;
  for (const char* k : {"calibration_band", "calibration_dependence", "phase_spread_days"}) {
    v3["config"].erase(k);
  }
  for (auto& e : v3["series"]) {
    e.erase("phase_spread");
  }
  const auto old = gf::forecaster_from_json(v3);
  EXPECT_TRUE(old.series().at("busy").phase_spread.empty());
  EXPECT_EQ(old.config().calibration_band, 0);
  EXPECT_EQ(old.config().calibration_dependence, 0.0);
  EXPECT_EQ(old.config().phase_spread_days, 0);
}
