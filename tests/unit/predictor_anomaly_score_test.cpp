// Behaviour of the streaming anomaly score: events score high, steady noise
// low, no look-ahead, state survives a JSON round trip.
#include "actors/predictor/anomaly_score.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <gtest/gtest.h>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <vector>

using grace::predictor::anomaly_scorer;

namespace {

constexpr int64_t five_min = 300'000;

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

// Noise around 10 with a one-sample dip of 8 every two hours and a spike of
// +60 at row 2500: what the spread channels must not take for a wider spread.
std::vector<double> routine_dips_and_a_spike() {
  noise rnd;
  std::vector<double> v(3000);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = 10.0 + rnd() - (i % 24 == 0 ? 8.0 : 0.0);
  v[2500] += 60.0;
  return v;
}

std::vector<double> daily_noisy(size_t n, double amp = 10.0, double noise_amp = 2.0) {
  noise rnd;
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = 50.0 + amp * std::sin(2.0 * M_PI * static_cast<double>(i) / 288.0) + noise_amp * rnd();
  return v;
}

// A daily series with NaN, +-inf and +-1e300 among its values (rows 1500-1701).
std::vector<double> daily_noisy_with_non_finite_values() {
  auto v = daily_noisy(2000);
  v[1500] = std::numeric_limits<double>::quiet_NaN();
  v[1600] = std::numeric_limits<double>::infinity();
  v[1601] = -std::numeric_limits<double>::infinity();
  v[1700] = 1e300;
  v[1701] = -1e300;
  return v;
}

std::vector<double> score_all(const std::vector<double>& v,
                              grace::predictor::anomaly_score_params p = {}) {
  anomaly_scorer s(p);
  std::vector<double> out;
  for (size_t i = 0; i < v.size(); ++i)
    out.push_back(s.update(static_cast<int64_t>(i) * five_min, v[i]));
  return out;
}

double max_in(const std::vector<double>& v, size_t from, size_t to) {
  return *std::max_element(v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(to));
}

} // namespace

TEST(predictor_anomaly_score, scores_stay_in_unit_interval) {
  auto v = daily_noisy(2000);
  v[1500] = 1e300;
  v[1501] = -1e300;
  const auto s = score_all(v);
  for (double x : s) {
    EXPECT_GE(x, 0.0);
    EXPECT_LE(x, 1.0);
    EXPECT_TRUE(std::isfinite(x));
  }
  EXPECT_GT(max_in(s, 1500, 1505), 0.3) << "an extreme value is still seen as one";
}

TEST(predictor_anomaly_score, values_near_the_double_limit_do_not_blind_the_scorer) {
  // Residuals overflow to inf here; the scorer must keep working afterwards.
  std::vector<double> v(1200);
  noise rnd;
  for (auto& x : v)
    x = 1e307 * (1.5 + rnd());
  v[700] = -1.7e308;
  v[1000] = 1.7e308;
  const auto s = score_all(v);
  for (double x : s)
    ASSERT_TRUE(x >= 0.0 && x <= 1.0);
  EXPECT_GT(max_in(s, 700, 705), 0.1);
  EXPECT_GT(max_in(s, 1000, 1005), 0.1);
}

TEST(predictor_anomaly_score, steady_noise_scores_low_and_a_spike_high) {
  auto v = daily_noisy(2000);
  const auto quiet = score_all(v);
  v[1500] += 40.0;
  const auto spiky = score_all(v);
  const double background = max_in(quiet, 600, 2000);
  EXPECT_LT(background, 0.5);
  // Reported when the surprise average stops rising: at most peak_delay late.
  const double at_spike = max_in(spiky, 1500, 1505);
  EXPECT_GT(at_spike, 0.5);
  EXPECT_GT(at_spike, background + 0.2);
}

TEST(predictor_anomaly_score, step_change_scores_high_early) {
  auto v = daily_noisy(2000);
  const double background = max_in(score_all(v), 600, 2000);
  for (size_t i = 1400; i < v.size(); ++i)
    v[i] += 25.0;
  const auto s = score_all(v);
  EXPECT_GT(max_in(s, 1400, 1406), 0.5);
  EXPECT_GT(max_in(s, 1400, 1406), background + 0.2);
}

TEST(predictor_anomaly_score, small_sustained_shift_is_caught_by_the_drift_memory) {
  // A shift of about one noise amplitude: no single sample is remarkable, but
  // the residuals keep one sign while the rolling median catches up.
  auto v = daily_noisy(2000, 0.0, 2.0);
  const double background = max_in(score_all(v), 600, 2000);
  for (size_t i = 1400; i < v.size(); ++i)
    v[i] += 1.0;
  const auto with_drift = score_all(v);
  EXPECT_GT(max_in(with_drift, 1400, 1440), background + 0.1);
  grace::predictor::anomaly_score_params no_drift;
  no_drift.use_direction = false;
  EXPECT_LT(max_in(score_all(v, no_drift), 1400, 1440), max_in(with_drift, 1400, 1440));
}

TEST(predictor_anomaly_score, constant_series_scores_zero_until_it_changes) {
  std::vector<double> v(1000, 7.0);
  v[900] = 8.0;
  const auto s = score_all(v);
  EXPECT_EQ(max_in(s, 0, 900), 0.0);
  EXPECT_GT(max_in(s, 900, 905), 0.5);
}

