// The predictor engine's decisions on constructed catalogs, snapshots and
// forecasts: reactions (unattended first), holds, escalation, retries after
// a refusal or a lapsed approval, early warnings and anomalies.
#include "actors/predictor/engine.hpp"

#include <cmath>
#include <gtest/gtest.h>

using namespace grace;
using namespace grace::predictor;

namespace {

constexpr int64_t minute = 60'000;
constexpr timestamp_ms t0 = 1'700'000'000'000;

const char* catalog_yaml = R"(version: 1
metrics:
  - id: api.latency
    category: api
    service: api
    unit: ms
    description: latency
    direction: higher_is_worse
    thresholds: {warning: 400, critical: 500}
    collection_interval: 60s
    aggregation: mean
    forecast: true
    playbooks: [restart-approval, scale-auto, flush-auto]
    symptom_of: [db.cpu]
  - id: db.cpu
    category: db
    service: db
    unit: percent
    description: cpu
    direction: higher_is_worse
    thresholds: {warning: 80, critical: 95}
    collection_interval: 60s
    aggregation: mean
    forecast: false
    playbooks: [db-auto]
  - id: api.errors
    category: api
    service: api
    unit: percent
    description: errors
    direction: higher_is_worse
    thresholds: {warning: 5, critical: 10}
    collection_interval: 60s
    aggregation: mean
    forecast: true
    playbooks: [flush-auto]
playbooks:
  - id: restart-approval
    description: needs a human
    action: {kind: noop}
    risk_tier: 1
    mode: approval
    cooldown: 1m
    max_runs_per_hour: 10
  - id: scale-auto
    description: unattended
    action: {kind: noop}
    risk_tier: 1
    mode: auto
    cooldown: 1m
    max_runs_per_hour: 10
  - id: flush-auto
    description: unattended
    action: {kind: noop}
    risk_tier: 1
    mode: auto
    cooldown: 1m
    max_runs_per_hour: 10
  - id: db-auto
    description: unattended
    action: {kind: noop}
    risk_tier: 1
    mode: auto
    cooldown: 1m
    max_runs_per_hour: 10
)";

std::shared_ptr<const catalog::metrics_catalog> test_catalog() {
  auto r = catalog::load_catalog_string(catalog_yaml, "engine-test");
  EXPECT_TRUE(r.errors.empty()) << r.errors.front().to_string();
  return std::make_shared<const catalog::metrics_catalog>(std::move(*r.catalog));
}

snapshot window(const std::string& metric, timestamp_ms end, double value, band level) {
  snapshot s;
  s.metric_id = metric;
  s.window_start = end - 5 * minute;
  s.window_end = end;
  s.count = 5;
  s.mean = s.min = s.max = s.p50 = s.p95 = s.last = value;
  s.level = level;
  return s;
}

template <class T> std::vector<T> all_of(const effects& fx) {
  std::vector<T> out;
  for (const auto& e : fx)
    if (const auto* x = std::get_if<T>(&e))
      out.push_back(*x);
  return out;
}

bool logged(const effects& fx, const std::string& part) {
  for (const auto& l : all_of<log_line>(fx))
    if (l.text.find(part) != std::string::npos)
      return true;
  return false;
}

engine_settings no_sudden_context() {
  engine_settings s;
  s.sudden_onset_context = false;
  return s;
}

// An hour of normal latency, then two windows in the warning band.
effects breach(engine& e, timestamp_ms& at, double value = 450) {
  for (int i = 0; i < 12; ++i, at += 5 * minute)
    e.on_snapshots({window("api.latency", at, 200 + (i % 3), band::good)}, at);
  effects fx;
  for (int i = 0; i < 2; ++i, at += 5 * minute) {
    auto more = e.on_snapshots({window("api.latency", at, value, band::warning)}, at);
    fx.insert(fx.end(), more.begin(), more.end());
  }
  return fx;
}

} // namespace

