// The warning book: when a forecast raises a warning (probability, lead
// window, current band), folding and escalation, the three outcomes, the
// resolved list, statistics and the JSON state.
#include "actors/predictor/warning_book.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <ostream>
#include <stdexcept>
#include <string>

using grace::band;
using grace::early_warning;
using grace::forecast;
using grace::forecast_point;
using grace::timestamp_ms;
using grace::warning_outcome;
using grace::predictor::threshold_spec;
using grace::predictor::warning_book;
using grace::predictor::warning_change;
using grace::predictor::warning_policy;

namespace grace::predictor {
// Readable failures: "escalated" rather than "4-byte object <03-00 00-00>".
void PrintTo(warning_change c, std::ostream* os) {
  *os << to_string(c);
}
} // namespace grace::predictor

namespace {

constexpr int64_t minute = 60'000;
constexpr int64_t five_min = 5 * minute;
constexpr timestamp_ms t0 = 1'700'000'000'000;

// n points at now+5min, now+10min, ...: mean start, start+slope, ...;
// 80% interval +-10, 95% interval +-15.
forecast ramp(const std::string& metric, timestamp_ms now, double start, double slope,
              size_t n = 12) {
  forecast f;
  f.metric_id = metric;
  f.generated_at = now;
  f.step = five_min;
  for (size_t i = 0; i < n; ++i) {
    forecast_point p;
    p.ts = now + five_min * int64_t(i + 1);
    p.mean = start + slope * static_cast<double>(i);
    p.lo80 = p.mean - 10;
    p.hi80 = p.mean + 10;
    p.lo95 = p.mean - 15;
    p.hi95 = p.mean + 15;
    f.points.push_back(p);
  }
  return f;
}

threshold_spec spec(const std::string& metric, double warning = 90, double critical = 120) {
  return threshold_spec{metric, "checkout", true, warning, critical};
}

// Reaches the warning threshold 90 at the 9th point (45 min ahead, P 0.975);
// the critical 120 only at its hi95 (P 0.025).
forecast warning_ramp(const std::string& metric, timestamp_ms now) {
  return ramp(metric, now, 50, 5);
}

// Reaches the critical threshold 120 at the 9th point (45 min ahead).
forecast critical_ramp(const std::string& metric, timestamp_ms now) {
  return ramp(metric, now, 80, 5);
}

} // namespace

TEST(WarningBook, QualifyingForecastRaisesAWarning) {
  warning_book book;
  const auto ev = book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  ASSERT_EQ(ev.change, warning_change::raised);
  const early_warning& w = ev.warning;
  EXPECT_EQ(w.id, "ew-cpu-" + std::to_string(t0));
  EXPECT_EQ(w.metric_id, "cpu");
  EXPECT_EQ(w.service, "checkout");
  EXPECT_EQ(w.severity, band::warning);
  EXPECT_NEAR(w.probability, 0.975, 1e-12);
  EXPECT_EQ(w.raised_at, t0);
  EXPECT_EQ(w.updated_at, t0);
  EXPECT_EQ(w.expected_breach_at, t0 + 45 * minute);
  EXPECT_EQ(w.predicted_value, 90);
  EXPECT_EQ(w.threshold, 90);
  EXPECT_EQ(w.lo80, 80);
  EXPECT_EQ(w.hi80, 100);
  EXPECT_EQ(w.outcome, warning_outcome::open);
  ASSERT_EQ(book.open().size(), 1u);
  EXPECT_EQ(book.open()[0].id, w.id);
  ASSERT_TRUE(book.open_for("cpu").has_value());
  EXPECT_FALSE(book.open_for("mem").has_value());
  EXPECT_EQ(book.stats().raised, 1u);
}

TEST(WarningBook, SecondQualifyingForecastUpdatesTheSameWarning) {
  warning_book book;
  const auto first = book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  const timestamp_ms later = t0 + five_min;
  // Steeper now: 90 is reached at the 7th point (35 min ahead).
  const auto second =
      book.observe_forecast(ramp("cpu", later, 60, 5), spec("cpu"), band::good, later);
  ASSERT_EQ(first.change, warning_change::raised);
  ASSERT_EQ(second.change, warning_change::updated);
  EXPECT_EQ(second.warning.id, first.warning.id);
  EXPECT_EQ(second.warning.raised_at, t0);
  EXPECT_EQ(second.warning.updated_at, later);
  EXPECT_EQ(second.warning.expected_breach_at, later + 35 * minute);
  EXPECT_EQ(second.warning.severity, band::warning);
  ASSERT_EQ(book.open().size(), 1u);
  EXPECT_EQ(book.open()[0].updated_at, later);
  EXPECT_EQ(book.stats().raised, 1u);
}

