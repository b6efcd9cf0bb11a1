#pragma once
// Acknowledged learning in etcd, per shard: which shards this node has
// restored (and may answer for), which committed rewards its learner holds
// that the shard's snapshot in etcd does not, and when to fold them into it.
// Pure: times are plain milliseconds given by the caller.
//
// Layout:
//   /grace/<cluster>/rewards/<shard>/<event_id> = the experience (JSON), put once under the
//                                                 owner's fencing token, no lease
//   /grace/<cluster>/snapshots/<shard>           = the shard's contexts (JSON), put under the
//                                                 fencing token together with the deletion of
//                                                 the rewards it holds
// A new owner restores the snapshot, then learns the rewards left in the log.
#include "actors/cluster/etcd_json.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace grace::cluster {

// The suffix a recommendation's event id carries in a cluster: "-s<shard>",
// so that a reward names the shard that owns its event.
std::string event_shard_suffix(int shard);
// The shard an event id names (its "-s<shard>" suffix); nullopt for an id
// without one or with a shard outside [0, shards).
std::optional<int> shard_of_event(std::string_view event_id, int shards);

std::string rewards_prefix(std::string_view cluster);
std::string shard_rewards_prefix(std::string_view cluster, int shard);
std::string snapshots_prefix(std::string_view cluster);
std::string snapshot_key(std::string_view cluster, int shard);

// What etcd holds for some shards, grouped from two prefix reads.
struct shard_history {
  std::string snapshot;         // "" when none was written
  std::vector<std::string> log; // rewards committed since, oldest revision first
};
// Groups the key-values under rewards_prefix and snapshots_prefix by shard;
// keys that name no shard in [0, shards) are reported in `skipped`.
std::map<int, shard_history> group_history(const etcd::range_answer& snapshots,
                                           const etcd::range_answer& rewards,
                                           std::string_view cluster, int shards,
                                           std::vector<std::string>& skipped);

// At most this many keys deleted per fold transaction (etcd's default
// --max-txn-ops is 128; the put and the compare take their places too).
constexpr size_t fold_batch = 100;

// The fenced transactions of one fold: the first puts the snapshot and
// deletes up to fold_batch folded rewards, the others delete the rest; each
// only while `fence_key` is still the claim at `fencing_token`.
std::vector<etcd::request> fold_requests(std::string_view fence_key, int64_t fencing_token,
                                         std::string_view snapshot_key, std::string_view snapshot,
                                         std::string_view cluster, int shard,
                                         const std::vector<std::string>& event_ids);

struct fold_policy {
  size_t max_unfolded = 32;  // fold once a shard holds this many unfolded rewards
  int64_t max_age_ms = 5000; // or once its oldest unfolded reward is this old
};

class reward_ledger {
public:
  explicit reward_ledger(fold_policy policy = {}) : policy_(policy) {}

  // Restores: a shard served and not restored yet is to be restored before
  // anything about it is answered.
  bool ready(int shard) const { return ready_.count(shard) > 0; }
  bool restoring(int shard) const { return restoring_.count(shard) > 0; }
  // Of the shards served now, those neither restored nor being restored.
  std::vector<int> to_restore(const std::vector<int>& serving) const;
  // Returns the restore's ticket: a shard lost and won again while its
  // history was read is restored afresh, and the earlier read's answer,
  // older than what the interim owner committed, must not count.
  uint64_t restore_started(int shard);
  // Whether `ticket` is still the shard's restore under way.
  bool restoring(int shard, uint64_t ticket) const;
  // Ready from now on, unless it stopped being served while restoring.
  void restore_done(int shard);
  void restore_failed(int shard) { restoring_.erase(shard); }
  // The same for the restore with `ticket` only.
  void restore_done(int shard, uint64_t ticket);
  void restore_failed(int shard, uint64_t ticket);
  // Shards no longer served forget everything: a later claim restores afresh.
  void keep_only(const std::vector<int>& serving);
  // One shard forgets everything (etcd says its claim is not ours).
  void forget(int shard);

  // A reward committed under the fencing token and learned here.
  void learned(int shard, std::string event_id, int64_t now_ms);
  size_t unfolded(int shard) const;
  // Ready shards whose unfolded rewards are due (policy), most first.
  std::vector<int> due(int64_t now_ms) const;
  // The unfolded rewards of a shard, taken for a fold; given back with
  // fold_failed when the fold did not happen.
  std::vector<std::string> take(int shard);
  void fold_failed(int shard, std::vector<std::string> event_ids, int64_t now_ms);

private:
  struct pending {
    std::vector<std::string> ids;
    int64_t oldest_ms = 0;
  };
  fold_policy policy_;
  std::set<int> ready_;
  std::map<int, uint64_t> restoring_; // shard -> its restore's ticket
  uint64_t next_ticket_ = 1;
  std::map<int, pending> unfolded_;
};

} // namespace grace::cluster
