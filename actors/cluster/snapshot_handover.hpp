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
#include <set>
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

// One metric's history due to a target: its snapshots with window_start >=
// since, at most `limit` (the most recent), and its stored forecasts
// generated at or after forecasts_since, at most `forecast_limit`.
struct handover_item {
  std::string metric_id;
  int shard = 0;
  handover_target to;
  timestamp_ms since = 0;
  uint64_t limit = 0;
  timestamp_ms forecasts_since = 0;
  uint64_t forecast_limit = 0;
};

// How much history a first handover sends per metric: 16 days of 5-minute
// windows (the forecaster fits on training.history, 7 days by default, and
// uses 15 days or more for intervals by time of day).
constexpr uint64_t handover_history_limit = 4608;
// At most this many snapshots cross the wire in one message (a few hundred
// kilobytes, far below CAF's and the kernel's buffers).
constexpr size_t handover_max_snapshots = handover_history_limit;
// Stored forecasts a first handover sends per metric (the latest forecasts
// and the accuracy of the last two days at a 5-minute forecast interval),
// and at most this many in one message.
constexpr uint64_t handover_forecast_limit = 576;
constexpr size_t handover_max_forecasts = handover_forecast_limit;

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

  // Every metric (given by its latest stored snapshot) of `shard`, due to
  // `to` when this node hands the shard over to it (a live handover): what
  // `to` was sent before is not sent again.
  std::vector<handover_item> for_shard(const std::vector<snapshot>& latest, int shard,
                                       const handover_target& to) const;

  // The target acknowledged the item's snapshots up to `newest_window_start`
  // (and its forecasts up to `newest_forecast`, generated_at; 0: none sent).
  void sent(const handover_item& item, timestamp_ms newest_window_start,
            timestamp_ms newest_forecast = 0);

  size_t tracked() const { return progress_.size(); }

private:
  struct progress {
    handover_target to;
    timestamp_ms newest = 0;
    timestamp_ms newest_forecast = 0;
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
// The same with the stored forecasts that come with them: each of a metric
// of `shard`, with finite points, at most handover_max_forecasts.
std::optional<std::string> check_handover(int shard, const std::vector<snapshot>& snapshots,
                                          const std::vector<forecast>& forecasts, int shards);

// Handover from a live owner. When a member becomes preferred for a shard
// this node serves (a new member joined and wins it), the ownership state
// machine stops serving it and asks for a release; before the release (the
// delete of our claim, after which the new owner claims) the shard's history
// goes to that member. The release waits until the member acknowledged the
// history, or at most release_handover_wait_ms (the member never connects,
// its storage refuses): a shard is never held back longer than that. Since
// the new owner can claim only after the release, it never serves the shard
// before the history is in or this wait has passed.
constexpr int64_t release_handover_wait_ms = 8000;

struct release_step {
  enum kind_t { send, release } kind = send;
  int shard = 0;
  std::string to;
  int64_t fencing_token = 0; // release: the claim to delete
  bool handed_over = false;  // release: the history was acknowledged
};

class release_handover {
public:
  // The shard (held under `fencing_token`) is released to `to`. Begun again
  // for a shard already pending: kept as it is.
  void begin(int shard, int64_t fencing_token, const std::string& to, int64_t now_ms);

  // What to do now. `connected`: the peers greeted over the transport;
  // `releasing`: the shards the ownership state machine still releases (the
  // others, e.g. after the lease was lost, are dropped: their claim died
  // with the lease). A send is returned once per attempt; a release once,
  // after which the shard is forgotten.
  std::vector<release_step> next(int64_t now_ms, const std::set<std::string>& connected,
                                 const std::set<int>& releasing);

  // The target stored the whole history: release at the next step.
  void acknowledged(int shard);
  // The attempt failed: sent again at a next step while the wait allows.
  void failed(int shard);

  bool pending(int shard) const { return entries_.count(shard) != 0; }
  size_t size() const { return entries_.size(); }

private:
  enum class stage { waiting, sending, done };
  struct entry {
    int64_t fencing_token = 0;
    std::string to;
    int64_t deadline_ms = 0;
    stage at = stage::waiting;
  };
  std::map<int, entry> entries_;
};

} // namespace grace::cluster
