#include "actors/cluster/reward_ledger.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace grace::cluster {

namespace {

using json = nlohmann::json;

std::string base(std::string_view cluster) {
  return "/grace/" + std::string(cluster) + "/";
}

// `text` as a shard number in [0, shards) written without leading zeros.
std::optional<int> leading_shard(std::string_view text, int shards) {
  if (text.empty() || text.size() > 4)
    return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (text.size() > 1 && text[0] == '0')
    return std::nullopt;
  if (value >= shards)
    return std::nullopt;
  return value;
}

json fence_compare(std::string_view fence_key, int64_t fencing_token) {
  return {{"key", etcd::base64_encode(fence_key)},
          {"target", "CREATE"},
          {"result", "EQUAL"},
          {"create_revision", std::to_string(fencing_token)}};
}

} // namespace

std::string event_shard_suffix(int shard) {
  return "-s" + std::to_string(shard);
}

std::optional<int> shard_of_event(std::string_view event_id, int shards) {
  const auto at = event_id.rfind("-s");
  if (at == std::string_view::npos || at == 0)
    return std::nullopt;
  return leading_shard(event_id.substr(at + 2), shards);
}

std::string rewards_prefix(std::string_view cluster) {
  return base(cluster) + "rewards/";
}

std::string shard_rewards_prefix(std::string_view cluster, int shard) {
  return rewards_prefix(cluster) + std::to_string(shard) + "/";
}

std::string snapshots_prefix(std::string_view cluster) {
  return base(cluster) + "snapshots/";
}

std::string snapshot_key(std::string_view cluster, int shard) {
  return snapshots_prefix(cluster) + std::to_string(shard);
}

std::map<int, shard_history> group_history(const etcd::range_answer& snapshots,
                                           const etcd::range_answer& rewards,
                                           std::string_view cluster, int shards,
                                           std::vector<std::string>& skipped) {
  std::map<int, shard_history> out;
  const auto snap_prefix = snapshots_prefix(cluster);
  for (const auto& kv : snapshots.kvs) {
    std::optional<int> shard;
    if (kv.key.rfind(snap_prefix, 0) == 0)
      shard = leading_shard(std::string_view(kv.key).substr(snap_prefix.size()), shards);
    if (!shard) {
      skipped.push_back("'" + kv.key + "' names no shard");
      continue;
    }
    out[*shard].snapshot = kv.value;
  }
  const auto log_prefix = rewards_prefix(cluster);
  std::vector<const etcd::key_value*> ordered;
  for (const auto& kv : rewards.kvs)
    ordered.push_back(&kv);
  // etcd answers in key order; rewards are learned in the order they were committed.
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return a->create_revision < b->create_revision;
  });
  for (const auto* kv : ordered) {
    std::optional<int> shard;
    if (kv->key.rfind(log_prefix, 0) == 0) {
      const auto rest = std::string_view(kv->key).substr(log_prefix.size());
      const auto slash = rest.find('/');
      if (slash != std::string_view::npos && slash + 1 < rest.size())
        shard = leading_shard(rest.substr(0, slash), shards);
    }
    if (!shard) {
      skipped.push_back("'" + kv->key + "' names no shard and event");
      continue;
    }
    out[*shard].log.push_back(kv->value);
  }
  return out;
}

std::vector<etcd::request> fold_requests(std::string_view fence_key, int64_t fencing_token,
                                         std::string_view snapshot_key, std::string_view snapshot,
                                         std::string_view cluster, int shard,
                                         const std::vector<std::string>& event_ids) {
  std::vector<etcd::request> out;
  size_t next = 0;
  do {
    json success = json::array();
    if (out.empty())
      success.push_back({{"request_put",
                          {{"key", etcd::base64_encode(snapshot_key)},
                           {"value", etcd::base64_encode(snapshot)}}}});
    for (size_t n = 0; n < fold_batch && next < event_ids.size(); ++n, ++next) {
      const auto key = shard_rewards_prefix(cluster, shard) + event_ids[next];
      success.push_back({{"request_delete_range", {{"key", etcd::base64_encode(key)}}}});
    }
    json txn = {
        {"compare", json::array({fence_compare(fence_key, fencing_token)})},
        {"success", success},
        {"failure", json::array({{{"request_range", {{"key", etcd::base64_encode(fence_key)}}}}})}};
    out.push_back({"/v3/kv/txn", txn.dump()});
  } while (next < event_ids.size());
  return out;
}