TEST(predictor_engine, a_breach_under_way_is_offered_the_unattended_playbooks_first) {
  engine e(no_sudden_context());
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  const auto fx = breach(e, at);
  const auto asked = all_of<request_playbook>(fx);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_TRUE(asked[0].trigger.reaction);
  EXPECT_EQ(asked[0].trigger.metric_id, "api.latency");
  EXPECT_EQ(asked[0].trigger.warning_id.rfind("breach-api.latency-", 0), 0u);
  EXPECT_EQ(asked[0].request.service, "api");
  EXPECT_EQ(asked[0].request.diagnosis, "api.latency");
  EXPECT_EQ(asked[0].request.candidates, (std::vector<std::string>{"scale-auto", "flush-auto"}));
  EXPECT_TRUE(logged(fx, "remediating now"));
}

TEST(predictor_engine, without_unattended_first_the_agent_chooses_among_all) {
  auto s = no_sudden_context();
  s.react_unattended_first = false;
  engine e(s);
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  const auto asked = all_of<request_playbook>(breach(e, at));
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_TRUE(asked[0].request.candidates.empty()) << "empty: the metric's playbooks";
}

TEST(predictor_engine, warn_only_never_asks_for_a_playbook) {
  auto s = no_sudden_context();
  s.act = false;
  engine e(s);
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  EXPECT_TRUE(all_of<request_playbook>(breach(e, at)).empty());
  auto r = no_sudden_context();
  r.react_to_breaches = false;
  engine quiet(r);
  quiet.set_catalog(test_catalog());
  at = t0;
  EXPECT_TRUE(all_of<request_playbook>(breach(quiet, at)).empty());
}

TEST(predictor_engine, a_symptom_is_held_while_its_cause_is_in_trouble) {
  engine e(no_sudden_context());
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  for (int i = 0; i < 12; ++i, at += 5 * minute)
    e.on_snapshots(
        {window("api.latency", at, 200, band::good), window("db.cpu", at, 50, band::good)}, at);
  effects fx;
  for (int i = 0; i < 2; ++i, at += 5 * minute) {
    // The symptom's window comes first in the batch: the cause still counts.
    auto more = e.on_snapshots(
        {window("api.latency", at, 450, band::warning), window("db.cpu", at, 97, band::critical)},
        at);
    fx.insert(fx.end(), more.begin(), more.end());
  }
  for (const auto& r : all_of<request_playbook>(fx))
    EXPECT_NE(r.trigger.metric_id, "api.latency") << "the symptom is not remediated";
  EXPECT_EQ(e.actions_held, 1u);
  EXPECT_TRUE(logged(fx, "not remediating: a symptom of db.cpu"));
}

TEST(predictor_engine, a_refusal_another_playbook_can_get_around_asks_again_among_the_runnable) {
  engine e(no_sudden_context());
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  const auto asked = all_of<request_playbook>(breach(e, at)).at(0);
  execution refused;
  refused.id = "ex-1";
  refused.event_id = "ev-1";
  refused.playbook = "scale-auto";
  refused.state = execution_state::refused;
  refused.rule = "cooldown";
  const auto fx = e.ran(asked, refused, 0);
  // The refused pick teaches nothing: its event is withdrawn.
  const auto withdrawn = all_of<withdraw_event>(fx);
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].event_id, "ev-1");
  EXPECT_TRUE(all_of<request_playbook>(fx).empty())
      << "the executor is asked what it would run first";
  const auto again = all_of<ask_again>(fx);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].excluded, (std::vector<std::string>{"scale-auto"}));
  EXPECT_TRUE(logged(fx, "'scale-auto' refused for api.latency (cooldown)"));
  // Every playbook but the refused one would run: the agent chooses among those
  // that run unattended.
  const auto next =
      all_of<request_playbook>(e.asked_again(again[0], {"flush-auto", "restart-approval"}, at));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].excluded, (std::vector<std::string>{"scale-auto"}));
  EXPECT_EQ(next[0].request.candidates, (std::vector<std::string>{"flush-auto"}));
  // flush-auto on cooldown too: the executor's answer leaves it out at once,
  // and only the playbook needing an operator is left.
  const auto last = all_of<request_playbook>(e.asked_again(again[0], {"restart-approval"}, at));
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].request.candidates, (std::vector<std::string>{"restart-approval"}));
  // Nothing runnable: nothing asked, and the log says why.
  const auto none = e.asked_again(again[0], {}, at);
  EXPECT_TRUE(all_of<request_playbook>(none).empty());
  EXPECT_TRUE(
      logged(none, "refused or not runnable now: scale-auto, restart-approval, flush-auto"));
  // A kill switch refuses every playbook: withdrawn, nothing to ask.
  refused.rule = "kill_switch";
  const auto killed = e.ran(asked, refused, 0);
  EXPECT_EQ(all_of<withdraw_event>(killed).size(), 1u);
  EXPECT_TRUE(all_of<ask_again>(killed).empty());
  refused.rule = "";
  refused.state = execution_state::succeeded;
  EXPECT_TRUE(e.ran(asked, refused, 0).empty());
}

