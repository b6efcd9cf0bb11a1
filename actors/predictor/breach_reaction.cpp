#include "actors/predictor/breach_reaction.hpp"

#include <algorithm>
#include <cmath>

namespace grace::predictor {

breach_reactions::breach_reactions(reaction_policy policy) : policy_(policy) {}

bool breach_reactions::observe(const observation& o) {
  auto& m = metrics_[o.metric_id];
  if (o.at <= m.last_snapshot)
    return false; // late or repeated: the episode was judged on newer data
  m.last_snapshot = o.at;
  const double previous = m.last_value;
  m.last_value = o.value;
  m.service = o.service;
  if (o.level == band::good) {
    m.windows = 0;
    m.reactions = 0;
    m.episode_start = never;
    m.last_reaction = never;
    m.tried.clear();
    m.stepped = false;
    return false;
  }
  if (m.windows++ == 0)
    m.episode_start = o.at;
  m.stepped = m.stepped || o.sudden;
  if (m.windows < policy_.confirm_windows || m.reactions >= policy_.max_reactions)
    return false;
  const double better = o.higher_is_worse ? previous - o.value : o.value - previous;
  if (std::isfinite(better) && better > 0.0)
    return false; // recovering already
  for (const auto& [id, other] : metrics_)
    if (id != o.metric_id && other.service == o.service && other.windows > 0
        && other.episode_start < m.episode_start && other.reactions < policy_.max_reactions
        && std::find(o.effects.begin(), o.effects.end(), id) == o.effects.end()
        && !(policy_.steps_not_held_by_climbs && o.sudden && !other.stepped))
      return false; // a symptom of `id`'s breach
  timestamp_ms last = m.last_action;
  if (const auto it = service_actions_.find(o.service); it != service_actions_.end())
    last = std::max(last, it->second);
  if (last == never)
    return true;
  // The episode's own reaction did not end it, or a step began it (see the header).
  const bool escalation = m.reactions > 0 && last == m.last_reaction;
  const int64_t gap = (escalation || o.sudden) && policy_.escalate_after_ms > 0
                          ? std::min(policy_.escalate_after_ms, policy_.min_gap_ms)
                          : policy_.min_gap_ms;
  return o.at - last >= gap;
}

void breach_reactions::acted(const std::string& metric_id, const std::string& service,
                             timestamp_ms at, bool reaction) {
  auto& m = metrics_[metric_id];
  m.last_action = std::max(m.last_action, at);
  auto& s = service_actions_.emplace(service, never).first->second;
  s = std::max(s, at);
  if (reaction) {
    ++m.reactions;
    m.last_reaction = std::max(m.last_reaction, at);
  }
}

void breach_reactions::ran(const std::string& metric_id, const std::string& playbook) {
  const auto it = metrics_.find(metric_id);
  if (it == metrics_.end() || it->second.windows == 0)
    return;
  auto& tried = it->second.tried;
  if (std::find(tried.begin(), tried.end(), playbook) == tried.end())
    tried.push_back(playbook);
}

std::vector<std::string> breach_reactions::tried(const std::string& metric_id) const {
  const auto it = metrics_.find(metric_id);
  return it == metrics_.end() ? std::vector<std::string>{} : it->second.tried;
}

warning_decision breach_reactions::warning_action(const std::string& metric_id,
                                                  const std::string& service,
                                                  timestamp_ms at) const {
  if (!policy_.warnings_wait_for_runs || policy_.escalate_after_ms <= 0)
    return {};
  timestamp_ms last = never;
  if (const auto it = metrics_.find(metric_id); it != metrics_.end()) {
    if (it->second.windows > 0 && it->second.reactions > 0)
      return {warning_gate::superseded, 0};
    last = it->second.last_action;
  }
  if (const auto it = service_actions_.find(service); it != service_actions_.end())
    last = std::max(last, it->second);
  if (last != never && at - last < policy_.escalate_after_ms)
    return {warning_gate::wait, last + policy_.escalate_after_ms};
  return {};
}

int breach_reactions::episode_windows(const std::string& metric_id) const {
  const auto it = metrics_.find(metric_id);
  return it == metrics_.end() ? 0 : it->second.windows;
}

} // namespace grace::predictor
