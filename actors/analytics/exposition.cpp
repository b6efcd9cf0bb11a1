#include "actors/analytics/exposition.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <tuple>

namespace grace::analytics {

void count(node_counters& c, const ingest_status& s) {
  c.samples_ingested = s.samples;
}

void count(node_counters& c, const aggregator_status& s) {
  c.snapshots = s.snapshots_emitted;
  c.samples_replayed = s.replayed;
  c.samples_rejected["late"] = s.rejected_late;
  c.samples_rejected["invalid"] = s.rejected_invalid;
}

void count(node_counters& c, const scheduler_status& s) {
  c.forecasts = s.forecasts;
}

void count(node_counters& c, const executor_status& s) {
  c.executions_by_state = s.executions;
}

void count(node_counters& c, const supervisor_status& s) {
  for (const auto& component : s.components) {
    c.restarts_by_component[component.name] = component.restarts;
    c.up_by_component[component.name] = component.up;
  }
}

void count(node_counters& c, const promql_status& s) {
  for (const auto& m : s.metrics)
    c.promql_by_metric[m.metric] = {m.queries, m.failures, m.samples, m.backfill.snapshots};
}

void add_predictions(predicted_series& series, const predictor_status& s) {
  // A value that is not finite is not shown (as before: no number, no sample).
  auto at = [&](const std::map<std::string, double>& values) -> std::optional<double> {
    auto it = values.find(series.metric_id);
    if (it == values.end() || !std::isfinite(it->second))
      return std::nullopt;
    return it->second;
  };
  series.anomaly_score = at(s.anomaly_scores);
  series.breach_probability = at(s.breach_probability);
}

std::string escape_label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

bool valid_metric_name(const std::string& name) {
  if (name.empty())
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (i > 0 && digit)))
      return false;
  }
  return true;
}

