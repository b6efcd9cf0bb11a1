#include "node/node_config.hpp"

#include "actors/cluster/membership.hpp"
#include "http/request_rules.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace grace::node {

using config::child;
using config::element;
using config::join_path;
using config::yaml_reader;

namespace {

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || std::filesystem::path(p).is_absolute() || base_dir.empty())
    return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

// The format of each cluster setting; whether they are complete enough to
// start a cluster node is checked after the command line has had its say
// (cluster::cluster_settings_problems).
void read_cluster(yaml_reader& in, const YAML::Node& n, const std::string& base_dir,
                  cluster::cluster_settings& c) {
  auto name = [&](const char* key, std::string& out) {
    if (auto v = in.string(n, key, "cluster")) {
      if (!cluster::valid_name(*v))
        in.error(child(n, key), join_path("cluster", key),
                 "must be 1-64 characters of A-Z a-z 0-9 . _ -, found "
                     + config::quote_for_error(*v));
      else
        out = *v;
    }
  };
  name("node_id", c.node_id);
  name("name", c.name);
  if (auto v = in.string_list(n, "etcd", "cluster")) {
    for (size_t i = 0; i < v->size(); ++i) {
      std::string why;
      if (!cluster::parse_etcd_url((*v)[i], why))
        in.error(element(child(n, "etcd"), i), config::index_path("cluster.etcd", i),
                 why + ", found " + config::quote_for_error((*v)[i]));
      else
        c.etcd.push_back((*v)[i]);
    }
  }
  if (auto v = in.string(n, "listen", "cluster")) {
    std::string why;
    if (!cluster::parse_host_port(*v, why))
      in.error(child(n, "listen"), "cluster.listen",
               why + ", found " + config::quote_for_error(*v));
    else
      c.listen = *v;
  }
  for (auto [key, out] :
       {std::pair<const char*, std::string*>{"cert", &c.cert}, {"key", &c.key}, {"ca", &c.ca}}) {
    if (auto v = in.string(n, key, "cluster")) {
      if (v->empty())
        in.error(child(n, key), join_path("cluster", key), "must not be empty");
      else
        *out = resolve(base_dir, *v);
    }
  }
}

