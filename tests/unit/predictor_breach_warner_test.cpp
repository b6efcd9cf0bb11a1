// breach_warner (the node's and `grace-node warn`'s breach probability) and
// run_warn (the CLI job) on constructed series: a ramp is warned before it
// crosses, a flat series never warns, gaps and bad input do not crash it.
#include "actors/predictor/breach_warner.hpp"
#include "actors/predictor/warn.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using grace::predictor::breach_warner;

namespace {

constexpr int64_t minute = 60'000;

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("grace_warn_" + std::to_string(::getpid()) + "_" + name);
}

std::string stamp(int64_t minutes) {
  // 2014-03-01 00:00:00 UTC plus `minutes`.
  const int64_t day = minutes / 1440, rem = minutes % 1440;
  char buf[64];
  std::snprintf(buf, sizeof buf, "2014-03-%02lld %02lld:%02lld:00", static_cast<long long>(1 + day),
                static_cast<long long>(rem / 60), static_cast<long long>(rem % 60));
  return buf;
}

struct row {
  int64_t minutes;
  double value;
};

// Writes the rows, runs the warner, returns the scores (one per row).
std::vector<double> warn_scores(const std::vector<row>& rows, double threshold, bool above = true,
                                grace::predictor::breach_warner_settings settings = {}) {
  const auto in = temp_path("in.csv"), out = temp_path("out.csv");
  {
    std::ofstream f(in);
    f << "timestamp,value\n";
    for (const auto& r : rows)
      f << stamp(r.minutes) << ',' << r.value << '\n';
  }
  grace::predictor::warn_options o;
  o.csv_path = in.string();
  o.out_path = out.string();
  o.threshold = threshold;
  o.higher_is_worse = above;
  o.warner = settings;
  std::ostringstream log;
  EXPECT_EQ(grace::predictor::run_warn(o, log), 0) << log.str();
  std::ifstream f(out);
  std::string line;
  std::getline(f, line);
  EXPECT_EQ(line, "timestamp,score");
  std::vector<double> scores;
  size_t i = 0;
  while (std::getline(f, line)) {
    const auto comma = line.find(',');
    EXPECT_EQ(line.substr(0, comma), stamp(rows.at(i).minutes)) << "row " << i;
    scores.push_back(std::stod(line.substr(comma + 1)));
    ++i;
  }
  fs::remove(in);
  fs::remove(out);
  return scores;
}

// Deterministic noise in [-0.5, 0.5).
struct noise {
  uint64_t x = 88172645463325252ULL;
  double operator()() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<double>(x % 100000) / 100000.0 - 0.5;
  }
};

grace::forecast flat_forecast(int64_t now, double mean, double width) {
  grace::forecast f;
  f.step = 5 * minute;
  for (int k = 1; k <= 12; ++k)
    f.points.push_back({now + k * 5 * minute, mean, mean - width, mean + width, mean - 2 * width,
                        mean + 2 * width});
  return f;
}

} // namespace

TEST(predictor_breach_warner, a_ramp_is_warned_before_it_crosses) {
  noise rnd;
  std::vector<row> rows;
  const int64_t ramp_from = 3 * 1440; // three quiet days, then a ramp of +12 an hour
  for (int64_t m = 0; m <= ramp_from + 180; m += 5) {
    double v = 50.0 + 2.0 * rnd();
    if (m > ramp_from)
      v += static_cast<double>(m - ramp_from) / 5.0;
    rows.push_back({m, v});
  }
  const double threshold = 66.0; // crossed about 80 min into the ramp
  const auto s = warn_scores(rows, threshold);
  ASSERT_EQ(s.size(), rows.size());
  size_t crossing = 0;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].value > threshold) {
      crossing = i;
      break;
    }
  ASSERT_GT(crossing, 0u);
  // Some row 15-60 minutes before the crossing scores at least 0.5 ...
  double early = 0.0;
  for (size_t i = crossing - 12; i <= crossing - 3; ++i)
    early = std::max(early, s[i]);
  EXPECT_GE(early, 0.5);
  // ... while the quiet days before never came close.
  double quiet = 0.0;
  for (size_t i = 288; i < static_cast<size_t>(ramp_from / 5); ++i)
    quiet = std::max(quiet, s[i]);
  EXPECT_LT(quiet, 0.05);
}

TEST(predictor_breach_warner, a_flat_series_never_warns) {
  std::vector<row> rows;
  for (int64_t m = 0; m < 4 * 1440; m += 5)
    rows.push_back({m, 10.0});
  for (double s : warn_scores(rows, 12.0))
    ASSERT_LT(s, 1e-3);
  // Below-threshold direction: the same flat series is far from a floor of 5.
  for (double s : warn_scores(rows, 5.0, false))
    ASSERT_LT(s, 1e-3);
}

TEST(predictor_breach_warner, a_gap_and_repeated_timestamps_do_not_crash_it) {
  noise rnd;
  std::vector<row> rows;
  for (int64_t m = 0; m < 2 * 1440; m += 5)
    rows.push_back({m, 20.0 + rnd()});
  rows.push_back(rows.back());                     // a repeated timestamp
  for (int64_t m = 4 * 1440; m < 5 * 1440; m += 5) // two days missing
    rows.push_back({m, 20.0 + rnd()});
  const auto s = warn_scores(rows, 21.0);
  ASSERT_EQ(s.size(), rows.size());
  for (double x : s)
    ASSERT_TRUE(x >= 0.0 && x <= 1.0);
}

TEST(predictor_breach_warner, hourly_and_one_minute_rows_each_get_a_score) {
  noise rnd;
  std::vector<row> hourly, fine;
  for (int64_t m = 0; m < 10 * 1440; m += 60)
    hourly.push_back({m, 5.0 + rnd()});
  for (int64_t m = 0; m < 2 * 1440; m += 1)
    fine.push_back({m, 5.0 + rnd()});
  EXPECT_EQ(warn_scores(hourly, 5.4).size(), hourly.size());
  EXPECT_EQ(warn_scores(fine, 5.4).size(), fine.size());
}

TEST(predictor_breach_warner, bad_input_fails_with_a_message) {
  grace::predictor::warn_options o;
  o.csv_path = temp_path("missing.csv").string();
  o.out_path = temp_path("never.csv").string();
  o.threshold = 1.0;
  std::ostringstream log;
  EXPECT_NE(grace::predictor::run_warn(o, log), 0);
  EXPECT_NE(log.str().find("missing.csv"), std::string::npos) << log.str();
  o.threshold = std::nan("");
  std::ostringstream log2;
  EXPECT_NE(grace::predictor::run_warn(o, log2), 0);
  EXPECT_NE(log2.str().find("threshold"), std::string::npos) << log2.str();
  EXPECT_FALSE(fs::exists(o.out_path));
}

TEST(predictor_breach_warner, the_forecast_decides_when_history_says_nothing) {
  breach_warner w(100.0, true);
  EXPECT_LT(w.probability(flat_forecast(0, 50.0, 5.0), 0), 1e-5);
  EXPECT_GT(w.probability(flat_forecast(0, 100.0, 5.0), 0), 0.4);
  // Points outside (now, now + horizon] do not count.
  auto f = flat_forecast(0, 50.0, 5.0);
  f.points.push_back({2 * 3'600'000, 200.0, 190.0, 210.0, 180.0, 220.0});
  EXPECT_LT(w.forecast_probability(f, 0), 1e-5);
}

