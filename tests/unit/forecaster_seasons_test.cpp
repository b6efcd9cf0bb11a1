// Forecasts at any sampling interval and horizon (issue 19): periods from the
// timestamps, weekly profiles only when they hold, 48 steps at hourly data,
// intervals that widen with the horizon, gaps.
#include "actors/forecaster/artifact.hpp"
#include "actors/forecaster/conformal.hpp"
#include "actors/forecaster/robust_component.hpp"
#include "actors/forecaster/series.hpp"
#include "actors/forecaster/temporal_forecaster.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

namespace gf = grace::forecaster;

namespace {

constexpr int64_t minute = 60'000;
constexpr int64_t hour = 3'600'000;
// A Monday 00:00 UTC (2023-11-13), so that day and week phases start at 0.
constexpr int64_t monday = 1'699'833'600'000;

// Office-hours load: low at night, a morning rise, a plateau, an evening
// fall (not a sine: the profile has to follow a shape), plus noise.
double daily_shape(int hour_of_day) {
  if (hour_of_day < 7 || hour_of_day >= 20) {
    return 0.0;
  }
  if (hour_of_day < 10) {
    return 10.0 * (hour_of_day - 6);
  }
  return hour_of_day < 17 ? 30.0 : 30.0 - 10.0 * (hour_of_day - 16);
}

// `rows` hourly values from Monday 00:00: level + daily shape (scaled by
// `weekend_factor` on Saturdays and Sundays) + N(0, sd).
gf::series_input hourly_office(size_t rows, double weekend_factor, double sd, unsigned seed,
                               const std::string& id = "office") {
  gf::series_input s;
  s.id = id;
  s.start_ms = monday;
  s.step_ms = hour;
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, sd);
  for (size_t i = 0; i < rows; ++i) {
    const int hod = static_cast<int>(i % 24);
    const bool weekend = (i / 24) % 7 >= 5;
    s.values.push_back(50.0 + daily_shape(hod) * (weekend ? weekend_factor : 1.0) + noise(rng));
  }
  return s;
}

double truth_office(size_t row, double weekend_factor) {
  const bool weekend = (row / 24) % 7 >= 5;
  return 50.0 + daily_shape(static_cast<int>(row % 24)) * (weekend ? weekend_factor : 1.0);
}

void expect_ordered(const gf::forecast_result& f, size_t steps) {
  ASSERT_EQ(f.steps.size(), steps);
  for (const auto& s : f.steps) {
    ASSERT_TRUE(std::isfinite(s.mean) && std::isfinite(s.lo95) && std::isfinite(s.hi95));
    EXPECT_LE(s.lo95, s.lo80);
    EXPECT_LE(s.lo80, s.mean);
    EXPECT_LE(s.mean, s.hi80);
    EXPECT_LE(s.hi80, s.hi95);
  }
}

gf::forecaster_config horizon_config(int horizon) {
  gf::forecaster_config c;
  c.horizon = horizon;
  c.threads = 1;
  return c;
}

} // namespace