namespace {

std::string number(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void family(std::ostringstream& os, const std::string& name, const char* type, const char* help) {
  os << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << ' ' << type << '\n';
}

} // namespace

std::string render(const node_counters& c, const std::vector<predicted_series>& series) {
  std::ostringstream os;
  if (c.samples_ingested) {
    family(os, "grace_samples_ingested_total", "counter", "Samples accepted from every source.");
    os << "grace_samples_ingested_total " << *c.samples_ingested << '\n';
  }
  if (!c.samples_rejected.empty()) {
    family(os, "grace_samples_rejected_total", "counter",
           "Samples refused by the aggregator: late (their window is closed and stored) or "
           "invalid (not a finite number).");
    for (const auto& [reason, n] : c.samples_rejected)
      os << "grace_samples_rejected_total{reason=\"" << escape_label(reason) << "\"} " << n << '\n';
  }
  if (c.samples_replayed) {
    family(os, "grace_samples_replayed_total", "counter",
           "Acknowledged samples read back from the sample log into open windows at start.");
    os << "grace_samples_replayed_total " << *c.samples_replayed << '\n';
  }
  if (c.snapshots) {
    family(os, "grace_snapshots_total", "counter", "5-minute snapshots closed.");
    os << "grace_snapshots_total " << *c.snapshots << '\n';
  }
  if (c.forecasts) {
    family(os, "grace_forecasts_total", "counter", "Forecasts made by the scheduler.");
    os << "grace_forecasts_total " << *c.forecasts << '\n';
  }
  if (!c.warnings_by_outcome.empty()) {
    family(os, "grace_warnings_total", "counter",
           "Early warnings raised, and resolved by outcome.");
    for (const auto& [outcome, n] : c.warnings_by_outcome)
      os << "grace_warnings_total{outcome=\"" << escape_label(outcome) << "\"} " << n << '\n';
  }
  if (c.open_warnings) {
    family(os, "grace_warnings_open", "gauge", "Early warnings open now.");
    os << "grace_warnings_open " << *c.open_warnings << '\n';
  }
  if (!c.executions_by_state.empty()) {
    family(os, "grace_executions", "gauge", "Playbook executions held, by state.");
    for (const auto& [state, n] : c.executions_by_state)
      os << "grace_executions{state=\"" << escape_label(state) << "\"} " << n << '\n';
  }
  if (!c.restarts_by_component.empty()) {
    family(os, "grace_actor_restarts_total", "counter",
           "Restarts of each component by the supervisor.");
    for (const auto& [name, n] : c.restarts_by_component)
      os << "grace_actor_restarts_total{component=\"" << escape_label(name) << "\"} " << n << '\n';
  }
  if (!c.up_by_component.empty()) {
    family(os, "grace_component_up", "gauge", "1 when the component is running.");
    for (const auto& [name, up] : c.up_by_component)
      os << "grace_component_up{component=\"" << escape_label(name) << "\"} " << (up ? 1 : 0)
         << '\n';
  }
  if (!c.promql_by_metric.empty()) {
    using counts = node_counters::promql_counts;
    const std::tuple<const char*, const char*, uint64_t counts::*> promql_families[] = {
        {"grace_promql_queries_total",
         "Queries sent to Prometheus for the metric (polls and "
         "backfill chunks).",
         &counts::queries},
        {"grace_promql_failures_total",
         "Failed queries of the metric: unreachable server, HTTP or PromQL error, no series or "
         "several, NaN/Inf.",
         &counts::failures},
        {"grace_promql_samples_total", "Live samples of the metric taken from Prometheus.",
         &counts::samples},
        {"grace_promql_backfilled_snapshots_total",
         "Snapshots the backfill of the metric's history stored (new windows).",
         &counts::backfilled_snapshots}};
    for (const auto& [name, help, field] : promql_families) {
      family(os, name, "counter", help);
      for (const auto& [metric, n] : c.promql_by_metric)
        os << name << "{metric=\"" << escape_label(metric) << "\"} " << n.*field << '\n';
    }
  }
  bool probability_header = false;
  for (const auto& s : series) {
    if (!valid_metric_name(s.prometheus_name))
      continue;
    const std::string labels_tail = "horizon_minutes=\"" + std::to_string(s.horizon_minutes)
                                    + "\",metric=\"" + escape_label(s.metric_id) + "\",service=\""
                                    + escape_label(s.service) + "\"";
    const std::string predicted = s.prometheus_name + ":predicted";
    const std::pair<const char*, const std::optional<double>*> bands[] = {
        {"yhat", &s.yhat},
        {"yhat_lower", &s.lower80},
        {"yhat_upper", &s.upper80},
        {"yhat_lower_95", &s.lower95},
        {"yhat_upper_95", &s.upper95}};
    bool any = false;
    for (const auto& [kind, value] : bands)
      any = any || value->has_value();
    if (any) {
      family(os, predicted, "gauge",
             "Forecast of the metric at the horizon (80% bounds without suffix).");
      for (const auto& [kind, value] : bands)
        if (value->has_value())
          os << predicted << "{ml_forecast=\"" << kind << "\"," << labels_tail << "} "
             << number(**value) << '\n';
    }
    if (s.anomaly_score) {
      const std::string name = s.prometheus_name + ":anomaly_score";
      family(os, name, "gauge", "Streaming anomaly score of the latest snapshot, 0..1.");
      os << name << "{metric=\"" << escape_label(s.metric_id) << "\",service=\""
         << escape_label(s.service) << "\"} " << number(*s.anomaly_score) << '\n';
    }
  }
  for (const auto& s : series) {
    if (!s.breach_probability)
      continue;
    if (!probability_header) {
      family(os, "grace_breach_probability", "gauge",
             "Probability that the metric crosses its warning threshold within the horizon.");
      probability_header = true;
    }
    os << "grace_breach_probability{metric=\"" << escape_label(s.metric_id) << "\",service=\""
       << escape_label(s.service) << "\"} " << number(*s.breach_probability) << '\n';
  }
  return os.str();
}

} // namespace grace::analytics
