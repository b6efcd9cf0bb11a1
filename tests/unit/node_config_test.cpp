// grace.yaml: defaults, the shipped file, and validation messages.
#include "node/node_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <vector>

using namespace grace::node;

namespace {
std::string source_dir() {
  const char* dir = std::getenv("GRACE_SOURCE_DIR");
  return dir ? dir : ".";
}
} // namespace

TEST(node_config, shipped_file_holds_the_seed_defaults) {
  auto r = load_node_settings(source_dir() + "/config/grace.yaml");
  for (const auto& e : r.errors)
    ADD_FAILURE() << e.to_string();
  const auto& s = r.settings;
  EXPECT_EQ(s.forecast_interval_ms, 15 * 60000);
  EXPECT_EQ(s.forecast_horizon_ms, 60 * 60000);
  EXPECT_EQ(s.training_interval_ms, 6 * 3600000LL);
  EXPECT_EQ(s.training_window_ms, 24 * 3600000LL);
  EXPECT_DOUBLE_EQ(s.rl_learning_rate, 0.3);
  EXPECT_EQ(s.http.bind, "127.0.0.1");
  EXPECT_EQ(s.http.port, 8000);
  EXPECT_EQ(s.sync_interval_ms, 1000);
  // Relative paths are taken relative to the file's directory.
  EXPECT_EQ(s.catalog_path, source_dir() + "/config/metrics_catalog.yaml");
  EXPECT_EQ(s.data_dir, source_dir() + "/grace-data");
  // The warner's block states today's defaults.
  EXPECT_EQ(nlohmann::json(s.prediction.warner),
            nlohmann::json(grace::predictor::breach_warner_settings{}));
}

TEST(node_config, empty_document_means_defaults) {
  auto r = load_node_settings_string("", "grace.yaml", "/etc/grace");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.settings.http.port, 8000);
}

TEST(node_config, reports_every_error_with_position) {
  auto r = load_node_settings_string("http:\n  port: 70000\n  colour: red\n"
                                     "training:\n  interval: 0s\n",
                                     "grace.yaml", "/etc/grace");
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].to_string(),
            "grace.yaml:3:3: http.colour: unknown key (allowed: bind, port, token, "
            "request_timeout, max_body_bytes, threads, max_event_streams, allowed_hosts, "
            "idle_timeout, read_timeout, max_connections)");
  EXPECT_EQ(r.errors[1].to_string(), "grace.yaml:2:9: http.port: must be between 0 and 65535");
  EXPECT_EQ(r.errors[2].to_string(), "grace.yaml:5:13: training.interval: must be positive");
}

TEST(node_config, learning_rate_range) {
  auto r = load_node_settings_string("rl:\n  learning_rate: 1.5\n", "g.yaml", "");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), "g.yaml:2:18: rl.learning_rate: must be in (0, 1]");
}

TEST(node_config, pending_recommendations_are_bounded) {
  auto d = load_node_settings_string("", "g.yaml", "");
  EXPECT_EQ(d.settings.rl_max_pending, 10000);
  EXPECT_EQ(d.settings.rl_pending_ttl_ms, 24 * 3600000LL);
  auto ok = load_node_settings_string("rl:\n  max_pending: 50\n  pending_ttl: 2h\n", "g.yaml", "");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.settings.rl_max_pending, 50);
  EXPECT_EQ(ok.settings.rl_pending_ttl_ms, 2 * 3600000LL);
  auto bad = load_node_settings_string("rl:\n  max_pending: 0\n  pending_ttl: 0s\n", "g.yaml", "");
  ASSERT_EQ(bad.errors.size(), 2u);
  EXPECT_EQ(bad.errors[0].to_string(), "g.yaml:2:16: rl.max_pending: must be in [1, 1000000]");
  EXPECT_EQ(bad.errors[1].to_string(), "g.yaml:3:16: rl.pending_ttl: must be positive");
}