TEST(predictor_breach_warner, breaches_that_recur_raise_the_history_probability) {
  // A breach every 3 hours for two weeks (5-minute values), ending on one.
  breach_warner w(10.0, true);
  int64_t t = 0;
  for (int i = 0; i <= 14 * 288; ++i, t += 5 * minute)
    w.observe(t, i % 36 == 0 ? 11.0 : 1.0);
  // Just after a breach the next one is 3 h away: unlikely within the hour.
  breach_warner after = breach_warner::from_json(nlohmann::json::parse(w.to_json().dump()));
  after.observe(t, 1.0);
  EXPECT_LT(after.history_probability(t), 0.2);
  // 2.5 h after it the next one is due within the hour.
  for (int k = 0; k < 30; ++k, t += 5 * minute)
    w.observe(t, 1.0);
  EXPECT_GT(w.history_probability(t - 5 * minute), 0.6);
  EXPECT_GT(w.probability(flat_forecast(t, 1.0, 0.1), t - 5 * minute), 0.6)
      << "the larger of forecast and history";
  // A missing threshold never warns.
  breach_warner none(std::nan(""), true);
  for (int i = 0; i < 100; ++i)
    none.observe(i * 5 * minute, 5.0);
  EXPECT_LT(none.probability(flat_forecast(500 * minute, 5.0, 1.0), 500 * minute), 0.01);
}

TEST(predictor_breach_warner, state_round_trip_continues_identically) {
  breach_warner a(10.0, false);
  noise rnd;
  for (int i = 0; i < 500; ++i)
    a.observe(i * 5 * minute, 12.0 + 3.0 * rnd());
  breach_warner b = breach_warner::from_json(nlohmann::json::parse(a.to_json().dump()));
  for (int i = 500; i < 800; ++i) {
    const double v = 12.0 + 3.0 * rnd();
    a.observe(i * 5 * minute, v);
    b.observe(i * 5 * minute, v);
    ASSERT_EQ(a.history_probability(i * 5 * minute), b.history_probability(i * 5 * minute));
  }
  EXPECT_THROW(breach_warner::from_json(nlohmann::json{{"version", 7}}), std::exception);
}

TEST(predictor_breach_warner, calibration_learns_what_a_forecast_class_was_worth) {
  // Forecasts say "breach likely" all the time and no breach ever comes.
  grace::predictor::breach_warner_settings calibrated;
  calibrated.use_forecast_class = true;
  calibrated.take_max = false;
  auto with_prior = calibrated;
  with_prior.forecast_prior = true;
  breach_warner plain(100.0, true), cal(100.0, true, calibrated), prior(100.0, true, with_prior);
  // A fresh warner with the forecast's prior speaks for the forecast.
  const auto alarming = flat_forecast(0, 100.0, 5.0);
  EXPECT_NEAR(prior.probability(alarming, 0), plain.probability(alarming, 0), 1e-12);
  int64_t t = 0;
  for (int i = 0; i < 2000; ++i, t += 5 * minute) {
    const auto f = flat_forecast(t, 100.0, 5.0);
    for (breach_warner* w : {&plain, &cal, &prior}) {
      w->note_forecast(f);
      w->observe(t, 50.0);
    }
  }
  const auto f = flat_forecast(t, 100.0, 5.0);
  EXPECT_GT(plain.probability(f, t), 0.4);
  EXPECT_LT(cal.probability(f, t), 0.05);
  EXPECT_LT(prior.probability(f, t), 0.05);
}

TEST(predictor_breach_warner, reanchoring_moves_the_forecast_to_the_newest_value) {
  grace::predictor::breach_warner_settings s;
  s.reanchor = true;
  breach_warner moved(58.0, true, s), kept(58.0, true);
  const auto f = flat_forecast(0, 50.0, 1.0); // made at 0, points from 5 min on
  for (breach_warner* w : {&moved, &kept})
    w->observe(10 * minute, 57.5); // ten minutes later the value is near the threshold
  EXPECT_GT(moved.probability(f, 10 * minute), 0.3);
  EXPECT_LT(kept.probability(f, 10 * minute), 1e-3);
}

TEST(predictor_breach_warner, interpolated_calibration_keeps_the_order_inside_a_class) {
  // Forecasts of the top class (P >= 0.2) were followed by breaches, lower
  // ones not. Two new forecasts of that class: the calibrated rate alone
  // ties them; interpolated towards the neighbouring class it ranks the
  // less alarming one lower.
  grace::predictor::breach_warner_settings calibrated;
  calibrated.use_forecast_class = true;
  calibrated.take_max = false;
  calibrated.use_daily = false;
  auto interpolated = calibrated;
  interpolated.interpolate_classes = true;
  breach_warner plain(100.0, true, calibrated), interp(100.0, true, interpolated);
  int64_t t = 0;
  // Blocks of 4 h: an hour of alarming forecasts with a breach in it, then
  // three quiet hours.
  for (int block = 0; block < 60; ++block) {
    for (int i = 0; i < 48; ++i, t += 5 * minute) {
      const bool alarming = i < 12;
      const auto f = flat_forecast(t, alarming ? 104.0 : 90.0, 4.0);
      const double v = i == 6 ? 101.0 : 95.0;
      for (breach_warner* w : {&plain, &interp}) {
        w->note_forecast(f);
        w->observe(t, v);
      }
    }
  }
  const auto lower = flat_forecast(t, 99.0, 4.0), higher = flat_forecast(t, 104.0, 4.0);
  const double p_lower = plain.forecast_probability(lower, t);
  const double p_higher = plain.forecast_probability(higher, t);
  ASSERT_GE(p_lower, 0.2); // both in the top class
  ASSERT_GT(p_higher, p_lower);
  EXPECT_EQ(plain.probability(lower, t), plain.probability(higher, t));
  EXPECT_LT(interp.probability(lower, t), interp.probability(higher, t) - 0.01);
  EXPECT_NEAR(interp.probability(higher, t), plain.probability(higher, t), 0.05);
}

TEST(predictor_breach_warner, a_breach_at_the_same_hour_every_day_is_expected_again) {
  // Ten days with a 10-minute breach at noon. At 11:15 the history since the
  // last breach (23 h ago) says "a breach within the hour is rare" (most of
  // that class's hours pass quietly); conditioned on yesterday's same hour
  // it says "likely".
  grace::predictor::breach_warner_settings since_only;
  since_only.use_daily = false;
  breach_warner plain(100.0, true, since_only), daily(100.0, true); // the default conditions on it
  const int64_t day = 1440 * minute;
  int64_t t = 0;
  for (; t < 10 * day + 11 * 60 * minute + 15 * minute; t += 5 * minute) {
    const int64_t in_day = t % day;
    const double v = in_day >= 720 * minute && in_day < 730 * minute ? 110.0 : 50.0;
    plain.observe(t, v);
    daily.observe(t, v);
  }
  EXPECT_LT(plain.history_probability(t), 0.3);
  EXPECT_GT(daily.history_probability(t), 0.6);
  // Its state carries the breach times it needs.
  breach_warner copy = breach_warner::from_json(nlohmann::json::parse(daily.to_json().dump()));
  EXPECT_EQ(copy.history_probability(t), daily.history_probability(t));
  for (int i = 0; i < 300; ++i, t += 5 * minute) {
    const double v = (t % day) >= 720 * minute && (t % day) < 730 * minute ? 110.0 : 50.0;
    daily.observe(t, v);
    copy.observe(t, v);
    ASSERT_EQ(copy.history_probability(t), daily.history_probability(t));
  }
}

