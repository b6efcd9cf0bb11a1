#include "actors/rl_agent/replay_buffer.hpp"

#include <algorithm>
#include <cmath>

namespace grace::rl {

void to_json(nlohmann::json& j, const candidate& c) {
  j = nlohmann::json{{"playbook", c.playbook}, {"risk_tier", c.risk_tier}};
}

void from_json(const nlohmann::json& j, candidate& c) {
  c.playbook = j.at("playbook").get<std::string>();
  c.risk_tier = j.at("risk_tier").get<int>();
}

void to_json(nlohmann::json& j, const experience& e) {
  j = nlohmann::json{{"event_id", e.event_id},
                     {"service", e.context.service},
                     {"diagnosis", e.context.diagnosis},
                     {"candidates", e.candidates},
                     {"max_risk_tier",
                      e.max_risk_tier ? nlohmann::json(*e.max_risk_tier) : nlohmann::json(nullptr)},
                     {"chosen", e.chosen},
                     {"propensity", e.propensity},
                     {"reward", e.reward},
                     {"kpi_deltas", e.kpi_deltas},
                     {"recommended_at_ms", e.recommended_at_ms},
                     {"rewarded_at_ms", e.rewarded_at_ms},
                     {"incident_seen", e.incident_seen}};
}

void from_json(const nlohmann::json& j, experience& e) {
  e.event_id = j.at("event_id").get<std::string>();
  e.context.service = j.at("service").get<std::string>();
  e.context.diagnosis = j.at("diagnosis").get<std::string>();
  e.candidates = j.at("candidates").get<std::vector<candidate>>();
  const auto& tier = j.at("max_risk_tier");
  e.max_risk_tier = tier.is_null() ? std::nullopt : std::optional<int>(tier.get<int>());
  e.chosen = j.at("chosen").get<std::string>();
  e.propensity = j.at("propensity").get<double>();
  e.reward = j.at("reward").get<double>();
  e.kpi_deltas = j.at("kpi_deltas").get<std::map<std::string, double>>();
  e.recommended_at_ms = j.at("recommended_at_ms").get<std::int64_t>();
  e.rewarded_at_ms = j.at("rewarded_at_ms").get<std::int64_t>();
  e.incident_seen = j.value("incident_seen", true); // not in older snapshots
}

replay_buffer::replay_buffer(std::size_t capacity)
    : capacity_(std::max<std::size_t>(1, capacity)) {}

void replay_buffer::push(experience e) {
  if (items_.size() == capacity_) {
    ids_.erase(items_.front().event_id);
    items_.pop_front();
  }
  ids_.insert(e.event_id);
  items_.push_back(std::move(e));
}

void replay_buffer::clear() {
  items_.clear();
  ids_.clear();
}

void replay_buffer::remove_context(const context_key& context) {
  std::deque<experience> kept;
  for (auto& e : items_) {
    if (e.context == context)
      ids_.erase(e.event_id);
    else
      kept.push_back(std::move(e));
  }
  items_ = std::move(kept);
}

} // namespace grace::rl