TEST(WarningBook, EscalatesToCriticalAndNeverBack) {
  warning_book book;
  const auto w = book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  const timestamp_ms t1 = t0 + five_min;
  const auto c = book.observe_forecast(critical_ramp("cpu", t1), spec("cpu"), band::good, t1);
  ASSERT_EQ(c.change, warning_change::escalated);
  EXPECT_EQ(c.warning.id, w.warning.id);
  EXPECT_EQ(c.warning.severity, band::critical);
  EXPECT_EQ(c.warning.threshold, 120);
  EXPECT_EQ(c.warning.expected_breach_at, t1 + 45 * minute);
  EXPECT_EQ(c.warning.predicted_value, 120);

  // Again critical: an update, not another escalation.
  const timestamp_ms t2 = t1 + five_min;
  EXPECT_EQ(book.observe_forecast(critical_ramp("cpu", t2), spec("cpu"), band::good, t2).change,
            warning_change::updated);

  // Only the warning threshold qualifies now: the critical warning stays.
  const timestamp_ms t3 = t2 + five_min;
  EXPECT_EQ(book.observe_forecast(warning_ramp("cpu", t3), spec("cpu"), band::good, t3).change,
            warning_change::none);
  ASSERT_EQ(book.open().size(), 1u);
  EXPECT_EQ(book.open()[0].severity, band::critical);
  EXPECT_EQ(book.open()[0].updated_at, t2);
  EXPECT_EQ(book.stats().raised, 1u);
}

TEST(WarningBook, CriticalWinsWhenBothQualify) {
  warning_book book;
  // Warning 100 is reached 25 min ahead, critical 120 at 45 min: both qualify.
  const auto ev = book.observe_forecast(critical_ramp("cpu", t0), spec("cpu", 100), band::good, t0);
  ASSERT_EQ(ev.change, warning_change::raised);
  EXPECT_EQ(ev.warning.severity, band::critical);
  EXPECT_EQ(ev.warning.threshold, 120);
}

TEST(WarningBook, LeadWindowRules) {
  warning_policy pol; // 15..60 min
  const auto none = warning_change::none;
  {
    warning_book book(pol);
    // 90 reached at the 2nd point: 10 min ahead, too close.
    EXPECT_EQ(
        book.observe_forecast(ramp("cpu", t0, 85, 5), spec("cpu", 90, 1e9), band::good, t0).change,
        none);
  }
  {
    warning_book book(pol);
    // 24 points (2 h): 90 reached at the 19th point, 95 min ahead, too far.
    EXPECT_EQ(book.observe_forecast(ramp("cpu", t0, 0, 5, 24), spec("cpu", 90, 1e9), band::good, t0)
                  .change,
              none);
  }
  {
    warning_book book(pol);
    // Exactly at the edges: 15 min (3rd point) and 60 min (12th point) qualify.
    EXPECT_EQ(
        book.observe_forecast(ramp("a", t0, 80, 5), spec("a", 90, 1e9), band::good, t0).change,
        warning_change::raised);
    EXPECT_EQ(book.open()[0].expected_breach_at, t0 + 15 * minute);
    EXPECT_EQ(
        book.observe_forecast(ramp("b", t0, 35, 5, 14), spec("b", 90, 1e9), band::good, t0).change,
        warning_change::raised);
    EXPECT_EQ(book.open_for("b")->expected_breach_at, t0 + 60 * minute);
  }
  {
    warning_book book(pol);
    // Improbable: the mean tops out at 72, 90 is beyond its hi95.
    EXPECT_EQ(book.observe_forecast(ramp("cpu", t0, 50, 2), spec("cpu"), band::good, t0).change,
              none);
    // Probable but below a stricter min_probability.
    warning_policy strict;
    strict.min_probability = 0.99;
    warning_book strict_book(strict);
    EXPECT_EQ(
        strict_book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0).change,
        none);
  }
}