TEST(predictor_engine, a_lapsed_approval_asks_for_the_next_playbook_while_the_breach_lasts) {
  auto s = no_sudden_context();
  s.approval_timeout_ms = 15 * minute;
  engine e(s);
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  const auto asked = all_of<request_playbook>(breach(e, at)).at(0);
  execution waiting;
  waiting.id = "ex-7";
  waiting.event_id = "ev-7";
  waiting.playbook = "restart-approval";
  waiting.state = execution_state::pending_approval;
  const int64_t wall = 5'000'000;
  EXPECT_TRUE(e.ran(asked, waiting, wall).empty());
  EXPECT_FALSE(e.approvals_due(wall + 15 * minute - 1));
  ASSERT_TRUE(e.approvals_due(wall + 15 * minute));
  // Still waiting at the check: kept.
  EXPECT_TRUE(e.approvals_checked({waiting}, wall + 15 * minute).empty());
  EXPECT_TRUE(e.approvals_due(wall + 15 * minute));
  auto expired = waiting;
  expired.state = execution_state::expired;
  const auto fx = e.approvals_checked({expired}, wall + 16 * minute);
  ASSERT_EQ(all_of<withdraw_event>(fx).size(), 1u);
  EXPECT_EQ(all_of<withdraw_event>(fx)[0].event_id, "ev-7");
  const auto again = all_of<ask_again>(fx);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].excluded, (std::vector<std::string>{"restart-approval"}));
  EXPECT_TRUE(logged(fx, "was not approved (expired)"));
  EXPECT_FALSE(e.approvals_due(wall + 60 * minute)) << "checked once";
}

TEST(predictor_engine, a_lapsed_approval_after_the_breach_ended_asks_nothing) {
  engine e(no_sudden_context());
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  const auto asked = all_of<request_playbook>(breach(e, at)).at(0);
  execution waiting;
  waiting.id = "ex-8";
  waiting.event_id = "ev-8";
  waiting.playbook = "scale-auto";
  waiting.state = execution_state::pending_approval;
  e.ran(asked, waiting, 0);
  e.on_snapshots({window("api.latency", at, 200, band::good)}, at);
  waiting.state = execution_state::rejected;
  const auto fx = e.approvals_checked({waiting}, 60 * minute);
  EXPECT_TRUE(all_of<ask_again>(fx).empty());
  EXPECT_EQ(all_of<withdraw_event>(fx).size(), 1u) << "still withdrawn: it was never acted on";
  EXPECT_FALSE(e.approvals_due(120 * minute));
}

TEST(predictor_engine, a_breach_the_reaction_did_not_end_escalates_to_another_playbook) {
  auto s = no_sudden_context();
  s.escalate_after_ms = 10 * minute;
  engine e(s);
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  const auto first = all_of<request_playbook>(breach(e, at)).at(0);
  e.action_taken("api.latency", "scale-auto", at - 5 * minute);
  std::vector<request_playbook> later;
  effects fx;
  for (int i = 0; i < 4 && later.empty(); ++i, at += 5 * minute) {
    fx = e.on_snapshots({window("api.latency", at, 450, band::warning)}, at);
    later = all_of<request_playbook>(fx);
  }
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].trigger.tried, (std::vector<std::string>{"scale-auto"}));
  EXPECT_EQ(later[0].request.candidates, (std::vector<std::string>{"flush-auto"}));
  EXPECT_TRUE(logged(fx, "escalating to another playbook"));
  EXPECT_NE(later[0].trigger.warning_id, first.trigger.warning_id);
}