TEST(predictor_breach_warner, the_alarm_cut_keeps_a_metric_within_its_false_alarm_budget) {
  // One metric's forecasts keep saying "about even" and no breach comes; a
  // quiet one's say nothing. With a budget of 0.5 false warnings a day the
  // first learns to warn only above what it kept saying, the second at the
  // lowest level; without a budget, or before a day, the policy decides (0).
  grace::predictor::breach_warner_settings budget;
  budget.alarm_budget_per_day = 0.5;
  breach_warner noisy(100.0, true, budget), quiet(100.0, true, budget), off(100.0, true);
  int64_t t = 0;
  const int64_t day = 1440 * minute;
  for (; t < 3 * day; t += 5 * minute) {
    if (t == day / 2) {
      EXPECT_EQ(noisy.alarm_cut(), 0.0) << "less than a day of settled history";
    }
    noisy.note_forecast(flat_forecast(t, 100.0, 5.0)); // P about 0.5 at every point
    quiet.note_forecast(flat_forecast(t, 50.0, 5.0));
    off.note_forecast(flat_forecast(t, 100.0, 5.0));
    for (breach_warner* w : {&noisy, &quiet, &off})
      w->observe(t, 50.0);
  }
  const double said = noisy.probability(flat_forecast(t, 100.0, 5.0), t);
  EXPECT_GT(noisy.alarm_cut(), said);
  EXPECT_LE(noisy.alarm_cut(), 0.9);
  EXPECT_EQ(quiet.alarm_cut(), 0.01);
  EXPECT_EQ(off.alarm_cut(), 0.0);
  // The assessment carries the cut to the warning book.
  EXPECT_EQ(noisy.assess(flat_forecast(t, 100.0, 5.0), t, grace::band::warning).min_probability,
            noisy.alarm_cut());
  // And its state keeps it.
  breach_warner copy = breach_warner::from_json(nlohmann::json::parse(noisy.to_json().dump()));
  EXPECT_EQ(copy.alarm_cut(), noisy.alarm_cut());
}

TEST(predictor_breach_warner, breaches_it_warned_for_do_not_count_against_the_budget) {
  // The same "about even" forecasts, but a breach follows within the hour
  // every 40 minutes: nothing it said was a false warning.
  grace::predictor::breach_warner_settings budget;
  budget.alarm_budget_per_day = 0.5;
  breach_warner w(100.0, true, budget);
  int64_t t = 0;
  for (int i = 0; t < 3 * 1440 * minute; ++i, t += 5 * minute) {
    w.note_forecast(flat_forecast(t, 100.0, 5.0));
    w.observe(t, i % 8 == 7 ? 120.0 : 50.0);
  }
  EXPECT_EQ(w.alarm_cut(), 0.01);
}

TEST(predictor_breach_warner, fine_classes_tell_a_sure_forecast_from_a_maybe) {
  // Forecasts above 0.8 were followed by a breach, those between 0.2 and 0.5
  // were not: the coarse top class mixes them, the fine classes do not.
  grace::predictor::breach_warner_settings coarse;
  coarse.use_forecast_class = true;
  coarse.take_max = false;
  coarse.use_daily = false;
  auto fine = coarse;
  fine.fine_forecast_classes = true;
  auto combined = fine;
  combined.combined_prior = true;
  breach_warner c(100.0, true, coarse), f(100.0, true, fine), both(100.0, true, combined);
  int64_t t = 0;
  for (int block = 0; block < 80; ++block) {
    for (int i = 0; i < 24; ++i, t += 5 * minute) {
      const bool sure = block % 2 == 0 && i < 6;
      // 0.3: mean 96, 80% +-4 (P(>=100) = 0.1 .. 0.3); sure: mean 110.
      const auto fc = flat_forecast(t, sure ? 110.0 : 97.5, 4.0);
      const double v = sure && i == 3 ? 105.0 : 60.0;
      for (breach_warner* w : {&c, &f, &both}) {
        w->note_forecast(fc);
        w->observe(t, v);
      }
    }
  }
  const auto maybe = flat_forecast(t, 97.5, 4.0), sure = flat_forecast(t, 110.0, 4.0);
  ASSERT_GE(c.forecast_probability(maybe, t), 0.2);
  ASSERT_LT(c.forecast_probability(maybe, t), 0.5);
  ASSERT_GE(c.forecast_probability(sure, t), 0.8);
  EXPECT_EQ(c.probability(maybe, t), c.probability(sure, t));
  EXPECT_LT(f.probability(maybe, t), f.probability(sure, t) - 0.2);
  EXPECT_LT(both.probability(maybe, t), both.probability(sure, t) - 0.2);
}

TEST(predictor_breach_warner, a_version_1_state_loads_onto_the_wider_classes) {
  grace::predictor::breach_warner_settings calibrated;
  calibrated.use_forecast_class = true;
  calibrated.take_max = false;
  breach_warner w(10.0, true, calibrated);
  noise rnd;
  int64_t t = 0;
  for (int i = 0; i < 2000; ++i, t += 5 * minute) {
    w.note_forecast(flat_forecast(t, 8.0 + 4.0 * rnd(), 1.0));
    w.observe(t, 8.0 + 4.0 * rnd());
  }
  // The same state as version 1 wrote it: 5 forecast classes per cell.
  auto j = w.to_json();
  j["version"] = 1;
  for (const char* name : {"fine_trials", "fine_hits"}) {
    std::vector<double> narrow;
    const auto wide = j[name].get<std::vector<double>>();
    for (size_t i = 0; i < wide.size(); ++i)
      if (i % breach_warner::forecast_classes < 5)
        narrow.push_back(wide[i]);
    j[name] = narrow;
  }
  for (auto& p : j["pending"])
    p = nlohmann::json{p[0], p[1].get<int>() / breach_warner::forecast_classes * 5
                                 + p[1].get<int>() % breach_warner::forecast_classes};
  for (const char* name : {"class_trials", "class_hits", "false_episodes", "false_run_start",
                           "exposure_days", "last_settled"})
    j.erase(name);
  breach_warner old = breach_warner::from_json(j);
  const auto f = flat_forecast(t, 10.0, 1.0);
  EXPECT_EQ(old.probability(f, t), w.probability(f, t));
  j["fine_trials"] = std::vector<double>(3, 0.0);
  EXPECT_THROW(breach_warner::from_json(j), std::exception);
}

TEST(predictor_breach_warner, a_trend_that_came_true_before_is_expected_to_again) {
  // Every 12 to 21 hours the metric climbs 5 a step from 50 and crosses 100
  // after 55 minutes. Half an hour into a new climb the time since the last
  // breach says "rarely within the hour"; the trend class says what such
  // climbs did.
  grace::predictor::breach_warner_settings plain_settings, trend_settings;
  plain_settings.use_daily = trend_settings.use_daily = false;
  trend_settings.use_trend = true;
  breach_warner plain(100.0, true, plain_settings), trend(100.0, true, trend_settings);
  noise rnd;
  int64_t t = 0;
  auto feed = [&](int steps_before_climb, int climb_steps) {
    for (int i = 0; i < steps_before_climb + climb_steps; ++i, t += 5 * minute) {
      const int climb = i - steps_before_climb;
      const double v = (climb >= 0 ? 50.0 + 5.0 * climb : 50.0) + rnd();
      for (breach_warner* w : {&plain, &trend})
        w->observe(t, v);
    }
  };
  for (int block = 0; block < 20; ++block)
    feed(144 + 12 * (block % 10), 14);
  feed(180, 6);
  const int64_t now = t - 5 * minute; // 25 minutes into the climb, at about 75
  EXPECT_LT(plain.history_probability(now), 0.2);
  EXPECT_GT(trend.history_probability(now), 0.4);
  // The state carries the values the trend is fitted on.
  breach_warner copy = breach_warner::from_json(nlohmann::json::parse(trend.to_json().dump()));
  EXPECT_EQ(copy.history_probability(now), trend.history_probability(now));
}