TEST(WarningBook, NothingForASeverityTheMetricIsAlreadyIn) {
  warning_book book;
  EXPECT_EQ(book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::warning, t0).change,
            warning_change::none);
  EXPECT_EQ(book.observe_forecast(critical_ramp("cpu", t0), spec("cpu"), band::critical, t0).change,
            warning_change::none);
  EXPECT_TRUE(book.open().empty());
  // In warning, a predicted critical breach is still a prediction.
  const auto ev = book.observe_forecast(critical_ramp("cpu", t0), spec("cpu"), band::warning, t0);
  EXPECT_EQ(ev.change, warning_change::raised);
  EXPECT_EQ(ev.warning.severity, band::critical);
}

TEST(WarningBook, CameTrueWithLeadTime) {
  warning_book book;
  book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  EXPECT_TRUE(book.observe_band("cpu", band::good, t0 + 10 * minute).empty());
  EXPECT_TRUE(book.observe_band("mem", band::critical, t0 + 10 * minute).empty());
  EXPECT_TRUE(book.observe_band("cpu", band::warning, t0 - minute).empty()); // before raised
  const auto resolved = book.observe_band("cpu", band::warning, t0 + 40 * minute);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].outcome, warning_outcome::came_true);
  EXPECT_EQ(resolved[0].breached_at, t0 + 40 * minute);
  EXPECT_EQ(resolved[0].resolved_at, t0 + 40 * minute);
  EXPECT_TRUE(book.open().empty());
  ASSERT_EQ(book.recent(10).size(), 1u);
  EXPECT_EQ(book.recent(10)[0].id, resolved[0].id);

  // A second one with 20 min lead: mean 30.
  const timestamp_ms t1 = t0 + 2 * 60 * minute;
  book.observe_forecast(warning_ramp("cpu", t1), spec("cpu"), band::good, t1);
  book.observe_band("cpu", band::critical, t1 + 20 * minute); // worse counts too
  const auto s = book.stats();
  EXPECT_EQ(s.raised, 2u);
  EXPECT_EQ(s.came_true, 2u);
  EXPECT_EQ(s.prevented, 0u);
  EXPECT_EQ(s.false_alarm, 0u);
  EXPECT_DOUBLE_EQ(s.mean_lead_minutes, 30.0);
  EXPECT_EQ(s.lead_minutes, (std::vector<double>{40.0, 20.0}));
}

TEST(WarningBook, CriticalWarningNeedsTheCriticalBand) {
  warning_book book;
  book.observe_forecast(critical_ramp("cpu", t0), spec("cpu", 200, 120), band::good, t0);
  ASSERT_EQ(book.open_for("cpu")->severity, band::critical);
  EXPECT_TRUE(book.observe_band("cpu", band::warning, t0 + 30 * minute).empty());
  EXPECT_EQ(book.observe_band("cpu", band::critical, t0 + 40 * minute).size(), 1u);
}

TEST(WarningBook, LeadSamplesAreCappedButTheMeanIsNot) {
  warning_policy pol;
  pol.keep_lead_samples = 1;
  warning_book book(pol);
  book.observe_forecast(warning_ramp("a", t0), spec("a"), band::good, t0);
  book.observe_band("a", band::warning, t0 + 10 * minute);
  book.observe_forecast(warning_ramp("b", t0), spec("b"), band::good, t0);
  book.observe_band("b", band::warning, t0 + 30 * minute);
  EXPECT_EQ(book.stats().lead_minutes, (std::vector<double>{30.0}));
  EXPECT_DOUBLE_EQ(book.stats().mean_lead_minutes, 20.0);
}