namespace {

// A forecast of api.latency made at `now` that reaches `peak` 30 minutes out
// (past the warning threshold by default), with a tight interval.
forecast rising_latency(timestamp_ms now, double peak = 480) {
  forecast f;
  f.metric_id = "api.latency";
  f.generated_at = now;
  f.step = 5 * minute;
  for (int i = 1; i <= 12; ++i) {
    forecast_point p;
    p.ts = now + 5 * minute * i;
    p.mean = i < 6 ? 300 : peak;
    p.lo80 = p.mean - 5;
    p.hi80 = p.mean + 5;
    p.lo95 = p.mean - 8;
    p.hi95 = p.mean + 8;
    f.points.push_back(p);
  }
  return f;
}

} // namespace

TEST(predictor_engine, an_early_warning_is_published_acted_on_and_learns_the_choice) {
  engine e(no_sudden_context());
  e.set_catalog(test_catalog());
  const timestamp_ms now = t0;
  const auto f = rising_latency(now); // over the warning from 30 minutes on
  const auto fx = e.on_forecasts({f}, now);
  const auto published = all_of<publish_warning>(fx);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].change, "raised");
  EXPECT_TRUE(logged(fx, "EARLY WARNING: api.latency breach"));
  const auto asked = all_of<request_playbook>(fx);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_FALSE(asked[0].trigger.reaction);
  EXPECT_EQ(asked[0].trigger.warning_id, published[0].warning.id);
  EXPECT_EQ(asked[0].counterfactual.points.size(), 12u);
  EXPECT_TRUE(asked[0].request.candidates.empty());
  EXPECT_EQ(e.forecasts_seen, 1u);
  EXPECT_TRUE(e.take_dirty());
  EXPECT_FALSE(e.take_dirty());
  const auto chosen = all_of<publish_warning>(e.recommended(asked[0], "scale-auto"));
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].change, "updated");
  EXPECT_EQ(chosen[0].warning.recommended_playbook, "scale-auto");
  EXPECT_EQ(e.warnings().open.size(), 1u);
  // The same forecast again raises nothing new.
  EXPECT_TRUE(all_of<request_playbook>(e.on_forecasts({f}, now + minute)).empty());
}

TEST(predictor_engine, a_warner_that_judges_every_value_warns_between_forecasts) {
  // A rising forecast whose crossing is likely but under the cut (0.64),
  // random-walk intervals (all level error); five minutes later the value is
  // 11 above its path.
  forecast f;
  f.metric_id = "api.latency";
  f.generated_at = t0;
  f.step = 5 * minute;
  for (int i = 1; i <= 12; ++i) {
    forecast_point p;
    p.ts = t0 + 5 * minute * i;
    p.mean = 300 + 9.0 * i;
    const double w = 8.0 * std::sqrt(static_cast<double>(i));
    p.lo80 = p.mean - w;
    p.hi80 = p.mean + w;
    p.lo95 = p.mean - 1.53 * w;
    p.hi95 = p.mean + 1.53 * w;
    f.points.push_back(p);
  }
  for (const bool conditioned : {false, true}) {
    engine_settings s = no_sudden_context();
    s.act = false;
    s.warner.use_history = false;
    s.warner.condition_on_newest = conditioned;
    engine e(s);
    e.set_catalog(test_catalog());
    e.on_snapshots({window("api.latency", t0, 300, band::good)}, t0);
    EXPECT_TRUE(all_of<publish_warning>(e.on_forecasts({f}, t0)).empty());
    const auto fx =
        e.on_snapshots({window("api.latency", t0 + 5 * minute, 320, band::good)}, t0 + 5 * minute);
    const auto published = all_of<publish_warning>(fx);
    if (!conditioned) {
      EXPECT_TRUE(published.empty()); // judged only when a forecast arrives
      continue;
    }
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0].change, "raised");
    EXPECT_EQ(published[0].warning.raised_at, t0 + 5 * minute);
    EXPECT_GE(published[0].warning.probability, 0.7);
    EXPECT_EQ(e.forecasts_seen, 1u);
  }
}

TEST(predictor_engine, without_a_catalog_forecasts_wait) {
  engine e;
  forecast f;
  f.metric_id = "api.latency";
  f.points.resize(3);
  EXPECT_TRUE(e.on_forecasts({f}, t0).empty());
  EXPECT_EQ(e.forecasts_seen, 0u);
}

