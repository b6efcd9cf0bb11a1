#pragma once
// What the agent answers about itself (statistics, learned policies, the
// off-policy evaluation), as the node's message types (messages/statistics.hpp).
#include "actors/rl_agent/agent.hpp"
#include "messages/statistics.hpp"

namespace grace::rl {

rl_statistics statistics_view(const agent& a);
// The part held by the contexts `keep` accepts (agent::statistics(keep)).
rl_statistics statistics_view(const agent& a, const std::function<bool(const context_key&)>& keep);
rl_policies policies_view(const agent& a);
// The policies of the contexts `keep` accepts.
rl_policies policies_view(const agent& a, const std::function<bool(const context_key&)>& keep);
// The current policy, the greedy-EMA anchor and the uniform anchor,
// evaluated off-policy on the replay buffer (95% intervals).
rl_evaluation evaluation_view(const agent& a);

} // namespace grace::rl
