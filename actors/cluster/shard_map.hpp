#pragma once
// Which virtual shard a piece of keyed work belongs to, and which live member
// should own a shard. Every node must compute the same answers, so the hash is
// spelled out here (64-bit FNV-1a, then a splitmix64 finaliser) rather than
// std::hash, whose values differ between standard libraries.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grace::cluster {

// Fixed for the life of a cluster: changing it moves every key.
constexpr int shard_count = 64;

uint64_t fnv1a64(std::string_view bytes);
uint64_t mix64(uint64_t x);

// A metric's forecasting and prediction.
int shard_of_metric(std::string_view metric_id);
// A (service, diagnosis) context's policy.
int shard_of_context(std::string_view service, std::string_view diagnosis);

// Those of `metric_ids` whose shard is one of `shards`, in their order.
std::vector<std::string> metrics_of_shards(const std::vector<std::string>& metric_ids,
                                           const std::vector<int>& shards);

// The weight of `member` for `shard` in rendezvous (highest random weight)
// hashing.
uint64_t rendezvous_weight(std::string_view member, int shard);

// The member with the highest weight for `shard` (ties: the smaller id); none
// when `members` is empty. Removing a member moves only the shards it was
// preferred for; adding one moves only the shards it becomes preferred for.
std::optional<std::string> preferred_owner(int shard, const std::vector<std::string>& members);

} // namespace grace::cluster
