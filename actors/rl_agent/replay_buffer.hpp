// Experiences: one per rewarded recommendation, with the propensity it was
// chosen with (what off-policy evaluation needs) and the causal reward. The
// buffer is bounded: the oldest experience leaves when a new one arrives at
// capacity, so re-fitting from it forgets what is older than that.
#pragma once

#include "actors/rl_agent/types.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace grace::rl {

struct experience {
  std::string event_id;
  context_key context;
  std::vector<candidate> candidates; ///< as offered, including excluded ones
  std::optional<int> max_risk_tier;
  std::string chosen;
  double propensity = 1.0;
  double reward = 0.0; ///< causal: effect versus the counterfactual forecast, in [-1, 1]
  std::map<std::string, double> kpi_deltas;
  std::int64_t recommended_at_ms = 0;
  std::int64_t rewarded_at_ms = 0;
  /// The run acted on an incident the executor saw (in breach at the action,
  /// or a breach in its evaluation window); false: a forecast alone said one
  /// was coming and none came, so the reward counts for less (agent_config::
  /// unseen_incident_variance).
  bool incident_seen = true;
};

void to_json(nlohmann::json& j, const experience& e);
void from_json(const nlohmann::json& j, experience& e);
void to_json(nlohmann::json& j, const candidate& c);
void from_json(const nlohmann::json& j, candidate& c);

class replay_buffer {
public:
  explicit replay_buffer(std::size_t capacity = 10000);

  /// Appends, evicting the oldest experience when full.
  void push(experience e);
  bool contains(const std::string& event_id) const { return ids_.count(event_id) > 0; }
  std::size_t size() const { return items_.size(); }
  std::size_t capacity() const { return capacity_; }
  const std::deque<experience>& items() const { return items_; }
  std::vector<experience> to_vector() const { return {items_.begin(), items_.end()}; }
  void clear();
  /// Drops every experience of one context (it moved to another node).
  void remove_context(const context_key& context);

private:
  std::size_t capacity_;
  std::deque<experience> items_;
  std::unordered_set<std::string> ids_;
};

} // namespace grace::rl
