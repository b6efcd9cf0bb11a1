#include "messages/json.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <set>

using nlohmann::json;

namespace {

grace::snapshot sample_snapshot() {
  grace::snapshot s;
  s.metric_id = "cpu_usage";
  s.window_start = 1700000000000;
  s.window_end = 1700000060000;
  s.count = 60;
  s.mean = 0.5;
  s.min = 0.1;
  s.max = 0.9;
  s.p50 = 0.45;
  s.p95 = 0.85;
  s.last = 0.7;
  s.level = grace::band::warning;
  return s;
}

grace::forecast sample_forecast() {
  grace::forecast f;
  f.metric_id = "latency_p95";
  f.generated_at = 1700000000000;
  f.step = 60000;
  f.model_version = "tft-3";
  f.points = {{1700000060000, 1.0, 0.8, 1.2, 0.7, 1.3}, {1700000120000, 1.1, 0.9, 1.3, 0.8, 1.4}};
  f.feature_importance = {{"lags", 0.7}, {"calendar", 0.3}};
  return f;
}

std::string error_of(const json& j, void (*parse)(const json&)) {
  try {
    parse(j);
  } catch (const grace::json_mapping_error& e) {
    return e.what();
  }
  return "";
}

template <class T> void parse_as(const json& j) {
  (void)j.get<T>();
}

} // namespace

TEST(messages_json, snapshot_uses_the_agreed_field_names_and_round_trips) {
  auto s = sample_snapshot();
  json j = s;
  EXPECT_EQ(j["band"], "warning");
  EXPECT_EQ(j["window_start"], 1700000000000);
  EXPECT_EQ(j.size(), 11u);
  for (auto name : {"metric_id", "window_start", "window_end", "count", "mean", "min", "max", "p50",
                    "p95", "last", "band"})
    EXPECT_TRUE(j.contains(name)) << name;
  auto back = json::parse(j.dump()).get<grace::snapshot>();
  EXPECT_EQ(json(back), j);
  EXPECT_EQ(back.level, grace::band::warning);
  EXPECT_EQ(back.count, 60u);
}

TEST(messages_json, forecast_round_trips_with_step_ms_and_nested_lists) {
  auto f = sample_forecast();
  json j = f;
  EXPECT_EQ(j["step_ms"], 60000);
  EXPECT_FALSE(j.contains("step"));
  EXPECT_EQ(j["points"][1]["hi95"], 1.4);
  EXPECT_EQ(j["feature_importance"][0]["feature"], "lags");
  auto back = json::parse(j.dump()).get<grace::forecast>();
  EXPECT_EQ(back.step, 60000);
  ASSERT_EQ(back.points.size(), 2u);
  EXPECT_EQ(back.points[1].ts, 1700000120000);
  EXPECT_EQ(json(back), j);
}

TEST(messages_json, every_other_type_round_trips) {
  grace::experience e{"ev1", "checkout", "memory_leak",          "restart_pod",
                      0.25,  -0.5,       {{"error_rate", -0.1}}, 0.02,
                      123};
  EXPECT_EQ(json(json(e).get<grace::experience>()), json(e));
  EXPECT_EQ(json(e)["kpi_deltas"]["error_rate"], -0.1);

  grace::training_record t{7, 100, 200, 5000, 12, "tft-7", {{"cpu", 0.12}}};
  EXPECT_EQ(json(json(t).get<grace::training_record>()), json(t));

  grace::early_warning w;
  w.id = "w1";
  w.metric_id = "cpu";
  w.severity = grace::band::critical;
  w.outcome = grace::warning_outcome::came_true;
  json jw = w;
  EXPECT_EQ(jw["outcome"], "came_true");
  EXPECT_EQ(jw["severity"], "critical");
  EXPECT_EQ(json(jw.get<grace::early_warning>()), jw);

  grace::recommendation r{"ev",
                          "svc",
                          "diag",
                          "pb",
                          0.5,
                          {{"pb", 1.0, 0.5}, {"pb2", 0.2, 0.5}},
                          {{"risky", "risk tier 4 is above this context's cap of 3"}}};
  EXPECT_EQ(json(json(r).get<grace::recommendation>()), json(r));
  EXPECT_EQ(json(r)["excluded"][0]["reason"], "risk tier 4 is above this context's cap of 3");

  grace::health_report h{
      87.5, "good", "87.5/100", {{"availability", 0.5, 99.0, "up"}, {"x", 0.5, {}, ""}}};
  EXPECT_EQ(json(h)["score"], 87.5);
  EXPECT_EQ(json(h)["parts"][0]["has_data"], true);
  EXPECT_TRUE(json(h)["parts"][1]["value"].is_null());
  EXPECT_EQ(json(h)["parts"][1]["has_data"], false);

  grace::metric_sample m{"cpu", 5, 0.5, {{"host", "a"}}};
  EXPECT_EQ(json(json(m).get<grace::metric_sample>()), json(m));
}