TEST(predictor_anomaly_score, no_look_ahead_prefix_scores_do_not_change) {
  auto v = daily_noisy(1500);
  for (size_t i = 1000; i < v.size(); ++i)
    v[i] += 30.0;
  const auto full = score_all(v);
  const std::vector<double> prefix_values(v.begin(), v.begin() + 1200);
  const auto prefix = score_all(prefix_values);
  for (size_t i = 0; i < prefix.size(); ++i)
    ASSERT_EQ(prefix[i], full[i]) << "row " << i;
}

TEST(predictor_anomaly_score, deterministic_across_instances) {
  const auto v = daily_noisy(800);
  EXPECT_EQ(score_all(v), score_all(v));
}

TEST(predictor_anomaly_score, state_round_trip_continues_identically) {
  const auto v = daily_noisy(1200);
  anomaly_scorer a;
  for (size_t i = 0; i < 700; ++i)
    a.update(static_cast<int64_t>(i) * five_min, v[i]);
  // Through text, as the node would persist it or send it to another node.
  anomaly_scorer b = anomaly_scorer::from_json(nlohmann::json::parse(a.to_json().dump()));
  for (size_t i = 700; i < v.size(); ++i) {
    const int64_t ts = static_cast<int64_t>(i) * five_min;
    ASSERT_EQ(a.update(ts, v[i]), b.update(ts, v[i])) << "row " << i;
  }
}

TEST(predictor_anomaly_score, short_series_and_repeated_timestamps) {
  anomaly_scorer s;
  EXPECT_EQ(s.update(0, 1.0), 0.0);
  for (int i = 0; i < 50; ++i) {
    const double r = s.update(1000 * (i / 3), 1.0 + (i % 2)); // each timestamp three times
    EXPECT_GE(r, 0.0);
    EXPECT_LE(r, 1.0);
  }
}

TEST(predictor_anomaly_score, infers_daily_period_from_hourly_samples) {
  anomaly_scorer s;
  grace::predictor::robust_seasonal_model m;
  for (int i = 0; i < 40; ++i)
    m.observe(static_cast<int64_t>(i) * 3'600'000, 1.0);
  EXPECT_EQ(m.step_ms(), 3'600'000);
  EXPECT_EQ(m.period(), 24);
}

namespace {

// Samples scoring at least `level` in [from, to).
size_t count_at_least(const std::vector<double>& s, size_t from, size_t to, double level) {
  return static_cast<size_t>(std::count_if(s.begin() + static_cast<long>(from),
                                           s.begin() + static_cast<long>(to),
                                           [&](double x) { return x >= level; }));
}

} // namespace

TEST(predictor_anomaly_score, a_ramping_episode_is_reported_once_at_its_peak) {
  auto v = daily_noisy(2000);
  for (size_t i = 1400; i < v.size(); ++i)
    v[i] += 25.0;
  const auto once = score_all(v);
  grace::predictor::anomaly_score_params every_high;
  every_high.peak_delay = 0;
  every_high.refractory_ms = 0; // the contrast is the peak rule alone
  every_high.refractory_samples = 0;
  const auto each = score_all(v, every_high);
  // Whatever threshold an operator picks between the damped remainder of the
  // episode (a quarter of its raw score) and its peak, the episode crosses it
  // once, a few samples after onset.
  const double background = max_in(once, 600, 1400);
  const double peak = max_in(once, 1400, 1500);
  EXPECT_GT(peak, background + 0.2);
  for (double level : {0.35 * peak, 0.6 * peak, peak})
    EXPECT_EQ(count_at_least(once, 1400, 1500, level), 1u) << "level " << level;
  const auto at = static_cast<size_t>(std::max_element(once.begin() + 1400, once.begin() + 1500)
                                      - once.begin());
  EXPECT_LE(at, 1400u + 4u);
  // Reporting every new high at once (and no refractory period) crosses a
  // mid threshold several times.
  EXPECT_GT(count_at_least(each, 1400, 1500, 0.6 * peak), 1u);
}

TEST(predictor_anomaly_score, state_round_trip_inside_a_rising_episode) {
  auto v = daily_noisy(1500);
  for (size_t i = 1200; i < v.size(); ++i)
    v[i] += 25.0;
  anomaly_scorer a;
  for (size_t i = 0; i < 1202; ++i) // mid-ramp: a peak is pending
    a.update(static_cast<int64_t>(i) * five_min, v[i]);
  anomaly_scorer b = anomaly_scorer::from_json(nlohmann::json::parse(a.to_json().dump()));
  for (size_t i = 1202; i < v.size(); ++i) {
    const int64_t ts = static_cast<int64_t>(i) * five_min;
    ASSERT_EQ(a.update(ts, v[i]), b.update(ts, v[i])) << "row " << i;
  }
}

