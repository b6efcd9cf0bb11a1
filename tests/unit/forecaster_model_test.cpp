// Forecaster maths on synthetic series with known answers.
#include "actors/forecaster/artifact.hpp"
#include "actors/forecaster/conformal.hpp"
#include "actors/forecaster/quantile_model.hpp"
#include "actors/forecaster/robust_component.hpp"
#include "actors/forecaster/series.hpp"
#include "actors/forecaster/temporal_forecaster.hpp"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <random>

namespace gf = grace::forecaster;

namespace {

constexpr int64_t five_min = 300'000;
constexpr int64_t hour = 3'600'000;

gf::series_input sine_series(size_t rows, int64_t step, double amplitude, double level) {
  gf::series_input s;
  s.id = "sine";
  s.start_ms = 1'700'000'000'000 - (1'700'000'000'000 % gf::day_ms);
  s.step_ms = step;
  const double cycle = static_cast<double>(gf::day_ms / step);
  for (size_t i = 0; i < rows; ++i) {
    s.values.push_back(level + amplitude * std::sin(2.0 * M_PI * static_cast<double>(i) / cycle));
  }
  return s;
}

void expect_sane(const gf::forecast_result& f, int horizon) {
  ASSERT_EQ(f.steps.size(), static_cast<size_t>(horizon));
  for (const auto& s : f.steps) {
    EXPECT_TRUE(std::isfinite(s.mean) && std::isfinite(s.lo95) && std::isfinite(s.hi95));
    EXPECT_LE(s.lo95, s.lo80);
    EXPECT_LE(s.lo80, s.mean);
    EXPECT_LE(s.mean, s.hi80);
    EXPECT_LE(s.hi80, s.hi95);
  }
}

// `flat` rows of level + N(0, sd) noise, then `ramp` rows rising by `slope`
// per row (the continuation of the ramp is level + slope * (i - flat + 1)).
gf::series_input flat_then_ramp(size_t flat, size_t ramp, double level, double sd, double slope,
                                unsigned seed) {
  gf::series_input s;
  s.id = "ramp";
  s.start_ms = 1'700'000'000'000 - (1'700'000'000'000 % gf::day_ms);
  s.step_ms = five_min;
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, sd);
  for (size_t i = 0; i < flat + ramp; ++i) {
    const double up = i < flat ? 0.0 : slope * static_cast<double>(i - flat + 1);
    s.values.push_back(level + up + noise(rng));
  }
  return s;
}

} // namespace