TEST(messages_json, nan_is_written_as_null_and_read_back_as_nan) {
  auto s = sample_snapshot();
  s.p95 = std::nan("");
  auto back = json::parse(json(s).dump()).get<grace::snapshot>();
  EXPECT_TRUE(std::isnan(back.p95));
}

TEST(messages_json, optional_lists_may_be_omitted) {
  json j = sample_forecast();
  j.erase("points");
  j.erase("feature_importance");
  auto f = j.get<grace::forecast>();
  EXPECT_TRUE(f.points.empty());
  json m{{"metric_id", "cpu"}, {"ts", 1}, {"value", 2.5}};
  EXPECT_TRUE(m.get<grace::metric_sample>().labels.empty());
}

TEST(messages_json, bad_fields_are_named) {
  json j = sample_snapshot();
  j["mean"] = "high";
  EXPECT_EQ(error_of(j, parse_as<grace::snapshot>),
            "snapshot: field 'mean' must be a number, found string");

  j = sample_snapshot();
  j.erase("window_end");
  EXPECT_EQ(error_of(j, parse_as<grace::snapshot>), "snapshot: field 'window_end' is missing");

  j = sample_snapshot();
  j["band"] = "purple";
  EXPECT_EQ(error_of(j, parse_as<grace::snapshot>),
            "snapshot: field 'band' has an unknown band 'purple' (expected good, warning or "
            "critical)");

  j = sample_snapshot();
  j["count"] = -3;
  EXPECT_EQ(error_of(j, parse_as<grace::snapshot>), "snapshot: field 'count' must not be negative");

  j = sample_snapshot();
  j["window_start"] = 1.5;
  EXPECT_EQ(error_of(j, parse_as<grace::snapshot>),
            "snapshot: field 'window_start' must be an integer, found number");

  j = sample_forecast();
  j["points"][1].erase("ts");
  EXPECT_EQ(error_of(j, parse_as<grace::forecast>), "forecast: points[1]: field 'ts' is missing");

  j = sample_forecast();
  j["points"] = json::object();
  EXPECT_EQ(error_of(j, parse_as<grace::forecast>),
            "forecast: field 'points' must be an array, found object");

  json e = grace::experience{};
  e["kpi_deltas"] = json{{"cpu", "up"}};
  EXPECT_EQ(error_of(e, parse_as<grace::experience>),
            "experience: field 'kpi_deltas' entry 'cpu' must be a number, found string");

  EXPECT_EQ(error_of(json::array(), parse_as<grace::training_record>),
            "training_record: must be a JSON object, found array");

  json w = grace::early_warning{};
  w["outcome"] = "maybe";
  EXPECT_NE(error_of(w, parse_as<grace::early_warning>).find("field 'outcome'"), std::string::npos);
}

TEST(messages_json, enum_names_parse_and_reject_unknowns) {
  EXPECT_EQ(grace::band_from_string("critical"), grace::band::critical);
  EXPECT_EQ(json("false_alarm").get<grace::warning_outcome>(), grace::warning_outcome::false_alarm);
  EXPECT_THROW(grace::band_from_string("Good"), grace::json_mapping_error);
  EXPECT_THROW(json(1).get<grace::band>(), grace::json_mapping_error);
}

