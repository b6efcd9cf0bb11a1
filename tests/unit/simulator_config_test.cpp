// Tests of the simulator's config loader: the shipped file, and the error
// messages an operator sees for a broken one.
#include "actors/simulator/simulator_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

using namespace grace::simulator;

namespace {

std::string source_dir() {
  const char* dir = std::getenv("GRACE_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

struct catalog_ids {
  std::vector<std::string> metrics;
  std::vector<std::string> playbooks;
  YAML::Node root;
};

catalog_ids read_catalog() {
  catalog_ids ids;
  ids.root = YAML::LoadFile(source_dir() + "/config/metrics_catalog.yaml");
  for (const auto& m : ids.root["metrics"])
    ids.metrics.push_back(m["id"].as<std::string>());
  for (const auto& p : ids.root["playbooks"])
    ids.playbooks.push_back(p["id"].as<std::string>());
  return ids;
}

// A small valid config; the tests below break one line of it at a time.
// Line numbers matter for the expected messages.
const std::string valid_yaml = R"(version: 1
seed: 1
schedule: {first_incident: 1h, gap: 3h}
metrics:
  - {id: m.a, level: 10, daily_amplitude: 1, noise: 1, min: 0, max: 100}
  - {id: m.b, level: 5, daily_amplitude: 0, noise: 0, min: 0, max: 100, interval: 300s}
couplings:
  - {from: m.a, to: m.b, gain: 0.5, above: 1}
incident_types:
  - name: t
    ramp: {min: 30m, max: 60m}
    duration: 30m
    recovery: 5m
    effects:
      - {metric: m.a, peak: 50}
    playbooks:
      p1: {effect: fix, success_probability: 0.9}
      p2: {effect: partial, success_probability: 0.5, strength: 0.4}
      p3: {effect: none}
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos)
    text.replace(pos, from.size(), to);
  return text;
}

std::vector<std::string> errors_of(const std::string& yaml) {
  try {
    parse_simulator_config(yaml, "test.yaml");
  } catch (const config_error& e) {
    return e.errors();
  }
  return {};
}

} // namespace

TEST(simulator_config, parses_the_small_valid_config) {
  auto c = parse_simulator_config(valid_yaml, "test.yaml");
  EXPECT_EQ(c.seed, 1u);
  EXPECT_EQ(c.collection_interval_ms, 60000);
  ASSERT_EQ(c.metrics.size(), 2u);
  EXPECT_EQ(c.metrics[0].interval_ms, 60000);
  EXPECT_EQ(c.metrics[1].interval_ms, 300000);
  EXPECT_EQ(c.schedule.first_incident.min_ms, 3600000);
  EXPECT_EQ(c.schedule.gap.max_ms, 3 * 3600000);
  ASSERT_EQ(c.incident_types.size(), 1u);
  const auto& t = c.incident_types[0];
  EXPECT_EQ(t.ramp.min_ms, 30 * 60000);
  EXPECT_EQ(t.ramp.max_ms, 60 * 60000);
  EXPECT_EQ(t.duration.min_ms, t.duration.max_ms);
  ASSERT_EQ(t.playbooks.size(), 3u);
  EXPECT_EQ(t.playbooks[0].playbook, "p1");
  EXPECT_EQ(t.playbooks[0].effect, effect_kind::fix);
  EXPECT_EQ(t.playbooks[1].effect, effect_kind::partial);
  EXPECT_DOUBLE_EQ(t.playbooks[1].strength, 0.4);
  EXPECT_EQ(t.playbooks[2].effect, effect_kind::none);
  EXPECT_EQ(c.message_for("p1"), "playbook 'p1' executed");
}