TEST(WarningBook, ExpiryIsPreventedWithAnActionElseFalseAlarm) {
  warning_book book;
  book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  book.observe_forecast(warning_ramp("mem", t0 + minute), spec("mem"), band::good, t0 + minute);
  const auto recommended = book.recommend("cpu", "scale-out");
  ASSERT_TRUE(recommended.has_value());
  EXPECT_EQ(recommended->recommended_playbook, "scale-out");   // what is published again
  EXPECT_FALSE(book.recommend("disk", "cleanup").has_value()); // none open: no-op
  book.action_taken("cpu", "scale-out", t0 + 5 * minute);
  book.action_taken("disk", "cleanup", t0 + 5 * minute);
  EXPECT_FALSE(book.open_for("disk").has_value());
  EXPECT_EQ(book.open_for("cpu")->recommended_playbook, "scale-out");
  EXPECT_EQ(book.open_for("mem")->recommended_playbook, "");

  // cpu expected at t0+45, mem at t0+46; grace 30 min, strictly after.
  EXPECT_TRUE(book.expire(t0 + 75 * minute).empty());
  const auto first = book.expire(t0 + 75 * minute + 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].metric_id, "cpu");
  EXPECT_EQ(first[0].outcome, warning_outcome::prevented);
  EXPECT_EQ(first[0].action_playbook, "scale-out");
  EXPECT_EQ(first[0].action_at, t0 + 5 * minute);
  EXPECT_EQ(first[0].resolved_at, t0 + 75 * minute + 1);
  EXPECT_EQ(first[0].breached_at, 0);

  const auto second = book.expire(t0 + 90 * minute);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].metric_id, "mem");
  EXPECT_EQ(second[0].outcome, warning_outcome::false_alarm);
  EXPECT_TRUE(book.open().empty());

  const auto s = book.stats();
  EXPECT_EQ(s.raised, 2u);
  EXPECT_EQ(s.prevented, 1u);
  EXPECT_EQ(s.false_alarm, 1u);
  EXPECT_EQ(s.came_true, 0u);
  EXPECT_EQ(s.mean_lead_minutes, 0.0);
  EXPECT_TRUE(s.lead_minutes.empty());
}

TEST(WarningBook, ExpiryResolvesSeveralByRaisedAt) {
  warning_book book;
  book.observe_forecast(warning_ramp("zz", t0), spec("zz"), band::good, t0);
  book.observe_forecast(warning_ramp("aa", t0 + 1), spec("aa"), band::good, t0 + 1);
  const auto out = book.expire(t0 + 24 * 60 * minute);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].metric_id, "zz");
  EXPECT_EQ(out[1].metric_id, "aa");
  ASSERT_EQ(book.recent(5).size(), 2u);
  EXPECT_EQ(book.recent(5)[0].metric_id, "aa"); // newest first
}

TEST(WarningBook, RecentIsNewestFirstAndCapped) {
  warning_policy pol;
  pol.keep_recent = 3;
  warning_book book(pol);
  for (int i = 0; i < 5; ++i) {
    const std::string m = "m" + std::to_string(i);
    const timestamp_ms now = t0 + i * 60 * minute;
    book.observe_forecast(warning_ramp(m, now), spec(m), band::good, now);
    book.observe_band(m, band::warning, now + 30 * minute);
  }
  const auto all = book.recent(10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].metric_id, "m4");
  EXPECT_EQ(all[1].metric_id, "m3");
  EXPECT_EQ(all[2].metric_id, "m2");
  const auto two = book.recent(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].metric_id, "m3");
  EXPECT_TRUE(book.recent(0).empty());
  EXPECT_EQ(book.stats().came_true, 5u); // the cap is on the list, not the counts
}

TEST(WarningBook, OpenIsByRaisedAt) {
  warning_book book;
  book.observe_forecast(warning_ramp("zz", t0), spec("zz"), band::good, t0);
  book.observe_forecast(warning_ramp("aa", t0 + 2), spec("aa"), band::good, t0 + 2);
  book.observe_forecast(warning_ramp("mm", t0 + 1), spec("mm"), band::good, t0 + 1);
  const auto o = book.open();
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].metric_id, "zz");
  EXPECT_EQ(o[1].metric_id, "mm");
  EXPECT_EQ(o[2].metric_id, "aa");
}

TEST(WarningBook, IdsStayUniqueWithinOneMillisecond) {
  warning_book book;
  const auto a = book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  book.observe_band("cpu", band::warning, t0);
  const auto b = book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  ASSERT_EQ(b.change, warning_change::raised);
  EXPECT_EQ(a.warning.id, "ew-cpu-" + std::to_string(t0));
  EXPECT_EQ(b.warning.id, "ew-cpu-" + std::to_string(t0) + "-2");
}

