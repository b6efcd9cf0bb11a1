// Behaviour of the contextual anomaly detector (CAD OSE) on constructed
// series, alone and as the second channel of the anomaly score.
#include "actors/predictor/anomaly_score.hpp"
#include "actors/predictor/contextual_anomaly.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <gtest/gtest.h>
#include <limits>
#include <string>
#include <vector>

using grace::predictor::anomaly_score_params;
using grace::predictor::anomaly_scorer;
using grace::predictor::contextual_detector;
using grace::predictor::contextual_params;

namespace {

constexpr int64_t five_min = 300'000;

struct xorshift {
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  uint64_t next() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }
  double unit() { return static_cast<double>(next() % 1'000'000) / 1'000'000.0; }
};

// A daily-like wave of 48 samples: a pattern the contexts can learn.
std::vector<double> wave(size_t n) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = 100.0 + 40.0 * std::sin(2.0 * M_PI * static_cast<double>(i % 48) / 48.0);
  return v;
}

std::vector<double> run(contextual_detector& d, const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v)
    out.push_back(d.update(x));
  return out;
}

double max_in(const std::vector<double>& v, size_t from, size_t to) {
  return *std::max_element(v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(to));
}

} // namespace

TEST(predictor_contextual_anomaly, a_flat_series_scores_no_anomaly) {
  contextual_detector d;
  const auto s = run(d, std::vector<double>(3000, 42.0));
  // Nothing reported during the first rest, nothing unexpected afterwards.
  EXPECT_EQ(max_in(s, 0, 150), 0.0);
  EXPECT_LT(max_in(s, 300, s.size()), 0.05);
  EXPECT_LT(d.last_raw(), 0.05);
}

TEST(predictor_contextual_anomaly, a_level_shift_out_of_a_learned_pattern_is_scored) {
  auto v = wave(4000);
  for (size_t i = 3000; i < v.size(); ++i)
    v[i] += 120.0; // above anything seen: new levels, new contexts
  contextual_detector d;
  const auto s = run(d, v);
  const double before = max_in(s, 1500, 3000);
  const double at_shift = max_in(s, 3000, 3010);
  // Even a learned pattern keeps some selected contexts unmatched (a general
  // left side with several known successors), so the quiet level is not 0.
  EXPECT_LT(before, 0.5);
  EXPECT_GE(at_shift, 0.75);
  EXPECT_GT(at_shift, before + 0.25);
}

TEST(predictor_contextual_anomaly, a_fixed_range_saturates_instead_of_requantising) {
  // The wave's range is learned over its first 500 samples, then fixed: a
  // spike beyond it lands on the top level (scored), and the values after it
  // keep their levels, so the learned pattern stays predicted.
  auto v = wave(3000);
  v[2000] = 1000.0;
  contextual_params fixed;
  fixed.range_samples = 500;
  fixed.rest_samples = 20;
  contextual_detector frozen(fixed);
  const auto s = run(frozen, v);
  EXPECT_GE(max_in(s, 2000, 2003), 0.75);
  EXPECT_LT(max_in(s, 2300, 3000), 0.5);
  // With the running range the same spike squeezes the wave into the lowest
  // levels: a new pattern to learn after it.
  contextual_params running = fixed;
  running.range_samples = 0;
  contextual_detector follows(running);
  const auto r = run(follows, v);
  EXPECT_GE(max_in(r, 2000, 2003), 0.75);
}

TEST(predictor_contextual_anomaly, an_alarm_is_followed_by_a_rest) {
  auto v = wave(3000);
  v[2500] = 1000.0;
  contextual_params p;
  p.rest_samples = 50;
  contextual_detector d(p);
  const auto s = run(d, v);
  const auto first = static_cast<size_t>(
      std::find_if(s.begin() + 2500, s.end(), [&](double x) { return x >= p.alarm_level; })
      - s.begin());
  ASSERT_LT(first, 2510u);
  EXPECT_EQ(max_in(s, first + 1, first + 50), 0.0);
}

TEST(predictor_contextual_anomaly, random_input_never_crashes_and_stays_in_range) {
  xorshift rnd;
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             1e308,
                             -1e308,
                             5e-324,
                             0.0};
  for (int trial = 0; trial < 20; ++trial) {
    contextual_params p;
    p.value_bits = 1 + static_cast<int>(rnd.next() % 6);
    p.max_active = static_cast<int>(rnd.next() % 20);
    p.max_contexts = 50 + rnd.next() % 2000;
    p.range_samples = static_cast<int>(rnd.next() % 3) * 200;
    contextual_detector d(p);
    const size_t n = 500 + rnd.next() % 1500;
    for (size_t i = 0; i < n; ++i) {
      double x;
      switch (rnd.next() % 4) {
      case 0:
        x = specials[rnd.next() % 7];
        break;
      case 1:
        x = (rnd.unit() - 0.5) * std::pow(10.0, static_cast<double>(rnd.next() % 40));
        break;
      default:
        x = std::floor(rnd.unit() * 5.0);
      }
      const double s = d.update(x);
      ASSERT_TRUE(s >= 0.0 && s <= 1.0) << "trial " << trial << " row " << i;
      ASSERT_TRUE(d.last_raw() >= 0.0 && d.last_raw() <= 1.0);
    }
    EXPECT_LE(d.contexts(), p.max_contexts);
  }
}

