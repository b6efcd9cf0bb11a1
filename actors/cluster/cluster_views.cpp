#include "actors/cluster/cluster_views.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace grace::cluster {

cluster_rl_statistics merge_statistics(std::vector<member_statistics> answers,
                                       std::vector<std::string> unanswered) {
  cluster_rl_statistics out;
  auto& m = out.merged;
  if (!answers.empty())
    m.policy = answers.front().share.policy;
  double reward_sum = 0.0;
  double explorations = 0.0;
  for (const auto& a : answers) {
    const auto& s = a.share;
    m.contexts += s.contexts;
    m.experiences += s.experiences;
    m.updates += s.updates;
    m.recommendations += s.recommendations;
    m.pending += s.pending;
    m.changes_detected += s.changes_detected;
    reward_sum += s.average_reward * static_cast<double>(s.experiences);
    explorations += s.exploration_rate * static_cast<double>(s.recommendations);
    out.answered_by.push_back(a.node);
  }
  m.average_reward = m.experiences ? reward_sum / static_cast<double>(m.experiences) : 0.0;
  m.exploration_rate =
      m.recommendations ? explorations / static_cast<double>(m.recommendations) : 0.0;
  std::sort(out.answered_by.begin(), out.answered_by.end());
  std::sort(unanswered.begin(), unanswered.end());
  out.unanswered = std::move(unanswered);
  return out;
}

cluster_rl_policies merge_policies(std::vector<member_policies> answers,
                                   std::vector<std::string> unanswered) {
  cluster_rl_policies out;
  std::map<std::pair<std::string, std::string>, context_policy_view> by_context;
  for (auto& a : answers) {
    for (auto& p : a.share.policies) {
      auto key = std::make_pair(p.service, p.diagnosis);
      auto it = by_context.find(key);
      if (it == by_context.end())
        by_context.emplace(std::move(key), std::move(p));
      else if (p.updates > it->second.updates)
        it->second = std::move(p);
    }
    out.answered_by.push_back(a.node);
  }
  for (auto& [key, p] : by_context)
    out.merged.policies.push_back(std::move(p));
  std::sort(out.answered_by.begin(), out.answered_by.end());
  std::sort(unanswered.begin(), unanswered.end());
  out.unanswered = std::move(unanswered);
  return out;
}

} // namespace grace::cluster
