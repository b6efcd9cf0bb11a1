#include "messages/json.hpp"

#include "common/scalar_text.hpp"
#include "common/utc_time.hpp"
#include "messages/arm_fields.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

namespace grace {

using nlohmann::json;

namespace {

// One field list per struct, used by both directions: `f(name, member)`.
// S is the struct, const when writing.

template <class F, class S> void fields(F& f, S& x, metric_sample*) {
  f("metric_id", x.metric_id);
  f("ts", x.ts);
  f("value", x.value);
  f.optional("labels", x.labels);
}

template <class F, class S> void fields(F& f, S& x, snapshot*) {
  f("metric_id", x.metric_id);
  f("window_start", x.window_start);
  f("window_end", x.window_end);
  f("count", x.count);
  f("mean", x.mean);
  f("min", x.min);
  f("max", x.max);
  f("p50", x.p50);
  f("p95", x.p95);
  f("last", x.last);
  f("band", x.level);
}

template <class F, class S> void fields(F& f, S& x, forecast_point*) {
  f("ts", x.ts);
  f("mean", x.mean);
  f("lo80", x.lo80);
  f("hi80", x.hi80);
  f("lo95", x.lo95);
  f("hi95", x.hi95);
}

template <class F, class S> void fields(F& f, S& x, feature_weight*) {
  f("feature", x.feature);
  f("weight", x.weight);
}

template <class F, class S> void fields(F& f, S& x, forecast*) {
  f("metric_id", x.metric_id);
  f.time("generated_at", x.generated_at);
  f("step_ms", x.step);
  f("model_version", x.model_version);
  f.optional("points", x.points);
  f.optional("feature_importance", x.feature_importance);
}

template <class F, class S> void fields(F& f, S& x, early_warning*) {
  f("id", x.id);
  f("metric_id", x.metric_id);
  f("service", x.service);
  f("severity", x.severity);
  f("probability", x.probability);
  f.time("raised_at", x.raised_at);
  f.time("updated_at", x.updated_at);
  f.time("expected_breach_at", x.expected_breach_at);
  f("predicted_value", x.predicted_value);
  f("threshold", x.threshold);
  f("lo80", x.lo80);
  f("hi80", x.hi80);
  f.text_or_null("recommended_playbook", x.recommended_playbook);
  f.text_or_null("action_playbook", x.action_playbook);
  f.time_or_null("action_at", x.action_at);
  f.time_or_null("breached_at", x.breached_at);
  f("outcome", x.outcome);
  f.time_or_null("resolved_at", x.resolved_at);
}

template <class F, class S> void fields(F& f, S& x, warning_statistics*) {
  f("raised", x.raised);
  f("prevented", x.prevented);
  f("came_true", x.came_true);
  f("false_alarm", x.false_alarm);
  f.when(x.came_true > 0, "mean_lead_minutes", x.mean_lead_minutes);
}

template <class F, class S> void fields(F& f, S& x, warnings_view*) {
  f("open", x.open);
  f("recent", x.recent);
  f("statistics", x.statistics);
}

template <class F, class S> void fields(F& f, S& x, excluded_playbook*) {
  f("playbook", x.playbook);
  f("reason", x.reason);
}

template <class F, class S> void fields(F& f, S& x, ranked_playbook*) {
  f("playbook", x.playbook);
  f("score", x.score);
  f("probability", x.probability);
}

template <class F, class S> void fields(F& f, S& x, recommendation*) {
  f("event_id", x.event_id);
  f("service", x.service);
  f("diagnosis", x.diagnosis);
  f("chosen", x.chosen);
  f("propensity", x.propensity);
  f.optional("ranked", x.ranked);
  f.optional("excluded", x.excluded);
}

template <class F, class S> void fields(F& f, S& x, execution*) {
  f("id", x.id);
  f("playbook", x.playbook);
  f("metric_id", x.metric_id);
  f("service", x.service);
  f.text_or_null("warning_id", x.warning_id);
  f.text_or_null("event_id", x.event_id);
  f("state", x.state);
  f.text_or_null("rule", x.rule);
  f("reason", x.reason);
  f.time("requested_at", x.requested_at);
  f.time_or_null("started_at", x.started_at);
  f.time_or_null("finished_at", x.finished_at);
  f.time_or_null("evaluate_at", x.evaluate_at);
  f("message", x.message);
  // The outcome exists only once evaluated; before that these are null.
  const bool evaluated = x.state == execution_state::evaluated;
  f.when(evaluated, "reward", x.reward);
  f.when(evaluated, "trust_delta", x.trust_delta);
  f.when(evaluated, "outcome_summary", x.outcome_summary);
  f.when(evaluated, "kpi_deltas", x.kpi_deltas);
  f.text_or_null("approval_expires_at", x.approval_expires_at);
}

template <class F, class S> void fields(F& f, S& x, execution_request*) {
  f("warning_id", x.warning_id);
  f("metric_id", x.metric_id);
  f("service", x.service);
  f("playbook", x.playbook);
  f("event_id", x.event_id);
  f("propensity", x.propensity);
  f("counterfactual", x.counterfactual);
}

template <class F, class S> void fields(F& f, S& x, experience*) {
  f("event_id", x.event_id);
  f("service", x.service);
  f("diagnosis", x.diagnosis);
  f("playbook", x.playbook);
  f("propensity", x.propensity);
  f("reward", x.reward);
  f.optional("kpi_deltas", x.kpi_deltas);
  f("trust_delta", x.trust_delta);
  f.time("ts", x.ts);
}

template <class F, class S> void fields(F& f, S& x, training_record*) {
  f("cycle", x.cycle);
  f.time("started_at", x.started_at);
  f.time("finished_at", x.finished_at);
  f("samples", x.samples);
  f("metrics", x.metrics);
  f("model_version", x.model_version);
  f.optional("validation_scores", x.validation_scores);
}

// --- writing ---------------------------------------------------------------

// "Not yet" is null, never a placeholder a reader could take for a fact:
// a timestamp 0, an empty name, an outcome not evaluated yet.
struct writer {
  json& j;
  template <class T> void operator()(const char* name, const T& value) { j[name] = value; }
  template <class T> void optional(const char* name, const T& value) { j[name] = value; }
  void time(const char* name, timestamp_ms value) { j[name] = iso_time_ms(value); }
  void time_or_null(const char* name, timestamp_ms value) {
    j[name] = value != 0 ? json(iso_time_ms(value)) : json(nullptr);
  }
  void text_or_null(const char* name, const std::string& value) {
    j[name] = value.empty() ? json(nullptr) : json(value);
  }
  template <class T> void when(bool known, const char* name, const T& value) {
    j[name] = known ? json(value) : json(nullptr);
  }
};

template <class T> void write_struct(json& j, const T& x) {
  j = json::object();
  writer w{j};
  fields(w, x, static_cast<T*>(nullptr));
}

// --- reading ---------------------------------------------------------------

template <class T> void read_struct(const json& j, T& x, const std::string& ctx);

std::string found(const json& v) {
  return std::string(", found ") + v.type_name();
}

struct reader {
  const json& j;
  const std::string& ctx;