TEST(ForecasterSeasons, PeriodsFollowTheTimestampsInterval) {
  // The step is inferred from the timestamps (median spacing), the periods
  // in rows from the step.
  struct expected {
    int64_t step;
    int day, week;
  };
  for (const expected e : {expected{minute, 1440, 0}, expected{5 * minute, 288, 2016},
                           expected{hour, 24, 168}, expected{gf::day_ms, 0, 7}}) {
    std::vector<int64_t> ts;
    std::vector<double> vs;
    for (int i = 0; i < 50; ++i) {
      if (i == 20) {
        continue; // a missing sample does not change the step
      }
      ts.push_back(monday + i * e.step);
      vs.push_back(i);
    }
    const gf::series_input s = gf::regularise("m", ts, vs);
    EXPECT_EQ(s.step_ms, e.step);
    EXPECT_EQ(gf::daily_cycle_rows(s.step_ms), e.day) << e.step;
    EXPECT_EQ(gf::weekly_cycle_rows(s.step_ms), e.week) << e.step;
  }
  EXPECT_EQ(gf::weekly_cycle_rows(7 * minute), 1440); // a week, but not a day, in 7 minutes
  EXPECT_EQ(gf::daily_cycle_rows(7 * minute), 0);
  EXPECT_EQ(gf::weekly_cycle_rows(11 * minute), 0); // neither
  // Jitter around a nominal interval does not make a new interval.
  EXPECT_EQ(gf::nominal_step_ms(hour + 1000), hour);
  EXPECT_EQ(gf::nominal_step_ms(5 * minute - 3000), 5 * minute);
  EXPECT_EQ(gf::nominal_step_ms(gf::day_ms + 60'000), gf::day_ms);
  EXPECT_EQ(gf::nominal_step_ms(7 * minute), 7 * minute); // no nominal interval near it
  EXPECT_EQ(gf::week_phase_of(monday + 30 * hour, hour, 168),
            (gf::week_phase_of(monday, hour, 168) + 30) % 168);

  // The fitted model carries the periods: hourly data has a daily cycle of
  // 24 rows, and a weekly one of 168 once there are two whole weeks.
  gf::temporal_forecaster model(horizon_config(48));
  model.fit({hourly_office(24 * 10, 0.2, 1.0, 1, "ten_days"),
             hourly_office(24 * 35, 0.2, 1.0, 2, "five_weeks")});
  EXPECT_EQ(model.series().at("ten_days").cycle, 24);
  EXPECT_EQ(model.series().at("ten_days").week, 0);
  EXPECT_EQ(model.series().at("five_weeks").cycle, 24);
  EXPECT_EQ(model.series().at("five_weeks").week, 168);
  EXPECT_EQ(model.series().at("five_weeks").week_profile.size(), 168u);
}

TEST(ForecasterSeasons, HourlyDailyCycleIsForecastTwoDaysAhead) {
  // Three weeks of hourly office load without a weekly difference: the
  // next 48 hours repeat the daily shape (a flat forecast would miss it by
  // about 13 on average).
  const size_t rows = 24 * 21 + 9; // the origin mid-morning, not at midnight
  const gf::series_input s = hourly_office(rows, 1.0, 1.0, 3);
  gf::temporal_forecaster model(horizon_config(48));
  model.fit(s);
  const auto f = model.forecast(s.id, 48);
  expect_ordered(f, 48);
  double err = 0.0, flat_err = 0.0;
  for (size_t h = 0; h < 48; ++h) {
    const double truth = truth_office(rows + h, 1.0);
    err += std::fabs(f.steps[h].mean - truth);
    flat_err += std::fabs(s.values.back() - truth);
    if (h >= 24) {
      EXPECT_NEAR(f.steps[h].mean, truth, 4.0) << "h " << h + 1;
    }
  }
  EXPECT_LT(err / 48.0, 1.5);
  EXPECT_LT(err, 0.2 * flat_err);
  // The second day's peak is at the peak hours, its night at night.
  EXPECT_GT(f.steps[24 + 12 - 9].mean, 75.0); // 12:00 the day after tomorrow
  EXPECT_LT(f.steps[24 + 27 - 9].mean, 55.0); // 03:00 two nights ahead
}

TEST(ForecasterSeasons, WeeklyProfileOnlyWhenItHolds) {
  // Weekends at a fifth of the weekday peak: the weekly profile passes its
  // strength test and the forecast over Saturday follows the weekend.
  const size_t rows = 24 * 32; // four weeks and four days: the origin Friday 00:00
  const gf::series_input s = hourly_office(rows, 0.2, 1.0, 4);
  EXPECT_GT(gf::season_strength(s.values, rows, 168, 0, 2), 0.5);
  gf::temporal_forecaster model(horizon_config(48));
  model.fit(s);
  EXPECT_FALSE(model.series().at(s.id).week_profile.empty());
  const auto f = model.forecast(s.id, 48);
  expect_ordered(f, 48);
  // Saturday noon: 50 + 6, where a Friday copy would say 80.
  EXPECT_NEAR(f.steps[24 + 12].mean, truth_office(rows + 24 + 12, 0.2), 6.0);

  // White noise has no weekly profile worth the name: it predicts the other
  // weeks worse than nothing, and is not used.
  gf::series_input noise;
  noise.id = "noise";
  noise.start_ms = monday;
  noise.step_ms = hour;
  std::mt19937 rng(5);
  std::normal_distribution<double> n01(0.0, 1.0);
  for (size_t i = 0; i < rows; ++i) {
    noise.values.push_back(20.0 + n01(rng));
  }
  EXPECT_LT(gf::season_strength(noise.values, rows, 168, 0, 2), 0.1);
  gf::temporal_forecaster noisy(horizon_config(48));
  noisy.fit(noise);
  EXPECT_EQ(noisy.series().at("noise").week, 168);              // the period is known ...
  EXPECT_TRUE(noisy.series().at("noise").week_profile.empty()); // ... but not used
}

TEST(ForecasterSeasons, IntervalsWidenWithTheHorizon) {
  // A random walk sampled hourly, 48 steps: the bands grow with the horizon
  // (its error grows like sqrt(h)) and never narrow from one step to the next.
  std::mt19937 rng(6);
  std::normal_distribution<double> n01(0.0, 1.0);
  gf::series_input s;
  s.id = "walk";
  s.start_ms = monday;
  s.step_ms = hour;
  double v = 100.0;
  for (int i = 0; i < 800; ++i) {
    v += n01(rng);
    s.values.push_back(v);
  }
  gf::temporal_forecaster model(horizon_config(48));
  model.fit(s);
  const auto f = model.forecast("walk", 48);
  expect_ordered(f, 48);
  for (size_t h = 1; h < 48; ++h) {
    EXPECT_GE(f.steps[h].hi80 - f.steps[h].lo80, f.steps[h - 1].hi80 - f.steps[h - 1].lo80 - 1e-9)
        << "h " << h + 1;
    EXPECT_GE(f.steps[h].hi95 - f.steps[h].lo95, f.steps[h - 1].hi95 - f.steps[h - 1].lo95 - 1e-9)
        << "h " << h + 1;
  }
  EXPECT_GT(f.steps[47].hi80 - f.steps[47].lo80, 3.0 * (f.steps[0].hi80 - f.steps[0].lo80));

  // The calibration itself: a horizon whose residuals happen to be tighter
  // than the one before keeps the wider bounds.
  std::vector<std::vector<gf::calibration_sample>> samples(3);
  for (int i = 0; i < 200; ++i) {
    const double u = (i * 37 % 200) / 200.0 - 0.5; // a shuffled uniform on [-0.5, 0.5)
    samples[0].push_back({u, 0.0});
    samples[1].push_back({2.0 * u, 0.0});
    samples[2].push_back({0.5 * u, 0.0}); // tighter than h = 2
  }
  const auto cal = gf::conformal_calibration::calibrate(samples, 0.0);
  EXPECT_NEAR(cal.offsets(2).hi80, 0.8, 0.03);
  EXPECT_DOUBLE_EQ(cal.offsets(3).hi80, cal.offsets(2).hi80);
  EXPECT_DOUBLE_EQ(cal.offsets(3).lo95, cal.offsets(2).lo95);
}

TEST(ForecasterSeasons, GappyIrregularHourlySeriesForecastsFortyEightSteps) {
  // Hourly samples a few seconds late or early, a 30-hour outage, a
  // repeated timestamp and a missing last hour: regularised onto the hourly
  // grid and forecast 48 steps without trouble.
  const gf::series_input clean = hourly_office(24 * 20, 1.0, 1.0, 7);
  std::vector<int64_t> ts;
  std::vector<double> vs;
  for (size_t i = 0; i + 1 < clean.values.size(); ++i) {
    if (i >= 200 && i < 230) {
      continue;
    }
    ts.push_back(monday + static_cast<int64_t>(i) * hour + static_cast<int64_t>(i % 5) * 1000);
    vs.push_back(clean.values[i]);
  }
  ts.push_back(ts.back());
  vs.push_back(-1.0);
  const gf::series_input s = gf::regularise("gappy", ts, vs);
  EXPECT_EQ(s.step_ms, hour);
  gf::temporal_forecaster model(horizon_config(48));
  model.fit(s);
  const auto f = model.forecast("gappy", 48);
  expect_ordered(f, 48);
  EXPECT_EQ(model.series().at("gappy").cycle, 24);
  // Through the node's path too (per-request fit, beyond the configured 12).
  const auto g = gf::temporal_forecaster().forecast(s, 48);
  expect_ordered(g, 48);
}

TEST(ForecasterSeasons, RampRuleLooksOneHourAheadOnly) {
  // A steep ramp at the end of hourly data: the incident rule (made for
  // ramps in 5-minute data, 15-60 minutes ahead) governs the next hour
  // only; later steps are not extrapolated 48 hours up the ramp.
  gf::series_input s;
  s.id = "ramp";
  s.start_ms = monday;
  s.step_ms = hour;
  std::mt19937 rng(8);
  std::normal_distribution<double> n01(0.0, 1.0);
  for (int i = 0; i < 400; ++i) {
    s.values.push_back(100.0 + (i >= 391 ? 10.0 * (i - 390) : 0.0) + n01(rng));
  }
  gf::temporal_forecaster model(horizon_config(48));
  model.fit(s);
  const auto f = model.forecast("ramp", 48);
  expect_ordered(f, 48);
  EXPECT_GT(f.steps[0].mean, 195.0); // the ramp's next hour (about 200)
  for (size_t h = 1; h < 48; ++h) {
    EXPECT_LT(f.steps[h].mean, 215.0) << "h " << h + 1; // not 100 + 10 * (9 + h)
  }
  EXPECT_EQ(gf::trend_reach_rows(gf::robust_settings{}, 5 * minute), 12);
  EXPECT_EQ(gf::trend_reach_rows(gf::robust_settings{}, hour), 1);
  EXPECT_EQ(gf::trend_reach_rows(gf::robust_settings{}, 2 * hour), 0);
}

TEST(ForecasterSeasons, LongRequestsAreFittedForEveryStep) {
  // A model configured for 12 steps asked for 48: the per-request fit is
  // calibrated for all 48, as a model configured for 48 would be.
  const gf::series_input s = hourly_office(24 * 21, 1.0, 2.0, 9);
  const auto a = gf::temporal_forecaster(horizon_config(12)).forecast(s, 48);
  const auto b = gf::temporal_forecaster(horizon_config(48)).forecast(s, 48);
  expect_ordered(a, 48);
  for (size_t h = 0; h < 48; ++h) {
    EXPECT_DOUBLE_EQ(a.steps[h].mean, b.steps[h].mean) << h;
    EXPECT_DOUBLE_EQ(a.steps[h].hi95, b.steps[h].hi95) << h;
  }
}

TEST(ForecasterSeasons, WeeklyModelRoundTripsAndOlderArtifactsLoad) {
  gf::temporal_forecaster model(horizon_config(48));
  model.fit({hourly_office(24 * 32, 0.2, 1.0, 10, "a"), hourly_office(24 * 30, 0.5, 2.0, 11, "b")},
            1'700'000'000'000);
  ASSERT_FALSE(model.series().at("a").week_profile.empty());
  nlohmann::json doc = gf::to_json(model);
  const auto back = gf::forecaster_from_json(nlohmann::json::parse(doc.dump()));
  EXPECT_EQ(gf::to_json(back), doc);
  const auto x = model.forecast("a", 48), y = back.forecast("a", 48);
  for (size_t h = 0; h < 48; ++h) {
    EXPECT_NEAR(x.steps[h].mean, y.steps[h].mean, 1e-9);
    EXPECT_NEAR(x.steps[h].lo80, y.steps[h].lo80, 1e-9);
  }
  // A weekly profile of the wrong length is refused, naming the field.
  nlohmann::json bad = doc;
  bad["series"][0]["week_profile"].erase(0);
  try {
    gf::forecaster_from_json(bad);
    FAIL() << "accepted a short weekly profile";
  } catch (const gf::artifact_error& e) {
    EXPECT_NE(std::string(e.what()).find("series[0].week_profile"), std::string::npos);
  }
  // A version 2 document (no weekly fields, eight candidates) still loads.
  gf::temporal_forecaster small;
  small.fit(hourly_office(24 * 8, 1.0, 1.0, 12, "c"));
  nlohmann::json v2 = gf::to_json(small);
  v2["version"] = 2;
  for (const char* k :
       {"min_season_strength", "min_week_cycles", "drift_cycles", "drift_z", "trend_reach_ms"}) {
    v2["config"].erase(k);
  }
  for (auto& e : v2["series"]) {
    for (const char* k : {"week", "tail_week_phase0", "week_profile", "cycle_drift"}) {
      e.erase(k);
    }
    for (auto& w : e["candidate_weights"]) {
      for (int c = gf::candidate_seasonal_naive_drift; c < gf::candidate_count; ++c) {
        const double moved = w[gf::candidate_name(c)].get<double>();
        w.erase(gf::candidate_name(c));
        w["median_short"] = w["median_short"].get<double>() + moved; // still sums to 1
      }
    }
  }
  const auto old = gf::forecaster_from_json(v2);
  EXPECT_EQ(old.series().at("c").week, 0);
  expect_ordered(old.forecast("c", 24), 24);
}
