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
    return false;
  }
  if (m.windows++ == 0)
    m.episode_start = o.at;
  if (m.windows < policy_.confirm_windows || m.reactions >= policy_.max_reactions)
    return false;
  const double better = o.higher_is_worse ? previous - o.value : o.value - previous;
  if (std::isfinite(better) && better > 0.0)
    return false; // recovering already
  for (const auto& [id, other] : metrics_)
    if (id != o.metric_id && other.service == o.service && other.windows > 0
        && other.episode_start < m.episode_start && other.reactions < policy_.max_reactions)
      return false; // a symptom of `id`'s breach
  timestamp_ms last = m.last_action;
  if (const auto it = service_actions_.find(o.service); it != service_actions_.end())
    last = std::max(last, it->second);
  // Compared as a difference: `never` is the lowest timestamp.
  return last == never || o.at - last >= policy_.min_gap_ms;
}

void breach_reactions::acted(const std::string& metric_id, const std::string& service,
                             timestamp_ms at, bool reaction) {
  auto& m = metrics_[metric_id];
  m.last_action = std::max(m.last_action, at);
  auto& s = service_actions_.emplace(service, never).first->second;
  s = std::max(s, at);
  if (reaction)
    ++m.reactions;
}

int breach_reactions::episode_windows(const std::string& metric_id) const {
  const auto it = metrics_.find(metric_id);
  return it == metrics_.end() ? 0 : it->second.windows;
}

} // namespace grace::predictor