TEST(node_config, exploration_rule_is_one_of_the_agents) {
  EXPECT_EQ(load_node_settings_string("", "g.yaml", "").settings.rl_exploration_rule, "");
  auto ok = load_node_settings_string("rl:\n  exploration_rule: thompson\n", "g.yaml", "");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.settings.rl_exploration_rule, "thompson");
  auto bad = load_node_settings_string("rl:\n  exploration_rule: ucb\n", "g.yaml", "");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].to_string(),
            "g.yaml:2:21: rl.exploration_rule: must be thompson, information_directed or "
            "knowledge_gradient, found 'ucb'");
}

TEST(node_config, forecast_horizon_range) {
  auto far = load_node_settings_string("forecasting:\n  horizon: 7h\n", "g.yaml", "");
  ASSERT_EQ(far.errors.size(), 1u);
  EXPECT_EQ(far.errors[0].to_string(),
            "g.yaml:2:12: forecasting.horizon: must be between the snapshot interval and 6h");
  auto near = load_node_settings_string("forecasting:\n  horizon: 1m\n", "g.yaml", "");
  EXPECT_EQ(near.errors.size(), 1u);
  auto ok = load_node_settings_string("forecasting:\n  horizon: 2h\n", "g.yaml", "");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.settings.forecast_horizon_ms, 2 * 3600000);
}

TEST(node_config, prediction_switches_are_booleans) {
  auto d = load_node_settings_string("", "g.yaml", "");
  EXPECT_TRUE(d.settings.prediction.react_to_breaches);
  EXPECT_TRUE(d.settings.prediction.sudden_onset_context);
  EXPECT_TRUE(d.settings.prediction.react_unattended_first);
  auto off = load_node_settings_string("prediction:\n  react_to_breaches: false\n  "
                                       "sudden_onset_context: false\n  react_unattended_first: "
                                       "false\n",
                                       "g.yaml", "");
  EXPECT_TRUE(off.ok());
  EXPECT_FALSE(off.settings.prediction.react_to_breaches);
  EXPECT_FALSE(off.settings.prediction.sudden_onset_context);
  EXPECT_FALSE(off.settings.prediction.react_unattended_first);
  EXPECT_TRUE(d.settings.prediction.hold_symptom_warnings) << "on by default";
  auto unheld =
      load_node_settings_string("prediction:\n  hold_symptom_warnings: false\n", "g.yaml", "");
  EXPECT_TRUE(unheld.ok());
  EXPECT_FALSE(unheld.settings.prediction.hold_symptom_warnings);
  auto bad =
      load_node_settings_string("prediction:\n  sudden_onset_context: sometimes\n", "g.yaml", "");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].to_string().find("prediction.sudden_onset_context"), std::string::npos)
      << bad.errors[0].to_string();
  EXPECT_TRUE(bad.settings.prediction.sudden_onset_context) << "a bad value changes nothing";
}

TEST(node_config, steps_are_held_by_climbing_causes_unless_set) {
  auto d = load_node_settings_string("", "g.yaml", "");
  EXPECT_FALSE(d.settings.prediction.steps_not_held_by_climbs);
  auto on =
      load_node_settings_string("prediction:\n  steps_not_held_by_climbs: true\n", "g.yaml", "");
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on.settings.prediction.steps_not_held_by_climbs);
}

TEST(node_config, any_improvement_is_a_recovery_unless_a_share_is_set) {
  auto d = load_node_settings_string("", "g.yaml", "");
  EXPECT_EQ(d.settings.prediction.recovery_share, 0.0);
  auto on = load_node_settings_string("prediction:\n  recovery_share: 0.15\n", "g.yaml", "");
  ASSERT_TRUE(on.ok());
  EXPECT_DOUBLE_EQ(on.settings.prediction.recovery_share, 0.15);
  auto bad = load_node_settings_string("prediction:\n  recovery_share: 1.5\n", "g.yaml", "");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].to_string().find("prediction.recovery_share"), std::string::npos);
  EXPECT_EQ(bad.settings.prediction.recovery_share, 0.0);
}