TEST(messages_json, not_yet_is_null_not_a_placeholder) {
  grace::early_warning w;
  w.id = "w1";
  w.metric_id = "cpu";
  w.raised_at = 1000;
  json jw = w;
  for (const char* field :
       {"recommended_playbook", "action_playbook", "action_at", "breached_at", "resolved_at"})
    EXPECT_TRUE(jw.at(field).is_null()) << field;
  EXPECT_EQ(jw["raised_at"], "1970-01-01T00:00:01.000Z");
  w.recommended_playbook = "scale-out";
  w.action_at = 2000;
  jw = w;
  EXPECT_EQ(jw["recommended_playbook"], "scale-out");
  EXPECT_EQ(jw["action_at"], "1970-01-01T00:00:02.000Z");
  EXPECT_EQ(json(jw.get<grace::early_warning>()), jw);

  grace::execution e;
  e.id = "x1";
  e.playbook = "restart";
  e.state = grace::execution_state::succeeded;
  e.started_at = 5;
  e.reward = 0.0;
  json je = e;
  for (const char* field : {"reward", "trust_delta", "outcome_summary", "kpi_deltas", "warning_id",
                            "finished_at", "approval_expires_at"})
    EXPECT_TRUE(je.at(field).is_null()) << field;
  EXPECT_EQ(je["started_at"], "1970-01-01T00:00:00.005Z");
  EXPECT_EQ(json(je.get<grace::execution>()), je);

  e.state = grace::execution_state::evaluated;
  e.reward = 0.0; // a real zero once evaluated
  e.kpi_deltas = {{"cpu.delta_vs_before", -0.2}};
  je = e;
  EXPECT_EQ(je["reward"], 0.0);
  EXPECT_EQ(je["kpi_deltas"]["cpu.delta_vs_before"], -0.2);
  EXPECT_EQ(json(je.get<grace::execution>()), je);
}

TEST(messages_json, read_as_names_the_place_instead_of_the_type) {
  json j = sample_snapshot();
  j["mean"] = "high";
  try {
    (void)grace::read_as<grace::snapshot>(j, "snapshots[3]");
    FAIL() << "accepted a string mean";
  } catch (const grace::json_mapping_error& e) {
    EXPECT_STREQ(e.what(), "snapshots[3]: field 'mean' must be a number, found string");
  }
}

TEST(messages_json, warnings_view_round_trips_and_has_no_lead_time_before_one_came_true) {
  grace::warnings_view v;
  grace::early_warning w;
  w.id = "w1";
  w.metric_id = "cpu";
  v.open = {w};
  v.statistics = {3, 1, 0, 2, 0.0};
  json j = v;
  EXPECT_TRUE(j["statistics"]["mean_lead_minutes"].is_null());
  EXPECT_EQ(j["open"][0]["id"], "w1");
  EXPECT_EQ(json(j.get<grace::warnings_view>()), j);
  v.statistics.came_true = 1;
  v.statistics.mean_lead_minutes = 25.0;
  EXPECT_EQ(json(v)["statistics"]["mean_lead_minutes"], 25.0);
}

namespace {

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> out;
  for (const auto& [key, value] : j.items())
    out.insert(key);
  return out;
}

} // namespace

TEST(messages_json, supervisor_status_lists_components_by_name) {
  grace::supervisor_status s;
  s.components = {{"catalog", true, 1}, {"storage", false, 0}};
  EXPECT_EQ(json(s).dump(), R"({"components":[{"name":"catalog","restarts":1,"up":true},)"
                            R"({"name":"storage","restarts":0,"up":false}]})");
  EXPECT_EQ(json(grace::supervisor_status{}).dump(), R"({"components":[]})");
}

TEST(messages_json, aggregator_status_shows_the_watermark_once_a_window_closed) {
  grace::aggregator_status s;
  s.accepted = 10;
  s.rejected_late = 2;
  s.snapshots_emitted = 7; // internal: not part of /api/status "samples"
  s.closed_before = std::numeric_limits<int64_t>::min();
  json j = s;
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"accepted", "rejected_late", "rejected_invalid",
                                               "replayed", "open_windows"}));
  EXPECT_EQ(j["accepted"], 10);
  EXPECT_EQ(j["rejected_late"], 2);
  s.closed_before = 1700000000000;
  EXPECT_EQ(json(s)["closed_before"], "2023-11-14T22:13:20.000Z");
}

TEST(messages_json, promql_status_names_durations_and_nulls_what_did_not_happen) {
  grace::promql_metric_status m;
  m.metric = "api.error_rate";
  m.query = "rate(errors[5m])";
  m.interval_ms = 60000;
  m.queries = 3;
  m.backfill = {true, 4, 4, 100, 12, 0.5, 7 * 86400000LL};
  grace::promql_status s{"http://prom:9090", 1, {m}};
  json j = s;
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"url", "failures", "metrics"}));
  const json& jm = j["metrics"][0];
  EXPECT_EQ(keys_of(jm),
            (std::set<std::string>{"metric", "query", "interval", "queries", "failures",
                                   "consecutive_failures", "samples", "non_finite", "last_error",
                                   "last_success", "backfill"}));
  EXPECT_EQ(jm["interval"], "1m");
  EXPECT_TRUE(jm["last_error"].is_null());
  EXPECT_TRUE(jm["last_success"].is_null());
  EXPECT_EQ(jm["backfill"]["range"], "7d");
  EXPECT_EQ(jm["backfill"]["snapshots"], 12);
  m.last_error = "timeout";
  m.last_success = 1700000000000;
  const json again = grace::promql_status{"u", 1, {m}};
  EXPECT_EQ(again["metrics"][0]["last_error"], "timeout");
  EXPECT_EQ(again["metrics"][0]["last_success"], "2023-11-14T22:13:20Z");
}