  [[noreturn]] void fail(const char* name, const std::string& what) const {
    throw json_mapping_error(ctx + ": field '" + name + "' " + what);
  }

  template <class T> void operator()(const char* name, T& out) const {
    auto it = j.find(name);
    if (it == j.end())
      fail(name, "is missing");
    read(name, *it, out);
  }

  template <class T> void optional(const char* name, T& out) const {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
      out = T{};
      return;
    }
    read(name, *it, out);
  }

  // A time is ISO 8601 UTC text; unix milliseconds are read too (older writers).
  void time(const char* name, timestamp_ms& out) const {
    auto it = j.find(name);
    if (it == j.end())
      fail(name, "is missing");
    read_time(name, *it, out);
  }
  void read_time(const char* name, const json& v, timestamp_ms& out) const {
    if (!v.is_string()) {
      read(name, v, out);
      return;
    }
    const auto ms = parse_iso_time_ms(v.get_ref<const std::string&>());
    if (!ms)
      fail(name, "must be an ISO 8601 UTC time such as 2026-12-07T07:06:29.251Z, found '"
                     + v.get<std::string>() + "'");
    out = *ms;
  }

  // "Not yet" fields: null (or absent, from older writers) reads as 0 / "" / empty.
  void time_or_null(const char* name, timestamp_ms& out) const {
    auto it = j.find(name);
    if (it == j.end() || it->is_null())
      out = 0;
    else
      read_time(name, *it, out);
  }
  void text_or_null(const char* name, std::string& out) const { optional(name, out); }
  template <class T> void when(bool, const char* name, T& out) const { optional(name, out); }

  void read(const char* name, const json& v, std::string& out) const {
    if (!v.is_string())
      fail(name, "must be a string" + found(v));
    out = v.get<std::string>();
  }

  void read(const char* name, const json& v, int64_t& out) const {
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(name, "is too large");
      out = static_cast<int64_t>(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      out = v.get<int64_t>();
    } else {
      fail(name, "must be an integer" + found(v));
    }
  }

  void read(const char* name, const json& v, uint64_t& out) const {
    if (v.is_number_unsigned())
      out = v.get<uint64_t>();
    else if (v.is_number_integer() && v.get<int64_t>() >= 0)
      out = static_cast<uint64_t>(v.get<int64_t>());
    else if (v.is_number_integer())
      fail(name, "must not be negative");
    else
      fail(name, "must be a non-negative integer" + found(v));
  }

  void read(const char* name, const json& v, double& out) const {
    if (v.is_number())
      out = v.get<double>();
    else if (v.is_null())
      out = std::numeric_limits<double>::quiet_NaN();
    else
      fail(name, "must be a number" + found(v));
  }

  void read(const char* name, const json& v, bool& out) const {
    if (!v.is_boolean())
      fail(name, "must be true or false" + found(v));
    out = v.get<bool>();
  }