// prediction.warner: the breach warner's settings (breach_warner.hpp, the
// core `grace-node warn` and `grace-lead-time --warner` run too), each under
// the name of its JSON field (durations without the _ms).
void read_warner(yaml_reader& in, const YAML::Node& n, predictor::breach_warner_settings& w) {
  const std::string path = "prediction.warner";
  if (!in.expect_map(n, path, {"horizon",
                               "use_history",
                               "prior_weight",
                               "history_alpha",
                               "use_daily",
                               "use_distance",
                               "use_forecast_class",
                               "take_max",
                               "forecast_prior",
                               "interpolate_classes",
                               "fine_forecast_classes",
                               "combined_prior",
                               "reanchor",
                               "condition_on_newest",
                               "alarm_budget_per_day",
                               "use_trend",
                               "trend_values",
                               "path_probability",
                               "score_against_cut",
                               "logistic_calibration",
                               "calibration_prior",
                               "rise_weight",
                               "rise_take_max",
                               "rise_window",
                               "rise_learned_mix",
                               "rise_mix_early_only",
                               "learned_damping",
                               "exclusive_threshold",
                               "rise_prior_weight",
                               "rise_band_gate",
                               "rise_cause_context",
                               "rise_rank_choice",
                               "rise_rank_prior"},
                     {}))
    return;
  for (auto [key, out] : {std::pair<const char*, bool*>{"use_history", &w.use_history},
                          {"use_daily", &w.use_daily},
                          {"use_distance", &w.use_distance},
                          {"use_forecast_class", &w.use_forecast_class},
                          {"take_max", &w.take_max},
                          {"forecast_prior", &w.forecast_prior},
                          {"interpolate_classes", &w.interpolate_classes},
                          {"fine_forecast_classes", &w.fine_forecast_classes},
                          {"combined_prior", &w.combined_prior},
                          {"reanchor", &w.reanchor},
                          {"condition_on_newest", &w.condition_on_newest},
                          {"use_trend", &w.use_trend},
                          {"path_probability", &w.path_probability},
                          {"score_against_cut", &w.score_against_cut},
                          {"logistic_calibration", &w.logistic_calibration},
                          {"rise_take_max", &w.rise_take_max},
                          {"rise_learned_mix", &w.rise_learned_mix},
                          {"rise_mix_early_only", &w.rise_mix_early_only},
                          {"learned_damping", &w.learned_damping},
                          {"exclusive_threshold", &w.exclusive_threshold},
                          {"rise_band_gate", &w.rise_band_gate},
                          {"rise_cause_context", &w.rise_cause_context},
                          {"rise_rank_choice", &w.rise_rank_choice}})
    if (auto v = in.boolean(n, key, path))
      *out = *v;
  // Numbers: [low, high], or above low when low_open.
  struct number_key {
    const char* key;
    double* out;
    double low, high;
    bool low_open;
    const char* rule;
  };
  for (const auto& k :
       {number_key{"prior_weight", &w.prior_weight, 0.0, 1e6, false, "must be in [0, 1000000]"},
        number_key{"history_alpha", &w.history_alpha, 0.0, 1.0, true, "must be in (0, 1]"},
        number_key{"alarm_budget_per_day", &w.alarm_budget_per_day, 0.0, 1e6, false,
                   "must be in [0, 1000000] (0: off)"},
        number_key{"calibration_prior", &w.calibration_prior, 0.0, 1e6, true,
                   "must be in (0, 1000000]"},
        number_key{"rise_weight", &w.rise_weight, 0.0, 1.0, false, "must be in [0, 1]"},
        number_key{"rise_prior_weight", &w.rise_prior_weight, 0.0, 1e6, false,
                   "must be in [0, 1000000]"},
        number_key{"rise_rank_prior", &w.rise_rank_prior, 0.0, 1e6, false,
                   "must be in [0, 1000000]"}}) {
    if (auto v = in.number(n, k.key, path)) {
      if (!(k.low_open ? *v > k.low : *v >= k.low) || !(*v <= k.high))
        in.error(child(n, k.key), join_path(path, k.key), k.rule);
      else
        *k.out = *v;
    }
  }
  if (auto v = in.integer(n, "trend_values", path)) {
    if (*v < 3 || *v > 10000)
      in.error(child(n, "trend_values"), path + ".trend_values", "must be between 3 and 10000");
    else
      w.trend_values = static_cast<size_t>(*v);
  }
  for (auto [key, out] : {std::pair<const char*, int64_t*>{"horizon", &w.horizon_ms},
                          {"rise_window", &w.rise_window_ms}}) {
    if (auto v = in.duration_ms(n, key, path)) {
      if (*v <= 0 || *v > 24 * 3600000LL)
        in.error(child(n, key), join_path(path, key), "must be positive and at most 24h");
      else
        *out = *v;
    }
  }
}

