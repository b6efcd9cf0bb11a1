#include "http/catalog_json.hpp"

#include "common/yaml_reader.hpp"

namespace grace::http {

nlohmann::json to_json(const catalog::metric_definition& m) {
  nlohmann::json j{{"id", m.id},
                   {"category", m.category},
                   {"service", m.service},
                   {"unit", m.unit},
                   {"description", m.description},
                   {"direction", to_string(m.direction)},
                   {"thresholds", {{"warning", m.warning}, {"critical", m.critical}}},
                   {"collection_interval_ms", m.collection_interval_ms},
                   {"aggregation", to_string(m.aggregation)},
                   {"forecast", m.forecast},
                   {"playbooks", m.playbooks},
                   {"symptom_of", m.symptom_of},
                   {"prometheus_name", m.prometheus_name}};
  j["max_risk_tier"] = m.max_risk_tier ? nlohmann::json(*m.max_risk_tier) : nlohmann::json();
  j["promql"] = m.promql.empty() ? nlohmann::json() : nlohmann::json(m.promql);
  return j;
}

nlohmann::json to_json(const catalog::playbook_definition& p) {
  nlohmann::json action{{"kind", to_string(p.action.kind)}};
  switch (p.action.kind) {
  case catalog::action_kind::webhook:
    action["url"] = p.action.url;
    action["timeout_ms"] = p.action.timeout_ms;
    action["retries"] = p.action.retries;
    // Header values may hold credentials: show only their names.
    action["headers"] = nlohmann::json::array();
    for (const auto& [name, value] : p.action.headers)
      action["headers"].push_back(name);
    break;
  case catalog::action_kind::command:
    action["argv"] = p.action.argv;
    action["timeout_ms"] = p.action.timeout_ms;
    break;
  default:
    break;
  }
  return {{"id", p.id},
          {"description", p.description},
          {"action", action},
          {"risk_tier", p.risk_tier},
          {"mode", to_string(p.mode)},
          {"cooldown_ms", p.cooldown_ms},
          {"max_runs_per_hour", p.max_runs_per_hour}};
}

nlohmann::json to_json(const catalog::metrics_catalog& c) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& m : c.metrics())
    metrics.push_back(to_json(m));
  nlohmann::json playbooks = nlohmann::json::array();
  for (const auto& p : c.playbooks())
    playbooks.push_back(to_json(p));
  return {{"version", c.version()},
          {"categories", c.categories()},
          {"metrics", metrics},
          {"playbooks", playbooks}};
}

} // namespace grace::http