TEST(ForecasterSeries, CycleRowsFollowTheSamplingInterval) {
  EXPECT_EQ(gf::daily_cycle_rows(five_min), 288);
  EXPECT_EQ(gf::daily_cycle_rows(hour), 24);
  EXPECT_EQ(gf::daily_cycle_rows(7 * 60'000), 0); // 7 minutes do not divide a day
  EXPECT_EQ(gf::daily_cycle_rows(0), 0);
}

TEST(ForecasterSeries, RegulariseMarksGapsAndInfersTheStep) {
  const std::vector<int64_t> ts{0, 300'000, 600'000, 1'500'000, 1'800'000, 300'000};
  const std::vector<double> vs{1, 2, 3, 6, 7, 99};
  const gf::series_input s = gf::regularise("m", ts, vs);
  EXPECT_EQ(s.step_ms, 300'000);
  ASSERT_EQ(s.values.size(), 7u);
  EXPECT_EQ(s.values[1], 2.0); // the first value of a repeated timestamp is kept
  EXPECT_TRUE(std::isnan(s.values[3]) && std::isnan(s.values[4]));
  const auto filled = gf::fill_missing(s.values);
  EXPECT_DOUBLE_EQ(filled[3], 4.0);
  EXPECT_DOUBLE_EQ(filled[4], 5.0);
  EXPECT_THROW(gf::regularise("m", {1, 2}, {1.0}), std::invalid_argument);
}

TEST(ForecasterModel, PureDailySineIsForecastAlmostExactly) {
  for (int64_t step : {five_min, hour}) {
    const size_t cycle = static_cast<size_t>(gf::daily_cycle_rows(step));
    gf::series_input s = sine_series(7 * cycle, step, 10.0, 50.0);
    gf::temporal_forecaster model;
    model.fit(s);
    EXPECT_EQ(model.series().at("sine").cycle, static_cast<int>(cycle));
    const auto f = model.forecast("sine", 12);
    expect_sane(f, 12);
    const gf::series_input truth = sine_series(7 * cycle + 12, step, 10.0, 50.0);
    for (size_t h = 0; h < 12; ++h) {
      EXPECT_NEAR(f.steps[h].mean, truth.values[7 * cycle + h], 0.1)
          << "step " << step << " h " << h;
      EXPECT_LT(f.steps[h].hi95 - f.steps[h].lo95, 1.0);
    }
    EXPECT_EQ(f.steps[0].time_ms, s.start_ms + static_cast<int64_t>(7 * cycle) * step);
  }
}

TEST(ForecasterModel, RandomWalkIntervalsCoverNominally) {
  // Many random walks fitted together (global model shared), each judged on
  // its next 12 steps.
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int series = 60, rows = 700, horizon = 12;
  std::vector<gf::series_input> inputs;
  std::vector<std::vector<double>> futures;
  for (int k = 0; k < series; ++k) {
    gf::series_input s;
    s.id = "rw" + std::to_string(k);
    s.step_ms = hour;
    double v = 100.0;
    for (int i = 0; i < rows + horizon; ++i) {
      v += noise(rng);
      s.values.push_back(v);
    }
    futures.emplace_back(s.values.end() - horizon, s.values.end());
    s.values.resize(rows);
    inputs.push_back(s);
  }
  gf::temporal_forecaster model;
  model.fit(inputs);
  int in80 = 0, in95 = 0, total = 0;
  for (int k = 0; k < series; ++k) {
    const auto f = model.forecast(inputs[static_cast<size_t>(k)].id, horizon);
    expect_sane(f, horizon);
    for (int h = 0; h < horizon; ++h) {
      const double a = futures[static_cast<size_t>(k)][static_cast<size_t>(h)];
      const auto& p = f.steps[static_cast<size_t>(h)];
      in80 += (a >= p.lo80 && a <= p.hi80);
      in95 += (a >= p.lo95 && a <= p.hi95);
      ++total;
    }
  }
  EXPECT_NEAR(static_cast<double>(in80) / total, 0.80, 0.08);
  EXPECT_NEAR(static_cast<double>(in95) / total, 0.95, 0.05);
  const auto imp = model.feature_importance();
  ASSERT_EQ(imp.size(), static_cast<size_t>(gf::group_count));
  double sum = 0.0;
  for (const auto& w : imp) {
    sum += w.weight;
  }
  EXPECT_NEAR(sum, 1.0, 1e-9);
}

TEST(ForecasterModel, SpikesDoNotMoveTheForecast) {
  gf::series_input s;
  s.id = "spiky";
  s.step_ms = five_min;
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.5);
  for (int i = 0; i < 1000; ++i) {
    s.values.push_back(20.0 + noise(rng) + (i % 37 == 0 ? 500.0 : 0.0));
  }
  s.values.back() = 900.0; // a spike at the origin itself
  gf::temporal_forecaster model;
  model.fit(s);
  const auto f = model.forecast("spiky", 12);
  expect_sane(f, 12);
  for (const auto& p : f.steps) {
    EXPECT_NEAR(p.mean, 20.0, 2.0);
  }
}

TEST(ForecasterModel, ShortConstantAndGappySeriesGiveSaneOutput) {
  gf::temporal_forecaster model;
  std::vector<gf::series_input> inputs(5);
  inputs[0].id = "empty";
  inputs[1].id = "short";
  inputs[1].values = {3.0, 4.0, 5.0};
  inputs[2].id = "constant";
  inputs[2].values.assign(600, 7.0);
  inputs[3].id = "gaps";
  for (int i = 0; i < 600; ++i) {
    inputs[3].values.push_back(i % 50 < 10 ? NAN : 10.0 + (i % 7));
  }
  inputs[4].id = "all_missing";
  inputs[4].values.assign(100, NAN);
  model.fit(inputs);
  for (const auto& in : inputs) {
    const auto f = model.forecast(in.id, 24); // beyond the trained 12 steps too
    expect_sane(f, 24);
  }
  const auto c = model.forecast("constant", 3);
  EXPECT_DOUBLE_EQ(c.steps[0].mean, 7.0);
  EXPECT_DOUBLE_EQ(c.steps[2].hi95, 7.0);
  const auto sh = model.forecast("short", 2);
  EXPECT_DOUBLE_EQ(sh.steps[0].mean, 4.0);
  EXPECT_LT(sh.steps[0].lo95, sh.steps[0].hi95);
  EXPECT_THROW(model.forecast("unknown", 3), std::out_of_range);
  // The history path fits on the fly without storing anything.
  const auto direct = model.forecast(inputs[2], 3);
  EXPECT_DOUBLE_EQ(direct.steps[1].mean, 7.0);
  EXPECT_EQ(model.series().size(), inputs.size());
}

TEST(ForecasterQuantileModel, RecoversAKnownMedianRelation) {
  std::mt19937 rng(5);
  std::normal_distribution<double> x(0.0, 2.0);
  std::cauchy_distribution<double> heavy(0.0, 0.1); // spiky noise: a median fit must ignore it
  gf::training_set data(2);
  for (int i = 0; i < 4000; ++i) {
    gf::feature_vector f{};
    f[gf::feature_intercept] = 1.0;
    f[gf::feature_component] = x(rng);
    f[gf::feature_lag1] = x(rng);
    const int h = 1 + i % 2;
    const double z = 0.5 * f[gf::feature_component] + 1.5 * f[gf::feature_lag1] + heavy(rng);
    data.add(h, f, z);
  }
  gf::quantile_model m(2, 0.5);
  gf::quantile_fit_options opt;
  opt.ridge = 1e-4;
  opt.iterations = 30;
  opt.min_abs_residual = 1e-4;
  m.fit(data, opt);
  for (int h = 0; h < 2; ++h) {
    EXPECT_NEAR(m.weights()(h, gf::feature_component), 0.5, 0.05);
    EXPECT_NEAR(m.weights()(h, gf::feature_lag1), 1.5, 0.05);
  }
  const auto& imp = m.permutation_importance();
  EXPECT_GT(imp[gf::group_recent_lags], imp[gf::group_statistical_component]);
  EXPECT_NEAR(imp[gf::group_calendar], 0.0, 0.02);
}

TEST(ForecasterConformal, QuantilesOfKnownResiduals) {
  std::vector<std::vector<gf::calibration_sample>> samples(1);
  for (int i = 1; i <= 1000; ++i) {
    samples[0].push_back({static_cast<double>(i) / 1000.0 - 0.5, 0.0}); // uniform on (-0.5, 0.5]
  }
  auto cal = gf::conformal_calibration::calibrate(samples, 0.0);
  const auto o = cal.offsets(1);
  EXPECT_NEAR(o.lo80, -0.4, 0.01);
  EXPECT_NEAR(o.hi80, 0.4, 0.01);
  EXPECT_NEAR(o.lo95, -0.475, 0.01);
  EXPECT_NEAR(o.hi95, 0.475, 0.01);
  // Beyond the calibrated horizon the width grows like a random walk's.
  EXPECT_NEAR(cal.offsets(4).hi80, 0.8, 0.02);
  // Online tracking widens a bound that keeps being missed.
  for (int i = 0; i < 100; ++i) {
    cal.observe(1, 2.0, 0.05);
  }
  EXPECT_GT(cal.offsets(1).hi80, 0.8);
}

TEST(ForecasterRobustComponent, ProfileIgnoresLevelShiftsBetweenDays) {
  std::vector<double> y;
  for (int day = 0; day < 4; ++day) {
    for (int i = 0; i < 24; ++i) {
      y.push_back(day * 100.0 + (i < 12 ? 0.0 : 10.0));
    }
  }
  const auto p = gf::daily_profile(y, y.size(), 24, 0, 0);
  ASSERT_EQ(p.size(), 24u);
  EXPECT_NEAR(p[13] - p[2], 10.0, 1e-9);
}

// The fast paths (radix selection, sliding windows, shared day medians) must
// return exactly what the plain definitions give.
TEST(ForecasterRobustComponent, MedianMatchesTheSortedDefinition) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0.0, 5.0);
  std::uniform_int_distribution<int> small(-3, 3);
  for (size_t n : {1u, 2u, 5u, 6u, 63u, 64u, 65u, 288u, 289u, 2015u, 2016u}) {
    for (int kind = 0; kind < 5; ++kind) {
      std::vector<double> v(n);
      for (double& x : v) {
        switch (kind) {
        case 0:
          x = normal(rng);
          break; // distinct values
        case 1:
          x = small(rng);
          break; // many ties
        case 2:
          x = 7.25;
          break; // constant
        case 3:
          x = std::fabs(normal(rng)) * 1e-300;
          break; // tiny, near 0
        default:
          x = small(rng) == 0 ? -0.0 : normal(rng); // -0 and +0 mixed
        }
      }
      std::vector<double> sorted(v);
      std::sort(sorted.begin(), sorted.end());
      const size_t mid = n / 2;
      const double expected = n % 2 ? sorted[mid] : 0.5 * (sorted[mid] + sorted[mid - 1]);
      std::vector<double> work(v);
      EXPECT_EQ(gf::median_inplace(work), expected) << "n=" << n << " kind=" << kind;
    }
  }
}

TEST(ForecasterRobustComponent, SlidingMediansMatchWindowMedians) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> ties(0, 6);
  std::normal_distribution<double> normal(10.0, 3.0);
  std::vector<double> x(400);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = i % 3 == 0 ? static_cast<double>(ties(rng)) : normal(rng);
  }
  std::vector<double> scratch;
  for (size_t k : {1u, 2u, 6u, 12u, 24u, 48u, 49u}) {
    for (size_t first : {0u, 3u, 100u}) {
      const auto med = gf::sliding_medians(x, first, x.size(), k);
      ASSERT_EQ(med.size(), x.size() - first);
      for (size_t t = first; t < x.size(); ++t) {
        const double expected =
            t == 0 ? 0.0 : gf::median_of_range(x, t - std::min(t, k), t, scratch);
        ASSERT_EQ(med[t - first], expected) << "k=" << k << " t=" << t;
      }
    }
  }
}

