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
    handover_item item{
        s.metric_id, shard, to, 0, handover_history_limit, 0, handover_forecast_limit};
    uint64_t last_round = 0;
    const auto p = progress_.find(s.metric_id);
    if (p != progress_.end() && p->second.to == to) {
      if (p->second.newest >= s.window_start)
        continue; // the target has every window we hold
      item.since = p->second.newest + 1;
      item.forecasts_since = p->second.newest_forecast + 1;
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

std::vector<handover_item> handover_ledger::for_shard(const std::vector<snapshot>& latest,
                                                      int shard, const handover_target& to) const {
  std::vector<handover_item> out;
  std::set<std::string> seen;
  for (const auto& s : latest) {
    if (shard_of_metric(s.metric_id) != shard || !seen.insert(s.metric_id).second)
      continue;
    handover_item item{
        s.metric_id, shard, to, 0, handover_history_limit, 0, handover_forecast_limit};
    const auto p = progress_.find(s.metric_id);
    if (p != progress_.end() && p->second.to == to) {
      item.since = p->second.newest + 1;
      item.forecasts_since = p->second.newest_forecast + 1;
    }
    out.push_back(std::move(item));
  }
  return out;
}

void handover_ledger::sent(const handover_item& item, timestamp_ms newest_window_start,
                           timestamp_ms newest_forecast) {
  auto& p = progress_[item.metric_id];
  if (!(p.to == item.to)) {
    p.to = item.to;
    p.newest = newest_window_start;
    p.newest_forecast = newest_forecast;
  } else {
    p.newest = std::max(p.newest, newest_window_start);
    p.newest_forecast = std::max(p.newest_forecast, newest_forecast);
  }
  p.round = ++round_;
}

std::optional<std::string> check_handover(int shard, const std::vector<snapshot>& snapshots,
                                          const std::vector<forecast>& forecasts, int shards) {
  if (auto why = check_handover(shard, snapshots, shards))
    return why;
  if (forecasts.size() > handover_max_forecasts)
    return std::to_string(forecasts.size()) + " forecasts in one handover, at most "
           + std::to_string(handover_max_forecasts);
  for (size_t i = 0; i < forecasts.size(); ++i) {
    const auto& f = forecasts[i];
    const auto where = "forecast " + std::to_string(i) + " ('" + f.metric_id + "')";
    if (f.metric_id.empty())
      return "forecast " + std::to_string(i) + " has no metric id";
    if (shard_of_metric(f.metric_id) != shard)
      return where + " belongs to shard " + std::to_string(shard_of_metric(f.metric_id)) + ", not "
             + std::to_string(shard);
    if (f.points.empty())
      return where + " has no points";
    for (const auto& p : f.points)
      for (double v : {p.mean, p.lo80, p.hi80, p.lo95, p.hi95})
        if (!std::isfinite(v))
          return where + " has a value that is not finite";
  }
  return std::nullopt;
}

void release_handover::begin(int shard, int64_t fencing_token, const std::string& to,
                             int64_t now_ms) {
  if (entries_.count(shard))
    return;
  entries_[shard] = {fencing_token, to, now_ms + release_handover_wait_ms, stage::waiting};
}

std::vector<release_step> release_handover::next(int64_t now_ms,
                                                 const std::set<std::string>& connected,
                                                 const std::set<int>& releasing) {
  std::vector<release_step> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const int shard = it->first;
    auto& e = it->second;
    if (!releasing.count(shard)) {
      it = entries_.erase(it); // not ours to release any more
      continue;
    }
    if (e.at == stage::done || now_ms >= e.deadline_ms) {
      release_step r;
      r.kind = release_step::release;
      r.shard = shard;
      r.to = e.to;
      r.fencing_token = e.fencing_token;
      r.handed_over = e.at == stage::done;
      out.push_back(std::move(r));
      it = entries_.erase(it);
      continue;
    }
    if (e.at == stage::waiting && connected.count(e.to)) {
      e.at = stage::sending;
      release_step r;
      r.kind = release_step::send;
      r.shard = shard;
      r.to = e.to;
      r.fencing_token = e.fencing_token;
      out.push_back(std::move(r));
    }
    ++it;
  }
  return out;
}

void release_handover::acknowledged(int shard) {
  auto it = entries_.find(shard);
  if (it != entries_.end())
    it->second.at = stage::done;
}

void release_handover::failed(int shard) {
  auto it = entries_.find(shard);
  if (it != entries_.end() && it->second.at == stage::sending)
    it->second.at = stage::waiting;
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
