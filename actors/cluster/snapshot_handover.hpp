#pragma once
// Snapshot handover: the owner of a shard keeps its metrics' snapshots in its
// own SQLite and also sends them to the shard's next owner (the member
// rendezvous hashing prefers once the owner is gone), which stores them too,
// so that forecasts after a failover have their history. Pure (no CAF):
// who the next owner is, what is due to it, and whether a received handover
// may be stored.
#include "messages/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grace::cluster {

// The member preferred for `shard` once `owner` is gone: the best of the
// others by rendezvous weight; none when `owner` is the only member.
std::optional<std::string> next_owner(int shard, const std::vector<std::string>& members,
                                      const std::string& owner);

// A member as the handover knows it: a new incarnation (a restart, a
// rejoin) may have lost what was sent before, so it is sent everything again.
struct handover_target {
  std::string node;
  int64_t incarnation = 0;
  bool operator==(const handover_target& o) const {
    return node == o.node && incarnation == o.incarnation;
  }
};

// One metric's snapshots due to a target: those with window_start >= since,
// at most `limit` (the most recent).
struct handover_item {
  std::string metric_id;
  int shard = 0;
  handover_target to;
  timestamp_ms since = 0;
  uint64_t limit = 0;
};

// How much history a first handover sends per metric: 16 days of 5-minute
// windows (the forecaster fits on training.history, 7 days by default, and
// uses 15 days or more for intervals by time of day).
constexpr uint64_t handover_history_limit = 4608;
// At most this many snapshots cross the wire in one message (a few hundred
// kilobytes, far below CAF's and the kernel's buffers).
constexpr size_t handover_max_snapshots = handover_history_limit;

// Per metric: to whom its snapshots went and the newest window sent.
class handover_ledger {
public:
  // The metrics (given by their latest stored snapshot) of the shards this
  // node serves whose next owner lacks snapshots: everything (up to
  // handover_history_limit) for a next owner not sent to before, else the
  // windows after the newest sent. At most `max_items`, the metrics sent
  // least recently first. `members`: id -> incarnation, this node included.
  std::vector<handover_item> due(const std::vector<snapshot>& latest,
                                 const std::vector<int>& serving,
                                 const std::map<std::string, int64_t>& members,
                                 const std::string& self, size_t max_items) const;

  // The target acknowledged the item's snapshots up to `newest_window_start`.
  void sent(const handover_item& item, timestamp_ms newest_window_start);

  size_t tracked() const { return progress_.size(); }

private:
  struct progress {
    handover_target to;
    timestamp_ms newest = 0;
    uint64_t round = 0; // when it was last sent (orders the next due list)
  };
  std::map<std::string, progress> progress_;
  uint64_t round_ = 0;
};

// Checks a received handover before it is stored: every snapshot belongs to
// `shard` (by its metric id), has a metric id and a window that ends after it
// starts, and there are at most handover_max_snapshots. The reason, or none.
std::optional<std::string> check_handover(int shard, const std::vector<snapshot>& snapshots,
                                          int shards);

} // namespace grace::cluster