TEST(node_config, waiting_warnings_and_confounded_causes_are_off_unless_set) {
  auto d = load_node_settings_string("", "g.yaml", "");
  EXPECT_FALSE(d.settings.prediction.warnings_wait_for_runs);
  EXPECT_FALSE(d.settings.execution.causes_confound);
  auto on = load_node_settings_string(
      "prediction:\n  warnings_wait_for_runs: true\nexecution:\n  causes_confound: true\n",
      "g.yaml", "");
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on.settings.prediction.warnings_wait_for_runs);
  EXPECT_TRUE(on.settings.execution.causes_confound);
  auto bad = load_node_settings_string("execution:\n  causes_confound: often\n", "g.yaml", "");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].to_string().find("execution.causes_confound"), std::string::npos)
      << bad.errors[0].to_string();
}

TEST(node_config, warner_settings_are_read_and_validated) {
  auto d = load_node_settings_string("", "g.yaml", "");
  const grace::predictor::breach_warner_settings defaults;
  EXPECT_EQ(d.settings.prediction.warner.rise_weight, defaults.rise_weight);
  EXPECT_EQ(d.settings.prediction.warner.rise_window_ms, defaults.rise_window_ms);
  EXPECT_FALSE(d.settings.prediction.warner.rise_learned_mix);
  EXPECT_FALSE(d.settings.prediction.warner.learned_damping);
  EXPECT_FALSE(d.settings.prediction.warner.exclusive_threshold);
  EXPECT_FALSE(d.settings.prediction.warner.rise_band_gate);
  EXPECT_FALSE(d.settings.prediction.warner.rise_rank_choice);
  EXPECT_EQ(d.settings.prediction.warner.rise_rank_prior, defaults.rise_rank_prior);
  EXPECT_LT(d.settings.prediction.warner.rise_prior_weight, 0.0) << "unset: prior_weight's";
  auto set = load_node_settings_string("prediction:\n  warner:\n    rise_weight: 1\n"
                                       "    rise_window: 15m\n    use_daily: false\n"
                                       "    history_alpha: 0.001\n    trend_values: 8\n"
                                       "    rise_learned_mix: true\n    rise_mix_early_only: true\n"
                                       "    learned_damping: true\n    exclusive_threshold: true\n"
                                       "    rise_prior_weight: 5\n    rise_band_gate: true\n"
                                       "    rise_cause_context: true\n"
                                       "    rise_rank_choice: true\n    rise_rank_prior: 7\n",
                                       "g.yaml", "");
  for (const auto& e : set.errors)
    ADD_FAILURE() << e.to_string();
  const auto& w = set.settings.prediction.warner;
  EXPECT_DOUBLE_EQ(w.rise_weight, 1.0);
  EXPECT_EQ(w.rise_window_ms, 15 * 60000);
  EXPECT_FALSE(w.use_daily);
  EXPECT_DOUBLE_EQ(w.history_alpha, 0.001);
  EXPECT_EQ(w.trend_values, 8u);
  EXPECT_TRUE(w.rise_learned_mix);
  EXPECT_TRUE(w.rise_mix_early_only);
  EXPECT_TRUE(w.learned_damping);
  EXPECT_TRUE(w.exclusive_threshold);
  EXPECT_DOUBLE_EQ(w.rise_prior_weight, 5.0);
  EXPECT_TRUE(w.rise_band_gate);
  EXPECT_TRUE(w.rise_cause_context);
  EXPECT_TRUE(w.rise_rank_choice);
  EXPECT_DOUBLE_EQ(w.rise_rank_prior, 7.0);
  EXPECT_EQ(w.horizon_ms, defaults.horizon_ms) << "a key not given keeps its default";

  auto bad = load_node_settings_string("prediction:\n  warner:\n    rise_wieght: 1\n"
                                       "    rise_weight: 1.5\n    rise_window: 0s\n"
                                       "    use_history: maybe\n    history_alpha: 0\n"
                                       "    trend_values: 2\n",
                                       "g.yaml", "");
  std::vector<std::string> errors;
  for (const auto& e : bad.errors)
    errors.push_back(e.to_string());
  ASSERT_EQ(errors.size(), 6u);
  auto has = [&](const std::string& text) {
    return std::any_of(errors.begin(), errors.end(),
                       [&](const std::string& e) { return e.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("g.yaml:3:5: prediction.warner.rise_wieght: unknown key (allowed: horizon, "));
  EXPECT_TRUE(has("prediction.warner.rise_weight: must be in [0, 1]"));
  EXPECT_TRUE(has("prediction.warner.rise_window: must be positive"));
  EXPECT_TRUE(has("prediction.warner.use_history"));
  EXPECT_TRUE(has("prediction.warner.history_alpha: must be in (0, 1]"));
  EXPECT_TRUE(has("prediction.warner.trend_values: must be between 3 and 10000"));
  const auto& kept = bad.settings.prediction.warner;
  EXPECT_EQ(kept.rise_weight, defaults.rise_weight) << "a bad value changes nothing";
  EXPECT_EQ(kept.rise_window_ms, defaults.rise_window_ms);
  EXPECT_TRUE(kept.use_history);

  auto not_a_map = load_node_settings_string("prediction:\n  warner: 1\n", "g.yaml", "");
  ASSERT_EQ(not_a_map.errors.size(), 1u);
  EXPECT_NE(not_a_map.errors[0].to_string().find("prediction.warner"), std::string::npos)
      << not_a_map.errors[0].to_string();
}

TEST(node_config, escalate_after_is_a_non_negative_duration) {
  auto d = load_node_settings_string("", "g.yaml", "");
  EXPECT_EQ(d.settings.prediction.escalate_after_ms, 10 * 60000);
  auto set = load_node_settings_string("prediction:\n  escalate_after: 15m\n", "g.yaml", "");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set.settings.prediction.escalate_after_ms, 15 * 60000);
  auto off = load_node_settings_string("prediction:\n  escalate_after: 0s\n", "g.yaml", "");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off.settings.prediction.escalate_after_ms, 0);
  for (const char* text :
       {"prediction:\n  escalate_after: -5m\n", "prediction:\n  escalate_after: soon\n"}) {
    auto bad = load_node_settings_string(text, "g.yaml", "");
    ASSERT_EQ(bad.errors.size(), 1u) << text;
    EXPECT_NE(bad.errors[0].to_string().find("prediction.escalate_after"), std::string::npos)
        << bad.errors[0].to_string();
    EXPECT_EQ(bad.settings.prediction.escalate_after_ms, 10 * 60000)
        << "a bad value changes nothing";
  }
}