TEST(ForecasterRobustComponent, ProfileFromSharedDayMediansIsTheSame) {
  std::mt19937 rng(9);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> y;
  for (int i = 0; i < 24 * 7 + 5; ++i) {
    y.push_back(std::sin(i * 2.0 * M_PI / 24.0) * 4.0 + noise(rng) + (i > 90 ? 6.0 : 0.0));
  }
  const auto medians = gf::cycle_medians(y, y.size(), 24);
  ASSERT_EQ(medians.size(), 7u);
  for (size_t end : {y.size(), y.size() - 24, y.size() - 48}) {
    const auto direct = gf::daily_profile(y, end, 24, 3, 2);
    const auto shared = gf::daily_profile(y, end, 24, 3, 2, medians);
    ASSERT_EQ(direct.size(), 24u);
    for (size_t i = 0; i < direct.size(); ++i) {
      EXPECT_EQ(direct[i], shared[i]);
    }
  }
}

TEST(ForecasterTrend, SteadyRampAfterAFlatPeriodIsExtrapolatedUpward) {
  // An incident building up: a week flat (the node's 7-day window; with only
  // two days the daily profile would absorb half of the ramp), then 9 rows
  // rising 5 per row (noise sd 1).
  const size_t flat = 2007, ramp = 9;
  const double slope = 5.0;
  for (unsigned seed : {1u, 2u, 3u}) {
    const gf::series_input s = flat_then_ramp(flat, ramp, 100.0, 1.0, slope, seed);
    gf::temporal_forecaster model;
    model.fit(s);
    for (const auto& f : {model.forecast("ramp", 12), model.forecast(s, 12)}) {
      expect_sane(f, 12);
      for (size_t h = 1; h <= 12; ++h) {
        const auto& p = f.steps[h - 1];
        const double truth = 100.0 + slope * static_cast<double>(ramp + h);
        // The 80% interval covers the ramp going on ...
        EXPECT_LE(p.lo80, truth) << "seed " << seed << " h " << h;
        EXPECT_GE(p.hi80, truth) << "seed " << seed << " h " << h;
      }
      // ... and the forecast itself keeps rising: at an hour ahead it is
      // well above the last value (the medians alone would stay below it).
      const double last = s.values.back();
      EXPECT_GT(f.steps[11].mean, last + 0.75 * slope * 12) << "seed " << seed;
      EXPECT_GT(f.steps[11].mean, f.steps[0].mean + 0.75 * slope * 11) << "seed " << seed;
    }
  }
}