TEST(messages_json, governance_matches_the_api_schemas) {
  grace::governance_report r;
  r.governance.kill_switch = {false, "", 0};
  r.governance.breakers = {{"restart", "open", 2, true, 1700000600000, false},
                           {"scale", "closed", 0, false, 0, false}};
  r.governance.runs_last_hour = {{"restart", 2}};
  r.governance.settings = {3, 1800000, 900000};
  r.pending_approvals = {{"e1", "failover", "grace-db", 1, 900001, 899000}};
  json g = r.governance;
  EXPECT_EQ(keys_of(g),
            (std::set<std::string>{"kill_switch", "breakers", "runs_last_hour", "settings"}));
  EXPECT_TRUE(g["kill_switch"]["since"].is_null());
  EXPECT_EQ(g["breakers"][0]["opens_until"], "2023-11-14T22:23:20.000Z");
  EXPECT_TRUE(g["breakers"][1]["opens_until"].is_null());
  EXPECT_EQ(keys_of(g["breakers"][0]), (std::set<std::string>{"playbook", "state", "failures",
                                                              "opens_until", "trial_running"}));
  EXPECT_EQ(g["settings"]["approval_timeout_ms"], 900000);
  EXPECT_TRUE(json(grace::governance_status{})["runs_last_hour"].is_object());
  json with = r;
  EXPECT_EQ(with["pending_approvals"][0]["expires_in_ms"], 899000);
  with.erase("pending_approvals");
  EXPECT_EQ(with, g);
}