TEST(predictor_breach_warner, the_path_probability_warns_a_ramp_no_later_and_a_flat_series_never) {
  noise rnd;
  std::vector<row> rows;
  const int64_t ramp_from = 3 * 1440;
  for (int64_t m = 0; m <= ramp_from + 180; m += 5) {
    double v = 50.0 + 2.0 * rnd();
    if (m > ramp_from)
      v += static_cast<double>(m - ramp_from) / 5.0;
    rows.push_back({m, v});
  }
  grace::predictor::breach_warner_settings path;
  path.path_probability = true;
  const auto by_point = warn_scores(rows, 66.0);
  const auto by_path = warn_scores(rows, 66.0, true, path);
  ASSERT_EQ(by_path.size(), by_point.size());
  // Crossing anywhere in the hour is at least as likely as at its likeliest
  // point; the history part is the same for both.
  bool more = false;
  for (size_t i = 0; i < by_path.size(); ++i) {
    ASSERT_GE(by_path[i], by_point[i] - 1e-12) << "row " << i;
    more = more || by_path[i] > by_point[i] + 0.01;
  }
  EXPECT_TRUE(more);
  size_t crossing = 0;
  while (rows[crossing].value <= 66.0)
    ++crossing;
  double early = 0.0;
  for (size_t i = crossing - 12; i <= crossing - 3; ++i)
    early = std::max(early, by_path[i]);
  EXPECT_GE(early, 0.5);
  std::vector<row> flat;
  for (int64_t m = 0; m < 2 * 1440; m += 5)
    flat.push_back({m, 10.0});
  for (double s : warn_scores(flat, 12.0, true, path))
    ASSERT_LT(s, 1e-3);
}

TEST(predictor_breach_warner, the_score_against_the_cut_is_one_half_at_the_cut) {
  // Noise that touches the threshold now and then: the budget's cut is
  // learned after a day, and the score then says how far above or below it
  // the probability is.
  grace::predictor::breach_warner_settings s;
  s.alarm_budget_per_day = 1.0;
  s.score_against_cut = true;
  breach_warner w(60.0, true, s);
  noise rnd;
  const int64_t t0 = 1'700'000'000'000;
  int64_t t = t0;
  for (int k = 0; k < 3 * 288; ++k, t += 5 * minute) {
    w.note_forecast(flat_forecast(t, 50.0 + 10.0 * rnd(), 4.0));
    w.observe(t, 50.0 + 24.0 * rnd());
  }
  const double cut = w.alarm_cut();
  ASSERT_GT(cut, 0.0);
  for (double mean : {40.0, 50.0, 55.0, 58.0, 62.0}) {
    const auto f = flat_forecast(t, mean, 4.0);
    const double p = w.probability(f, t), score = w.score(f, t);
    EXPECT_EQ(score > 0.5, p > cut) << mean;
    EXPECT_EQ(score < 0.5, p < cut) << mean;
  }
}

TEST(predictor_breach_warner,
     logistic_calibration_learns_the_forecasts_scale_and_survives_a_restart) {
  // A forecaster that cries wolf: it says 0.5 for an hour before every breach,
  // and for eight hours when none follows (1 in 9 of its 0.5s came true). Calibrated, its 0.5 means
  // less; a fresh warner takes the forecaster at its word.
  grace::predictor::breach_warner_settings s;
  s.use_history = false;
  s.logistic_calibration = true;
  breach_warner cal(100.0, true, s);
  const auto alarming = [](int64_t t) { return flat_forecast(t, 100.0, 10.0); };
  const auto quiet = [](int64_t t) { return flat_forecast(t, 50.0, 5.0); };
  EXPECT_NEAR(cal.probability(alarming(0), 0), cal.forecast_probability(alarming(0), 0), 1e-9);
  int64_t t = 0;
  for (int day = 0; day < 20; ++day) {
    for (int i = 0; i < 288; ++i, t += 5 * minute) {
      const bool warned = i >= 96 && i < 108; // 8:00-9:00 "likely", then a breach
      const bool cried = i >= 192;            // 16:00-24:00 "likely", nothing
      const auto f = warned || cried ? alarming(t) : quiet(t);
      const double v = i == 108 ? 120.0 : 50.0;
      cal.note_forecast(f);
      cal.observe(t, v);
    }
  }
  const double raw = cal.forecast_probability(alarming(t), t);
  const double learned = cal.probability(alarming(t), t);
  EXPECT_GT(raw, 0.45);
  EXPECT_LT(learned, 0.25);
  EXPECT_GT(learned, cal.probability(quiet(t), t) * 10.0);
  // The state carries the fit: a restored warner continues identically.
  breach_warner copy = breach_warner::from_json(nlohmann::json::parse(cal.to_json().dump()));
  for (int i = 0; i < 300; ++i, t += 5 * minute) {
    const auto f = i % 50 < 10 ? alarming(t) : quiet(t);
    for (breach_warner* w : {&cal, &copy}) {
      w->note_forecast(f);
      w->observe(t, i % 50 == 10 ? 120.0 : 50.0);
    }
    ASSERT_EQ(cal.probability(f, t), copy.probability(f, t)) << i;
  }
}

namespace {

// A flat forecast whose intervals widen like a random walk's from a noisy
// start (mean, 80% half width growing from `width`).
grace::forecast widening_forecast(int64_t now, double mean, double width) {
  grace::forecast f;
  f.generated_at = now;
  f.step = 5 * minute;
  for (int k = 1; k <= 12; ++k) {
    const double w = width * std::sqrt(1.0 + static_cast<double>(k) / 3.0);
    f.points.push_back(
        {now + k * 5 * minute, mean, mean - w, mean + w, mean - 1.53 * w, mean + 1.53 * w});
  }
  return f;
}

} // namespace

TEST(predictor_breach_warner, values_running_away_from_the_forecast_raise_its_probability) {
  grace::predictor::breach_warner_settings s;
  s.use_history = false;
  s.condition_on_newest = true;
  breach_warner conditioned(62.0, true, s);
  s.condition_on_newest = false;
  breach_warner as_made(62.0, true, s);
  EXPECT_TRUE(conditioned.judges_every_value());
  EXPECT_FALSE(as_made.judges_every_value());
  const auto f = widening_forecast(0, 50.0, 2.0); // made at 0: flat at 50
  const double at_forecast = conditioned.probability(f, 0);
  EXPECT_NEAR(at_forecast, as_made.probability(f, 0), 1e-12); // nothing observed yet
  // A ramp starts after the forecast: 53, 56, 59 (the threshold 62 is next).
  double last = at_forecast;
  for (int k = 1; k <= 3; ++k) {
    for (breach_warner* w : {&conditioned, &as_made})
      w->observe(k * 5 * minute, 50.0 + 3.0 * k);
    const double p = conditioned.probability(f, k * 5 * minute);
    EXPECT_GT(p, last) << k;
    EXPECT_GT(p, as_made.probability(f, k * 5 * minute)) << k;
    last = p;
  }
  // A level error, not a slope: the path moves up with the values, it does
  // not extrapolate them (the next forecast does).
  EXPECT_GT(last, 10.0 * at_forecast);
  // Values on the forecast keep it where it was; values below lower it.
  breach_warner on_path(62.0, true, conditioned.settings()),
      below(62.0, true, conditioned.settings());
  for (int k = 1; k <= 3; ++k) {
    on_path.observe(k * 5 * minute, 50.0);
    below.observe(k * 5 * minute, 45.0);
  }
  EXPECT_LT(on_path.probability(f, 15 * minute), 0.05);
  EXPECT_LT(below.probability(f, 15 * minute), on_path.probability(f, 15 * minute));
  // The state keeps the values a later judgement is conditioned on.
  const auto restored = breach_warner::from_json(conditioned.to_json());
  EXPECT_NEAR(restored.probability(f, 15 * minute), last, 1e-12);
}