TEST(node_config, storage_sync_interval_is_a_positive_duration_up_to_a_minute) {
  auto d = load_node_settings_string("", "g.yaml", "");
  EXPECT_EQ(d.settings.sync_interval_ms, 1000);
  auto ok = load_node_settings_string("storage:\n  sync_interval: 250ms\n", "g.yaml", "");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.settings.sync_interval_ms, 250);
  auto zero = load_node_settings_string("storage:\n  sync_interval: 0s\n", "g.yaml", "");
  ASSERT_EQ(zero.errors.size(), 1u);
  EXPECT_EQ(zero.errors[0].to_string(), "g.yaml:2:18: storage.sync_interval: must be positive");
  auto slow = load_node_settings_string("storage:\n  sync_interval: 5m\n", "g.yaml", "");
  ASSERT_EQ(slow.errors.size(), 1u);
  EXPECT_EQ(slow.errors[0].to_string(), "g.yaml:2:18: storage.sync_interval: must be at most 1m");
}

TEST(node_config, hostile_values_are_errors_not_crashes) {
  auto long_duration = load_node_settings_string(
      "aggregation:\n  snapshot_interval: " + std::string(309, '9') + "m\n", "g.yaml", "");
  ASSERT_EQ(long_duration.errors.size(), 1u);
  EXPECT_EQ(long_duration.errors[0].to_string(),
            "g.yaml:2:22: aggregation.snapshot_interval: the duration '" + std::string(60, '9')
                + "...' (310 characters) is out of range (at most 36500d)");
  auto shapes = load_node_settings_string(
      "node: 5\nhttp: [1, 2]\nsupervisor: {max_restarts: 99999999999999999999999}\n"
      "rl: {learning_rate: 1e400}\nscrape_targets:\n"
      "  - {name: a, url: 'http://x', mappings: [{series: s, metric: m, labels: {a: [1]}}]}\n",
      "g.yaml", "");
  std::vector<std::string> lines;
  for (const auto& e : shapes.errors)
    lines.push_back(e.to_string());
  // Sections in the order read, each error at its value.
  EXPECT_EQ(lines,
            (std::vector<std::string>{
                "g.yaml:1:7: node: expected a mapping",
                "g.yaml:6:78: scrape_targets[0].mappings[0].labels: expected label names "
                "and values as UTF-8 strings",
                "g.yaml:2:7: http: expected a mapping",
                "g.yaml:4:21: rl.learning_rate: expected a finite number, found '1e400' (out "
                "of range)",
                "g.yaml:3:28: supervisor.max_restarts: expected a whole number, found "
                "'99999999999999999999999' (out of range)",
            }));
  auto bad_text = load_node_settings_string("http:\n  token: \"a\xff\"\n", "g.yaml", "");
  ASSERT_EQ(bad_text.errors.size(), 1u);
  EXPECT_EQ(bad_text.errors[0].to_string(),
            "g.yaml:2:10: http.token: expected UTF-8 text, found 'a\\xff'");
}