TEST(predictor_anomaly_score, a_level_shift_is_scored_on_an_hourly_metric) {
  // Hourly samples (period 24): the shift must stand out all the same.
  noise rnd;
  std::vector<double> v(24 * 30);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = 100.0 + 20.0 * std::sin(2.0 * M_PI * static_cast<double>(i) / 24.0) + 4.0 * rnd();
  const size_t at = 24 * 25;
  for (size_t i = at; i < v.size(); ++i)
    v[i] += 30.0;
  anomaly_scorer s;
  std::vector<double> out;
  for (size_t i = 0; i < v.size(); ++i)
    out.push_back(s.update(static_cast<int64_t>(i) * 3'600'000, v[i]));
  EXPECT_GT(max_in(out, at, at + 6), max_in(out, 200, at) + 0.1);
}

// With parameters p: a flat series scores nothing; a two-day gap does not
// crash it, and a later level shift is scored above what came before.
void expect_flat_silent_gap_survived_shift_scored(const grace::predictor::anomaly_score_params& p) {
  const auto flat = score_all(std::vector<double>(1500, 7.0), p);
  EXPECT_EQ(max_in(flat, 0, flat.size()), 0.0);
  auto v = daily_noisy(2000);
  anomaly_scorer s(p);
  std::vector<double> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const int64_t ts = static_cast<int64_t>(i + (i >= 1000 ? 576 : 0)) * five_min;
    const double x = s.update(ts, i >= 1700 ? v[i] + 40.0 : v[i]);
    ASSERT_TRUE(x >= 0.0 && x <= 1.0) << "row " << i;
    out.push_back(x);
  }
  EXPECT_GT(max_in(out, 1700, 1705), max_in(out, 1100, 1700) + 0.1);
}

TEST(predictor_anomaly_score, a_gap_in_the_timestamps_does_not_crash_or_blind_it) {
  // Two days missing after row 1000; the series resumes where it was.
  expect_flat_silent_gap_survived_shift_scored(grace::predictor::anomaly_score_params{});
}

TEST(predictor_anomaly_score, a_spike_is_judged_against_the_series_own_spikes) {
  // The same +15 spike: news on a quiet series, routine on one where such
  // spikes come every few hours (its histogram of |z| has seen them).
  noise rnd;
  std::vector<double> quiet(3000), spiky(3000);
  for (size_t i = 0; i < quiet.size(); ++i) {
    quiet[i] = 10.0 + rnd();
    spiky[i] = quiet[i] + (i % 37 == 0 ? 15.0 : 0.0);
  }
  quiet[2500] += 15.0;
  spiky[2500] += 15.0;
  EXPECT_GT(max_in(score_all(quiet), 2500, 2505), max_in(score_all(spiky), 2500, 2505) + 0.1);
}

namespace {

// Every optional channel and combination on, to exercise them together.
grace::predictor::anomaly_score_params everything_on() {
  grace::predictor::anomaly_score_params p;
  p.window_ms = 3'600'000;
  p.second_window_factor = 4.0;
  p.cusum_k = 1.0;
  p.fisher = true;
  p.recalibrate = true;
  p.horizon_samples = 12;
  p.spread_window = 24;
  return p;
}

} // namespace

TEST(predictor_anomaly_score, each_optional_channel_still_scores_a_step_and_stays_in_range) {
  auto v = daily_noisy(2000);
  for (size_t i = 1400; i < v.size(); ++i)
    v[i] += 25.0;
  std::vector<std::pair<const char*, grace::predictor::anomaly_score_params>> variants;
  grace::predictor::anomaly_score_params p;
  p.window_ms = 3'600'000;
  variants.emplace_back("window_ms", p);
  p = {};
  p.second_window_factor = 0.5;
  variants.emplace_back("second window 0.5", p);
  p.second_window_factor = 4.0;
  variants.emplace_back("second window 4", p);
  p = {};
  p.cusum_k = 1.0;
  variants.emplace_back("cusum", p);
  p = {};
  p.fisher = true;
  variants.emplace_back("fisher", p);
  p = {};
  p.recalibrate = true;
  variants.emplace_back("recalibrate", p);
  p = {};
  p.horizon_samples = 12;
  variants.emplace_back("horizon", p);
  p = {};
  p.spread_window = 24;
  variants.emplace_back("spread", p);
  p.spread_window = 12;
  p.spread_scales = 3;
  variants.emplace_back("spread, three windows, Bonferroni", p);
  p.spread_join = "simes";
  variants.emplace_back("spread, three windows, Simes", p);
  variants.emplace_back("all", everything_on());
  for (const auto& [name, params] : variants) {
    const auto s = score_all(v, params);
    for (double x : s)
      ASSERT_TRUE(x >= 0.0 && x <= 1.0) << name;
    EXPECT_GT(max_in(s, 1400, 1406), max_in(s, 600, 1400) + 0.1) << name;
  }
}

TEST(predictor_anomaly_score, state_round_trip_with_every_channel_on) {
  const auto v = daily_noisy(1200);
  anomaly_scorer a(everything_on());
  for (size_t i = 0; i < 700; ++i)
    a.update(static_cast<int64_t>(i) * five_min, v[i]);
  anomaly_scorer b = anomaly_scorer::from_json(nlohmann::json::parse(a.to_json().dump()));
  for (size_t i = 700; i < v.size(); ++i) {
    const int64_t ts = static_cast<int64_t>(i) * five_min;
    ASSERT_EQ(a.update(ts, v[i]), b.update(ts, v[i])) << "row " << i;
  }
}