TEST(WarningBook, MetricFromTheForecastWhenTheSpecHasNone) {
  warning_book book;
  const auto ev = book.observe_forecast(warning_ramp("cpu", t0), spec(""), band::good, t0);
  EXPECT_EQ(ev.warning.metric_id, "cpu");
  EXPECT_TRUE(book.open_for("cpu").has_value());
}

namespace {

warning_book busy_book(warning_policy pol = {}) {
  warning_book book(pol);
  book.observe_forecast(warning_ramp("a", t0), spec("a"), band::good, t0);
  book.observe_band("a", band::warning, t0 + 25 * minute);
  book.observe_forecast(warning_ramp("b", t0), spec("b"), band::good, t0);
  book.expire(t0 + 5 * 60 * minute);
  book.observe_forecast(critical_ramp("c", t0 + 1), spec("c"), band::good, t0 + 1);
  book.recommend("c", "restart");
  book.action_taken("c", "restart", t0 + 2 * minute);
  book.observe_forecast(warning_ramp("d", t0 + 2), spec("d"), band::good, t0 + 2);
  return book;
}

void expect_same(const early_warning& x, const early_warning& y) {
  EXPECT_EQ(x.id, y.id);
  EXPECT_EQ(x.metric_id, y.metric_id);
  EXPECT_EQ(x.service, y.service);
  EXPECT_EQ(x.severity, y.severity);
  EXPECT_EQ(x.probability, y.probability);
  EXPECT_EQ(x.raised_at, y.raised_at);
  EXPECT_EQ(x.updated_at, y.updated_at);
  EXPECT_EQ(x.expected_breach_at, y.expected_breach_at);
  EXPECT_EQ(x.predicted_value, y.predicted_value);
  EXPECT_EQ(x.threshold, y.threshold);
  EXPECT_EQ(x.lo80, y.lo80);
  EXPECT_EQ(x.hi80, y.hi80);
  EXPECT_EQ(x.recommended_playbook, y.recommended_playbook);
  EXPECT_EQ(x.action_playbook, y.action_playbook);
  EXPECT_EQ(x.action_at, y.action_at);
  EXPECT_EQ(x.breached_at, y.breached_at);
  EXPECT_EQ(x.outcome, y.outcome);
  EXPECT_EQ(x.resolved_at, y.resolved_at);
}

} // namespace

TEST(WarningBookJson, RoundTripKeepsTheWholeState) {
  const warning_book book = busy_book();
  const auto text = book.to_json().dump();
  const warning_book back = warning_book::from_json(nlohmann::json::parse(text), {});
  EXPECT_EQ(back.to_json(), book.to_json());

  ASSERT_EQ(back.open().size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    expect_same(back.open()[i], book.open()[i]);
  ASSERT_EQ(back.recent(10).size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    expect_same(back.recent(10)[i], book.recent(10)[i]);
  EXPECT_EQ(back.open_for("c")->action_playbook, "restart");
  const auto s = back.stats();
  EXPECT_EQ(s.raised, 4u);
  EXPECT_EQ(s.came_true, 1u);
  EXPECT_EQ(s.false_alarm, 1u);
  EXPECT_EQ(s.prevented, 0u);
  EXPECT_DOUBLE_EQ(s.mean_lead_minutes, 25.0);
  EXPECT_EQ(s.lead_minutes, (std::vector<double>{25.0}));

  // And it carries on: the restored open warning resolves as before.
  warning_book cont = back;
  const auto done = cont.expire(t0 + 5 * 60 * minute);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].metric_id, "c");
  EXPECT_EQ(done[0].outcome, warning_outcome::prevented);
  EXPECT_EQ(done[1].outcome, warning_outcome::false_alarm);
}

TEST(WarningBookJson, RoundTripKeepsIdUniqueness) {
  warning_book book;
  book.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  book.observe_band("cpu", band::warning, t0);
  warning_book back = warning_book::from_json(book.to_json(), {});
  const auto ev = back.observe_forecast(warning_ramp("cpu", t0), spec("cpu"), band::good, t0);
  EXPECT_EQ(ev.warning.id, "ew-cpu-" + std::to_string(t0) + "-2");
}

