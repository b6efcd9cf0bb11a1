// Tests of the simulated world: determinism, normal operation, incidents and
// what playbooks do to them. All run on the shipped config/simulator.yaml and
// config/metrics_catalog.yaml (thresholds and directions come from the catalog).
#include "actors/simulator/world.hpp"

#include <algorithm>
#include <cstdlib>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

using namespace grace::simulator;
using grace::metric_sample;

namespace {

constexpr int64_t minute = 60 * 1000;
constexpr int64_t hour = 60 * minute;
constexpr int64_t day = 24 * hour;
// 2025-11-09 00:00:00 UTC
constexpr int64_t t0 = 1762646400000;

std::string source_dir() {
  const char* dir = std::getenv("GRACE_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

struct threshold {
  bool lower_is_worse = false;
  double warning = 0.0;
  double critical = 0.0;
  bool at_least_warning(double v) const { return lower_is_worse ? v <= warning : v >= warning; }
  bool critical_breach(double v) const { return lower_is_worse ? v <= critical : v >= critical; }
};

const std::map<std::string, threshold>& catalog_thresholds() {
  static const std::map<std::string, threshold> thresholds = [] {
    std::map<std::string, threshold> out;
    auto root = YAML::LoadFile(source_dir() + "/config/metrics_catalog.yaml");
    for (const auto& m : root["metrics"]) {
      threshold t;
      t.lower_is_worse = m["direction"].as<std::string>() == "lower_is_worse";
      t.warning = m["thresholds"]["warning"].as<double>();
      t.critical = m["thresholds"]["critical"].as<double>();
      out[m["id"].as<std::string>()] = t;
    }
    return out;
  }();
  return thresholds;
}

const simulator_config& shipped() {
  static const simulator_config config =
      load_simulator_config(source_dir() + "/config/simulator.yaml");
  return config;
}

simulator_config without_schedule() {
  simulator_config c = shipped();
  c.schedule.enabled = false;
  return c;
}

// Every playbook effect of every type made certain, so outcomes do not
// depend on the success roll.
simulator_config certain(simulator_config c) {
  for (auto& t : c.incident_types)
    for (auto& p : t.playbooks)
      if (p.effect != effect_kind::none)
        p.success_probability = 1.0;
  return c;
}

std::vector<metric_sample> only(const std::vector<metric_sample>& samples, const std::string& id) {
  std::vector<metric_sample> out;
  for (const auto& s : samples)
    if (s.metric_id == id)
      out.push_back(s);
  return out;
}

bool same(const std::vector<metric_sample>& a, const std::vector<metric_sample>& b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].metric_id != b[i].metric_id || a[i].ts != b[i].ts || a[i].value != b[i].value
        || a[i].labels != b[i].labels)
      return false;
  return true;
}

} // namespace

TEST(simulator_world, same_seed_same_samples_and_events) {
  world a(shipped(), 42, t0);
  world b(shipped(), 42, t0);
  std::vector<metric_sample> sa, sb;
  for (int step = 1; step <= 4; ++step) {
    auto x = a.advance_to(t0 + step * 12 * hour);
    auto y = b.advance_to(t0 + step * 12 * hour);
    sa.insert(sa.end(), x.begin(), x.end());
    sb.insert(sb.end(), y.begin(), y.end());
    auto ra = a.apply_playbook("scale-api-shard", t0 + step * 12 * hour);
    auto rb = b.apply_playbook("scale-api-shard", t0 + step * 12 * hour);
    EXPECT_EQ(ra.message, rb.message);
    EXPECT_EQ(ra.success, rb.success);
  }
  EXPECT_TRUE(same(sa, sb));
  auto ea = a.take_events();
  auto eb = b.take_events();
  ASSERT_EQ(ea.size(), eb.size());
  for (std::size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].ts, eb[i].ts);
    EXPECT_EQ(ea[i].message, eb[i].message);
  }
  EXPECT_FALSE(ea.empty());
}

