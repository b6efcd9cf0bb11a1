#pragma once
// The cluster component: holds this node's etcd lease and member record,
// watches the cluster's keys, and claims, serves and hands over shards
// (ownership.hpp decides; this shell talks to etcd). It never blocks: etcd
// calls go to two etcd workers (one for the lease, one for the keys, so that
// a keepalive never queues behind claims and commits) and peers are dialed
// by one-shot peer dialers; their answers come back as messages.
#include "actors/cluster/cluster_settings.hpp"
#include "actors/cluster/etcd_client.hpp"
#include "actors/cluster/membership.hpp"
#include "actors/cluster/ownership.hpp"
#include "actors/cluster/reward_ledger.hpp"
#include "actors/cluster/snapshot_handover.hpp"
#include "messages/actors.hpp"

#include <caf/typed_response_promise.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace grace {

// A request for a shard with no owner serving it yet (in transition): tried
// again on every change until `deadline_ms` (steady clock), then expired.
struct waiting_request {
  int64_t deadline_ms = 0;
  std::function<bool()> attempt; // true: handed on (answered or forwarded)
  std::function<void()> expire;
};

// How the component reaches etcd and its peers: real connections in a node
// (real_cluster_io), an in-memory etcd in the protocol tests.
struct cluster_io {
  // A new connection to etcd: one per etcd worker, one for the final revoke.
  std::function<std::shared_ptr<cluster::etcd::etcd_transport>()> connect_etcd;
  // etcd's watch stream, for the watcher (etcd_watcher_actor.hpp).
  std::function<std::shared_ptr<cluster::etcd::etcd_watch_source>()> connect_watch;
  bool watch = true;    // stream etcd's changes (through connect_watch)
  bool peers = true;    // publish on cluster.listen and dial peers (caf-openssl)
  bool detached = true; // workers and dialers on their own threads
};

cluster_io real_cluster_io(const cluster::cluster_settings& settings);

// A peer's hello waiting for a read of etcd that lists it.
struct waiting_hello {
  peer_hello theirs;
  caf::actor endpoint;
  caf::typed_response_promise<peer_hello> rp;
};

struct cluster_state {
  static inline const char* name = "cluster";
  cluster::cluster_settings settings;
  std::string http_url; // advertised in the member record
  cluster_io io;
  std::string etcd_where;                    // the etcd endpoint first used, for logs
  etcd_worker_actor lease_worker;            // grant, keepalive, the member record
  std::vector<etcd_worker_actor> kv_workers; // reads, claims, releases, commits, folds
  size_t next_kv_worker = 0;
  bool joining = false; // a grant (and the member put) in flight
  bool keepalive_in_flight = false;
  bool syncing = false;          // a read of members and owners in flight
  bool sync_again = false;       // asked for while one was in flight
  size_t open_claims = 0;        // claims and releases in flight
  std::set<std::string> dialing; // peers being dialed or greeted
  std::vector<waiting_hello> hellos;
  // The watch: a detached actor blocking on etcd's stream, monitored (spawned
  // again should it die) and stopped through its source on exit.
  std::shared_ptr<cluster::etcd::etcd_watch_source> watch_source;
  etcd_watcher_actor watcher;
  uint64_t watcher_restarts = 0;
  std::unique_ptr<cluster::ownership> owned;
  cluster::cluster_snapshot view; // the last read of etcd
  bool view_read = false;
  int64_t incarnation = 0; // the process's start (wall ms), raised on every rejoin
  bool joined_once = false;
  int64_t last_keepalive_ms = 0; // steady clock
  int64_t last_sync_ms = 0;
  bool sync_scheduled = false;
  std::vector<int> serving; // last logged
  std::string last_error;   // logged once until it changes
  uint64_t claims_won = 0;
  uint64_t claims_lost = 0;
  uint64_t releases = 0;
  uint64_t lease_losses = 0;
  // The transport: our published endpoint and the peers greeted over it.
  cluster_peer_actor peer_endpoint;
  std::map<std::string, cluster_peer_actor> peers; // greeted, by node id
  std::map<std::string, std::string> peer_errors;  // last logged, by node id
  // Peers we dialed: both incarnations when they answered our hello. A rejoin
  // on either side makes the other forget the peer, so it is greeted again.
  std::map<std::string, std::pair<int64_t, int64_t>> greeted;
  // Routing and acknowledged learning (cluster_actor_routing.hpp).
  supervisor_actor supervisor;
  int64_t wait_ms = 0; // how long a request waits for its shard's owner
  cluster::reward_ledger ledger;
  std::vector<waiting_request> waiting;
  bool retry_scheduled = false;
  bool folding = false; // a fold is in flight
  uint64_t rewards_committed = 0;
  uint64_t folds = 0;
  uint64_t forwarded = 0;
  uint64_t restored_shards = 0;
  // Snapshot handover to the next owners (cluster_actor_handover.hpp).
  cluster::handover_ledger handover;
  bool handing_over = false;    // a round is under way
  int64_t next_handover_ms = 0; // steady clock: the next round
  // Shards handed over to a member now preferred for them: their history
  // goes first, then the release.
  cluster::release_handover releasing;
  // The cluster's kill switch: the etcd revision last applied to this node's
  // executor (0: none yet), and whether an apply is in flight.
  int64_t kill_switch_applied = 0;
  bool applying_kill_switch = false;
  ~cluster_state(); // stops the watcher and revokes the lease: members see the leave at once
};

cluster_actor::behavior_type cluster_component(cluster_actor::stateful_pointer<cluster_state> self,
                                               cluster::cluster_settings settings,
                                               std::string http_url, supervisor_actor supervisor,
                                               int64_t request_timeout_ms);

// The same over `io` (the protocol tests' in-memory etcd).
cluster_actor::behavior_type
cluster_component_with(cluster_actor::stateful_pointer<cluster_state> self,
                       cluster::cluster_settings settings, std::string http_url,
                       supervisor_actor supervisor, int64_t request_timeout_ms, cluster_io io);

// Sends `calls` to the keys' etcd worker; `on_answer` gets etcd's replies
// (up to the first transaction that did not succeed), `on_error` why there
// are none.
void ask_etcd(cluster_actor::stateful_pointer<cluster_state> self,
              std::vector<cluster::etcd::request> calls,
              std::function<void(std::vector<etcd_reply>&)> on_answer,
              std::function<void(const std::string&)> on_error);

// Deletes this node's claim on `shard` (made under `fencing_token`; never
// someone else's), so that the preferred owner claims it.
void release_claim(cluster_actor::stateful_pointer<cluster_state> self, int shard,
                   int64_t fencing_token);

} // namespace grace