  void read(const char* name, const json& v, band& out) const {
    if (!v.is_string())
      fail(name, "must be a string (good, warning or critical)" + found(v));
    try {
      out = band_from_string(v.get_ref<const std::string&>());
    } catch (const json_mapping_error& e) {
      fail(name, std::string("has an ") + e.what());
    }
  }

  void read(const char* name, const json& v, warning_outcome& out) const {
    if (!v.is_string())
      fail(name, "must be a string (open, prevented, came_true or false_alarm)" + found(v));
    try {
      out = warning_outcome_from_string(v.get_ref<const std::string&>());
    } catch (const json_mapping_error& e) {
      fail(name, std::string("has an ") + e.what());
    }
  }

  void read(const char* name, const json& v, execution_state& out) const {
    if (!v.is_string())
      fail(name, "must be a string naming an execution state" + found(v));
    try {
      out = execution_state_from_string(v.get_ref<const std::string&>());
    } catch (const json_mapping_error& e) {
      fail(name, std::string("has an ") + e.what());
    }
  }

  void read(const char* name, const json& v, std::vector<std::string>& out) const {
    if (!v.is_array())
      fail(name, "must be an array of strings" + found(v));
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string())
        fail(name, "entry " + std::to_string(i) + " must be a string" + found(v[i]));
      out.push_back(v[i].get<std::string>());
    }
  }

  void read(const char* name, const json& v, std::map<std::string, double>& out) const {
    if (!v.is_object())
      fail(name, "must be an object of numbers" + found(v));
    out.clear();
    for (const auto& [key, value] : v.items()) {
      if (value.is_number())
        out[key] = value.get<double>();
      else if (value.is_null())
        out[key] = std::numeric_limits<double>::quiet_NaN();
      else
        fail(name, "entry '" + key + "' must be a number" + found(value));
    }
  }

  void read(const char* name, const json& v, std::map<std::string, std::string>& out) const {
    if (!v.is_object())
      fail(name, "must be an object of strings" + found(v));
    out.clear();
    for (const auto& [key, value] : v.items()) {
      if (!value.is_string())
        fail(name, "entry '" + key + "' must be a string" + found(value));
      out[key] = value.get<std::string>();
    }
  }

  // Nested records (an execution request's counterfactual forecast, the
  // warnings' statistics).
  void read(const char* name, const json& v, forecast& out) const {
    read_struct(v, out, ctx + ": " + name);
  }
  void read(const char* name, const json& v, warning_statistics& out) const {
    read_struct(v, out, ctx + ": " + name);
  }

  template <class T> void read(const char* name, const json& v, std::vector<T>& out) const {
    if (!v.is_array())
      fail(name, "must be an array" + found(v));
    out.clear();
    out.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      read_struct(v[i], out[i], ctx + ": " + name + "[" + std::to_string(i) + "]");
  }
};

template <class T> void read_struct(const json& j, T& x, const std::string& ctx) {
  if (!j.is_object())
    throw json_mapping_error(ctx + ": must be a JSON object" + found(j));
  reader r{j, ctx};
  fields(r, x, static_cast<T*>(nullptr));
}

} // namespace

band band_from_string(std::string_view name) {
  for (auto b : {band::good, band::warning, band::critical})
    if (to_string(b) == name)
      return b;
  throw json_mapping_error("unknown band '" + std::string(name)
                           + "' (expected good, warning or critical)");
}

warning_outcome warning_outcome_from_string(std::string_view name) {
  for (auto o : {warning_outcome::open, warning_outcome::prevented, warning_outcome::came_true,
                 warning_outcome::false_alarm})
    if (to_string(o) == name)
      return o;
  throw json_mapping_error("unknown warning outcome '" + std::string(name)
                           + "' (expected open, prevented, came_true or false_alarm)");
}

execution_state execution_state_from_string(std::string_view name) {
  for (uint8_t i = 0; i <= static_cast<uint8_t>(execution_state::evaluated); ++i) {
    const auto st = static_cast<execution_state>(i);
    if (to_string(st) == name)
      return st;
  }
  throw json_mapping_error("unknown execution state '" + std::string(name)
                           + "' (expected pending_approval, running, succeeded, failed, dry_run, "
                             "refused, rejected, expired or evaluated)");
}

void to_json(json& j, execution_state x) {
  j = to_string(x);
}

void from_json(const json& j, execution_state& x) {
  if (!j.is_string())
    throw json_mapping_error("execution state must be a string" + found(j));
  x = execution_state_from_string(j.get_ref<const std::string&>());
}

void to_json(json& j, band x) {
  j = to_string(x);
}

void from_json(const json& j, band& x) {
  if (!j.is_string())
    throw json_mapping_error("band must be a string" + found(j));
  x = band_from_string(j.get_ref<const std::string&>());
}

void to_json(json& j, warning_outcome x) {
  j = to_string(x);
}