TEST(simulator_config, unknown_key_names_file_line_column_and_path) {
  auto errors = errors_of(replace(valid_yaml, "noise: 1,", "noise: 1, jitter: 2,"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:5:56: metrics[0].jitter: unknown key (allowed: id, level, "
                       "daily_amplitude, daily_peak_hour, noise, noise_autocorrelation, "
                       "trend_per_day, trend_period, spike_probability, spike_size, min, max, "
                       "interval)");
}

TEST(simulator_config, missing_field) {
  auto errors = errors_of(replace(valid_yaml, " noise: 1,", ""));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:5:5: metrics[0].noise: missing required key");
}

TEST(simulator_config, wrong_type) {
  auto errors = errors_of(replace(valid_yaml, "level: 10,", "level: high,"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:5:22: metrics[0].level: expected a finite number, found 'high' "
                       "(not a number)");
}

TEST(simulator_config, probability_outside_unit_interval) {
  auto errors =
      errors_of(replace(valid_yaml, "success_probability: 0.9", "success_probability: 1.5"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:17:46: incident_types[0].playbooks.p1.success_probability: "
                       "probability 1.5 is outside [0, 1]");
}

TEST(simulator_config, negative_duration) {
  auto errors = errors_of(replace(valid_yaml, "recovery: 5m", "recovery: -5m"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:13:15: incident_types[0].recovery: a duration cannot be "
                       "negative, found '-5m'");
}

TEST(simulator_config, duration_without_unit) {
  auto errors = errors_of(replace(valid_yaml, "duration: 30m", "duration: 30"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:12:15: incident_types[0].duration: expected a duration such "
                       "as 500ms, 30s, 15m, 6h or 7d, found '30'");
}

TEST(simulator_config, unknown_effect_and_misplaced_strength) {
  auto errors = errors_of(replace(replace(valid_yaml, "effect: none", "effect: maybe"),
                                  "p1: {effect: fix, success_probability: 0.9}",
                                  "p1: {effect: fix, success_probability: 0.9, strength: 0.5}"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:17:61: incident_types[0].playbooks.p1.strength: strength only "
                       "applies to effect partial");
  EXPECT_EQ(errors[1], "test.yaml:19:20: incident_types[0].playbooks.p3.effect: expected fix, "
                       "partial or none, got 'maybe'");
}

TEST(simulator_config, reports_every_error_at_once) {
  auto yaml =
      replace(replace(valid_yaml, "level: 10,", "level: high,"), "recovery: 5m", "recovery: -5m");
  try {
    parse_simulator_config(yaml, "test.yaml");
    FAIL() << "expected a config_error";
  } catch (const config_error& e) {
    EXPECT_EQ(e.errors().size(), 2u);
    EXPECT_EQ(std::string(e.what()), e.errors()[0] + "\n" + e.errors()[1]);
  }
}

TEST(simulator_config, references_to_unsimulated_metrics) {
  auto errors =
      errors_of(replace(valid_yaml, "{metric: m.a, peak: 50}", "{metric: m.c, peak: 50}"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "test.yaml:15:18: incident_types[0].effects[0].metric: metric 'm.c' is not in metrics");
}

TEST(simulator_config, min_above_max_and_bad_interval) {
  auto errors = errors_of(replace(replace(valid_yaml, "min: 0, max: 100}", "min: 200, max: 100}"),
                                  "interval: 300s", "interval: 90s"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:5:5: metrics[0]: min is greater than max");
  EXPECT_EQ(errors[1], "test.yaml:6:83: metrics[1].interval: must be a positive multiple of "
                       "collection_interval");
}

TEST(simulator_config, missing_file) {
  try {
    load_simulator_config("/nonexistent/simulator.yaml");
    FAIL() << "expected a config_error";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/simulator.yaml: cannot open the simulator config");
  }
}

TEST(simulator_config, validate_against_names_unknown_ids) {
  auto c = parse_simulator_config(valid_yaml, "test.yaml");
  auto errors = c.validate_against({"m.a", "m.b", "m.z"}, {"p1", "p3"});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:18:7: incident_types[0].playbooks: playbook 'p2' is not in the "
                       "metrics catalog");
  EXPECT_EQ(errors[1],
            "test.yaml: metrics: catalog metric 'm.z' has no baseline in the simulator config");
  errors = c.validate_against({"m.a"}, {"p1", "p2", "p3"});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:6:5: metrics[1]: metric 'm.b' is not in the metrics catalog");
  EXPECT_EQ(errors[1],
            "test.yaml:8:5: couplings[0].to: metric 'm.b' is not in the metrics catalog");
}

TEST(simulator_config, durations_and_numbers_are_bounded) {
  // The simulator reads durations as the catalog does: "250ms" too.
  EXPECT_TRUE(errors_of(replace(valid_yaml, "duration: 30m", "duration: 250ms")).empty());
  auto long_duration =
      errors_of(replace(valid_yaml, "duration: 30m", "duration: " + std::string(309, '9') + "m"));
  ASSERT_EQ(long_duration.size(), 1u);
  EXPECT_EQ(long_duration[0], "test.yaml:12:15: incident_types[0].duration: the duration '"
                                  + std::string(60, '9')
                                  + "...' (310 characters) is out of range (at most 36500d)");
  auto big = errors_of(replace(valid_yaml, "level: 10,", "level: 1e999,"));
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big[0],
            "test.yaml:5:22: metrics[0].level: expected a finite number, found '1e999' (out of "
            "range)");
}

TEST(simulator_config, wrong_shapes_are_errors_not_crashes) {
  for (const std::string& yaml :
       {std::string("version: 1\nseed: 1\nmetrics: []\nincident_types: []\n"),
        std::string(
            "version: 1\nseed: 99999999999999999999999\nschedule: 5\nmetrics: [3, {id: [x]}]\n"
            "couplings: {}\nplaybook_messages: {[a]: b, c: [d]}\n"
            "incident_types: [{name: n, ramp: {min: -1m}, duration: 5, playbooks: {[q]: {}}}]\n"),
        std::string("[1, 2]"), std::string("\"\\uD800\""), std::string("a: \xff\xfe")}) {
    auto errors = errors_of(yaml);
    EXPECT_FALSE(errors.empty()) << yaml;
  }
  auto no_schedule = errors_of("version: 1\nseed: 1\nmetrics: []\nincident_types: []\n");
  ASSERT_FALSE(no_schedule.empty());
  EXPECT_EQ(no_schedule[0], "test.yaml:1:1: schedule: missing required key");
}

// The shipped config/simulator.yaml against the shipped catalog.
TEST(simulator_config, shipped_config_matches_the_catalog) {
  auto c = load_simulator_config(source_dir() + "/config/simulator.yaml");
  auto catalog = read_catalog();
  auto errors = c.validate_against(catalog.metrics, catalog.playbooks);
  for (const auto& e : errors)
    ADD_FAILURE() << e;
  EXPECT_EQ(catalog.metrics.size(), 14u);
  EXPECT_EQ(c.metrics.size(), catalog.metrics.size());
  EXPECT_GE(c.incident_types.size(), 8u);
  // Every catalog playbook has an operator message.
  for (const auto& p : catalog.playbooks)
    EXPECT_NE(c.message_for(p), "playbook '" + p + "' executed") << p;
}

// Learning must matter: every type has a playbook that fixes it, and for some
// types the catalog's first linked playbook of the primary metric is not the
// best one.
TEST(simulator_config, shipped_playbook_effects_make_learning_matter) {
  auto c = load_simulator_config(source_dir() + "/config/simulator.yaml");
  auto catalog = read_catalog();
  int first_not_best = 0;
  int sudden = 0;
  for (const auto& t : c.incident_types) {
    sudden += t.sudden ? 1 : 0;
    const playbook_effect* best = nullptr;
    bool has_none = false;
    for (const auto& p : t.playbooks) {
      if (p.effect == effect_kind::none)
        has_none = true;
      if (p.effect == effect_kind::fix
          && (best == nullptr || p.success_probability > best->success_probability))
        best = &p;
    }
    ASSERT_NE(best, nullptr) << t.name << " has no fixing playbook";
    EXPECT_GE(best->success_probability, 0.8) << t.name;
    (void)has_none;
    for (const auto& m : catalog.root["metrics"]) {
      if (m["id"].as<std::string>() != t.effects[0].metric)
        continue;
      const std::string first = m["playbooks"][0].as<std::string>();
      if (first != best->playbook)
        ++first_not_best;
    }
  }
  EXPECT_GE(first_not_best, 3);
  EXPECT_GE(sudden, 1);
}
