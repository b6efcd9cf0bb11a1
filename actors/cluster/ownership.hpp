#pragma once
// One node's view of shard ownership: which shards it may serve, and what it
// must ask etcd next. Pure (times are plain milliseconds of a monotonic clock
// given by the caller), so every transition is tested on plain values.
//
// A node serves a shard only while (a) its lease is believed alive, i.e. the
// last keepalive that etcd answered, plus the TTL etcd granted, lies in the
// future, and (b) its claim on /owner/<shard>, bound to that lease, succeeded
// and etcd still shows it. When the lease deadline passes without a
// keepalive answer (etcd unreachable, process stalled), the node stops
// serving by itself: by then etcd may have expired the lease and another node
// may own the shard.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grace::cluster {

// /owner/<shard> as etcd holds it.
struct owner_record {
  std::string node;
  int64_t incarnation = 0;
  int64_t lease = 0;
  int64_t fencing_token = 0; // the key's create_revision: the claim's revision
};

enum class shard_role {
  idle,      // not ours (or not known to be ours)
  claiming,  // a claim transaction is in flight
  serving,   // claimed under our live lease and etcd shows it
  releasing, // handing over to the preferred owner: no longer served
};

const char* to_string(shard_role r);

enum class ownership_action_kind { claim, release };

struct ownership_action {
  ownership_action_kind kind;
  int shard = 0;
  int64_t fencing_token = 0; // release: the claim to delete (compare on create_revision)
};

class ownership {
public:
  ownership(std::string self, int shards);

  const std::string& self() const { return self_; }
  int shards() const { return static_cast<int>(roles_.size()); }

  // A lease was granted (etcd answered at `answered_ms`) with `ttl_ms`.
  void lease_granted(int64_t lease_id, int64_t sent_ms, int64_t ttl_ms);
  // A keepalive sent at `sent_ms` was answered with the remaining `ttl_ms`.
  // The deadline counts from when the request was sent: etcd renewed the
  // lease no earlier than that.
  void lease_kept(int64_t sent_ms, int64_t ttl_ms);
  // The same for an answer about `lease_id`: ignored unless it is the lease
  // held now (answers arrive late, after a rejoin).
  void lease_kept(int64_t lease_id, int64_t sent_ms, int64_t ttl_ms);
  // etcd says the lease is gone: stop serving everything at once.
  void lease_lost();
  // Stops serving everything when the lease deadline has passed; true if it
  // did so now (the caller logs it once).
  bool expire_if_due(int64_t now_ms);
  bool lease_alive(int64_t now_ms) const;
  int64_t lease_id() const { return lease_; }
  int64_t lease_deadline_ms() const { return deadline_ms_; }

  // Compares etcd's view (live member ids and the owner records by shard)
  // with ours: adopts what etcd shows, stops serving shards etcd gives to
  // someone else, and returns the claims and releases to send.
  std::vector<ownership_action> reconcile(const std::vector<std::string>& members,
                                          const std::map<int, owner_record>& owners,
                                          int64_t now_ms);
  // The same for a read made at etcd revision `read_revision`: a shard whose
  // claim or release was answered at a later revision keeps its role (the
  // read was sent before that answer and cannot show it).
  std::vector<ownership_action> reconcile(const std::vector<std::string>& members,
                                          const std::map<int, owner_record>& owners, int64_t now_ms,
                                          int64_t read_revision);

  // Answers to the actions.
  void claim_succeeded(int shard, int64_t fencing_token);
  void claim_failed(int shard); // someone else holds it, or etcd did not answer
  void release_done(int shard); // deleted, or already gone
  // Answers to actions sent under `lease_id`, answered at etcd revision
  // `revision`: ignored when the lease changed since (the claim died with
  // the old lease; a shard claimed again under the new one is not that
  // claim).
  void claim_succeeded(int shard, int64_t fencing_token, int64_t lease_id);
  void claim_failed(int shard, int64_t lease_id);
  void release_done(int shard, int64_t lease_id, int64_t revision);

  shard_role role(int shard) const;
  // Whether requests for `shard` may be answered here now.
  bool serving(int shard, int64_t now_ms) const;
  int64_t fencing_token(int shard) const;
  std::vector<int> serving_shards(int64_t now_ms) const;

private:
  void stop_all();

  std::string self_;
  std::vector<shard_role> roles_;
  std::vector<int64_t> tokens_;
  std::vector<int64_t> changed_at_; // etcd revision of our last claim or release, by shard
  int64_t lease_ = 0;
  int64_t deadline_ms_ = 0; // the lease is believed alive before this
};

} // namespace grace::cluster