// Through `warn`, with settings s: a ramp is warned 15-60 min before it
// crosses, the quiet days before it stay < 0.05, a flat series never warns
// in either direction, and a gap and a repeated timestamp do not crash it.
void expect_ramp_warned_flat_silent_gap_survived(const grace::predictor::breach_warner_settings& s,
                                                 int variant) {
  noise rnd;
  std::vector<row> rows;
  const int64_t ramp_from = 3 * 1440;
  for (int64_t m = 0; m <= ramp_from + 180; m += 5) {
    double v = 50.0 + 2.0 * rnd();
    if (m > ramp_from)
      v += static_cast<double>(m - ramp_from) / 5.0;
    rows.push_back({m, v});
  }
  const auto scores = warn_scores(rows, 66.0, true, s);
  size_t crossing = 0;
  while (rows[crossing].value <= 66.0)
    ++crossing;
  double early = 0.0, quiet = 0.0;
  for (size_t i = crossing - 12; i <= crossing - 3; ++i)
    early = std::max(early, scores[i]);
  for (size_t i = 288; i < static_cast<size_t>(ramp_from / 5); ++i)
    quiet = std::max(quiet, scores[i]);
  EXPECT_GE(early, 0.5) << "variant " << variant;
  EXPECT_LT(quiet, 0.05) << "variant " << variant;
  std::vector<row> flat;
  for (int64_t m = 0; m < 2 * 1440; m += 5)
    flat.push_back({m, 10.0});
  for (double p : warn_scores(flat, 12.0, true, s))
    ASSERT_LT(p, 1e-3);
  for (double p : warn_scores(flat, 5.0, false, s))
    ASSERT_LT(p, 1e-3);
  // A gap and a repeated timestamp.
  std::vector<row> gappy;
  for (int64_t m = 0; m < 2 * 1440; m += 5)
    gappy.push_back({m, 20.0 + rnd()});
  gappy.push_back(gappy.back());
  for (int64_t m = 4 * 1440; m < 5 * 1440; m += 5)
    gappy.push_back({m, 20.0 + rnd()});
  const auto g = warn_scores(gappy, 21.0, true, s);
  ASSERT_EQ(g.size(), gappy.size());
  for (double x : g)
    ASSERT_TRUE(x >= 0.0 && x <= 1.0);
}

TEST(predictor_breach_warner, conditioned_on_the_newest_a_ramp_is_warned_and_a_flat_series_never) {
  grace::predictor::breach_warner_settings s;
  s.condition_on_newest = true;
  expect_ramp_warned_flat_silent_gap_survived(s, 0);
}

namespace {
// Two weeks of 5-minute values: a rise of +2 per value every 6 hours from a
// noisy level of 50, lasting ramp_values values, then back to 50; then one
// more rise's first 6 values (62 at its top). Returns the warner after it.
breach_warner rises(double threshold, int ramp_values, grace::predictor::breach_warner_settings s) {
  breach_warner w(threshold, true, s);
  noise rnd;
  int64_t t = 0;
  for (int i = 0; i < 14 * 288; ++i, t += 5 * minute) {
    const int in_cycle = i % 72;
    const double ramp = in_cycle < ramp_values ? 2.0 * (in_cycle + 1) : 0.0;
    w.observe(t, 50.0 + rnd() + ramp);
  }
  for (int k = 1; k <= 6; ++k, t += 5 * minute)
    w.observe(t, 50.0 + rnd() + 2.0 * k);
  return w;
}
} // namespace

TEST(predictor_breach_warner, rise_persistence_learns_whether_this_metrics_rises_go_on) {
  grace::predictor::breach_warner_settings s;
  s.rise_weight = 1.0;
  // The same rise (+12 in 30 minutes, still going) on two metrics: on one
  // every rise so far stopped at 62, on the other each went on to 86.
  const breach_warner stops = rises(70.0, 6, s), goes_on = rises(70.0, 18, s);
  const double forecast_says = 0.5;
  EXPECT_LT(stops.rise_probability(forecast_says), 0.1);
  // (A rise of +12 in the last 30 minutes went on 8 further in 9 of the 13
  // values a ramp of 18 has in that state: about 0.69.)
  EXPECT_GT(goes_on.rise_probability(forecast_says), 0.6);
  EXPECT_LT(goes_on.rise_probability(forecast_says), 0.75);
  // A new metric has no rises to learn from: the forecast's word stands.
  breach_warner fresh(70.0, true, s);
  fresh.observe(0, 50.0);
  EXPECT_NEAR(fresh.rise_probability(forecast_says), forecast_says, 1e-9);
  // Judged on every value, since it moves with them; kept across a restart.
  EXPECT_TRUE(stops.judges_every_value());
  const auto restored = breach_warner::from_json(nlohmann::json::parse(goes_on.to_json().dump()));
  EXPECT_EQ(restored.rise_probability(forecast_says), goes_on.rise_probability(forecast_says));
  // Off by default.
  EXPECT_FALSE(breach_warner(70.0, true).judges_every_value());
}

TEST(predictor_breach_warner, the_learned_mix_follows_the_part_that_called_this_metrics_breaches) {
  grace::predictor::breach_warner_settings s;
  s.rise_learned_mix = true;
  // No forecast is noted here, so the forecast part says 0 throughout: on
  // the metric whose rises go on to 86 it missed every breach of 70, and the
  // rise part, which learned that such rises go on, takes over; on the one
  // whose rises stop at 62, 70 was never breached, the forecast's 0 was
  // right every time and the rise part's small probabilities were not.
  const breach_warner stops = rises(70.0, 6, s), goes_on = rises(70.0, 18, s);
  EXPECT_GT(goes_on.rise_mix_weight(), 0.99);
  EXPECT_LT(stops.rise_mix_weight(), 0.5);
  const grace::forecast none;
  const int64_t now = 14 * 288 * 5 * minute + 5 * 5 * minute;
  EXPECT_NEAR(goes_on.probability(none, now),
              std::max(goes_on.rise_probability(0.0), goes_on.history_probability(now)), 1e-6);
  EXPECT_GT(goes_on.probability(none, now), 0.6);
  // A new metric weighs both alike; the weights survive a restart.
  breach_warner fresh(70.0, true, s);
  fresh.observe(0, 50.0);
  EXPECT_DOUBLE_EQ(fresh.rise_mix_weight(), 0.5);
  EXPECT_TRUE(fresh.judges_every_value());
  const auto restored = breach_warner::from_json(nlohmann::json::parse(goes_on.to_json().dump()));
  EXPECT_EQ(restored.rise_mix_weight(), goes_on.rise_mix_weight());
  EXPECT_EQ(restored.probability(none, now), goes_on.probability(none, now));
  // Scored only on values a breach followed 15 minutes or more later (or
  // none did), outside bursts: the same verdicts, from fewer values.
  s.rise_mix_early_only = true;
  const breach_warner early_stops = rises(70.0, 6, s), early_goes_on = rises(70.0, 18, s);
  EXPECT_GT(early_goes_on.rise_mix_weight(), 0.99);
  EXPECT_LT(early_stops.rise_mix_weight(), 0.5);
  EXPECT_GT(early_goes_on.rise_mix_weight(), 0.5);
}