// A state written by an older version: the scorer's state after 700 rows
// with the channels that version did not have cut off and its keys that
// version did not write removed. With the defaults (which use none of them)
// the restored scorer must continue identically.
void expect_old_state_continues(int version, size_t channels,
                                std::initializer_list<const char*> keys_it_lacked) {
  const auto v = daily_noisy(1200);
  anomaly_scorer a;
  for (size_t i = 0; i < 700; ++i)
    a.update(static_cast<int64_t>(i) * five_min, v[i]);
  nlohmann::json old = a.to_json();
  old["version"] = version;
  for (const char* key : {"tails", "mean", "var"}) {
    auto& arr = old[key];
    arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(channels), arr.end());
  }
  for (const char* key : keys_it_lacked)
    old.erase(key);
  anomaly_scorer b = anomaly_scorer::from_json(old);
  for (size_t i = 700; i < v.size(); ++i) {
    const int64_t ts = static_cast<int64_t>(i) * five_min;
    ASSERT_EQ(a.update(ts, v[i]), b.update(ts, v[i])) << "version " << version << ", row " << i;
  }
}

TEST(predictor_anomaly_score, a_version_2_state_still_loads_and_continues) {
  // Version 2 held four channels and no CUSUM, evidence history or k-step track.
  expect_old_state_continues(2, 4, {"cusum", "evidence_tail", "past_levels", "horizon_track"});
  // A version this build does not know is refused.
  const auto v = daily_noisy(200);
  anomaly_scorer a;
  for (size_t i = 0; i < v.size(); ++i)
    a.update(static_cast<int64_t>(i) * five_min, v[i]);
  nlohmann::json future = a.to_json();
  future["version"] = 7;
  EXPECT_THROW(anomaly_scorer::from_json(future), std::exception);
}

TEST(predictor_anomaly_score, a_version_3_state_still_loads_and_continues) {
  // Version 3 held seven channels and no k-step track.
  expect_old_state_continues(3, 7, {"past_levels", "horizon_track"});
}

TEST(predictor_anomaly_score, a_version_4_state_still_loads_and_continues) {
  // Version 4 held eight channels (no spread channel) and the same keys.
  expect_old_state_continues(4, 8, {});
}

TEST(predictor_anomaly_score, a_version_5_state_still_loads_and_continues) {
  // Version 5 held nine channels and one spread window (no spread_memory).
  expect_old_state_continues(5, 9, {});
}

namespace {

// What the spread channel alone gave each sample of v (last().spread), and
// the score.
struct spread_run {
  std::vector<double> spread, score;
};

spread_run run_spread(const std::vector<double>& v, int window) {
  grace::predictor::anomaly_score_params p;
  p.spread_window = window;
  anomaly_scorer s(p);
  spread_run out;
  for (size_t i = 0; i < v.size(); ++i) {
    out.score.push_back(s.update(static_cast<int64_t>(i) * five_min, v[i]));
    out.spread.push_back(s.last().spread);
  }
  return out;
}

grace::predictor::anomaly_score_params with_spread(int window) {
  grace::predictor::anomaly_score_params p;
  p.spread_window = window;
  return p;
}

} // namespace

TEST(predictor_anomaly_score, a_variance_increase_is_caught_by_the_spread_channel) {
  // Noise around a flat level; from row 2400 on, for six hours, the same
  // noise five times wider, with no change of level.
  noise rnd;
  std::vector<double> v(3000);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = 10.0 + rnd() * (i >= 2400 && i < 2472 ? 5.0 : 1.0);
  const auto r = run_spread(v, 24);
  // Quiet before (its own ordinary noise), an alarm level once most of its
  // window is wider, and quiet again a window after the noise narrows.
  EXPECT_LT(max_in(r.spread, 600, 2400), 0.2);
  EXPECT_GT(max_in(r.spread, 2412, 2472), 0.3);
  EXPECT_LT(max_in(r.spread, 2600, 3000), 0.2);
  // Off: the channel gives nothing.
  const auto off = run_spread(v, 0);
  EXPECT_EQ(max_in(off.spread, 0, off.spread.size()), 0.0);
}

TEST(predictor_anomaly_score,
     a_spike_or_a_routine_one_sample_dip_does_not_move_the_spread_channel) {
  // A dip every two hours and, later, one large spike: the median of |z|
  // over 24 samples stays where it was, so the channel stays quiet, while
  // the spike itself is still scored (by the spike channel).
  const auto v = routine_dips_and_a_spike();
  const auto r = run_spread(v, 24);
  EXPECT_LT(max_in(r.spread, 600, v.size()), 0.2);
  EXPECT_GT(max_in(r.score, 2500, 2505), max_in(r.score, 1000, 2500) + 0.1);
}

TEST(predictor_anomaly_score, the_spread_channel_keeps_a_flat_series_silent_and_survives_a_gap) {
  expect_flat_silent_gap_survived_shift_scored(with_spread(24));
  expect_flat_silent_gap_survived_shift_scored(with_spread(1));
  nlohmann::json bad = {{"spread_window", -1}};
  EXPECT_THROW(bad.get<grace::predictor::anomaly_score_params>(), std::invalid_argument);
  bad = {{"spread_sd_floor", 0.0}};
  EXPECT_THROW(bad.get<grace::predictor::anomaly_score_params>(), std::invalid_argument);
}

