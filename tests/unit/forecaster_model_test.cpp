// Forecaster maths on synthetic series with known answers.
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