namespace {
// Three weeks of 5-minute values at a noisy 50 with, at irregular times
// (gaps of 4 to 20 hours), a rise of +2 per value for ramp_values values,
// then back to 50; ends at the 5th value of one more rise. Irregular, so the
// time since the last breach says little about the next one.
breach_warner irregular_rises(int ramp_values, grace::predictor::breach_warner_settings s) {
  breach_warner w(70.0, true, s);
  noise rnd;
  int64_t t = 0;
  while (t < 21 * 1440 * minute) {
    const int gap_values = 12 * (4 + static_cast<int>((rnd() + 0.5) * 16.0)); // 4-20 hours
    for (int i = 0; i < gap_values; ++i, t += 5 * minute)
      w.observe(t, 50.0 + rnd());
    for (int k = 1; k <= ramp_values; ++k, t += 5 * minute)
      w.observe(t, 50.0 + rnd() + 2.0 * k);
  }
  for (int i = 0; i < 48; ++i, t += 5 * minute)
    w.observe(t, 50.0 + rnd());
  for (int k = 1; k <= 5; ++k, t += 5 * minute)
    w.observe(t, 50.0 + rnd() + 2.0 * k);
  return w;
}
} // namespace

TEST(predictor_breach_warner,
     the_rank_choice_takes_the_part_that_ranked_this_metrics_early_values) {
  grace::predictor::breach_warner_settings s;
  s.rise_weight = 1.0;
  s.rise_rank_choice = true;
  // No forecast is noted, so the forecast part says 0 and only the history
  // part ranks the values (by the time since the last breach, which says
  // little here). On the metric whose rises go on to 86, the values 15-60
  // min before each crossing of 70 are a rise's first values, which the rise
  // part ranks above the quiet ones.
  const breach_warner goes_on = irregular_rises(18, s);
  EXPECT_GT(goes_on.rank_positives(), 100.0);
  EXPECT_GT(goes_on.rank_auc(true), 0.9);
  EXPECT_LT(goes_on.rank_auc(false), goes_on.rank_auc(true) - 0.1);
  EXPECT_TRUE(goes_on.rise_chosen());
  const grace::forecast none;
  const int64_t now = 30 * 1440 * minute;
  EXPECT_NEAR(goes_on.probability(none, now),
              std::max(goes_on.rise_probability(0.0), goes_on.history_probability(now)), 1e-12);
  // Whose rises stop at 62: 70 is never crossed, no positive, the forecast part stays.
  const breach_warner stops = irregular_rises(6, s);
  EXPECT_EQ(stops.rank_positives(), 0.0);
  EXPECT_FALSE(stops.rise_chosen());
  EXPECT_EQ(stops.probability(none, now), stops.history_probability(now)); // the forecast part: 0
  EXPECT_GT(stops.rise_probability(0.0), 0.0); // which the rise part is not
  // A new metric keeps the forecast part; so does one whose evidence is
  // weaker than the prior (positives x AUC gain <= prior / 2).
  breach_warner fresh(70.0, true, s);
  fresh.observe(0, 50.0);
  EXPECT_FALSE(fresh.rise_chosen());
  EXPECT_DOUBLE_EQ(fresh.rank_auc(true), 0.5);
  auto strict = s;
  strict.rise_rank_prior =
      2.0 * goes_on.rank_positives() * (goes_on.rank_auc(true) - goes_on.rank_auc(false)) * 1.01;
  EXPECT_FALSE(irregular_rises(18, strict).rise_chosen());
  // The histograms and the choice survive a restart.
  const auto restored = breach_warner::from_json(nlohmann::json::parse(goes_on.to_json().dump()));
  EXPECT_TRUE(restored.rise_chosen());
  EXPECT_EQ(restored.rank_auc(true), goes_on.rank_auc(true));
  EXPECT_EQ(restored.rank_positives(), goes_on.rank_positives());
  EXPECT_EQ(restored.probability(none, now), goes_on.probability(none, now));
  // Off by default; a bad prior is refused with a message.
  EXPECT_FALSE(breach_warner(70.0, true).rise_chosen());
  nlohmann::json j = grace::predictor::breach_warner_settings{};
  j["rise_rank_prior"] = -1.0;
  EXPECT_THROW(j.get<grace::predictor::breach_warner_settings>(), std::invalid_argument);
}

TEST(predictor_breach_warner, with_the_rank_choice_a_ramp_is_warned_and_a_flat_series_never) {
  grace::predictor::breach_warner_settings s;
  s.rise_weight = 1.0;
  s.rise_window_ms = 60 * minute;
  s.rise_prior_weight = 5.0;
  s.rise_rank_choice = true;
  expect_ramp_warned_flat_silent_gap_survived(s, 10);
  s.rise_rank_prior = 0.0; // any evidence for the rise part chooses it
  expect_ramp_warned_flat_silent_gap_survived(s, 11);
}

TEST(predictor_breach_warner, with_rise_persistence_a_ramp_is_warned_and_a_flat_series_never) {
  for (const int variant : {0, 1, 2, 3}) {
    const bool take_max = variant == 1;
    grace::predictor::breach_warner_settings s;
    s.rise_weight = variant == 0 ? 0.5 : 0.0;
    s.rise_take_max = take_max;
    s.rise_learned_mix = variant >= 2;
    s.rise_mix_early_only = variant == 3;
    expect_ramp_warned_flat_silent_gap_survived(s, variant);
  }
  // Bad settings are refused with a message.
  grace::predictor::breach_warner_settings s;
  nlohmann::json j = s;
  j["rise_weight"] = 2.0;
  EXPECT_THROW(j.get<grace::predictor::breach_warner_settings>(), std::invalid_argument);
}

namespace {
// Three days of 5-minute values around 50 (noise +-0.5), a forecast noted
// every 15 minutes: with `follows` the values climb +1 a value for an hour
// every 3 hours and the forecast made at the start of each climb predicts
// exactly that; without, the forecasts predict the same climbs and the
// values stay at 50. Every other forecast is flat at the current value.
// The forecasts' 80% intervals are +-1 about their mean.
breach_warner predicted_rises(bool follows, grace::predictor::breach_warner_settings s) {
  breach_warner w(70.0, true, s);
  noise rnd;
  for (int i = 0; i < 3 * 288; ++i) {
    const int64_t t = i * 5 * minute;
    const int in_cycle = i % 36;
    const double climb = follows && in_cycle >= 1 && in_cycle <= 12 ? in_cycle : 0.0;
    const double v = 50.0 + rnd() + climb;
    w.observe(t, v);
    if (i % 3 != 0)
      continue;
    grace::forecast f;
    f.generated_at = t;
    f.step = 5 * minute;
    for (int k = 1; k <= 13; ++k) {
      const double mean = v + (in_cycle == 0 ? std::min(k, 12) : 0.0);
      f.points.push_back(
          {t + k * 5 * minute, mean, mean - 1.0, mean + 1.0, mean - 1.6, mean + 1.6});
    }
    w.note_forecast(f);
  }
  return w;
}
} // namespace