void from_json(const json& j, warning_outcome& x) {
  if (!j.is_string())
    throw json_mapping_error("warning outcome must be a string" + found(j));
  x = warning_outcome_from_string(j.get_ref<const std::string&>());
}

void to_json(json& j, const training_status& x) {
  j = json{{"training_cycles", x.cycles},
           {"failed_cycles", x.failed_cycles},
           {"training_running", x.running},
           {"interval", common::format_duration(x.interval_ms)},
           {"next_training_at", x.next_due_at ? json(iso_time(x.next_due_at)) : json(nullptr)},
           {"last_training", x.has_last ? json(x.last) : json(nullptr)},
           {"last_error", x.last_error.empty() ? json(nullptr) : json(x.last_error)}};
}

void to_json(json& j, const band_change& x) {
  j = json{{"metric_id", x.metric_id},
           {"from", x.from},
           {"to", x.to},
           {"at", iso_time_ms(x.at)},
           {"value", x.value}};
}

void to_json(json& j, const component_health& x) {
  j = json{{"name", x.name}, {"up", x.up}, {"restarts", x.restarts}};
}

void to_json(json& j, const supervisor_status& x) {
  j = json{{"components", x.components}};
}

void to_json(json& j, const aggregator_status& x) {
  j = json{{"accepted", x.accepted},
           {"rejected_late", x.rejected_late},
           {"rejected_invalid", x.rejected_invalid},
           {"replayed", x.replayed},
           {"open_windows", x.open_windows}};
  if (x.closed_before != std::numeric_limits<timestamp_ms>::min())
    j["closed_before"] = iso_time_ms(x.closed_before);
}

void to_json(json& j, const promql_backfill_status& x) {
  j = json{{"done", x.done},
           {"chunks", x.chunks},
           {"chunks_read", x.chunks_read},
           {"samples", x.samples},
           {"snapshots", x.snapshots},
           {"seconds", x.seconds},
           {"range", common::format_duration(x.range_ms)}};
}

void to_json(json& j, const promql_metric_status& x) {
  j = json{{"metric", x.metric},
           {"query", x.query},
           {"interval", common::format_duration(x.interval_ms)},
           {"queries", x.queries},
           {"failures", x.failures},
           {"consecutive_failures", x.consecutive_failures},
           {"samples", x.samples},
           {"non_finite", x.non_finite},
           {"last_error", x.last_error.empty() ? json(nullptr) : json(x.last_error)},
           {"last_success", x.last_success > 0 ? json(iso_time(x.last_success)) : json(nullptr)},
           {"backfill", x.backfill}};
}

void to_json(json& j, const promql_status& x) {
  j = json{{"url", x.url}, {"failures", x.failures}, {"metrics", x.metrics}};
}

void to_json(json& j, const kill_switch_status& x) {
  j = json{{"engaged", x.engaged},
           {"reason", x.reason},
           {"since", x.since ? json(iso_time_ms(x.since)) : json(nullptr)}};
}

void to_json(json& j, const breaker_status& x) {
  j = json{{"playbook", x.playbook},
           {"state", x.state},
           {"failures", x.failures},
           {"opens_until", x.opened ? json(iso_time_ms(x.opens_until)) : json(nullptr)},
           {"trial_running", x.trial_running}};
}

void to_json(json& j, const governance_settings_status& x) {
  j = json{{"breaker_failures", x.breaker_failures},
           {"breaker_open_ms", x.breaker_open_ms},
           {"approval_timeout_ms", x.approval_timeout_ms}};
}

void to_json(json& j, const governance_status& x) {
  j = json{{"kill_switch", x.kill_switch},
           {"breakers", x.breakers},
           {"runs_last_hour", x.runs_last_hour.empty() ? json::object() : json(x.runs_last_hour)},
           {"settings", x.settings}};
}

void to_json(json& j, const approval_status& x) {
  j = json{{"execution_id", x.execution_id},
           {"playbook", x.playbook},
           {"target", x.target},
           {"requested_at", iso_time_ms(x.requested_at)},
           {"expires_at", iso_time_ms(x.expires_at)},
           {"expires_in_ms", x.expires_in_ms}};
}

void to_json(json& j, const governance_report& x) {
  j = x.governance;
  j["pending_approvals"] = x.pending_approvals;
}

void to_json(json& j, const metric_validation& x) {
  j = json{{"validation_mase", x.validation_mase},
           {"naive_mase", x.naive_mase},
           {"history_rows", x.history_rows},
           {"global_share", x.global_share}};
}

void to_json(json& j, const forecaster_statistics& x) {
  j = json{{"model_version", x.model_version},
           {"metrics_modelled", x.metrics_modelled},
           {"forecasts_served", x.forecasts_served},
           {"trained_at", nullptr},
           {"validation", nullptr},
           {"feature_importance", x.feature_importance},
           {"loaded_from", x.loaded_from},
           {"rejected_artifacts", x.rejected_artifacts}};
  if (x.has_model) {
    j["trained_at"] = iso_time(x.trained_at);
    j["validation"] = {{"mean_mase", x.mean_mase},
                       {"mean_naive_mase", x.mean_naive_mase},
                       {"per_metric", x.per_metric.empty() ? json::object() : json(x.per_metric)}};
  }
}

