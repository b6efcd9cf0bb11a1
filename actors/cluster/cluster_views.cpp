#include "actors/cluster/cluster_views.hpp"

#include <algorithm>

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

} // namespace grace::cluster