TEST(predictor_anomaly_score, the_spread_channel_survives_non_finite_values) {
  const auto v = daily_noisy_with_non_finite_values();
  for (int w : {2, 24}) {
    const auto s = score_all(v, with_spread(w));
    for (size_t i = 0; i < s.size(); ++i)
      ASSERT_TRUE(s[i] >= 0.0 && s[i] <= 1.0) << "window " << w << ", row " << i;
  }
}

TEST(predictor_anomaly_score, a_damaged_spread_state_is_refused) {
  const auto v = daily_noisy(400);
  anomaly_scorer a(with_spread(24));
  for (size_t i = 0; i < v.size(); ++i)
    a.update(static_cast<int64_t>(i) * five_min, v[i]);
  // A version 5 state must hold nine channels.
  nlohmann::json damaged = a.to_json();
  damaged["tails"].erase(damaged["tails"].end() - 1);
  EXPECT_THROW(anomaly_scorer::from_json(damaged), std::exception);
  damaged = a.to_json();
  damaged["mean"].erase(damaged["mean"].end() - 1);
  EXPECT_THROW(anomaly_scorer::from_json(damaged), std::exception);
  damaged = a.to_json();
  damaged["params"]["spread_window"] = -3;
  EXPECT_THROW(anomaly_scorer::from_json(damaged), std::exception);
}

namespace {

grace::predictor::anomaly_score_params with_scales(int base, int scales, const char* join) {
  grace::predictor::anomaly_score_params p;
  p.spread_window = base;
  p.spread_scales = scales;
  p.spread_join = join;
  return p;
}

// last().spread for every sample of v.
std::vector<double> spread_of(const std::vector<double>& v,
                              const grace::predictor::anomaly_score_params& p) {
  anomaly_scorer s(p);
  std::vector<double> out;
  for (size_t i = 0; i < v.size(); ++i) {
    s.update(static_cast<int64_t>(i) * five_min, v[i]);
    out.push_back(s.last().spread);
  }
  return out;
}

// Noise around a flat level, WIDER times wider for rows [from, to).
std::vector<double> wider_noise(size_t n, size_t from, size_t to, double wider) {
  noise rnd;
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = 10.0 + rnd() * (i >= from && i < to ? wider : 1.0);
  return v;
}

} // namespace

TEST(predictor_anomaly_score, a_variance_increase_is_caught_by_the_multi_scale_spread_channel) {
  // Round 9's variance increase (noise x5 for six hours, level unchanged)
  // seen through windows 12, 24 and 48, joined either way.
  const auto v = wider_noise(3000, 2400, 2472, 5.0);
  for (const char* join : {"bonferroni", "simes"}) {
    const auto r = spread_of(v, with_scales(12, 3, join));
    EXPECT_LT(max_in(r, 600, 2400), 0.2) << join;
    EXPECT_GT(max_in(r, 2406, 2472), 0.3) << join;
    // Quiet again once the longest window (48) has passed the wide stretch.
    EXPECT_LT(max_in(r, 2530, 3000), 0.2) << join;
  }
}

TEST(predictor_anomaly_score, the_windows_correction_keeps_quiet_times_quiet) {
  // Noise 1.6 times wider for four days. Windows 12 to 192 (base 12, five
  // windows) joined by Bonferroni: the mild increase still stands out, and
  // over the quiet days before it the channel stays below what window 12
  // alone gives there (without the correction, the smallest of five p
  // values would be at least window 12's own: more evidence, not less).
  const auto v = wider_noise(6000, 3000, 4152, 1.6);
  const auto one = spread_of(v, with_scales(12, 1, "bonferroni"));
  const auto multi = spread_of(v, with_scales(12, 5, "bonferroni"));
  EXPECT_GT(max_in(multi, 3000, 4152), max_in(multi, 1000, 3000) + 0.15);
  EXPECT_LT(max_in(multi, 1000, 3000), max_in(one, 1000, 3000) - 0.02);
}

TEST(predictor_anomaly_score, simes_never_gives_less_spread_evidence_than_bonferroni) {
  // Simes' joined p is at most Bonferroni's for the same window p values, and
  // one window joined either way is that window's own p (round 9's channel).
  const auto v = wider_noise(3000, 2400, 2472, 3.0);
  const auto bonferroni = spread_of(v, with_scales(8, 3, "bonferroni"));
  const auto simes = spread_of(v, with_scales(8, 3, "simes"));
  for (size_t i = 0; i < v.size(); ++i)
    ASSERT_GE(simes[i], bonferroni[i]) << "row " << i;
  EXPECT_GT(max_in(simes, 2400, 2472), max_in(bonferroni, 2400, 2472) - 1e-12);
  EXPECT_EQ(spread_of(v, with_scales(24, 1, "simes")), spread_of(v, with_spread(24)));
}