TEST(WarningBookJson, LoadingAppliesTheKeepRecentCap) {
  warning_policy small;
  small.keep_recent = 1;
  const warning_book back = warning_book::from_json(busy_book().to_json(), small);
  ASSERT_EQ(back.recent(10).size(), 1u);
  EXPECT_EQ(back.recent(10)[0].metric_id, "b"); // the newest
}

TEST(WarningBookJson, NonFiniteBoundsSurviveAsNan) {
  warning_book book;
  forecast f = warning_ramp("cpu", t0);
  for (auto& p : f.points)
    p.lo80 = std::nan("");
  book.observe_forecast(f, spec("cpu"), band::good, t0);
  const auto back = warning_book::from_json(nlohmann::json::parse(book.to_json().dump()), {});
  EXPECT_TRUE(std::isnan(back.open()[0].lo80));
  EXPECT_EQ(back.open()[0].hi80, 100);
}

namespace {

std::string load_error(const nlohmann::json& j) {
  try {
    warning_book::from_json(j, {});
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST(WarningBookJson, ErrorsNameTheBadField) {
  const nlohmann::json good = busy_book().to_json();

  auto j = good;
  j["open"][1]["probability"] = "high";
  EXPECT_EQ(load_error(j),
            "warning_book: open[1]: field 'probability' must be a number, found string");

  j = good;
  j["recent"][0].erase("raised_at");
  EXPECT_EQ(load_error(j), "warning_book: recent[0]: field 'raised_at' is missing");

  j = good;
  j["open"][0]["severity"] = "awful";
  EXPECT_NE(load_error(j).find("open[0]: field 'severity' has an unknown band 'awful'"),
            std::string::npos);

  j = good;
  j["open"][0]["outcome"] = "came_true";
  EXPECT_NE(load_error(j).find("open[0]: field 'outcome' must be 'open'"), std::string::npos);

  j = good;
  j["recent"][1]["outcome"] = "open";
  EXPECT_NE(load_error(j).find("recent[1]: field 'outcome'"), std::string::npos);

  j = good;
  j["open"][1]["metric_id"] = j["open"][0]["metric_id"];
  EXPECT_NE(load_error(j).find("open[1]: field 'metric_id'"), std::string::npos);

  j = good;
  j["stats"]["raised"] = -1;
  EXPECT_EQ(load_error(j), "warning_book: stats: field 'raised' must not be negative");

  j = good;
  j.erase("stats");
  EXPECT_EQ(load_error(j), "warning_book: field 'stats' is missing");

  j = good;
  j["version"] = 2;
  EXPECT_NE(load_error(j).find("field 'version'"), std::string::npos);

  EXPECT_EQ(load_error(nlohmann::json::array()),
            "warning_book: must be a JSON object, found array");
}

TEST(WarningChange, Names) {
  using grace::predictor::to_string;
  EXPECT_EQ(to_string(warning_change::none), "none");
  EXPECT_EQ(to_string(warning_change::raised), "raised");
  EXPECT_EQ(to_string(warning_change::updated), "updated");
  EXPECT_EQ(to_string(warning_change::escalated), "escalated");
}

TEST(WarningBook, AnAssessmentsOwnMinimumProbabilityDecides) {
  // P 0.4, breach expected 45 min ahead: below the policy's 0.7, above the
  // metric's learned cut of 0.3.
  grace::predictor::breach_assessment a;
  a.severity = band::warning;
  a.threshold = 90;
  a.probability = 0.4;
  a.expected_breach_at = t0 + 45 * minute;
  grace::predictor::breach_outlook o;
  o.warning = a;
  o.critical.severity = band::critical;
  warning_book book;
  EXPECT_EQ(book.observe_outlook(o, spec("cpu"), band::good, t0).change, warning_change::none);
  o.warning.min_probability = 0.3;
  EXPECT_EQ(book.observe_outlook(o, spec("cpu"), band::good, t0).change, warning_change::raised);
  // The lower of the two decides: a learned cut above the policy's leaves the
  // policy's in force (the budget makes a metric more sensitive, never deaf).
  o.warning.probability = 0.6;
  o.warning.min_probability = 0.9;
  EXPECT_EQ(book.observe_outlook(o, spec("mem"), band::good, t0).change, warning_change::none);
  o.warning.probability = 0.8;
  EXPECT_EQ(book.observe_outlook(o, spec("disk"), band::good, t0).change, warning_change::raised);
}