TEST(simulator_world, samples_do_not_depend_on_how_time_is_advanced) {
  world one_jump(shipped(), 7, t0);
  world small_steps(shipped(), 7, t0);
  auto all = one_jump.advance_to(t0 + 2 * day);
  std::vector<metric_sample> pieces;
  for (int64_t t = t0 - 5 * minute; t <= t0 + 2 * day; t += 7 * minute + 13 * 1000) {
    auto x = small_steps.advance_to(t);
    pieces.insert(pieces.end(), x.begin(), x.end());
    EXPECT_TRUE(small_steps.advance_to(t).empty()); // same time again: nothing new
  }
  auto rest = small_steps.advance_to(t0 + 2 * day);
  pieces.insert(pieces.end(), rest.begin(), rest.end());
  EXPECT_TRUE(same(all, pieces));
}

TEST(simulator_world, different_seed_different_samples) {
  world a(shipped(), 1, t0);
  world b(shipped(), 2, t0);
  auto sa = a.advance_to(t0 + day);
  auto sb = b.advance_to(t0 + day);
  ASSERT_EQ(sa.size(), sb.size());
  EXPECT_FALSE(same(sa, sb));
  auto story = [](const world& w) {
    std::string out;
    for (const auto& r : w.incident_history())
      out += r.status.type + "@" + std::to_string(r.status.started_at) + " ";
    return out;
  };
  EXPECT_FALSE(a.incident_history().empty());
  EXPECT_NE(story(a), story(b));
}

TEST(simulator_world, every_metric_sampled_on_its_interval_with_source_label) {
  world w(without_schedule(), 3, t0);
  auto samples = w.advance_to(t0 + 6 * hour); // one jump of six hours
  for (const auto& m : shipped().metrics) {
    auto series = only(samples, m.id);
    ASSERT_EQ(series.size(), static_cast<std::size_t>(6 * hour / m.interval_ms + 1)) << m.id;
    for (std::size_t i = 0; i < series.size(); ++i) {
      EXPECT_EQ(series[i].ts, t0 + static_cast<int64_t>(i) * m.interval_ms);
      EXPECT_EQ(series[i].labels.at("source"), "simulator");
    }
  }
  EXPECT_TRUE(std::is_sorted(samples.begin(), samples.end(),
                             [](const auto& x, const auto& y) { return x.ts < y.ts; }));
  EXPECT_EQ(w.now(), t0 + 6 * hour);
  EXPECT_TRUE(w.advance_to(t0 + 6 * hour).empty());
  EXPECT_TRUE(w.advance_to(t0 + hour).empty()); // going back generates nothing
}

TEST(simulator_world, normal_operation_stays_in_the_good_band) {
  const auto& thresholds = catalog_thresholds();
  for (uint64_t seed : {1u, 2u, 3u}) {
    world w(without_schedule(), seed, t0);
    auto samples = w.advance_to(t0 + 7 * day);
    std::map<std::string, int> total, warning;
    for (const auto& s : samples) {
      const auto& th = thresholds.at(s.metric_id);
      ++total[s.metric_id];
      EXPECT_FALSE(th.critical_breach(s.value)) << s.metric_id << " " << s.value;
      if (th.at_least_warning(s.value))
        ++warning[s.metric_id];
    }
    EXPECT_EQ(total.size(), 14u);
    for (const auto& [id, n] : total)
      EXPECT_LE(warning[id], n / 200) << id << ": " << warning[id] << " of " << n << " in warning";
  }
}

TEST(simulator_world, incidents_start_early_and_then_every_few_hours) {
  for (uint64_t seed : {11u, 12u, 13u, 14u, 15u}) {
    world w(shipped(), seed, t0);
    w.advance_to(t0 + 3 * day);
    auto history = w.incident_history();
    ASSERT_GE(history.size(), 3u * 24 / 4 - 2) << "seed " << seed;
    EXPECT_LE(history.size(), 3u * 24 / 2 + 1) << "seed " << seed;
    EXPECT_LE(history[0].status.started_at, t0 + 2 * hour);
    int overlapping = 0;
    for (std::size_t i = 1; i < history.size(); ++i) {
      const int64_t gap = history[i].status.started_at - history[i - 1].status.started_at;
      EXPECT_GE(gap, 2 * hour);
      EXPECT_LE(gap, 5 * hour);
      if (history[i - 1].resolved_at == 0
          || history[i - 1].resolved_at > history[i].status.started_at)
        ++overlapping;
    }
    EXPECT_LE(overlapping, static_cast<int>(history.size()) / 3) << "seed " << seed;
  }
}

