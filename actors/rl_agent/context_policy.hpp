// The learned state of one (service, diagnosis) context: one arm per playbook
// ever offered there. It is the unit that moves between cluster nodes, so it
// carries everything about the context and nothing global.
#pragma once

#include "actors/rl_agent/posterior.hpp"
#include "actors/rl_agent/types.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace grace::rl {

struct context_policy {
  std::map<std::string, arm_statistics> arms;
  std::uint64_t updates = 0; ///< learning steps in this context

  void discount_all(double factor) {
    for (auto& [name, arm] : arms)
      arm.discount(factor);
  }
};

void to_json(nlohmann::json& j, const context_policy& p);
void from_json(const nlohmann::json& j, context_policy& p);

void to_json(nlohmann::json& j, const context_key& k);
void from_json(const nlohmann::json& j, context_key& k);

} // namespace grace::rl