TEST(predictor_contextual_anomaly, memory_stays_within_max_contexts_and_scoring_goes_on) {
  xorshift rnd;
  contextual_params p;
  p.max_contexts = 300;
  contextual_detector d(p);
  for (int i = 0; i < 5000; ++i)
    d.update(rnd.unit() * 100.0);
  EXPECT_EQ(d.contexts(), 300u);
  EXPECT_GE(d.update(50.0), 0.0);
}

TEST(predictor_contextual_anomaly, state_round_trip_continues_identically) {
  auto v = wave(3000);
  xorshift rnd;
  for (double& x : v)
    x += 10.0 * rnd.unit();
  contextual_params p;
  p.range_samples = 1000; // the round trip also keeps where range learning stopped
  contextual_detector a(p);
  for (size_t i = 0; i < 1700; ++i)
    a.update(v[i]);
  contextual_detector b = contextual_detector::from_json(nlohmann::json::parse(a.to_json().dump()));
  EXPECT_EQ(a.contexts(), b.contexts());
  for (size_t i = 1700; i < v.size(); ++i)
    ASSERT_EQ(a.update(v[i]), b.update(v[i])) << "row " << i;
}

TEST(predictor_contextual_anomaly, a_damaged_state_is_refused_with_a_reason) {
  contextual_detector a;
  for (double x : wave(500))
    a.update(x);
  const nlohmann::json good = a.to_json();
  auto refused = [](nlohmann::json j, const std::string& what) {
    try {
      contextual_detector::from_json(j);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).size(), 0u) << what;
    }
  };
  auto j = good;
  j["contexts"][0][2] = 1'000'000;
  refused(j, "a context naming a missing semi-context");
  j = good;
  j["semis"] = nlohmann::json::array();
  refused(j, "no sides");
  j = good;
  j["semis"][0].push_back(good["semis"][0][0]);
  refused(j, "a duplicate semi-context");
  j = good;
  j["left_group"] = {5, 3};
  refused(j, "an unsorted left group");
  j = good;
  j["recent_raw"] = nlohmann::json::array();
  refused(j, "no recent scores");
  j = good;
  j["range"] = {3.0, 1.0};
  refused(j, "an inverted range");
  j = good;
  j.erase("contexts");
  refused(j, "no contexts");
}

// --- as the anomaly score's second channel -----------------------------------

TEST(predictor_contextual_anomaly, every_combination_scores_a_level_shift_and_stays_in_range) {
  auto v = wave(3000);
  xorshift rnd;
  for (double& x : v)
    x += 4.0 * rnd.unit();
  for (size_t i = 2400; i < v.size(); ++i)
    v[i] += 100.0;
  for (const char* mode : {"alone", "max", "mean", "blend", "channel"}) {
    anomaly_score_params p;
    p.context_mode = mode;
    anomaly_scorer s(p);
    std::vector<double> out;
    for (size_t i = 0; i < v.size(); ++i)
      out.push_back(s.update(static_cast<int64_t>(i) * five_min, v[i]));
    for (double x : out)
      ASSERT_TRUE(x >= 0.0 && x <= 1.0) << mode;
    EXPECT_GT(max_in(out, 2400, 2410), max_in(out, 1200, 2400) + 0.1) << mode;
  }
}

TEST(predictor_contextual_anomaly, a_gap_in_time_does_not_crash_the_combined_score) {
  anomaly_score_params p;
  p.context_mode = "max";
  anomaly_scorer s(p);
  const auto v = wave(1200);
  int64_t ts = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    ts += i == 600 ? 9 * 86'400'000LL : five_min; // nine days missing
    const double x = s.update(ts, v[i]);
    ASSERT_TRUE(x >= 0.0 && x <= 1.0) << "row " << i;
  }
}

TEST(predictor_contextual_anomaly, off_by_default_and_an_unknown_mode_is_refused) {
  anomaly_scorer plain;
  EXPECT_FALSE(plain.to_json().contains("context"));
  anomaly_score_params p;
  p.context_mode = "sometimes";
  EXPECT_THROW(anomaly_scorer{p}, std::invalid_argument);
  try {
    nlohmann::json{{"context_mode", "sometimes"}}.get<anomaly_score_params>();
    ADD_FAILURE() << "an unknown context_mode was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("context_mode"), std::string::npos);
  }
}

TEST(predictor_contextual_anomaly, combined_state_round_trip_continues_identically) {
  auto v = wave(2000);
  xorshift rnd;
  for (double& x : v)
    x += 6.0 * rnd.unit();
  anomaly_score_params p;
  p.context_mode = "channel";
  anomaly_scorer a(p);
  for (size_t i = 0; i < 1100; ++i)
    a.update(static_cast<int64_t>(i) * five_min, v[i]);
  anomaly_scorer b = anomaly_scorer::from_json(nlohmann::json::parse(a.to_json().dump()));
  for (size_t i = 1100; i < v.size(); ++i) {
    const int64_t ts = static_cast<int64_t>(i) * five_min;
    ASSERT_EQ(a.update(ts, v[i]), b.update(ts, v[i])) << "row " << i;
  }
}