TEST(simulator_world, each_incident_type_breaches_after_its_ramp) {
  const auto& thresholds = catalog_thresholds();
  for (const auto& type : shipped().incident_types) {
    for (uint64_t seed : {21u, 22u, 23u, 24u}) {
      world w(without_schedule(), seed, t0);
      w.advance_to(t0 + 10 * hour);
      const int64_t start = t0 + 10 * hour;
      const std::string id = w.inject_incident(type.name, start);
      auto samples = w.advance_to(start + type.ramp.max_ms + 10 * minute);
      const auto status = w.incident_history().back().status;
      EXPECT_EQ(status.id, id);
      for (const auto& effect : type.effects) {
        const auto& th = thresholds.at(effect.metric);
        int64_t first_warning = -1, first_critical = -1;
        for (const auto& s : only(samples, effect.metric)) {
          if (s.ts <= start)
            continue;
          if (first_warning < 0 && th.at_least_warning(s.value))
            first_warning = s.ts - start;
          if (first_critical < 0 && th.critical_breach(s.value))
            first_critical = s.ts - start;
        }
        ASSERT_GE(first_critical, 0) << type.name << " never breached " << effect.metric;
        if (type.sudden) {
          EXPECT_LE(first_critical, 5 * minute) << type.name;
        } else {
          // Builds up for 30-90 minutes, visible in the warning band first.
          EXPECT_GE(first_critical, 25 * minute) << type.name << " seed " << seed;
          EXPECT_LE(first_critical, 95 * minute) << type.name << " seed " << seed;
          EXPECT_LE(first_warning, first_critical - 2 * minute) << type.name << " seed " << seed;
        }
      }
    }
  }
}

TEST(simulator_world, queue_depth_drives_latency_which_drives_errors) {
  const auto& thresholds = catalog_thresholds();
  world w(without_schedule(), 5, t0);
  w.advance_to(t0 + 2 * hour);
  w.inject_incident("stuck_worker_queue", t0 + 2 * hour);
  auto samples = w.advance_to(t0 + 2 * hour + 100 * minute);
  double max_latency = 0, max_errors = 0, max_duration = 0;
  for (const auto& s : samples) {
    if (s.metric_id == "api.latency_p95")
      max_latency = std::max(max_latency, s.value);
    if (s.metric_id == "api.error_rate")
      max_errors = std::max(max_errors, s.value);
    if (s.metric_id == "executor.job_duration_p95")
      max_duration = std::max(max_duration, s.value);
  }
  EXPECT_GE(max_latency, thresholds.at("api.latency_p95").warning);
  EXPECT_GE(max_errors, 1.5);
  EXPECT_GE(max_duration, thresholds.at("executor.job_duration_p95").warning);
}