TEST(node_config, prometheus_source_defaults_and_backfill_follows_training_history) {
  auto r = load_node_settings_string(
      "prometheus:\n  url: http://127.0.0.1:9090/\ntraining:\n  history: 3d\n", "g.yaml", "");
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  EXPECT_EQ(r.settings.prometheus.url, "http://127.0.0.1:9090/");
  EXPECT_EQ(r.settings.prometheus.timeout_ms, 10000);
  EXPECT_EQ(r.settings.prometheus.backfill_ms, 3 * 86400000LL);
  auto given = load_node_settings_string(
      "prometheus:\n  url: https://prom:9090\n  timeout: 2s\n  backfill: 1d\n", "g.yaml", "");
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given.settings.prometheus.timeout_ms, 2000);
  EXPECT_EQ(given.settings.prometheus.backfill_ms, 86400000LL);
  EXPECT_TRUE(load_node_settings_string("", "g.yaml", "").settings.prometheus.url.empty());
}

TEST(node_config, prometheus_source_errors_name_the_field) {
  auto r = load_node_settings_string("prometheus:\n  url: ftp://x\n  timeout: 0s\n"
                                     "  backfill: -1d\n  bearer_token_file: /nonexistent/t\n"
                                     "  ca_file: ''\n  colour: red\n",
                                     "g.yaml", "");
  std::vector<std::string> text;
  for (const auto& e : r.errors)
    text.push_back(e.to_string());
  auto has = [&](const std::string& s) {
    return std::any_of(text.begin(), text.end(),
                       [&](const std::string& t) { return t.find(s) != std::string::npos; });
  };
  EXPECT_TRUE(has("prometheus.url: expected an http:// or https:// URL")) << text.size();
  EXPECT_TRUE(has("prometheus.timeout: must be positive"));
  EXPECT_TRUE(has("prometheus.backfill"));
  EXPECT_TRUE(has("prometheus.bearer_token_file: no such file"));
  EXPECT_TRUE(has("prometheus.ca_file: must not be empty"));
  EXPECT_TRUE(has("prometheus.colour: unknown key"));
  auto no_url = load_node_settings_string("prometheus:\n  timeout: 2s\n", "g.yaml", "");
  ASSERT_EQ(no_url.errors.size(), 1u);
  EXPECT_NE(no_url.errors[0].to_string().find("missing required key 'url'"), std::string::npos);
  auto creds = load_node_settings_string("prometheus:\n  url: http://u:p@h:9090\n", "g.yaml", "");
  ASSERT_EQ(creds.errors.size(), 1u);
  EXPECT_NE(creds.errors[0].to_string().find("without credentials"), std::string::npos);
}