TEST(predictor_anomaly_score,
     a_spike_or_a_routine_dip_does_not_move_the_multi_scale_spread_channel) {
  // Round 9's series: a dip every two hours and one large spike.
  const auto v = routine_dips_and_a_spike();
  for (const char* join : {"bonferroni", "simes"}) {
    const auto p = with_scales(12, 3, join);
    EXPECT_LT(max_in(spread_of(v, p), 600, v.size()), 0.2) << join;
    const auto s = score_all(v, p);
    EXPECT_GT(max_in(s, 2500, 2505), max_in(s, 1000, 2500) + 0.1) << join;
  }
}

TEST(predictor_anomaly_score, the_multi_scale_spread_channel_is_silent_flat_and_survives_a_gap) {
  for (const char* join : {"bonferroni", "simes"}) {
    expect_flat_silent_gap_survived_shift_scored(with_scales(12, 3, join));
    expect_flat_silent_gap_survived_shift_scored(with_scales(1, 5, join));
  }
  // Windows past a week stop at a week: no crash, fewer windows.
  expect_flat_silent_gap_survived_shift_scored(with_scales(1500, 4, "bonferroni"));
  for (const nlohmann::json& bad :
       {nlohmann::json{{"spread_scales", 0}}, nlohmann::json{{"spread_scales", 17}},
        nlohmann::json{{"spread_scale_ratio", 1.0}}, nlohmann::json{{"spread_join", "fisher"}}})
    EXPECT_THROW(bad.get<grace::predictor::anomaly_score_params>(), std::invalid_argument)
        << bad.dump();
}

TEST(predictor_anomaly_score, the_multi_scale_spread_channel_survives_non_finite_values) {
  const auto v = daily_noisy_with_non_finite_values();
  for (const char* join : {"bonferroni", "simes"}) {
    const auto s = score_all(v, with_scales(4, 4, join));
    for (size_t i = 0; i < s.size(); ++i)
      ASSERT_TRUE(s[i] >= 0.0 && s[i] <= 1.0) << join << ", row " << i;
  }
}

TEST(predictor_anomaly_score, the_multi_scale_spread_state_round_trips_and_damage_is_refused) {
  const auto v = wider_noise(1600, 1200, 1300, 4.0);
  for (const char* join : {"bonferroni", "simes"}) {
    anomaly_scorer a(with_scales(12, 3, join));
    for (size_t i = 0; i < 1000; ++i)
      a.update(static_cast<int64_t>(i) * five_min, v[i]);
    const nlohmann::json state = nlohmann::json::parse(a.to_json().dump());
    anomaly_scorer b = anomaly_scorer::from_json(state);
    for (size_t i = 1000; i < v.size(); ++i) {
      const int64_t ts = static_cast<int64_t>(i) * five_min;
      ASSERT_EQ(a.update(ts, v[i]), b.update(ts, v[i])) << join << ", row " << i;
      ASSERT_EQ(a.last().spread, b.last().spread) << join << ", row " << i;
    }
    // Each window keeps its own memory: three of each, all present.
    for (const char* key : {"tails", "mean", "var"}) {
      nlohmann::json damaged = state;
      damaged["spread_memory"][key].erase(damaged["spread_memory"][key].end() - 1);
      EXPECT_THROW(anomaly_scorer::from_json(damaged), std::exception) << key;
    }
    nlohmann::json damaged = state;
    damaged.erase("spread_memory");
    EXPECT_THROW(anomaly_scorer::from_json(damaged), std::exception);
    damaged = state;
    damaged["params"]["spread_scales"] = 0;
    EXPECT_THROW(anomaly_scorer::from_json(damaged), std::exception);
    damaged = state;
    damaged["params"]["spread_join"] = "max";
    EXPECT_THROW(anomaly_scorer::from_json(damaged), std::exception);
  }
}

TEST(predictor_anomaly_score, the_spread_channel_on_a_log_scale) {
  // log(0.1 + median |z|): the variance increase is still caught, one and
  // three windows, a spike and a routine dip still are not, a flat series
  // stays silent, and the option survives a gap and a round trip.
  const auto wide = wider_noise(3000, 2400, 2472, 5.0);
  const auto dips = routine_dips_and_a_spike();
  for (int scales : {1, 3}) {
    auto p = with_scales(12, scales, "bonferroni");
    p.spread_log = true;
    const auto r = spread_of(wide, p);
    EXPECT_LT(max_in(r, 600, 2400), 0.2) << scales;
    EXPECT_GT(max_in(r, 2406, 2472), 0.3) << scales;
    EXPECT_LT(max_in(spread_of(dips, p), 600, dips.size()), 0.2) << scales;
    expect_flat_silent_gap_survived_shift_scored(p);
    const nlohmann::json j = p;
    EXPECT_TRUE(j.get<grace::predictor::anomaly_score_params>().spread_log);
  }
}