TEST(predictor_engine, a_surprising_value_in_the_good_band_is_an_anomaly) {
  auto s = no_sudden_context();
  s.anomaly_alert = 0.5;
  engine e(s);
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  // Past the scorer's warm-up with a quiet metric, then a jump well below its
  // warning threshold.
  uint64_t x = 88172645463325252ULL; // xorshift: deterministic noise
  auto quiet = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return 40.0 + static_cast<double>(x % 1000) / 1000.0;
  };
  for (int i = 0; i < 600; ++i, at += 5 * minute)
    EXPECT_TRUE(
        all_of<publish_anomaly>(e.on_snapshots({window("db.cpu", at, quiet(), band::good)}, at))
            .empty());
  std::vector<publish_anomaly> found;
  effects fx;
  for (int i = 0; i < 6; ++i, at += 5 * minute) {
    auto more = e.on_snapshots({window("db.cpu", at, 75, band::good)}, at);
    for (const auto& a : all_of<publish_anomaly>(more))
      found.push_back(a);
    fx.insert(fx.end(), more.begin(), more.end());
  }
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].metric_id, "db.cpu");
  EXPECT_EQ(found[0].value, 75.0);
  EXPECT_GE(found[0].score, e.decision_settings().anomaly_alert);
  EXPECT_EQ(e.anomalies_flagged, found.size());
  EXPECT_TRUE(logged(fx, "Anomaly on db.cpu"));
  // In breach it is an incident, not an anomaly.
  engine in_breach(s);
  in_breach.set_catalog(test_catalog());
  at = t0;
  x = 88172645463325252ULL;
  for (int i = 0; i < 600; ++i, at += 5 * minute)
    in_breach.on_snapshots({window("db.cpu", at, quiet(), band::good)}, at);
  for (int i = 0; i < 6; ++i, at += 5 * minute)
    in_breach.on_snapshots({window("db.cpu", at, 85, band::warning)}, at);
  EXPECT_EQ(in_breach.anomalies_flagged, 0u);
}

TEST(predictor_engine, a_warning_after_its_breachs_reaction_is_left_to_the_escalation) {
  auto s = no_sudden_context();
  s.warnings_wait_for_runs = true;
  engine e(s);
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  ASSERT_EQ(all_of<request_playbook>(breach(e, at)).size(), 1u); // the reaction
  // In the warning band, a forecast of the critical threshold.
  const auto fx = e.on_forecasts({rising_latency(at, 540)}, at);
  EXPECT_EQ(all_of<publish_warning>(fx).size(), 1u); // still raised and published
  EXPECT_TRUE(all_of<request_playbook>(fx).empty());
  EXPECT_TRUE(logged(fx, "has had its reaction"));
  // Without the option the warning runs a second playbook at once.
  engine d(no_sudden_context());
  d.set_catalog(test_catalog());
  timestamp_ms at2 = t0;
  breach(d, at2);
  EXPECT_EQ(all_of<request_playbook>(d.on_forecasts({rising_latency(at2, 540)}, at2)).size(), 1u);
}

TEST(predictor_engine, a_warning_waits_for_a_young_run_on_its_service_then_acts) {
  auto s = no_sudden_context();
  s.warnings_wait_for_runs = true;
  s.escalate_after_ms = 10 * minute;
  engine e(s);
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  for (int i = 0; i < 12; ++i, at += 5 * minute)
    e.on_snapshots({window("api.errors", at, 1, band::good)}, at);
  effects fx;
  for (int i = 0; i < 2; ++i, at += 5 * minute)
    fx = e.on_snapshots({window("api.errors", at, 6, band::warning)}, at);
  const auto reaction = all_of<request_playbook>(fx);
  ASSERT_EQ(reaction.size(), 1u);
  const timestamp_ms acted_at = at - 5 * minute;
  // A latency warning two minutes after the error rate's run on the service: it waits.
  fx = e.on_forecasts({rising_latency(acted_at + 2 * minute)}, acted_at + 2 * minute);
  ASSERT_EQ(all_of<publish_warning>(fx).size(), 1u);
  const auto warning_id = all_of<publish_warning>(fx)[0].warning.id;
  EXPECT_TRUE(all_of<request_playbook>(fx).empty());
  EXPECT_TRUE(logged(fx, "warning waits"));
  // Still too early at nine minutes; acted on at ten, the warning still open.
  EXPECT_TRUE(all_of<request_playbook>(
                  e.on_forecasts({rising_latency(acted_at + 9 * minute)}, acted_at + 9 * minute))
                  .empty());
  const auto later = all_of<request_playbook>(
      e.on_forecasts({rising_latency(acted_at + 10 * minute)}, acted_at + 10 * minute));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_FALSE(later[0].trigger.reaction);
  EXPECT_EQ(later[0].trigger.warning_id, warning_id);
  EXPECT_EQ(later[0].trigger.metric_id, "api.latency");
  // Once only.
  EXPECT_TRUE(all_of<request_playbook>(
                  e.on_forecasts({rising_latency(acted_at + 11 * minute)}, acted_at + 11 * minute))
                  .empty());
}