TEST(simulator_world, fixing_playbook_brings_the_metric_back) {
  const auto& th = catalog_thresholds().at("infra.memory_utilization");
  world w(certain(without_schedule()), 8, t0);
  w.advance_to(t0 + hour);
  const std::string id = w.inject_incident("memory_leak", t0 + hour);
  const int64_t at_peak = w.active_incidents().at(0).peak_at + 2 * minute;
  auto before = only(w.advance_to(at_peak), "infra.memory_utilization");
  EXPECT_TRUE(th.critical_breach(before.back().value)) << before.back().value;

  auto result = w.apply_playbook("restart-leaking-service", at_peak);
  EXPECT_TRUE(result.matched);
  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.effect, effect_kind::fix);
  EXPECT_EQ(result.incident_id, id);
  EXPECT_EQ(result.incident_type, "memory_leak");
  EXPECT_NE(result.message.find("Leaking service restarted"), std::string::npos) << result.message;

  auto after = only(w.advance_to(at_peak + 15 * minute), "infra.memory_utilization");
  EXPECT_FALSE(th.at_least_warning(after.back().value)) << after.back().value;
  EXPECT_TRUE(w.active_incidents().empty());
  auto record = w.incident_history().back();
  EXPECT_EQ(record.resolution, incident_resolution::fixed);
  EXPECT_EQ(record.fixed_by, "restart-leaking-service");
  EXPECT_LE(record.resolved_at, at_peak + 10 * minute);
  ASSERT_EQ(record.playbooks.size(), 1u);
}

TEST(simulator_world, useless_playbook_changes_nothing) {
  world with(certain(without_schedule()), 9, t0);
  world without(certain(without_schedule()), 9, t0);
  with.inject_incident("cpu_saturation", t0 + hour);
  without.inject_incident("cpu_saturation", t0 + hour);
  const int64_t at_peak = with.active_incidents().at(0).peak_at + 2 * minute;
  auto a = with.advance_to(at_peak);
  auto b = without.advance_to(at_peak);
  auto result = with.apply_playbook("restart-api-workers", at_peak);
  EXPECT_TRUE(result.matched);
  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.effect, effect_kind::none);
  auto a2 = with.advance_to(t0 + 4 * hour);
  auto b2 = without.advance_to(t0 + 4 * hour);
  EXPECT_TRUE(same(a, b));
  EXPECT_TRUE(same(a2, b2));
  // A playbook that no active incident knows is no help either.
  auto other = with.apply_playbook("rotate-logs", t0 + 4 * hour);
  EXPECT_FALSE(other.matched);
}

TEST(simulator_world, partial_playbook_shrinks_the_incident) {
  world with(certain(without_schedule()), 10, t0);
  world without(certain(without_schedule()), 10, t0);
  const int64_t start = t0 + 13 * hour;
  with.advance_to(start);
  without.advance_to(start);
  with.inject_incident("traffic_surge", start);
  without.inject_incident("traffic_surge", start);
  const int64_t at_peak = with.active_incidents().at(0).peak_at + 2 * minute;
  with.advance_to(at_peak);
  without.advance_to(at_peak);
  auto result = with.apply_playbook("enable-response-cache", at_peak);
  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.effect, effect_kind::partial);
  const int64_t later = at_peak + 10 * minute;
  auto a = only(with.advance_to(later), "api.request_rate").back();
  auto b = only(without.advance_to(later), "api.request_rate").back();
  ASSERT_EQ(a.ts, b.ts);
  // Same noise and baseline in both worlds: the difference is the removed half.
  const double full = b.value - (b.value - a.value) * 2.0;
  EXPECT_GT(b.value - a.value, 500.0);
  EXPECT_LT(full, 1300.0); // the baseline the halves are measured from
  EXPECT_EQ(with.active_incidents().size(), 1u);
  EXPECT_LT(with.active_incidents()[0].mitigation, 0.51);
}

TEST(simulator_world, incident_left_alone_resolves_by_itself) {
  const auto& th = catalog_thresholds().at("autonomy.plan_success_rate");
  world w(without_schedule(), 12, t0);
  w.inject_incident("planner_degradation", t0);
  const auto& type = *shipped().find_incident_type("planner_degradation");
  const int64_t end = t0 + type.ramp.max_ms + type.duration.max_ms + type.recovery.max_ms;
  auto samples = only(w.advance_to(end + 5 * minute), "autonomy.plan_success_rate");
  bool breached = false;
  for (const auto& s : samples)
    breached = breached || th.critical_breach(s.value);
  EXPECT_TRUE(breached);
  EXPECT_FALSE(th.at_least_warning(samples.back().value)) << samples.back().value;
  EXPECT_TRUE(w.active_incidents().empty());
  auto record = w.incident_history().back();
  EXPECT_EQ(record.resolution, incident_resolution::self_resolved);
  EXPECT_GT(record.resolved_at, 0);
  EXPECT_DOUBLE_EQ(record.max_severity, 1.0);
}