TEST(predictor_anomaly_score, the_clipped_mean_spread_rises_earlier_than_the_median) {
  // spread_clip 3: the mean of min(|z|, 3) over the window. The variance
  // increase is caught, and sooner than by the median (which waits until
  // half of its window is wide); a spike or a routine dip still moves it
  // little, a flat series stays silent, one and three windows.
  const auto wide = wider_noise(3000, 2400, 2472, 5.0);
  const auto dips = routine_dips_and_a_spike();
  auto first_above = [](const std::vector<double>& r, double level) {
    size_t i = 2400;
    while (i < r.size() && r[i] <= level)
      ++i;
    return i;
  };
  for (int scales : {1, 3}) {
    auto p = with_scales(24, scales, "bonferroni");
    const auto median = spread_of(wide, p);
    p.spread_clip = 3.0;
    const auto clipped = spread_of(wide, p);
    EXPECT_LT(max_in(clipped, 600, 2400), 0.2) << scales;
    EXPECT_GT(max_in(clipped, 2400, 2472), 0.3) << scales;
    EXPECT_LT(first_above(clipped, 0.3), first_above(median, 0.3)) << scales;
    EXPECT_LT(max_in(spread_of(dips, p), 600, dips.size()), 0.2) << scales;
    expect_flat_silent_gap_survived_shift_scored(p);
  }
  nlohmann::json bad = {{"spread_clip", -1.0}};
  EXPECT_THROW(bad.get<grace::predictor::anomaly_score_params>(), std::invalid_argument);
}

TEST(predictor_anomaly_score, a_slow_drift_is_caught_by_the_k_step_channel) {
  // Noise around a flat level, then a slow climb of SLOPE per sample for 600
  // samples (two days). The rolling median follows it a few hundredths
  // behind, so the one-step residuals stay ordinary; the level held HORIZON
  // samples ago falls behind by the climb of those samples as well.
  noise rnd;
  constexpr double slope = 0.01;
  std::vector<double> v(3600);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = 10.0 + rnd()
           + (i >= 2400 ? slope * static_cast<double>(std::min<size_t>(i - 2400, 300)) : 0.0);
  grace::predictor::anomaly_score_params k_step;
  k_step.horizon_samples = 48;
  auto evidence = [&](const grace::predictor::anomaly_score_params& p) {
    anomaly_scorer s(p);
    std::vector<double> out;
    for (size_t i = 0; i < v.size(); ++i) {
      s.update(static_cast<int64_t>(i) * five_min, v[i]);
      out.push_back(s.last().evidence);
    }
    return out;
  };
  const auto plain = evidence({});
  const auto with = evidence(k_step);
  // Before the climb the channel adds little; during it, much.
  EXPECT_LT(max_in(with, 600, 2400), max_in(plain, 600, 2400) + 0.1);
  EXPECT_GT(max_in(with, 2400, 3000), max_in(plain, 2400, 3000) + 0.05);
  EXPECT_GT(max_in(with, 2400, 3000), max_in(with, 600, 2400) + 0.1);
}

TEST(predictor_anomaly_score, the_k_step_channel_keeps_a_flat_series_silent_and_survives_a_gap) {
  grace::predictor::anomaly_score_params p;
  p.horizon_samples = 12;
  expect_flat_silent_gap_survived_shift_scored(p);
  nlohmann::json bad = {{"horizon_samples", -1}};
  EXPECT_THROW(bad.get<grace::predictor::anomaly_score_params>(), std::invalid_argument);
}

TEST(predictor_anomaly_score, recalibration_damps_a_metric_whose_bursts_are_routine) {
  // The same 1-hour burst: news on a quiet series, routine on one that has
  // such a burst every few hours (its history of evidence has seen them).
  noise rnd;
  std::vector<double> quiet(4000), bursty(4000);
  for (size_t i = 0; i < quiet.size(); ++i) {
    quiet[i] = 10.0 + rnd();
    bursty[i] = quiet[i] + (i % 173 < 12 ? 8.0 : 0.0);
  }
  for (size_t i = 3500; i < 3512; ++i) {
    quiet[i] += 8.0;
    bursty[i] += i % 173 < 12 ? 0.0 : 8.0;
  }
  grace::predictor::anomaly_score_params p;
  p.recalibrate = true;
  const double on_quiet = max_in(score_all(quiet, p), 3500, 3515);
  const double on_bursty = max_in(score_all(bursty, p), 3500, 3515);
  const double plain_quiet = max_in(score_all(quiet), 3500, 3515);
  const double plain_bursty = max_in(score_all(bursty), 3500, 3515);
  EXPECT_GT(on_quiet, 0.3);
  EXPECT_GT(on_quiet, on_bursty + 0.1);
  // Relative to the metric's own alarm history the routine burst counts for
  // less than the raw evidence says; the quiet series' burst stays high.
  EXPECT_LT(on_bursty, plain_bursty);
  EXPECT_GT(on_quiet, 0.8 * plain_quiet);
}

namespace {

grace::predictor::anomaly_score_params with_refractory(int64_t ms, double breakthrough = 0.0) {
  grace::predictor::anomaly_score_params p;
  p.refractory_ms = ms;
  p.refractory_samples = 0; // a rest in time only
  p.breakthrough = breakthrough;
  return p;
}

// A spike at 1400, a larger one at 1420 (100 min later, a new high), and a
// far larger one at 1700 (long after).
std::vector<double> three_spikes() {
  auto v = daily_noisy(2000);
  v[1400] += 25.0;
  v[1420] += 80.0;
  v[1700] += 300.0;
  return v;
}

} // namespace