TEST(predictor_breach_warner, learned_damping_learns_how_far_this_metrics_predicted_rises_go) {
  grace::predictor::breach_warner_settings s;
  s.learned_damping = true;
  const breach_warner stops = predicted_rises(false, s), goes_on = predicted_rises(true, s);
  // An hour ahead: the predicted climbs never came (damped towards 0), or
  // came as predicted (kept at 1).
  EXPECT_LT(stops.damping(11), 0.25);
  EXPECT_GT(goes_on.damping(11), 0.9);
  EXPECT_LT(goes_on.damping(11), 1.1);
  // The intervals of +-1 were too wide for values within +-0.5 of the
  // damped forecast: narrowed, towards 1 by the prior.
  EXPECT_LT(stops.spread_scale(11), 1.0);
  // A forecast that climbs to the threshold: the metric whose climbs stop
  // gives it a small probability, the one whose climbs go on its own.
  const int64_t now = 3 * 288 * 5 * minute;
  grace::forecast f;
  f.generated_at = now;
  f.step = 5 * minute;
  for (int k = 1; k <= 12; ++k) {
    const double mean = 50.0 + 2.0 * k;
    f.points.push_back(
        {now + k * 5 * minute, mean, mean - 3.0, mean + 3.0, mean - 5.0, mean + 5.0});
  }
  const breach_warner plain = predicted_rises(true, {});
  EXPECT_GT(plain.forecast_probability(f, now), 0.4);
  EXPECT_LT(stops.forecast_probability(f, now), 0.01);
  EXPECT_GT(goes_on.forecast_probability(f, now), 0.2);
  // A new metric, and the option off: the forecast as it is.
  breach_warner fresh(70.0, true, s);
  fresh.observe(0, 50.0);
  for (int k = 0; k < breach_warner::damping_bins; ++k) {
    EXPECT_EQ(fresh.damping(k), 1.0);
    EXPECT_EQ(fresh.spread_scale(k), 1.0);
  }
  EXPECT_EQ(plain.damping(11), 1.0);
  EXPECT_FALSE(stops.judges_every_value());
  // The fit and the forecasts not yet settled survive a restart.
  const auto restored = breach_warner::from_json(nlohmann::json::parse(stops.to_json().dump()));
  EXPECT_EQ(restored.damping(11), stops.damping(11));
  EXPECT_EQ(restored.spread_scale(5), stops.spread_scale(5));
  EXPECT_EQ(restored.forecast_probability(f, now), stops.forecast_probability(f, now));
  auto a = stops, b = restored;
  for (int i = 1; i <= 12; ++i) {
    a.observe(now + i * 5 * minute, 50.0);
    b.observe(now + i * 5 * minute, 50.0);
  }
  EXPECT_EQ(a.damping(3), b.damping(3));
  // A gap: the points of the forecasts pending across it are not settled
  // with a value from days later.
  auto gap = stops;
  const double before = gap.damping(11);
  gap.observe(now + 2 * 86'400'000LL, 500.0);
  EXPECT_EQ(gap.damping(11), before);
}

TEST(predictor_breach_warner, with_learned_damping_a_ramp_is_warned_and_a_flat_series_never) {
  for (const int variant : {0, 1}) {
    grace::predictor::breach_warner_settings s;
    s.learned_damping = true;
    s.rise_weight = variant == 1 ? 0.5 : 0.0;
    expect_ramp_warned_flat_silent_gap_survived(s, variant);
  }
}

TEST(predictor_breach_warner, an_exclusive_threshold_is_not_breached_by_values_at_it) {
  // A series flat at its threshold never goes beyond it (the breach P3h
  // scores is y > T): with the threshold exclusive it never warns, in
  // either direction; closed (the node's bands) every value is a breach.
  std::vector<row> flat;
  for (int64_t m = 0; m < 2 * 1440; m += 5)
    flat.push_back({m, 45.0});
  grace::predictor::breach_warner_settings s;
  s.exclusive_threshold = true;
  for (const bool above : {true, false}) {
    for (double p : warn_scores(flat, 45.0, above, s))
      ASSERT_LT(p, 1e-3);
    const auto closed = warn_scores(flat, 45.0, above);
    EXPECT_GT(closed.back(), 0.5);
  }
  // A value beyond it is a breach, and the given threshold is what the
  // warner reports and keeps across a restart.
  breach_warner w(45.0, true, s);
  EXPECT_EQ(w.threshold(), 45.0);
  w.observe(0, 45.0);
  EXPECT_EQ(w.history_probability(5 * minute), 0.0);
  w.observe(5 * minute, 45.5);
  w.observe(10 * minute, 44.0);
  EXPECT_GT(w.history_probability(15 * minute), 0.0);
  const auto restored = breach_warner::from_json(nlohmann::json::parse(w.to_json().dump()));
  EXPECT_EQ(restored.threshold(), 45.0);
  EXPECT_EQ(restored.to_json(), w.to_json());
  // A ramp is still warned before it crosses.
  noise rnd;
  std::vector<row> rows;
  const int64_t ramp_from = 3 * 1440;
  for (int64_t m = 0; m <= ramp_from + 180; m += 5)
    rows.push_back({m, 50.0 + 2.0 * rnd() + (m > ramp_from ? (m - ramp_from) / 5.0 : 0.0)});
  const auto scores = warn_scores(rows, 66.0, true, s);
  size_t crossing = 0;
  while (rows[crossing].value <= 66.0)
    ++crossing;
  double early = 0.0;
  for (size_t i = crossing - 12; i <= crossing - 3; ++i)
    early = std::max(early, scores[i]);
  EXPECT_GE(early, 0.5);
}

namespace {
// About two weeks of 5-minute values on a metric with a warning band from 60
// and a critical threshold at 70, two kinds of 6-hour cycle by turns, every
// move +-2 a value on a noisy level (36 such moves a cycle, so the mean step
// stays the same): from 20 up for 18 values to 56 and down again (below the
// band: such rises go on well past +12), and from 50 three times up for 6
// values to 62 and down (into the warning band, where they stop). Ends at
// the top of the last cycle's second rise into the band (62, +12 in the
// last 30 minutes, still rising; the first follows the jump from 20 to 50).
grace::predictor::threshold_warners band_entries(grace::predictor::breach_warner_settings s) {
  grace::predictor::threshold_warners w({"m", "svc", true, 60.0, 70.0}, s);
  noise rnd;
  int64_t t = 0;
  for (int i = 0; i < 55 * 72 + 30; ++i, t += 5 * minute) {
    const int cycle = i / 72, in_cycle = i % 72;
    double v = 0.0;
    if (cycle % 2 == 0) {
      const int k = in_cycle < 18 ? in_cycle + 1 : std::max(0, 35 - in_cycle);
      v = 20.0 + 2.0 * k;
    } else {
      const int j = in_cycle % 24; // three bumps
      const int k = j < 6 ? j + 1 : std::max(0, 11 - j);
      v = 50.0 + 2.0 * k;
    }
    w.observe(t, v + rnd());
  }
  return w;
}
} // namespace