TEST(simulator_world, success_rate_follows_the_configured_probability) {
  // restart-planner fixes planner_degradation with probability 0.55.
  int successes = 0;
  const int trials = 200;
  world w(without_schedule(), 13, t0);
  int64_t t = t0;
  for (int i = 0; i < trials; ++i) {
    w.inject_incident("planner_degradation", t);
    auto r = w.apply_playbook("restart-planner", t + 20 * minute);
    successes += r.success ? 1 : 0;
    t += 4 * hour; // long enough for the previous one to resolve
    w.advance_to(t);
  }
  EXPECT_GT(successes, trials * 0.45);
  EXPECT_LT(successes, trials * 0.65);
}

TEST(simulator_world, playbook_without_any_incident) {
  world w(without_schedule(), 14, t0);
  auto r = w.apply_playbook("scale-api-shard", t0 + hour);
  EXPECT_FALSE(r.matched);
  EXPECT_FALSE(r.success);
  EXPECT_TRUE(r.incident_id.empty());
  EXPECT_EQ(r.message, "API shard scaling initiated (no active incident)");
  EXPECT_EQ(r.action_message, "API shard scaling initiated");
  EXPECT_EQ(r.ts, t0 + hour);
  EXPECT_EQ(w.now(), t0 + hour); // samples up to then are kept for advance_to
  EXPECT_EQ(only(w.advance_to(t0 + hour), "api.latency_p95").size(), 61u);
}

TEST(simulator_world, events_tell_the_incident_story_in_order) {
  world w(certain(without_schedule()), 15, t0);
  std::vector<simulator_event> seen;
  w.on_event([&](const simulator_event& e) { seen.push_back(e); });
  const std::string id = w.inject_incident("bad_deploy_error_burst", t0 + hour);
  w.advance_to(t0 + hour + 70 * minute);
  w.apply_playbook("rollback-last-deploy", t0 + hour + 70 * minute);
  w.advance_to(t0 + 4 * hour);
  auto events = w.take_events();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, event_kind::incident_started);
  EXPECT_EQ(events[1].kind, event_kind::incident_peaked);
  EXPECT_EQ(events[2].kind, event_kind::playbook_applied);
  EXPECT_EQ(events[3].kind, event_kind::incident_recovering);
  EXPECT_EQ(events[4].kind, event_kind::incident_resolved);
  for (const auto& e : events)
    EXPECT_EQ(e.incident_id, id);
  EXPECT_EQ(events[3].message,
            "incident " + id + " bad_deploy_error_burst recovering: fixed by rollback-last-deploy");
  EXPECT_EQ(seen.size(), events.size());
  EXPECT_TRUE(w.take_events().empty());
}

TEST(simulator_world, a_simulated_week_runs_with_incidents_and_playbooks) {
  // Smoke run as the node would drive it: advance a minute at a time, apply
  // the best playbook for whatever is active now and then.
  world w(shipped(), 16, t0);
  std::size_t samples = 0;
  for (int64_t t = t0; t <= t0 + 7 * day; t += minute) {
    samples += w.advance_to(t).size();
    if ((t - t0) % (30 * minute) == 0)
      for (const auto& inc : w.active_incidents())
        if (inc.phase == incident_phase::peak)
          w.apply_playbook(w.config().find_incident_type(inc.type)->playbooks[0].playbook, t);
  }
  EXPECT_GT(samples, 100000u);
  auto history = w.incident_history();
  EXPECT_GE(history.size(), 40u);
  std::map<incident_resolution, int> by;
  for (const auto& r : history)
    ++by[r.resolution];
  EXPECT_GT(by[incident_resolution::fixed], 0);
  EXPECT_GT(by[incident_resolution::self_resolved], 0);
}