TEST(predictor_anomaly_score, the_refractory_period_damps_a_new_high_right_after_an_alarm) {
  const auto v = three_spikes();
  const auto plain = score_all(v);
  const auto rest = score_all(v, with_refractory(3 * 3'600'000));
  // Both report the first spike alike and in full.
  EXPECT_GT(max_in(rest, 1400, 1406), 0.3);
  EXPECT_DOUBLE_EQ(max_in(rest, 1400, 1406), max_in(plain, 1400, 1406));
  // Without the rest the second spike is a fresh high and reported in full;
  // within 3 h of the alarm it is damped below the alarm level.
  EXPECT_GT(max_in(plain, 1420, 1426), 0.3);
  EXPECT_LT(max_in(rest, 1410, 1436), 0.3);
  // After the rest the third spike is reported in full again.
  EXPECT_GT(max_in(rest, 1700, 1706), 0.3);
  for (double x : rest)
    ASSERT_TRUE(x >= 0.0 && x <= 1.0);
}

TEST(predictor_anomaly_score, much_stronger_evidence_breaks_through_the_refractory_period) {
  const auto v = three_spikes();
  const auto rest = score_all(v, with_refractory(48 * 3'600'000));
  const auto through = score_all(v, with_refractory(48 * 3'600'000, 1.2));
  // A two-day rest also silences the third, far larger spike...
  EXPECT_LT(max_in(rest, 1700, 1706), 0.3);
  // ...unless its evidence is well beyond the alarm's.
  EXPECT_GT(max_in(through, 1700, 1706), 0.3);
}

TEST(predictor_anomaly_score, refractory_flat_series_gap_and_shift) {
  const auto p = with_refractory(3 * 3'600'000);
  expect_flat_silent_gap_survived_shift_scored(p);
}

TEST(predictor_anomaly_score, state_round_trip_inside_a_refractory_period) {
  const auto v = three_spikes();
  const auto p = with_refractory(3 * 3'600'000, 1.5);
  anomaly_scorer a(p);
  for (size_t i = 0; i < 1410; ++i) // after the first alarm, resting
    a.update(static_cast<int64_t>(i) * five_min, v[i]);
  anomaly_scorer b = anomaly_scorer::from_json(nlohmann::json::parse(a.to_json().dump()));
  for (size_t i = 1410; i < v.size(); ++i) {
    const int64_t ts = static_cast<int64_t>(i) * five_min;
    ASSERT_EQ(a.update(ts, v[i]), b.update(ts, v[i])) << "row " << i;
  }
}

TEST(predictor_anomaly_score, refractory_parameters_are_validated) {
  using grace::predictor::anomaly_score_params;
  for (const char* bad : {R"({"refractory_ms": -1})", R"({"fire_level": 0})",
                          R"({"fire_level": 1.5})", R"({"breakthrough": -2})"}) {
    EXPECT_THROW(nlohmann::json::parse(bad).get<anomaly_score_params>(), std::invalid_argument)
        << bad;
  }
  const auto ok = nlohmann::json::parse(R"({"refractory_ms": 10800000, "breakthrough": 1.5})")
                      .get<anomaly_score_params>();
  EXPECT_EQ(ok.refractory_ms, 10'800'000);
  EXPECT_DOUBLE_EQ(ok.breakthrough, 1.5);
}

namespace {

std::vector<double> score_every(const std::vector<double>& v, int64_t step_ms,
                                const grace::predictor::anomaly_score_params& p) {
  anomaly_scorer s(p);
  std::vector<double> out;
  for (size_t i = 0; i < v.size(); ++i)
    out.push_back(s.update(static_cast<int64_t>(i) * step_ms, v[i]));
  return out;
}

} // namespace

TEST(predictor_anomaly_score, a_refractory_period_in_samples_follows_the_sampling_interval) {
  const auto v = three_spikes(); // second spike 20 samples after the first
  constexpr int64_t hour = 3'600'000;
  auto in_time = with_refractory(3 * hour);
  auto in_samples = with_refractory(0);
  in_samples.refractory_samples = 36; // 3 h at 5 minutes, 36 h at one hour
  // At 5 minutes both rest 3 h: the second spike (100 min later) is damped.
  EXPECT_EQ(score_every(v, five_min, in_time), score_every(v, five_min, in_samples));
  EXPECT_LT(max_in(score_every(v, five_min, in_samples), 1410, 1436), 0.3);
  // Hourly, the second spike comes 20 h later: past a 3-hour rest, within 36 samples.
  const auto hourly_time = score_every(v, hour, in_time);
  const auto hourly_samples = score_every(v, hour, in_samples);
  EXPECT_GT(max_in(hourly_time, 1400, 1406), 0.3);
  EXPECT_GT(max_in(hourly_time, 1420, 1426), 0.3);
  EXPECT_LT(max_in(hourly_samples, 1410, 1436), 0.3);
  // The rest ends after its 36 samples: the third spike is reported.
  EXPECT_GT(max_in(hourly_samples, 1700, 1706), 0.3);
  // The longer of the two spans applies.
  auto both = with_refractory(48 * hour);
  both.refractory_samples = 1;
  EXPECT_LT(max_in(score_every(v, five_min, both), 1700, 1706), 0.3);
  EXPECT_THROW(nlohmann::json::parse(R"({"refractory_samples": -1})")
                   .get<grace::predictor::anomaly_score_params>(),
               std::invalid_argument);
}
