#include "actors/rl_agent/context_policy.hpp"

namespace grace::rl {

void to_json(nlohmann::json& j, const context_policy& p) {
  j = nlohmann::json{{"arms", p.arms}, {"updates", p.updates}};
}

void from_json(const nlohmann::json& j, context_policy& p) {
  p.arms = j.at("arms").get<std::map<std::string, arm_statistics>>();
  p.updates = j.at("updates").get<std::uint64_t>();
}

void to_json(nlohmann::json& j, const context_key& k) {
  j = nlohmann::json{{"service", k.service}, {"diagnosis", k.diagnosis}};
}

void from_json(const nlohmann::json& j, context_key& k) {
  k.service = j.at("service").get<std::string>();
  k.diagnosis = j.at("diagnosis").get<std::string>();
}

const char* to_string(error_code code) {
  switch (code) {
  case error_code::invalid_argument:
    return "invalid_argument";
  case error_code::no_allowed_candidate:
    return "no_allowed_candidate";
  case error_code::unknown_event:
    return "unknown_event";
  case error_code::expired_event:
    return "expired_event";
  case error_code::already_rewarded:
    return "already_rewarded";
  case error_code::reward_out_of_range:
    return "reward_out_of_range";
  case error_code::corrupt_state:
    return "corrupt_state";
  }
  return "unknown";
}

} // namespace grace::rl