void to_json(json& j, const rl_statistics& x) {
  j = json{{"policy", x.policy},
           {"contexts", x.contexts},
           {"experiences", x.experiences},
           {"updates", x.updates},
           {"recommendations", x.recommendations},
           {"pending", x.pending},
           {"average_reward", x.average_reward},
           {"exploration_rate", x.exploration_rate},
           {"changes_detected", x.changes_detected}};
}

void to_json(json& j, const cluster_rl_statistics& x) {
  to_json(j, x.merged);
  j["answered_by"] = x.answered_by;
  j["unanswered"] = x.unanswered;
}

void to_json(json& j, const cluster_rl_policies& x) {
  to_json(j, x.merged);
  j["answered_by"] = x.answered_by;
  j["unanswered"] = x.unanswered;
}

void to_json(json& j, const cluster_warnings& x) {
  to_json(j, x.merged);
  j["answered_by"] = x.answered_by;
  j["unanswered"] = x.unanswered;
}

void to_json(json& j, const playbook_value& x) {
  // A playbook never run in this context has no value of its own yet: null,
  // not the pool's prior, which a reader would take for a measurement.
  const auto measured = [&](double v) { return x.pulls > 0 ? json(v) : json(nullptr); };
  j = json{{"playbook", x.playbook},
           {"value", measured(x.value)},
           {"uncertainty", x.uncertainty},
           {"pulls", x.pulls},
           {"ema_value", measured(x.ema_value)},
           {"decoupled", x.decoupled}};
}

void to_json(json& j, const context_policy_view& x) {
  j = json{{"service", x.service},
           {"diagnosis", x.diagnosis},
           {"updates", x.updates},
           {"playbooks", x.playbooks.empty() ? json::array() : json(x.playbooks)}};
}

void to_json(json& j, const rl_policies& x) {
  j = json{{"policies", x.policies.empty() ? json::array() : json(x.policies)}};
}

void to_json(json& j, const interval_view& x) {
  j = json{{"value", x.value}, {"std_error", x.std_error}, {"low", x.low}, {"high", x.high}};
}

void to_json(json& j, const policy_estimate& x) {
  j = json{{"samples", x.samples},
           {"skipped", x.skipped},
           {"logged_average", x.logged_average},
           {"effective_sample_size", x.effective_sample_size},
           {"ips", x.ips},
           {"snips", x.snips},
           {"dr", x.dr}};
}

void to_json(json& j, const rl_evaluation& x) {
  j = json{{"experiences", x.experiences}, {"confidence", x.confidence}, {"policy", x.policy},
           {"current", x.current},         {"greedy_ema", x.greedy_ema}, {"uniform", x.uniform}};
}

void to_json(json& j, const cluster_member_view& x) {
  j = json{{"id", x.id}, {"http", x.http}, {"cluster", x.cluster}, {"incarnation", x.incarnation}};
}

void to_json(json& j, const shard_owner_view& x) {
  j = json{{"shard", x.shard},
           {"owner", x.owner.empty() ? json(nullptr) : json(x.owner)},
           {"fencing_token", x.fencing_token}};
}

void to_json(json& j, const cluster_view& x) {
  j = json{{"node_id", x.node_id},
           {"cluster", x.cluster},
           {"members", x.members.empty() ? json::array() : json(x.members)},
           {"shards", x.shards.empty() ? json::array() : json(x.shards)},
           {"joined", x.joined},
           {"serving", x.serving.empty() ? json::array() : json(x.serving)},
           {"peers", x.peers.empty() ? json::array() : json(x.peers)}};
}

// --- dashboard reports -----------------------------------------------------

namespace {

json figure_json(const figure& x) {
  return x.known ? json(x.value) : json(nullptr);
}

template <class T> json list_json(const std::vector<T>& xs) {
  return xs.empty() ? json::array() : json(xs);
}

// Report times: ISO 8601 UTC, as the value types' times (the virtual clock).
json time_or_null_json(timestamp_ms t) {
  return t != 0 ? json(iso_time_ms(t)) : json(nullptr);
}

} // namespace

void to_json(json& j, const figure& x) {
  j = figure_json(x);
}

void to_json(json& j, const accuracy_view& x) {
  j = json{{"points", x.points},
           {"mae", figure_json(x.mae)},
           {"mase", figure_json(x.mase)},
           {"smape", figure_json(x.smape)},
           {"accuracy_pct", figure_json(x.accuracy_pct)},
           {"coverage80", figure_json(x.coverage80)},
           {"coverage95", figure_json(x.coverage95)},
           {"skill", figure_json(x.skill)}};
}

void to_json(json& j, const horizon_accuracy_view& x) {
  j = json(x.figures);
  j["horizon_minutes"] = x.horizon_minutes;
}

