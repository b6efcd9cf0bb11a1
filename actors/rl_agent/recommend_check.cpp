#include "actors/rl_agent/recommend_check.hpp"

#include <set>

namespace grace::rl {

checked_request check_recommend_request(const catalog::metrics_catalog& cat,
                                        const std::string& service, const std::string& diagnosis,
                                        const std::vector<std::string>& candidates) {
  checked_request out;
  out.context = {service, diagnosis};
  if (service.empty()) {
    out.problem = "service must not be empty";
    return out;
  }
  if (diagnosis.empty()) {
    out.problem = "diagnosis must not be empty";
    return out;
  }
  const auto colon = diagnosis.find(':');
  const std::string metric_id = diagnosis.substr(0, colon);
  const auto* metric = cat.find_metric(metric_id);
  if (!metric) {
    out.problem = "diagnosis '" + diagnosis + "' is not a catalog metric (expected a metric id, "
                  + "optionally followed by ':" + sudden_qualifier + "')";
    return out;
  }
  if (colon != std::string::npos && diagnosis.substr(colon + 1) != sudden_qualifier) {
    out.problem = "diagnosis '" + diagnosis + "' has an unknown qualifier '"
                  + diagnosis.substr(colon + 1) + "' (the only one is ':" + sudden_qualifier + "')";
    return out;
  }
  if (service != metric->service) {
    out.problem = "service '" + service + "' is not the service of metric '" + metric->id + "' ('"
                  + metric->service + "')";
    return out;
  }
  out.max_risk_tier = metric->max_risk_tier;
  const auto& names = candidates.empty() ? metric->playbooks : candidates;
  std::set<std::string> seen;
  for (const auto& name : names) {
    if (!seen.insert(name).second)
      continue; // named twice: offered once
    if (const auto* pb = cat.find_playbook(name))
      out.candidates.push_back({pb->id, pb->risk_tier});
    else
      out.unknown.emplace_back(name, "not a playbook of the catalog");
  }
  if (out.candidates.empty()) {
    if (names.empty())
      out.problem = "metric '" + metric->id + "' has no playbooks and no candidates were named";
    else
      out.problem = "no candidate left: " + std::to_string(out.unknown.size())
                    + " named playbook(s), none in the catalog (first: '" + out.unknown[0].first
                    + "')";
  }
  return out;
}

std::string above_cap_reason(int risk_tier, int max_risk_tier) {
  return "risk tier " + std::to_string(risk_tier) + " is above this context's cap of "
         + std::to_string(max_risk_tier);
}

} // namespace grace::rl