TEST(predictor_engine, with_the_hold_a_symptom_is_not_warned_while_its_cause_is_in_trouble) {
  auto s = no_sudden_context();
  s.act = false;
  s.hold_symptom_warnings = true;
  engine e(s);
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  // Its cause (db.cpu) is critical: nothing is raised on the symptom.
  e.on_snapshots(
      {window("api.latency", at, 300, band::good), window("db.cpu", at, 97, band::critical)}, at);
  EXPECT_TRUE(all_of<publish_warning>(e.on_forecasts({rising_latency(at)}, at)).empty());
  EXPECT_EQ(e.warnings_held, 1u);
  // The cause back in the good band for longer than the hold lingers: warned.
  for (int i = 0; i < 3; ++i) {
    at += 5 * minute;
    e.on_snapshots(
        {window("api.latency", at, 300, band::good), window("db.cpu", at, 50, band::good)}, at);
  }
  const auto published = all_of<publish_warning>(e.on_forecasts({rising_latency(at)}, at));
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].change, "raised");
  EXPECT_EQ(e.warnings_held, 1u);
  // On by default; off, the cause's trouble holds nothing.
  auto off_settings = no_sudden_context();
  off_settings.act = false;
  EXPECT_TRUE(off_settings.hold_symptom_warnings);
  off_settings.hold_symptom_warnings = false;
  engine off(off_settings);
  off.set_catalog(test_catalog());
  off.on_snapshots(
      {window("api.latency", t0, 300, band::good), window("db.cpu", t0, 97, band::critical)}, t0);
  EXPECT_EQ(all_of<publish_warning>(off.on_forecasts({rising_latency(t0)}, t0)).size(), 1u);
  EXPECT_EQ(off.warnings_held, 0u);
}

TEST(predictor_engine, a_critical_breach_that_gets_no_run_says_why_and_is_summed_up) {
  engine e(no_sudden_context());
  e.set_catalog(test_catalog());
  timestamp_ms at = t0;
  for (int i = 0; i < 12; ++i, at += 5 * minute)
    e.on_snapshots(
        {window("api.latency", at, 200, band::good), window("api.errors", at, 1, band::good)}, at);
  // The latency breaches first (and is remediated); the error rate of the
  // same service follows, critical, and is taken as its symptom.
  e.on_snapshots({window("api.latency", at, 450, band::warning)}, at);
  at += 5 * minute;
  effects fx;
  for (int i = 0; i < 3; ++i, at += 5 * minute) {
    auto more = e.on_snapshots({window("api.latency", at, 450, band::warning),
                                window("api.errors", at, 12 + i, band::critical)},
                               at);
    fx.insert(fx.end(), more.begin(), more.end());
  }
  for (const auto& r : all_of<request_playbook>(fx))
    EXPECT_NE(r.trigger.metric_id, "api.errors");
  EXPECT_TRUE(logged(fx, "api.errors in the critical band, not remediating: taken as a symptom "
                         "of api.latency (its breach on api began earlier)"));
  // Logged once per reason and episode.
  int lines = 0;
  for (const auto& l : all_of<log_line>(fx))
    lines += l.text.find("taken as a symptom of api.latency") != std::string::npos;
  EXPECT_EQ(lines, 1);
  const auto end = e.on_snapshots({window("api.errors", at, 1, band::good)}, at);
  EXPECT_TRUE(logged(end, "api.errors breach over after 3 windows (3 critical) with no run: "
                          "a symptom of api.latency (same service) 2, not yet confirmed 1"));
  // An episode that got its run is not summed up.
  EXPECT_FALSE(
      logged(e.on_snapshots({window("api.latency", at, 200, band::good)}, at), "breach over"));
}