void to_json(json& j, const metric_accuracy_view& x) {
  j = json{
      {"metric_id", x.metric_id}, {"overall", x.overall}, {"by_horizon", list_json(x.by_horizon)}};
}

void to_json(json& j, const pooled_accuracy_view& x) {
  j = json{{"overall", x.overall}, {"metrics", list_json(x.metrics)}};
}

void to_json(json& j, const health_part& x) {
  j = json{{"name", x.name},
           {"weight", x.weight},
           {"value", figure_json(x.value)},
           {"has_data", x.value.known},
           {"detail", x.detail}};
}

void to_json(json& j, const health_report& x) {
  j = json{{"score", figure_json(x.score)},
           {"label", x.label.empty() ? json(nullptr) : json(x.label)},
           {"summary", x.summary},
           {"parts", list_json(x.parts)}};
}

void to_json(json& j, const warnings_summary& x) {
  j = json{{"open", x.open},
           {"raised", x.raised},
           {"prevented", x.prevented},
           {"came_true", x.came_true},
           {"false_alarm", x.false_alarm},
           {"resolved", x.resolved},
           {"precision", figure_json(x.precision)},
           {"breach_episodes_7d", x.breach_episodes_7d},
           {"came_true_7d", x.came_true_7d},
           {"recall", figure_json(x.recall)},
           {"mean_lead_minutes", figure_json(x.mean_lead_minutes)}};
}

void to_json(json& j, const run_counts& x) {
  j = json{{"runs", x.runs},
           {"succeeded", x.succeeded},
           {"failed", x.failed},
           {"success_rate", figure_json(x.success_rate)},
           {"evaluated", x.evaluated},
           {"mean_reward", figure_json(x.mean_reward)},
           {"reward_stddev", figure_json(x.reward_stddev)},
           {"not_run", x.not_run.empty() ? json::object() : json(x.not_run)}};
}

void to_json(json& j, const context_runs& x) {
  j = json(x.counts);
  j["service"] = x.service;
  j["diagnosis"] = x.diagnosis;
}

void to_json(json& j, const playbook_runs& x) {
  j = json(x.counts);
  j["playbook"] = x.playbook;
  j["contexts"] = list_json(x.contexts);
}

void to_json(json& j, const runs_summary& x) {
  j = json(x.counts);
  j["executions"] = x.executions;
  j["pending_approvals"] = x.pending_approvals;
}

void to_json(json& j, const learning_day& x) {
  j = json{{"day", x.day}, {"experiences", x.experiences}, {"mean_reward", x.mean_reward}};
}

void to_json(json& j, const training_cycle_view& x) {
  j = json{{"cycle", x.cycle},
           {"started_at", iso_time_ms(x.started_at)},
           {"finished_at", iso_time_ms(x.finished_at)},
           {"duration_seconds", x.duration_seconds},
           {"samples", x.samples},
           {"metrics", x.metrics},
           {"model_version", x.model_version},
           {"validation_mase", figure_json(x.validation_mase)}};
}

void to_json(json& j, const latest_forecast& x) {
  j = json{{"metric_id", x.metric_id},
           {"name", x.name},
           {"unit", x.unit},
           {"direction", x.direction},
           {"warning", figure_json(x.warning)},
           {"critical", figure_json(x.critical)},
           {"generated_at", iso_time_ms(x.generated_at)},
           {"step_ms", x.step_ms},
           {"model_version", x.model_version},
           {"points", list_json(x.points)}};
}

void to_json(json& j, const training_summary& x) {
  j = json{{"cycles", x.cycles},
           {"last_finished_at", time_or_null_json(x.last_finished_at)},
           {"next_due_at", time_or_null_json(x.next_due_at)}};
}

void to_json(json& j, const dashboard_overview& x) {
  j = json{{"health", x.health},
           {"forecast_accuracy_7d", x.forecast_accuracy_7d},
           {"warnings", x.warnings},
           {"playbooks", x.playbooks},
           {"learning", x.has_learning ? json(x.learning) : json(nullptr)},
           {"training", x.training},
           {"unavailable", list_json(x.unavailable)},
           {"generated_at", iso_time_ms(x.generated_at)}};
}

void to_json(json& j, const cluster_dashboard_overview& x) {
  to_json(j, x.merged);
  j["answered_by"] = x.answered_by;
  j["unanswered"] = x.unanswered;
}

void to_json(json& j, const cluster_dashboard_playbooks& x) {
  to_json(j, x.merged);
  j["answered_by"] = x.answered_by;
  j["unanswered"] = x.unanswered;
}

void to_json(json& j, const dashboard_health& x) {
  j = json(x.report);
  j["unavailable"] = list_json(x.unavailable);
  j["generated_at"] = iso_time_ms(x.generated_at);
}

void to_json(json& j, const dashboard_accuracy& x) {
  j = json{{"definition", x.definition},
           {"windows", {{"24h", x.day}, {"7d", x.week}}},
           {"unavailable", list_json(x.unavailable)},
           {"generated_at", iso_time_ms(x.generated_at)}};
}