TEST(messages_json, forecaster_statistics_null_without_a_model) {
  grace::forecaster_statistics s;
  s.model_version = "untrained";
  json j = s;
  EXPECT_TRUE(j["trained_at"].is_null());
  EXPECT_TRUE(j["validation"].is_null());
  EXPECT_TRUE(j["feature_importance"].is_array());
  EXPECT_TRUE(j["rejected_artifacts"].is_array());
  s.has_model = true;
  s.trained_at = 1700000000000;
  s.mean_mase = 0.8;
  s.per_metric["cpu"] = {0.7, 1.1, 288, 0.25};
  s.feature_importance = {{"lags", 0.6}};
  j = s;
  EXPECT_EQ(j["trained_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j["validation"]["mean_mase"], 0.8);
  EXPECT_EQ(j["validation"]["per_metric"]["cpu"]["naive_mase"], 1.1);
  EXPECT_EQ(j["validation"]["per_metric"]["cpu"]["history_rows"], 288);
  EXPECT_EQ(j["feature_importance"][0]["feature"], "lags");
}

TEST(messages_json, rl_views_null_values_of_playbooks_never_run) {
  grace::rl_policies p;
  p.policies = {{"grace-api",
                 "api.error_rate",
                 1,
                 {{"a", 0.4, 0.1, 1, 0.3, false}, {"b", 0.2, 0.5, 0, 0.0, false}}}};
  json j = p;
  EXPECT_EQ(j["policies"][0]["service"], "grace-api");
  EXPECT_EQ(j["policies"][0]["playbooks"][0]["value"], 0.4);
  EXPECT_TRUE(j["policies"][0]["playbooks"][1]["value"].is_null());
  EXPECT_TRUE(j["policies"][0]["playbooks"][1]["ema_value"].is_null());
  EXPECT_EQ(j["policies"][0]["playbooks"][1]["uncertainty"], 0.5);
  EXPECT_EQ(json(grace::rl_policies{}).dump(), R"({"policies":[]})");
  grace::rl_evaluation e;
  e.policy = "hierarchical_thompson";
  e.current.dr = {0.5, 0.1, 0.3, 0.7};
  json je = e;
  EXPECT_EQ(keys_of(je), (std::set<std::string>{"experiences", "confidence", "policy", "current",
                                                "greedy_ema", "uniform"}));
  EXPECT_EQ(je["current"]["dr"]["low"], 0.3);
  EXPECT_EQ(
      keys_of(json(grace::rl_statistics{})),
      (std::set<std::string>{"policy", "contexts", "experiences", "updates", "recommendations",
                             "pending", "average_reward", "exploration_rate", "changes_detected"}));
}

TEST(messages_json, cluster_view_nulls_the_owner_of_a_free_shard) {
  grace::cluster_view v;
  v.node_id = "a";
  v.cluster = "g";
  v.members = {{"a", "http://a:8000", "a:4000", 3}};
  v.shards = {{0, "a", 17}, {1, "", 0}};
  v.joined = true;
  v.serving = {0};
  json j = v;
  EXPECT_EQ(j["shards"][0]["owner"], "a");
  EXPECT_TRUE(j["shards"][1]["owner"].is_null());
  EXPECT_EQ(j["shards"][1]["fencing_token"], 0);
  EXPECT_EQ(j["members"][0]["incarnation"], 3);
  EXPECT_TRUE(j["peers"].is_array());
  EXPECT_EQ(j["serving"], json::array({0}));
}

// The same names as a node alone's statistics, plus who answered.
TEST(messages_json, cluster_rl_statistics_keeps_the_statistics_names) {
  grace::cluster_rl_statistics x;
  x.merged.policy = "hierarchical_thompson";
  x.merged.experiences = 18;
  x.answered_by = {"n1", "n2"};
  x.unanswered = {"n3: not connected over the cluster transport"};
  json j = x;
  json alone = x.merged;
  for (const auto& [key, value] : alone.items())
    EXPECT_EQ(j.at(key), value) << key;
  EXPECT_EQ(j.size(), alone.size() + 2);
  EXPECT_EQ(j["experiences"], 18);
  EXPECT_EQ(j["answered_by"], json::array({"n1", "n2"}));
  EXPECT_EQ(j["unanswered"][0], "n3: not connected over the cluster transport");
}

// The same names as a node alone's overview, plus who answered.
TEST(messages_json, cluster_dashboard_overview_keeps_the_overview_names) {
  grace::cluster_dashboard_overview x;
  x.merged.warnings.raised = 4;
  x.merged.unavailable = {"n2: trainer: request_timeout"};
  x.answered_by = {"n1", "n2"};
  x.unanswered = {"n3: request_timeout"};
  json j = x;
  json alone = x.merged;
  for (const auto& [key, value] : alone.items())
    EXPECT_EQ(j.at(key), value) << key;
  EXPECT_EQ(j.size(), alone.size() + 2);
  EXPECT_EQ(j["warnings"]["raised"], 4);
  EXPECT_TRUE(j["learning"].is_null());
  EXPECT_EQ(j["answered_by"], json::array({"n1", "n2"}));
  EXPECT_EQ(j["unanswered"][0], "n3: request_timeout");
}

TEST(messages_json, band_change_names_its_bands) {
  grace::band_change c{"cpu", grace::band::good, grace::band::critical, 1700000000000, 0.97};
  EXPECT_EQ(
      json(c).dump(),
      R"({"at":"2023-11-14T22:13:20.000Z","from":"good","metric_id":"cpu","to":"critical","value":0.97})");
}

TEST(messages_json, times_are_iso_8601_utc_and_read_back_to_the_millisecond) {
  grace::training_record r;
  r.cycle = 3;
  r.started_at = 1'762'703'123'004;
  r.finished_at = 1'762'703'183'250;
  json j = r;
  EXPECT_EQ(j["started_at"], "2025-11-09T15:45:23.004Z");
  EXPECT_EQ(j["finished_at"], "2025-11-09T15:46:23.250Z");
  EXPECT_EQ(j.get<grace::training_record>().started_at, r.started_at);

  // Stored before times were text: unix milliseconds still read.
  j["started_at"] = 1'762'703'123'004;
  EXPECT_EQ(j.get<grace::training_record>().started_at, r.started_at);

  for (const char* bad :
       {"2025-11-09 15:45:23Z", "2025-11-09T15:45:23+01:00", "2025-02-30T00:00:00Z",
        "1969-12-31T23:59:59Z", "2025-11-09T15:45:23.1234Z", "yesterday"}) {
    j["started_at"] = bad;
    try {
      (void)j.get<grace::training_record>();
      ADD_FAILURE() << bad << " was read";
    } catch (const grace::json_mapping_error& e) {
      EXPECT_NE(std::string(e.what()).find("'started_at' must be an ISO 8601 UTC time"),
                std::string::npos)
          << e.what();
    }
  }
}