void read_settings(yaml_reader& in, const YAML::Node& root, const std::string& base_dir,
                   node_settings& s) {
  if (!root.IsDefined() || root.IsNull())
    return; // an empty file means all defaults
  if (!in.expect_map(root, "",
                     {"node", "catalog", "simulator", "ingest", "scrape_targets", "http", "storage",
                      "aggregation", "forecasting", "training", "rl", "prediction", "execution",
                      "alerting", "supervisor", "prometheus", "cluster"},
                     {}))
    return;
  auto section = [&](const char* name, std::initializer_list<const char*> keys) {
    const YAML::Node n = child(root, name);
    if (!n.IsDefined())
      return YAML::Node(YAML::NodeType::Undefined);
    return in.expect_map(n, name, keys, {}) ? n : YAML::Node(YAML::NodeType::Undefined);
  };
  auto positive_duration = [&](const YAML::Node& n, const char* key, const std::string& path,
                               int64_t& out) {
    if (auto v = in.duration_ms(n, key, path)) {
      if (*v <= 0)
        in.error(child(n, key), join_path(path, key), "must be positive");
      else
        out = *v;
    }
  };

  if (auto n = section("node", {"data_dir", "time_scale", "log_format", "log_level"})) {
    if (auto v = in.string(n, "data_dir", "node")) {
      if (v->empty())
        in.error(child(n, "data_dir"), "node.data_dir", "must not be empty");
      else
        s.data_dir = resolve(base_dir, *v);
    }
    if (auto v = in.number(n, "time_scale", "node")) {
      if (*v <= 0 || *v > 100000)
        in.error(child(n, "time_scale"), "node.time_scale", "must be above 0 and at most 100000");
      else
        s.time_scale = *v;
    }
    if (auto v = in.string(n, "log_format", "node")) {
      if (*v != "text" && *v != "json")
        in.error(child(n, "log_format"), "node.log_format",
                 "expected text or json, found " + config::quote_for_error(*v));
      else
        s.log_format = *v;
    }
    if (auto v = in.string(n, "log_level", "node")) {
      static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error"};
      if (std::find(levels.begin(), levels.end(), *v) == levels.end())
        in.error(child(n, "log_level"), "node.log_level",
                 "expected trace, debug, info, warn or error, found "
                     + config::quote_for_error(*v));
      else
        s.log_level = *v;
    }
  }
  if (auto n = section("catalog", {"path"})) {
    if (auto v = in.string(n, "path", "catalog"))
      s.catalog_path = resolve(base_dir, *v);
  }
  if (auto n = section("simulator", {"config"})) {
    if (auto v = in.string(n, "config", "simulator"))
      s.simulator_config_path = resolve(base_dir, *v);
  }
  if (auto n = section("ingest", {"max_future"})) {
    if (auto v = in.duration_ms(n, "max_future", "ingest"))
      s.max_future_ms = *v;
  }
  if (const YAML::Node targets = child(root, "scrape_targets"); targets.IsDefined()) {
    if (in.expect_sequence(targets, "scrape_targets")) {
      for (size_t i = 0; i < targets.size(); ++i) {
        const YAML::Node t = element(targets, i);
        const std::string path = config::index_path("scrape_targets", i);
        if (!in.expect_map(t, path, {"name", "url", "interval", "timeout", "mappings"},
                           {"name", "url", "mappings"}))
          continue;
        ingest::scrape_target target;
        if (auto v = in.string(t, "name", path))
          target.name = *v;
        if (auto v = in.string(t, "url", path)) {
          if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
            in.error(child(t, "url"), join_path(path, "url"),
                     "expected an http:// or https:// URL");
          target.url = *v;
        }
        positive_duration(t, "interval", path, target.interval_ms);
        positive_duration(t, "timeout", path, target.timeout_ms);
        const YAML::Node maps = child(t, "mappings");
        const std::string mpath = join_path(path, "mappings");
        if (in.expect_sequence(maps, mpath)) {
          for (size_t j = 0; j < maps.size(); ++j) {
            const YAML::Node m = element(maps, j);
            const std::string rpath = config::index_path(mpath, j);
            if (!in.expect_map(m, rpath, {"series", "labels", "metric"}, {"series", "metric"}))
              continue;
            ingest::mapping_rule rule;
            if (auto v = in.string(m, "series", rpath))
              rule.series = *v;
            if (auto v = in.string(m, "metric", rpath))
              rule.metric_id = *v;
            if (const YAML::Node labels = child(m, "labels"); labels.IsDefined()) {
              if (!labels.IsMap()) {
                in.error(labels, join_path(rpath, "labels"), "expected a mapping of strings");
              } else {
                for (auto it = labels.begin(); it != labels.end(); ++it) {
                  if (!it->first.IsScalar() || !it->second.IsScalar()
                      || !config::is_valid_utf8(it->first.Scalar())
                      || !config::is_valid_utf8(it->second.Scalar())) {
                    in.error(it->second, join_path(rpath, "labels"),
                             "expected label names and values as UTF-8 strings");
                    continue;
                  }
                  rule.match[it->first.Scalar()] = it->second.Scalar();
                }
              }
            }
            target.mappings.push_back(std::move(rule));
          }
        }
        s.scrape_targets.push_back(std::move(target));
      }
    }
  }
  bool backfill_given = false;
  if (auto n =
          section("prometheus", {"url", "bearer_token_file", "ca_file", "timeout", "backfill"})) {
    auto& p = s.prometheus;
    if (!child(n, "url").IsDefined())
      in.error(n, "prometheus", "missing required key 'url'");
    if (auto v = in.string(n, "url", "prometheus")) {
      const bool https = v->rfind("https://", 0) == 0;
      const auto host_start = v->find("://") == std::string::npos ? 0 : v->find("://") + 3;
      if (!https && v->rfind("http://", 0) != 0)
        in.error(child(n, "url"), "prometheus.url",
                 "expected an http:// or https:// URL, found " + config::quote_for_error(*v));
      else if (v->size() == host_start || (*v)[host_start] == '/')
        in.error(child(n, "url"), "prometheus.url", "has no host");
      else if (v->find_first_of("?#@ ") != std::string::npos)
        in.error(child(n, "url"), "prometheus.url",
                 "must be the server's base URL, without credentials, query or fragment");
      else
        p.url = *v;
    }
    auto readable_file = [&](const char* key, std::string& out) {
      if (auto v = in.string(n, key, "prometheus")) {
        const auto path = resolve(base_dir, *v);
        std::error_code ec;
        if (v->empty())
          in.error(child(n, key), join_path("prometheus", key), "must not be empty");
        else if (!std::filesystem::is_regular_file(path, ec))
          in.error(child(n, key), join_path("prometheus", key),
                   "no such file: " + config::quote_for_error(path));
        else
          out = path;
      }
    };
    readable_file("bearer_token_file", p.bearer_token_file);
    readable_file("ca_file", p.ca_file);
    if (!p.ca_file.empty() && !p.url.empty() && p.url.rfind("https://", 0) != 0)
      in.error(child(n, "ca_file"), "prometheus.ca_file", "is only used with an https:// url");
    positive_duration(n, "timeout", "prometheus", p.timeout_ms);
    if (child(n, "backfill").IsDefined()) {
      backfill_given = true;
      if (auto v = in.duration_ms(n, "backfill", "prometheus")) {
        if (*v < 0)
          in.error(child(n, "backfill"), "prometheus.backfill", "must not be negative");
        else
          p.backfill_ms = *v;
      }
    }
  }
  if (auto n = section("http", {"bind", "port", "token", "request_timeout", "max_body_bytes",
                                "threads", "max_event_streams", "allowed_hosts", "idle_timeout",
                                "read_timeout", "max_connections"})) {
    if (auto v = in.string(n, "bind", "http")) {
      if (v->empty())
        in.error(child(n, "bind"), "http.bind", "must not be empty");
      else
        s.http.bind = *v;
    }
    if (auto v = in.integer(n, "port", "http")) {
      if (*v < 0 || *v > 65535)
        in.error(child(n, "port"), "http.port", "must be between 0 and 65535");
      else
        s.http.port = static_cast<int>(*v);
    }
    if (auto v = in.string(n, "token", "http")) {
      const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
      if (!v->empty() && std::all_of(v->begin(), v->end(), space))
        in.error(n["token"], "http.token",
                 "is only whitespace, which is no token (leave it empty for none)");
      else if (!v->empty() && (space(v->front()) || space(v->back())))
        in.error(n["token"], "http.token",
                 "must not begin or end with whitespace (HTTP drops it from the header)");
      else
        s.http.token = *v;
    }
    positive_duration(n, "request_timeout", "http", s.http.request_timeout_ms);
    if (auto v = in.integer(n, "max_body_bytes", "http")) {
      if (*v < 1024)
        in.error(child(n, "max_body_bytes"), "http.max_body_bytes", "must be at least 1024");
      else
        s.http.max_body_bytes = *v;
    }
    if (auto v = in.integer(n, "threads", "http")) {
      if (*v < 2 || *v > 256)
        in.error(child(n, "threads"), "http.threads", "must be between 2 and 256");
      else
        s.http.threads = static_cast<int>(*v);
    }
    if (auto v = in.string_list(n, "allowed_hosts", "http")) {
      for (size_t i = 0; i < v->size(); ++i) {
        const auto& host = (*v)[i];
        if (!http::split_host(host))
          in.error(n["allowed_hosts"][i], config::index_path("http.allowed_hosts", i),
                   "must be a host name or address, optionally with :port (as in a Host "
                   "header), found '"
                       + host + "'");
        else
          s.http.allowed_hosts.push_back(host);
      }
    }
    positive_duration(n, "idle_timeout", "http", s.http.idle_timeout_ms);
    positive_duration(n, "read_timeout", "http", s.http.read_timeout_ms);
    if (auto v = in.integer(n, "max_connections", "http")) {
      if (*v < 16 || *v > 65536)
        in.error(n["max_connections"], "http.max_connections", "must be between 16 and 65536");
      else
        s.http.max_connections = static_cast<int>(*v);
    }
    if (auto v = in.integer(n, "max_event_streams", "http")) {
      if (*v < 0 || *v > 1024)
        in.error(child(n, "max_event_streams"), "http.max_event_streams",
                 "must be between 0 and 1024");
      else
        s.http.max_event_streams = static_cast<int>(*v);
    }
  }
  if (auto n = section("storage", {"sync_interval"})) {
    positive_duration(n, "sync_interval", "storage", s.sync_interval_ms);
    if (n["sync_interval"] && s.sync_interval_ms > 60000)
      in.error(n["sync_interval"], "storage.sync_interval", "must be at most 1m");
  }
  if (auto n = section("aggregation", {"snapshot_interval", "retention"})) {
    positive_duration(n, "snapshot_interval", "aggregation", s.snapshot_interval_ms);
    positive_duration(n, "retention", "aggregation", s.retention_ms);
  }
  if (auto n = section("forecasting", {"interval", "horizon"})) {
    positive_duration(n, "interval", "forecasting", s.forecast_interval_ms);
    positive_duration(n, "horizon", "forecasting", s.forecast_horizon_ms);
    // The forecaster answers one snapshot interval up to six hours ahead.
    if (child(n, "horizon")
        && (s.forecast_horizon_ms < s.snapshot_interval_ms
            || s.forecast_horizon_ms > 6 * 3600000LL))
      in.error(child(n, "horizon"), "forecasting.horizon",
               "must be between the snapshot interval and 6h");
  }
  if (auto n = section("training", {"interval", "window", "history"})) {
    positive_duration(n, "interval", "training", s.training_interval_ms);
    positive_duration(n, "window", "training", s.training_window_ms);
    positive_duration(n, "history", "training", s.training_history_ms);
    if (s.training_history_ms < s.training_window_ms)
      in.error(n, "training", "history must be at least as long as window");
  }
  if (auto n = section("rl", {"learning_rate", "policy", "exploration_rule", "seed", "max_pending",
                              "pending_ttl"})) {
    if (auto v = in.string(n, "exploration_rule", "rl")) {
      if (*v != "thompson" && *v != "information_directed" && *v != "knowledge_gradient")
        in.error(child(n, "exploration_rule"), "rl.exploration_rule",
                 "must be thompson, information_directed or knowledge_gradient, found "
                     + config::quote_for_error(*v));
      else
        s.rl_exploration_rule = *v;
    }
    if (auto v = in.string(n, "policy", "rl")) {
      if (*v != "hierarchical_thompson" && *v != "thompson" && *v != "greedy_ema")
        in.error(child(n, "policy"), "rl.policy",
                 "must be hierarchical_thompson, thompson or greedy_ema, found "
                     + config::quote_for_error(*v));
      else
        s.rl_policy = *v;
    }
    if (auto v = in.integer(n, "seed", "rl")) {
      if (*v < 0)
        in.error(child(n, "seed"), "rl.seed", "must not be negative");
      else
        s.rl_seed = *v;
    }
    if (auto v = in.number(n, "learning_rate", "rl")) {
      if (*v <= 0 || *v > 1)
        in.error(child(n, "learning_rate"), "rl.learning_rate", "must be in (0, 1]");
      else
        s.rl_learning_rate = *v;
    }
    if (auto v = in.integer(n, "max_pending", "rl")) {
      if (*v < 1 || *v > 1000000)
        in.error(n["max_pending"], "rl.max_pending", "must be in [1, 1000000]");
      else
        s.rl_max_pending = *v;
    }
    positive_duration(n, "pending_ttl", "rl", s.rl_pending_ttl_ms);
  }
  if (auto n = section("prediction",
                       {"min_probability", "min_lead", "max_lead", "grace", "react_to_breaches",
                        "sudden_onset_context", "escalate_after", "react_unattended_first",
                        "warnings_wait_for_runs", "hold_symptom_warnings",
                        "steps_not_held_by_climbs", "recovery_share", "warner"})) {
    if (auto v = in.number(n, "min_probability", "prediction")) {
      if (*v <= 0 || *v > 1)
        in.error(child(n, "min_probability"), "prediction.min_probability", "must be in (0, 1]");
      else
        s.prediction.min_probability = *v;
    }
    if (auto v = in.duration_ms(n, "min_lead", "prediction")) {
      if (*v < 0)
        in.error(child(n, "min_lead"), "prediction.min_lead", "must not be negative");
      else
        s.prediction.min_lead_ms = *v;
    }
    positive_duration(n, "max_lead", "prediction", s.prediction.max_lead_ms);
    positive_duration(n, "grace", "prediction", s.prediction.grace_ms);
    auto& p = s.prediction;
    for (auto [key, out] :
         {std::pair<const char*, bool*>{"react_to_breaches", &p.react_to_breaches},
          {"sudden_onset_context", &p.sudden_onset_context},
          {"react_unattended_first", &p.react_unattended_first},
          {"warnings_wait_for_runs", &p.warnings_wait_for_runs},
          {"hold_symptom_warnings", &p.hold_symptom_warnings},
          {"steps_not_held_by_climbs", &p.steps_not_held_by_climbs}})
      if (auto v = in.boolean(n, key, "prediction"))
        *out = *v;
    if (auto v = in.number(n, "recovery_share", "prediction")) {
      if (!(*v >= 0 && *v < 1))
        in.error(child(n, "recovery_share"), "prediction.recovery_share", "must be in [0, 1)");
      else
        s.prediction.recovery_share = *v;
    }
    if (auto v = in.duration_ms(n, "escalate_after", "prediction")) {
      if (*v < 0)
        in.error(child(n, "escalate_after"), "prediction.escalate_after", "must not be negative");
      else
        s.prediction.escalate_after_ms = *v;
    }
    if (s.prediction.max_lead_ms <= s.prediction.min_lead_ms)
      in.error(n, "prediction", "max_lead must be longer than min_lead");
    if (auto w = child(n, "warner"); w.IsDefined())
      read_warner(in, w, s.prediction.warner);
  }
  if (auto n = section("execution", {"evaluation_window", "approval_timeout", "breaker_failures",
                                     "breaker_open", "kill_switch", "causes_confound"})) {
    positive_duration(n, "evaluation_window", "execution", s.execution.evaluation_window_ms);
    positive_duration(n, "approval_timeout", "execution", s.execution.approval_timeout_ms);
    positive_duration(n, "breaker_open", "execution", s.execution.breaker_open_ms);
    if (auto v = in.integer(n, "breaker_failures", "execution")) {
      if (*v < 1 || *v > 100)
        in.error(child(n, "breaker_failures"), "execution.breaker_failures",
                 "must be between 1 and 100");
      else
        s.execution.breaker_failures = static_cast<int>(*v);
    }
    if (auto v = in.boolean(n, "causes_confound", "execution"))
      s.execution.causes_confound = *v;
    if (auto v = in.boolean(n, "kill_switch", "execution"))
      s.execution.kill_switch = *v;
  }
  if (auto n = section("alerting", {"alertmanagers", "webhooks", "resend_interval"})) {
    auto urls = [&](const char* key, std::vector<std::string>& out) {
      if (auto v = in.string_list(n, key, "alerting")) {
        for (size_t i = 0; i < v->size(); ++i) {
          const auto& url = (*v)[i];
          if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
            in.error(element(child(n, key), i),
                     config::index_path(std::string("alerting.") + key, i),
                     "must be an http:// or https:// URL, found " + config::quote_for_error(url));
          else
            out.push_back(url);
        }
      }
    };
    urls("alertmanagers", s.alerting.alertmanagers);
    urls("webhooks", s.alerting.webhooks);
    positive_duration(n, "resend_interval", "alerting", s.alerting.resend_interval_ms);
  }
  if (auto n = section("supervisor", {"max_restarts", "restart_window", "backoff_initial",
                                      "backoff_max", "shutdown_grace"})) {
    if (auto v = in.integer(n, "max_restarts", "supervisor")) {
      if (*v < 0 || *v > 1000)
        in.error(child(n, "max_restarts"), "supervisor.max_restarts", "must be between 0 and 1000");
      else
        s.supervisor.max_restarts = static_cast<int>(*v);
    }
    positive_duration(n, "restart_window", "supervisor", s.supervisor.restart_window_ms);
    positive_duration(n, "backoff_initial", "supervisor", s.supervisor.backoff_initial_ms);
    positive_duration(n, "backoff_max", "supervisor", s.supervisor.backoff_max_ms);
    positive_duration(n, "shutdown_grace", "supervisor", s.supervisor.shutdown_grace_ms);
  }
  if (auto n = section("cluster", {"node_id", "name", "etcd", "listen", "cert", "key", "ca"}))
    read_cluster(in, n, base_dir, s.cluster);
  // The history a fresh node reads defaults to what training looks at.
  if (!backfill_given)
    s.prometheus.backfill_ms = s.training_history_ms;
}

} // namespace

settings_result load_node_settings(const std::string& path) {
  settings_result r;
  yaml_reader in(path, r.errors);
  YAML::Node root = in.load_file();
  r.settings.config_path = path;
  if (!r.errors.empty())
    return r;
  read_settings(in, root, std::filesystem::path(path).parent_path().string(), r.settings);
  return r;
}

settings_result load_node_settings_string(const std::string& yaml, const std::string& source_name,
                                          const std::string& base_dir) {
  settings_result r;
  yaml_reader in(source_name, r.errors);
  YAML::Node root = in.load_string(yaml);
  r.settings.config_path = source_name;
  if (!r.errors.empty())
    return r;
  read_settings(in, root, base_dir, r.settings);
  return r;
}

} // namespace grace::node
