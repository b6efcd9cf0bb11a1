#include "actors/cluster/snapshot_handover.hpp"

#include "actors/cluster/shard_map.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace grace::cluster {

std::optional<std::string> next_owner(int shard, const std::vector<std::string>& members,
                                      const std::string& owner) {
  std::vector<std::string> others;
  for (const auto& m : members)
    if (m != owner)
      others.push_back(m);
  return preferred_owner(shard, others);
}

std::vector<handover_item> handover_ledger::due(const std::vector<snapshot>& latest,
                                                const std::vector<int>& serving,
                                                const std::map<std::string, int64_t>& members,
                                                const std::string& self, size_t max_items) const {
  const std::set<int> served(serving.begin(), serving.end());
  std::vector<std::string> ids;
  for (const auto& [id, incarnation] : members)
    ids.push_back(id);
  if (std::find(ids.begin(), ids.end(), self) == ids.end())
    ids.push_back(self);
  std::vector<std::pair<uint64_t, handover_item>> candidates;
  for (const auto& s : latest) {
    const int shard = shard_of_metric(s.metric_id);
    if (!served.count(shard))
      continue;
    const auto next = next_owner(shard, ids, self);
    if (!next)
      continue;
    const auto member = members.find(*next);
    const handover_target to{*next, member == members.end() ? 0 : member->second};
    handover_item item{s.metric_id, shard, to, 0, handover_history_limit};
    uint64_t last_round = 0;
    const auto p = progress_.find(s.metric_id);
    if (p != progress_.end() && p->second.to == to) {
      if (p->second.newest >= s.window_start)
        continue; // the target has every window we hold
      item.since = p->second.newest + 1;
      last_round = p->second.round;
    }
    candidates.emplace_back(last_round, std::move(item));
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<handover_item> out;
  for (auto& c : candidates) {
    if (out.size() >= max_items)
      break;
    out.push_back(std::move(c.second));
  }
  return out;
}

void handover_ledger::sent(const handover_item& item, timestamp_ms newest_window_start) {
  auto& p = progress_[item.metric_id];
  if (!(p.to == item.to)) {
    p.to = item.to;
    p.newest = newest_window_start;
  } else {
    p.newest = std::max(p.newest, newest_window_start);
  }
  p.round = ++round_;
}

std::optional<std::string> check_handover(int shard, const std::vector<snapshot>& snapshots,
                                          int shards) {
  if (shard < 0 || shard >= shards)
    return "shard " + std::to_string(shard) + " is not one of the cluster's "
           + std::to_string(shards) + " shards";
  if (snapshots.size() > handover_max_snapshots)
    return std::to_string(snapshots.size()) + " snapshots in one handover, at most "
           + std::to_string(handover_max_snapshots);
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const auto& s = snapshots[i];
    const auto where = "snapshot " + std::to_string(i) + " ('" + s.metric_id + "')";
    if (s.metric_id.empty())
      return "snapshot " + std::to_string(i) + " has no metric id";
    if (shard_of_metric(s.metric_id) != shard)
      return where + " belongs to shard " + std::to_string(shard_of_metric(s.metric_id)) + ", not "
             + std::to_string(shard);
    if (s.window_end <= s.window_start)
      return where + " has a window that does not end after it starts";
    for (double v : {s.mean, s.min, s.max, s.p50, s.p95, s.last})
      if (!std::isfinite(v))
        return where + " has a value that is not finite";
  }
  return std::nullopt;
}

} // namespace grace::cluster