TEST(ForecasterTrend, StepOrDecayingBurstIsNotExtrapolated) {
  // A level step 4 rows before the origin: a significant rise over the
  // window, but its newer half is flat. Not a ramp: no extrapolation.
  gf::series_input step = flat_then_ramp(600, 0, 100.0, 1.0, 0.0, 7);
  for (int i = 0; i < 4; ++i) {
    step.values.push_back(140.0 + (i % 2 ? 0.5 : -0.5));
  }
  gf::temporal_forecaster model;
  const auto f = model.forecast(step, 12);
  expect_sane(f, 12);
  EXPECT_LT(f.steps[11].mean, 145.0);
  // A burst decaying to the old level: falling overall, flat at the end.
  gf::series_input burst = flat_then_ramp(600, 0, 100.0, 1.0, 0.0, 8);
  for (double v : {160.0, 150.0, 130.0, 110.0, 101.0, 100.5, 99.5, 100.0}) {
    burst.values.push_back(v);
  }
  const auto g = model.forecast(burst, 12);
  expect_sane(g, 12);
  EXPECT_GT(g.steps[11].mean, 95.0);
}

TEST(ForecasterTrend, DetectTrendFindsRampsOnly) {
  gf::robust_settings st;
  gf::origin_summary s;
  std::vector<double> ramp{0, 0, 0, 0, 10, 20, 30, 40, 50, 60, 70, 80};
  gf::detect_trend(ramp, ramp.size(), 1.0, st, s);
  EXPECT_TRUE(s.trend);
  EXPECT_DOUBLE_EQ(s.trend_slope, 10.0);
  EXPECT_DOUBLE_EQ(s.trend_anchor, 80.0);
  std::vector<double> down{50, 40, 30, 20, 10, 0, -10, -20};
  gf::detect_trend(down, down.size(), 1.0, st, s);
  EXPECT_TRUE(s.trend);
  EXPECT_DOUBLE_EQ(s.trend_slope, -10.0);
  // Too small against the noise (6 robust sigmas over the window).
  gf::detect_trend(ramp, ramp.size(), 20.0, st, s);
  EXPECT_FALSE(s.trend);
  std::vector<double> noise{1, 3, 2, 5, 1, 4, 2, 3};
  gf::detect_trend(noise, noise.size(), 1.0, st, s);
  EXPECT_FALSE(s.trend);
  std::vector<double> step{0, 0.1, 0, 0.1, 50, 50.1, 50, 50.1};
  gf::detect_trend(step, step.size(), 1.0, st, s);
  EXPECT_FALSE(s.trend);
  st.trend_rows = 0; // off
  gf::detect_trend(ramp, ramp.size(), 1.0, st, s);
  EXPECT_FALSE(s.trend);
}