TEST(predictor_breach_warner, the_band_gate_learns_how_far_rises_go_from_inside_the_warning_band) {
  grace::predictor::breach_warner_settings s;
  s.rise_weight = 1.0;
  const auto plain = band_entries(s);
  s.rise_band_gate = true;
  const auto gated = band_entries(s);
  const double forecast_says = 0.5;
  // The same rise (+12 in 30 minutes, still going, now at 62): over all the
  // values, half the rises of this size went on far (those from 20), so the
  // critical threshold 8 ahead looks likely; every rise that reached the
  // warning band stopped there, and from inside the band the gate says so.
  const double all = plain.critical.rise_probability(forecast_says);
  const double from_band = gated.critical.rise_probability(forecast_says);
  // (Over all values about 0.39; from the band about 0.09, its cell's band
  // entries all stopped, shrunk towards the 0.39.)
  EXPECT_GT(all, 0.3);
  EXPECT_LT(from_band, 0.15);
  EXPECT_LT(from_band, all / 3.0);
  // The warning threshold's warner has no gate: unchanged.
  EXPECT_TRUE(std::isnan(gated.warning.rise_gate()));
  EXPECT_EQ(gated.critical.rise_gate(), 60.0);
  EXPECT_EQ(gated.warning.rise_probability(forecast_says),
            plain.warning.rise_probability(forecast_says));
  // Kept across a restart, gate level included.
  const auto restored =
      breach_warner::from_json(nlohmann::json::parse(gated.critical.to_json().dump()));
  EXPECT_EQ(restored.rise_gate(), 60.0);
  EXPECT_EQ(restored.rise_probability(forecast_says), from_band);
  // No band entry seen yet: the gated cell is the cell over all values.
  grace::predictor::threshold_warners fresh({"m", "svc", true, 60.0, 70.0}, s);
  grace::predictor::threshold_warners fresh_plain({"m", "svc", true, 60.0, 70.0}, [] {
    grace::predictor::breach_warner_settings p;
    p.rise_weight = 1.0;
    return p;
  }());
  for (int i = 0; i < 300; ++i) {
    // Rises to 58 at most (the band starts at 60), the last one to 62.
    const double v = 50.0 + (i % 40 < 5 ? 2.0 * (i % 40) : 0.0) + (i == 299 ? 12.0 : 0.0);
    fresh.observe(i * 5 * minute, v);
    fresh_plain.observe(i * 5 * minute, v);
  }
  EXPECT_DOUBLE_EQ(fresh.critical.rise_probability(forecast_says),
                   fresh_plain.critical.rise_probability(forecast_says));
}

TEST(predictor_breach_warner, a_smaller_rise_prior_lets_a_metrics_own_rises_speak_sooner) {
  grace::predictor::breach_warner_settings s;
  s.rise_weight = 1.0;
  // Only the first three days of rises that stop at 62: with the default
  // pseudo-count the forecast's 0.9 still pulls the estimate up; with 2 the
  // metric's own rises decide.
  auto three_days = [](grace::predictor::breach_warner_settings settings) {
    breach_warner w(70.0, true, settings);
    noise rnd;
    int64_t t = 0;
    for (int i = 0; i < 3 * 288; ++i, t += 5 * minute) {
      const int in_cycle = i % 72;
      w.observe(t, 50.0 + rnd() + (in_cycle < 6 ? 2.0 * (in_cycle + 1) : 0.0));
    }
    for (int k = 1; k <= 6; ++k, t += 5 * minute)
      w.observe(t, 50.0 + rnd() + 2.0 * k);
    return w;
  };
  const double forecast_says = 0.9;
  const double shrunk = three_days(s).rise_probability(forecast_says);
  s.rise_prior_weight = 2.0;
  const double own = three_days(s).rise_probability(forecast_says);
  EXPECT_LT(own, 0.5 * shrunk);
  EXPECT_LT(own, 0.2);
  // Pseudo-count 0 on a new metric: no evidence, the forecast's word stands.
  s.rise_prior_weight = 0.0;
  breach_warner fresh(70.0, true, s);
  fresh.observe(0, 50.0);
  EXPECT_DOUBLE_EQ(fresh.rise_probability(forecast_says), forecast_says);
  // Negative (the default): the history part's prior_weight.
  grace::predictor::breach_warner_settings d;
  EXPECT_LT(d.rise_prior_weight, 0.0);
  d.rise_weight = 1.0;
  d.rise_prior_weight = d.prior_weight;
  grace::predictor::breach_warner_settings n;
  n.rise_weight = 1.0;
  EXPECT_EQ(three_days(d).rise_probability(forecast_says),
            three_days(n).rise_probability(forecast_says));
}

TEST(predictor_breach_warner, with_the_band_gate_and_a_small_rise_prior_a_ramp_is_warned) {
  grace::predictor::breach_warner_settings s;
  s.rise_weight = 1.0;
  s.rise_band_gate = true;
  s.rise_prior_weight = 5.0;
  // grace-node warn has one threshold: the gate has nothing to gate.
  expect_ramp_warned_flat_silent_gap_survived(s, 0);
  nlohmann::json j = s;
  EXPECT_TRUE(j.at("rise_band_gate").get<bool>());
  EXPECT_EQ(j.get<grace::predictor::breach_warner_settings>().rise_prior_weight, 5.0);
}

TEST(predictor_breach_warner, the_cause_context_learns_explained_and_unexplained_rises_apart) {
  grace::predictor::breach_warner_settings s;
  s.rise_weight = 1.0;
  // Two weeks: every 6 hours a rise of +2 a value from a noisy 50; by turns
  // one while a cause is in trouble that stops at 62 and one with no cause
  // in trouble that goes on to 86. Then a rise of +12 in 30 minutes, still
  // going, in either context.
  auto run = [](grace::predictor::breach_warner_settings settings, bool caused_now) {
    breach_warner w(70.0, true, settings);
    noise rnd;
    int64_t t = 0;
    for (int i = 0; i < 14 * 288; ++i, t += 5 * minute) {
      const int cycle = i / 72, in_cycle = i % 72;
      const bool caused = cycle % 2 == 0;
      const int ramp_values = caused ? 6 : 18;
      w.set_rise_context(caused && in_cycle < 24);
      w.observe(t, 50.0 + rnd() + (in_cycle < ramp_values ? 2.0 * (in_cycle + 1) : 0.0));
    }
    w.set_rise_context(caused_now);
    for (int k = 1; k <= 6; ++k, t += 5 * minute)
      w.observe(t, 50.0 + rnd() + 2.0 * k);
    return w;
  };
  const double forecast_says = 0.5;
  const double pooled = run(s, false).rise_probability(forecast_says);
  s.rise_cause_context = true;
  const auto unexplained = run(s, false), explained = run(s, true);
  const double p_unexplained = unexplained.rise_probability(forecast_says);
  const double p_explained = explained.rise_probability(forecast_says);
  EXPECT_GT(p_unexplained, pooled);
  EXPECT_LT(p_explained, pooled);
  EXPECT_GT(p_unexplained, 2.0 * p_explained);
  // Kept across a restart, the context included.
  const auto restored = breach_warner::from_json(nlohmann::json::parse(explained.to_json().dump()));
  EXPECT_EQ(restored.rise_probability(forecast_says), p_explained);
  // Never told a context (grace-node warn): every value counts as unexplained,
  // and a ramp is warned as before.
  grace::predictor::breach_warner_settings only;
  only.rise_weight = 1.0;
  only.rise_cause_context = true;
  expect_ramp_warned_flat_silent_gap_survived(only, 0);
}
