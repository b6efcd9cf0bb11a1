#pragma once
// A recommend request checked against the catalog, before the agent sees it.
// A context is state the agent keeps, so it must be one the node can really
// have: a catalog metric's service with that metric's id as the diagnosis,
// optionally qualified `<metric id>:sudden` (the predictor's context for a
// sudden onset). Anything else is refused naming what is wrong; made-up names
// never create a context. Candidates are the named playbooks (or the metric's
// own): an unknown one is left out with its reason and the rest are ranked; a
// request with no candidate left is refused.
#include "actors/catalog/catalog.hpp"
#include "actors/rl_agent/types.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace grace::rl {

// The qualifier the predictor gives a sudden onset's diagnosis.
inline constexpr const char* sudden_qualifier = "sudden";

struct checked_request {
  std::string problem; // non-empty: refuse the request with this
  context_key context;
  std::vector<candidate> candidates; // catalog playbooks with their risk tiers
  std::optional<int> max_risk_tier;  // the metric's cap
  std::vector<std::pair<std::string, std::string>> unknown; // (name, why left out)
};

checked_request check_recommend_request(const catalog::metrics_catalog& cat,
                                        const std::string& service, const std::string& diagnosis,
                                        const std::vector<std::string>& candidates);

// Why a candidate above the cap was left out.
std::string above_cap_reason(int risk_tier, int max_risk_tier);

} // namespace grace::rl