TEST(ForecasterModel, ShortHistoryIntervalsAreNotDegenerate) {
  // A few hours of 5-minute rows: too few validation residuals for the
  // conformal quantiles to tell the 80% and 95% bounds (or the mean) apart.
  for (size_t rows : {size_t{10}, size_t{40}, size_t{100}}) {
    gf::series_input s = flat_then_ramp(rows, 0, 50.0, 2.0, 0.0, static_cast<unsigned>(rows));
    gf::temporal_forecaster model;
    const auto f = model.forecast(s, 12);
    expect_sane(f, 12);
    double width_prev = 0.0;
    for (const auto& p : f.steps) {
      EXPECT_LT(p.lo95, p.lo80) << rows;
      EXPECT_LT(p.lo80, p.mean) << rows;
      EXPECT_LT(p.mean, p.hi80) << rows;
      EXPECT_LT(p.hi80, p.hi95) << rows;
      EXPECT_GE(p.hi80 - p.lo80, width_prev - 1e-9) << rows; // growing with the horizon
      width_prev = p.hi80 - p.lo80;
    }
    // About the noise's scale (sd 2): neither collapsed nor exploded.
    EXPECT_GT(f.steps[0].hi80 - f.steps[0].lo80, 2.0) << rows;
    EXPECT_LT(f.steps[11].hi95 - f.steps[11].lo95, 80.0) << rows;
  }
}

TEST(ForecasterArtifact, TrendShareRoundTripsAndVersionOneLoadsWithoutTheRule) {
  gf::temporal_forecaster model;
  model.fit(flat_then_ramp(600, 9, 100.0, 1.0, 5.0, 1));
  nlohmann::json doc = gf::to_json(model);
  EXPECT_EQ(doc["version"], gf::artifact_version);
  const auto back = gf::forecaster_from_json(doc);
  EXPECT_EQ(back.series().at("ramp").trend_share, model.series().at("ramp").trend_share);
  const auto a = model.forecast("ramp", 12), b = back.forecast("ramp", 12);
  EXPECT_DOUBLE_EQ(a.steps[11].mean, b.steps[11].mean);
  // A version 1 document (no trend fields) loads, its series without the rule.
  doc["version"] = 1;
  for (const char* k :
       {"trend_rows", "trend_z", "trend_sigmas", "trend_keep_pace", "trend_phi", "trend_widen80",
        "trend_widen95", "min_calibration_samples", "min_trend_cells", "default_trend_share"}) {
    doc["config"].erase(k);
  }
  for (auto& e : doc["series"]) {
    e.erase("trend_share");
  }
  const auto v1 = gf::forecaster_from_json(doc);
  EXPECT_EQ(v1.series().at("ramp").trend_share, 0.0);
  EXPECT_LT(v1.forecast("ramp", 12).steps[11].mean, a.steps[11].mean);
  doc["version"] = gf::artifact_version + 1;
  try {
    gf::forecaster_from_json(doc);
    FAIL() << "a newer version accepted";
  } catch (const gf::artifact_error& e) {
    EXPECT_NE(std::string(e.what()).find("is not supported"), std::string::npos);
  }
}
