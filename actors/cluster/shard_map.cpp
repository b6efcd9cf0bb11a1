#include "actors/cluster/shard_map.hpp"

#include <algorithm>

namespace grace::cluster {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace {

int shard_of_hash(uint64_t h) {
  return static_cast<int>(mix64(h) % static_cast<uint64_t>(shard_count));
}

} // namespace

int shard_of_metric(std::string_view metric_id) {
  std::string key = "metric:";
  key.append(metric_id);
  return shard_of_hash(fnv1a64(key));
}

int shard_of_context(std::string_view service, std::string_view diagnosis) {
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  std::string key = "context:";
  key.append(service);
  key.push_back('\0');
  key.append(diagnosis);
  return shard_of_hash(fnv1a64(key));
}

std::vector<std::string> metrics_of_shards(const std::vector<std::string>& metric_ids,
                                           const std::vector<int>& shards) {
  std::vector<std::string> out;
  for (const auto& id : metric_ids)
    if (std::find(shards.begin(), shards.end(), shard_of_metric(id)) != shards.end())
      out.push_back(id);
  return out;
}

uint64_t rendezvous_weight(std::string_view member, int shard) {
  return mix64(fnv1a64(member) ^ mix64(static_cast<uint64_t>(shard)));
}

std::optional<std::string> preferred_owner(int shard, const std::vector<std::string>& members) {
  const std::string* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& m : members) {
    const auto w = rendezvous_weight(m, shard);
    if (best == nullptr || w > best_weight || (w == best_weight && m < *best)) {
      best = &m;
      best_weight = w;
    }
  }
  if (best == nullptr)
    return std::nullopt;
  return *best;
}

} // namespace grace::cluster