void to_json(json& j, const dashboard_playbooks& x) {
  j = json{{"summary", x.summary},
           {"playbooks", list_json(x.playbooks)},
           {"unavailable", list_json(x.unavailable)},
           {"generated_at", iso_time_ms(x.generated_at)}};
}

void to_json(json& j, const dashboard_learning& x) {
  j = json{{"experiences", x.experiences},
           {"days", list_json(x.days)},
           {"experiences_per_day", figure_json(x.experiences_per_day)},
           {"reward_trend_per_100", figure_json(x.reward_trend_per_100)},
           {"policy_changes", x.policy_changes},
           {"contexts", x.contexts},
           {"agent", x.has_agent ? json(x.agent) : json(nullptr)},
           {"policies", x.has_policies ? list_json(x.policies) : json(nullptr)},
           {"unavailable", list_json(x.unavailable)},
           {"generated_at", iso_time_ms(x.generated_at)}};
}

void to_json(json& j, const dashboard_training& x) {
  j = json{
      {"cycles", list_json(x.cycles)},
      {"count", x.count},
      {"interval_seconds", x.interval_seconds},
      {"next_due_at", time_or_null_json(x.next_due_at)},
      {"last_finished_at", time_or_null_json(x.last_finished_at)},
      {"since_last_seconds", x.last_finished_at != 0 ? json(x.since_last_seconds) : json(nullptr)},
      {"unavailable", list_json(x.unavailable)},
      {"generated_at", iso_time_ms(x.generated_at)}};
}

void to_json(json& j, const dashboard_forecasts& x) {
  j = json{{"forecasts", list_json(x.forecasts)}, {"generated_at", iso_time_ms(x.generated_at)}};
}

namespace {

// A cluster-wide view: the merged report under a node alone's names, plus
// who answered and who did not.
template <class View> json with_members(const View& x) {
  json j = x.merged;
  j["answered_by"] = x.answered_by;
  j["unanswered"] = x.unanswered;
  return j;
}

} // namespace

void to_json(json& j, const cluster_dashboard_accuracy& x) {
  j = with_members(x);
}

void to_json(json& j, const cluster_dashboard_learning& x) {
  j = with_members(x);
}

void to_json(json& j, const cluster_dashboard_training& x) {
  j = with_members(x);
}

void to_json(json& j, const cluster_dashboard_forecasts& x) {
  j = with_members(x);
}

void to_json(json& j, const located_execution& x) {
  j = x.run;
  j["node"] = x.node;
}

void to_json(json& j, const cluster_executions& x) {
  j = json{{"executions", list_json(x.executions)},
           {"answered_by", x.answered_by},
           {"unanswered", x.unanswered}};
}

void to_json(json& j, const cluster_rl_evaluation& x) {
  json members = json::array();
  for (const auto& m : x.members) {
    json one = m.evaluation;
    one["node"] = m.node;
    members.push_back(std::move(one));
  }
  j = json{{"experiences", x.experiences},
           {"members", std::move(members)},
           {"answered_by", x.answered_by},
           {"unanswered", x.unanswered}};
}

