#include "actors/predictor/breach_reaction.hpp"

#include <algorithm>
#include <cmath>

namespace grace::predictor {

breach_reactions::breach_reactions(reaction_policy policy) : policy_(policy) {}

const char* to_string(reaction_reason r) {
  switch (r) {
  case reaction_reason::due:
    return "due";
  case reaction_reason::stale:
    return "stale";
  case reaction_reason::good:
    return "good";
  case reaction_reason::confirming:
    return "confirming";
  case reaction_reason::exhausted:
    return "exhausted";
  case reaction_reason::recovering:
    return "recovering";
  case reaction_reason::symptom:
    return "symptom";
  case reaction_reason::spacing:
    return "spacing";
  }
  return "?";
}

reaction_verdict breach_reactions::observe(const observation& o) {
  using r = reaction_reason;
  auto& m = metrics_[o.metric_id];
  if (o.at <= m.last_snapshot)
    return {r::stale}; // late or repeated: the episode was judged on newer data
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
    return {r::good};
  }
  if (m.windows++ == 0)
    m.episode_start = o.at;
  m.stepped = m.stepped || o.sudden;
  if (m.windows < policy_.confirm_windows)
    return {r::confirming};
  if (m.reactions >= policy_.max_reactions)
    return {r::exhausted};
  const double better = o.higher_is_worse ? previous - o.value : o.value - previous;
  // A recovery is an improvement of recovery_share of the breach's size.
  const double bar = policy_.recovery_share > 0.0 && std::isfinite(o.normal)
                         ? policy_.recovery_share * std::fabs(previous - o.normal)
                         : 0.0;
  if (std::isfinite(better) && better > bar)
    return {r::recovering};
  for (const auto& [id, other] : metrics_)
    if (id != o.metric_id && other.service == o.service && other.windows > 0
        && other.episode_start < m.episode_start && other.reactions < policy_.max_reactions
        && std::find(o.effects.begin(), o.effects.end(), id) == o.effects.end()
        && !(policy_.steps_not_held_by_climbs && o.sudden && !other.stepped))
      return {r::symptom, id}; // a symptom of `id`'s breach
  timestamp_ms last = m.last_action;
  std::string last_metric = o.metric_id;
  if (const auto it = service_actions_.find(o.service);
      it != service_actions_.end() && it->second.at > last) {
    last = it->second.at;
    last_metric = it->second.metric_id;
  }
  if (last == never)
    return {r::due};
  // The episode's own reaction did not end it, or a step began it (see the header).
  const bool escalation = m.reactions > 0 && last == m.last_reaction;
  const int64_t gap = (escalation || o.sudden) && policy_.escalate_after_ms > 0
                          ? std::min(policy_.escalate_after_ms, policy_.min_gap_ms)
                          : policy_.min_gap_ms;
  if (o.at - last >= gap)
    return {r::due};
  return {r::spacing, last_metric, last, last + gap};
}

void breach_reactions::acted(const std::string& metric_id, const std::string& service,
                             timestamp_ms at, bool reaction) {
  auto& m = metrics_[metric_id];
  m.last_action = std::max(m.last_action, at);
  auto& s = service_actions_.emplace(service, service_action{never, metric_id}).first->second;
  if (at >= s.at)
    s = {at, metric_id};
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
    last = std::max(last, it->second.at);
  if (last != never && at - last < policy_.escalate_after_ms)
    return {warning_gate::wait, last + policy_.escalate_after_ms};
  return {};
}

int breach_reactions::episode_windows(const std::string& metric_id) const {
  const auto it = metrics_.find(metric_id);
  return it == metrics_.end() ? 0 : it->second.windows;
}

} // namespace grace::predictor
