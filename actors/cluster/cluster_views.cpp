#include "actors/cluster/cluster_views.hpp"

#include "actors/cluster/shard_map.hpp"

#include <algorithm>
#include <map>
#include <set>
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

namespace {

constexpr size_t recent_warnings = 100; // as the predictor keeps

template <class Keep> void keep_if(std::vector<early_warning>& list, Keep keep) {
  list.erase(
      std::remove_if(list.begin(), list.end(), [&](const early_warning& w) { return !keep(w); }),
      list.end());
}

// The most recently updated copy of each warning id, in `better` order.
template <class Order>
std::vector<early_warning> unique_sorted(std::vector<early_warning> list, Order better) {
  std::map<std::string, early_warning> by_id;
  for (auto& w : list) {
    auto [it, fresh] = by_id.try_emplace(w.id, w);
    if (!fresh && w.updated_at > it->second.updated_at)
      it->second = std::move(w);
  }
  std::vector<early_warning> out;
  for (auto& [id, w] : by_id)
    out.push_back(std::move(w));
  std::sort(out.begin(), out.end(), better);
  return out;
}

} // namespace

warnings_view warnings_of_shards(warnings_view view, const std::vector<int>& shards) {
  const std::set<int> served(shards.begin(), shards.end());
  const auto ours = [&](const early_warning& w) {
    return served.count(shard_of_metric(w.metric_id)) > 0;
  };
  keep_if(view.open, ours);
  keep_if(view.recent, ours);
  return view;
}

cluster_warnings merge_warnings(std::vector<member_warnings> answers,
                                std::vector<std::string> unanswered) {
  cluster_warnings out;
  auto& m = out.merged;
  std::vector<early_warning> open;
  std::vector<early_warning> recent;
  double lead_sum = 0.0;
  for (auto& a : answers) {
    auto& s = a.share;
    open.insert(open.end(), s.open.begin(), s.open.end());
    recent.insert(recent.end(), s.recent.begin(), s.recent.end());
    m.statistics.raised += s.statistics.raised;
    m.statistics.prevented += s.statistics.prevented;
    m.statistics.came_true += s.statistics.came_true;
    m.statistics.false_alarm += s.statistics.false_alarm;
    lead_sum += s.statistics.mean_lead_minutes * static_cast<double>(s.statistics.came_true);
    out.answered_by.push_back(std::move(a.node));
  }
  m.statistics.mean_lead_minutes =
      m.statistics.came_true > 0 ? lead_sum / static_cast<double>(m.statistics.came_true) : 0.0;
  m.open = unique_sorted(std::move(open), [](const early_warning& a, const early_warning& b) {
    return a.raised_at != b.raised_at ? a.raised_at < b.raised_at : a.id < b.id;
  });
  m.recent = unique_sorted(std::move(recent), [](const early_warning& a, const early_warning& b) {
    return a.resolved_at != b.resolved_at ? a.resolved_at > b.resolved_at : a.id < b.id;
  });
  if (m.recent.size() > recent_warnings)
    m.recent.resize(recent_warnings);
  std::sort(out.answered_by.begin(), out.answered_by.end());
  std::sort(unanswered.begin(), unanswered.end());
  out.unanswered = std::move(unanswered);
  return out;
}

} // namespace grace::cluster