std::vector<int> reward_ledger::to_restore(const std::vector<int>& serving) const {
  std::vector<int> out;
  for (int s : serving)
    if (!ready(s) && !restoring(s))
      out.push_back(s);
  return out;
}

uint64_t reward_ledger::restore_started(int shard) {
  const auto ticket = next_ticket_++;
  restoring_[shard] = ticket;
  return ticket;
}

bool reward_ledger::restoring(int shard, uint64_t ticket) const {
  const auto it = restoring_.find(shard);
  return it != restoring_.end() && it->second == ticket;
}

void reward_ledger::restore_done(int shard) {
  // Not when the shard stopped being served meanwhile (keep_only).
  if (restoring_.erase(shard) > 0)
    ready_.insert(shard);
}

void reward_ledger::restore_done(int shard, uint64_t ticket) {
  if (restoring(shard, ticket))
    restore_done(shard);
}

void reward_ledger::restore_failed(int shard, uint64_t ticket) {
  if (restoring(shard, ticket))
    restoring_.erase(shard);
}

void reward_ledger::keep_only(const std::vector<int>& serving) {
  const std::set<int> keep(serving.begin(), serving.end());
  for (auto it = ready_.begin(); it != ready_.end();)
    it = keep.count(*it) ? std::next(it) : ready_.erase(it);
  for (auto it = restoring_.begin(); it != restoring_.end();)
    it = keep.count(it->first) ? std::next(it) : restoring_.erase(it);
  for (auto it = unfolded_.begin(); it != unfolded_.end();)
    it = keep.count(it->first) ? std::next(it) : unfolded_.erase(it);
}

void reward_ledger::forget(int shard) {
  ready_.erase(shard);
  restoring_.erase(shard);
  unfolded_.erase(shard);
}

void reward_ledger::learned(int shard, std::string event_id, int64_t now_ms) {
  auto& p = unfolded_[shard];
  if (p.ids.empty())
    p.oldest_ms = now_ms;
  p.ids.push_back(std::move(event_id));
}

size_t reward_ledger::unfolded(int shard) const {
  const auto it = unfolded_.find(shard);
  return it == unfolded_.end() ? 0 : it->second.ids.size();
}

std::vector<int> reward_ledger::due(int64_t now_ms) const {
  std::vector<std::pair<size_t, int>> due;
  for (const auto& [shard, p] : unfolded_)
    if (ready(shard) && !p.ids.empty()
        && (p.ids.size() >= policy_.max_unfolded || now_ms - p.oldest_ms >= policy_.max_age_ms))
      due.emplace_back(p.ids.size(), shard);
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<int> out;
  for (const auto& [n, shard] : due)
    out.push_back(shard);
  return out;
}

std::vector<std::string> reward_ledger::take(int shard) {
  const auto it = unfolded_.find(shard);
  if (it == unfolded_.end())
    return {};
  auto ids = std::move(it->second.ids);
  unfolded_.erase(it);
  return ids;
}

void reward_ledger::fold_failed(int shard, std::vector<std::string> event_ids, int64_t now_ms) {
  if (!ready(shard))
    return; // no longer ours: the next owner restores them from the log
  auto& p = unfolded_[shard];
  if (p.ids.empty())
    p.oldest_ms = now_ms;
  p.ids.insert(p.ids.begin(), std::make_move_iterator(event_ids.begin()),
               std::make_move_iterator(event_ids.end()));
}

} // namespace grace::cluster