#define GRACE_JSON_MAPPING(type)                                                                   \
  void to_json(json& j, const type& x) {                                                           \
    write_struct(j, x);                                                                            \
  }                                                                                                \
  void from_json(const json& j, type& x) {                                                         \
    read_struct(j, x, #type);                                                                      \
  }                                                                                                \
  template <> type read_as<type>(const json& j, const std::string& where) {                        \
    type x;                                                                                        \
    read_struct(j, x, where);                                                                      \
    return x;                                                                                      \
  }

GRACE_JSON_MAPPING(metric_sample)
GRACE_JSON_MAPPING(snapshot)
GRACE_JSON_MAPPING(forecast_point)
GRACE_JSON_MAPPING(feature_weight)
GRACE_JSON_MAPPING(forecast)
GRACE_JSON_MAPPING(early_warning)
GRACE_JSON_MAPPING(warning_statistics)
GRACE_JSON_MAPPING(warnings_view)
GRACE_JSON_MAPPING(ranked_playbook)
GRACE_JSON_MAPPING(excluded_playbook)
GRACE_JSON_MAPPING(recommendation)
GRACE_JSON_MAPPING(experience)
GRACE_JSON_MAPPING(training_record)
GRACE_JSON_MAPPING(execution)
GRACE_JSON_MAPPING(execution_request)

#undef GRACE_JSON_MAPPING

namespace {

json tier_json(bool has, int32_t tier) {
  return has ? json(tier) : json(nullptr);
}

void read_tier(const json& j, bool& has, int32_t& tier) {
  const auto& t = j.at("max_risk_tier");
  has = !t.is_null();
  tier = has ? t.get<int32_t>() : 0;
}

json offered_json(const std::vector<offered_playbook>& candidates) {
  json out = json::array();
  for (const auto& c : candidates)
    out.push_back({{"playbook", c.playbook}, {"risk_tier", c.risk_tier}});
  return out;
}

std::vector<offered_playbook> read_offered(const json& j) {
  std::vector<offered_playbook> out;
  for (const auto& c : j)
    out.push_back({c.at("playbook").get<std::string>(), c.at("risk_tier").get<int32_t>()});
  return out;
}

} // namespace

void to_json(json& j, const context_snapshot& x) {
  json arms = json::object();
  for (const auto& a : x.arms) {
    json& arm = arms[a.playbook];
    arm_fields(a, [&](const char* name, const auto& value, bool) { arm[name] = value; });
  }
  json pending = json::array();
  for (const auto& p : x.pending)
    pending.push_back({{"event_id", p.event_id},
                       {"service", x.service},
                       {"diagnosis", x.diagnosis},
                       {"candidates", offered_json(p.candidates)},
                       {"max_risk_tier", tier_json(p.has_max_risk_tier, p.max_risk_tier)},
                       {"chosen", p.chosen},
                       {"propensity", p.propensity},
                       {"recommended_at_ms", p.recommended_at_ms},
                       {"recommended_at_wall_ms", p.recommended_at_wall_ms},
                       {"sequence", p.sequence}});
  json experiences = json::array();
  for (const auto& e : x.experiences)
    experiences.push_back({{"event_id", e.event_id},
                           {"service", x.service},
                           {"diagnosis", x.diagnosis},
                           {"candidates", offered_json(e.candidates)},
                           {"max_risk_tier", tier_json(e.has_max_risk_tier, e.max_risk_tier)},
                           {"chosen", e.chosen},
                           {"propensity", e.propensity},
                           {"reward", e.reward},
                           {"kpi_deltas", e.kpi_deltas},
                           {"recommended_at_ms", e.recommended_at_ms},
                           {"rewarded_at_ms", e.rewarded_at_ms},
                           {"incident_seen", e.incident_seen}});
  j = json{{"format", "grace.rl_context/1"},
           {"service", x.service},
           {"diagnosis", x.diagnosis},
           {"policy", {{"arms", arms}, {"updates", x.updates}}},
           {"pending", pending},
           {"experiences", experiences}};
}

void from_json(const json& j, context_snapshot& x) {
  if (j.at("format") != "grace.rl_context/1")
    throw std::invalid_argument("context snapshot: unknown format");
  x.service = j.at("service").get<std::string>();
  x.diagnosis = j.at("diagnosis").get<std::string>();
  const auto& policy = j.at("policy");
  x.updates = policy.at("updates").get<uint64_t>();
  x.arms.clear();
  for (const auto& [name, a] : policy.at("arms").items()) {
    playbook_arm_snapshot arm;
    arm.playbook = name;
    arm_fields(arm, [&a = a](const char* field, auto& value, bool required) {
      using value_type = std::decay_t<decltype(value)>;
      value = required ? a.at(field).get<value_type>() : a.value(field, value_type{});
    });
    x.arms.push_back(arm);
  }
  x.pending.clear();
  for (const auto& p : j.at("pending")) {
    pending_event_snapshot e;
    e.event_id = p.at("event_id").get<std::string>();
    e.candidates = read_offered(p.at("candidates"));
    read_tier(p, e.has_max_risk_tier, e.max_risk_tier);
    e.chosen = p.at("chosen").get<std::string>();
    e.propensity = p.at("propensity").get<double>();
    e.recommended_at_ms = p.at("recommended_at_ms").get<int64_t>();
    e.recommended_at_wall_ms = p.value("recommended_at_wall_ms", int64_t{0});
    e.sequence = p.at("sequence").get<uint64_t>();
    x.pending.push_back(std::move(e));
  }
  x.experiences.clear();
  for (const auto& r : j.at("experiences")) {
    experience_snapshot e;
    e.event_id = r.at("event_id").get<std::string>();
    e.candidates = read_offered(r.at("candidates"));
    read_tier(r, e.has_max_risk_tier, e.max_risk_tier);
    e.chosen = r.at("chosen").get<std::string>();
    e.propensity = r.at("propensity").get<double>();
    e.reward = r.at("reward").get<double>();
    e.kpi_deltas = r.at("kpi_deltas").get<std::map<std::string, double>>();
    e.recommended_at_ms = r.at("recommended_at_ms").get<int64_t>();
    e.rewarded_at_ms = r.at("rewarded_at_ms").get<int64_t>();
    e.incident_seen = r.at("incident_seen").get<bool>();
    x.experiences.push_back(std::move(e));
  }
}

void to_json(json& j, const shard_snapshot& x) {
  j = json{{"format", "grace.shard_snapshot/1"}, {"shard", x.shard}, {"contexts", x.contexts}};
}

void from_json(const json& j, shard_snapshot& x) {
  if (j.at("format") != "grace.shard_snapshot/1")
    throw std::invalid_argument("shard snapshot: unknown format");
  x.shard = j.at("shard").get<int32_t>();
  x.contexts = j.at("contexts").get<std::vector<context_snapshot>>();
}

} // namespace grace
