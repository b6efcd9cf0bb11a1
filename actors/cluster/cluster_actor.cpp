#include "actors/cluster/cluster_actor.hpp"

#include "actors/cluster/cluster_actor_handover.hpp"
#include "actors/cluster/cluster_actor_routing.hpp"
#include "actors/cluster/cluster_peer_actor.hpp"
#include "actors/cluster/etcd_watcher_actor.hpp"
#include "actors/cluster/etcd_worker_actor.hpp"
#include "actors/cluster/peer_check.hpp"
#include "actors/cluster/shard_map.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/errors.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <chrono>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using namespace std::chrono_literals;
namespace etcd = cluster::etcd;

constexpr auto tick_interval = 1s;
constexpr int64_t sync_interval_ms = 5000; // re-read even without a watch event
constexpr auto sync_delay = 50ms;          // coalesces a burst of watch events
constexpr auto watch_idle = 30s;
constexpr auto watch_reopen_delay = 500ms; // after the stream closed or failed

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Logs an etcd problem once, until a different one happens or a call succeeds.
void report(cluster_state& st, const std::string& error) {
  if (error == st.last_error)
    return;
  st.last_error = error;
  spdlog::warn("[CLUSTER] {}", error);
}

void log_serving(cluster_state& st, int64_t now) {
  auto serving = st.owned->serving_shards(now);
  if (serving == st.serving)
    return;
  st.serving = serving;
  std::string list;
  for (int s : serving)
    list += (list.empty() ? "" : ",") + std::to_string(s);
  spdlog::info("[CLUSTER] serving {} of {} shards{}{}", serving.size(), cluster::shard_count,
               serving.empty() ? "" : ": ", list);
}

void log_member_changes(const cluster_state& st, const cluster::cluster_snapshot& next) {
  if (!st.view_read)
    return;
  for (const auto& [id, m] : next.members) {
    auto it = st.view.members.find(id);
    if (it == st.view.members.end())
      spdlog::info("[CLUSTER] member {} joined (http {}, incarnation {})", id, m.http,
                   m.incarnation);
    else if (it->second.incarnation != m.incarnation)
      spdlog::info("[CLUSTER] member {} rejoined (incarnation {})", id, m.incarnation);
  }
  for (const auto& [id, m] : st.view.members)
    if (next.members.count(id) == 0)
      spdlog::info("[CLUSTER] member {} left (its lease expired or was revoked)", id);
}

// A worker answers within its calls' etcd timeouts; this only catches a
// worker that is gone.
constexpr auto worker_timeout = 60s;
// Workers for the keys: etcd syncs its log once for the transactions that
// arrive together, so claims (a failover claims a third of the shards at
// once) and concurrent rewards wait for one fsync rather than one each.
constexpr size_t kv_worker_count = 4;

// The next worker for the keys, in turn.
const etcd_worker_actor& kv_worker(cluster_state& st) {
  return st.kv_workers[st.next_kv_worker++ % st.kv_workers.size()];
}

// A dial that takes longer is given up (its dialer quits when the connect
// returns); the next tick dials again.
constexpr auto connect_timeout = 10s;

void ask_worker(cluster_self self, const etcd_worker_actor& worker,
                std::vector<etcd::request> calls,
                std::function<void(std::vector<etcd_reply>&)> on_answer,
                std::function<void(const std::string&)> on_error) {
  std::vector<etcd_call> messages;
  for (const auto& c : calls)
    messages.push_back(to_call(c));
  self->request(worker, worker_timeout, atom::call_v, std::move(messages))
      .then([on_answer](std::vector<etcd_reply>& replies) { on_answer(replies); },
            [on_error](caf::error& e) { on_error(describe(e)); });
}

void connect_peers(cluster_self self);
void settle_hellos(cluster_self self);
void start_sync(cluster_self self);

// After claims and releases were answered (or a read): what is served now
// is logged, shards gained are restored, waiting requests tried again.
void ownership_changed(cluster_self self) {
  log_serving(self->state, steady_ms());
  restore_shards(self);
  retry_waiting(self);
}

void claim_or_release_answered(cluster_self self) {
  auto& st = self->state;
  if (st.open_claims > 0 && --st.open_claims == 0)
    ownership_changed(self);
}

// Sends the claims and releases; each answer is applied to the ownership
// state only if the lease it was sent under is still ours.
void carry_out(cluster_self self, const std::vector<cluster::ownership_action>& actions) {
  auto& st = self->state;
  const auto& s = st.settings;
  const auto lease = st.owned->lease_id();
  for (const auto& a : actions) {
    const auto key = cluster::owner_key(s.name, a.shard);
    const int shard = a.shard;
    ++st.open_claims;
    if (a.kind == cluster::ownership_action_kind::claim) {
      ask_worker(
          self, kv_worker(st),
          {etcd::claim_request(key, cluster::encode_owner(s.node_id, st.incarnation), lease)},
          [=](std::vector<etcd_reply>& replies) {
            auto& st = self->state;
            const auto t = to_txn(replies.at(0));
            if (t.succeeded) {
              // The put created the key in this transaction: its revision is
              // the claim's, the fencing token.
              st.owned->claim_succeeded(shard, t.revision, lease);
              if (st.owned->fencing_token(shard) == t.revision) {
                st.view.owners[shard] = {st.settings.node_id, st.incarnation, lease, t.revision};
                ++st.claims_won;
              }
            } else {
              st.owned->claim_failed(shard, lease);
              ++st.claims_lost;
            }
            claim_or_release_answered(self);
          },
          [=](const std::string& why) {
            auto& st = self->state;
            st.owned->claim_failed(shard, lease);
            report(st, "claiming shard " + std::to_string(shard) + ": " + why);
            claim_or_release_answered(self);
          });
    } else {
      // The history goes to the member taking the shard first; the release
      // follows (advance_releases).
      --st.open_claims;
      const auto preferred = cluster::preferred_owner(shard, cluster::member_ids(st.view));
      st.releasing.begin(shard, a.fencing_token, preferred ? *preferred : "", steady_ms());
    }
  }
  advance_releases(self);
}

void sync_done(cluster_self self) {
  auto& st = self->state;
  st.syncing = false;
  settle_hellos(self);
  if (st.sync_again) {
    st.sync_again = false;
    start_sync(self);
  }
}

// Sends a kill switch record to this node's executor. Records go out in
// the order of their etcd revisions (the executor takes them in the order
// sent), so an older read never undoes a newer switch; `done` gets the
// executor's governance or why it failed (the next read tries again).
template <class Done>
void send_kill_switch(cluster_self self, const cluster::kill_switch_record& r, Done done) {
  auto& st = self->state;
  st.kill_switch_applied = r.revision;
  with_component_or<executor_actor>(
      self, st.supervisor, "executor",
      [=](executor_actor executor) {
        self->request(executor, std::chrono::milliseconds(self->state.wait_ms), atom::kill_v,
                      r.engaged, r.reason + " (cluster-wide, set through " + r.by + ")")
            .then(
                [=](governance_status& status) {
                  spdlog::info("[CLUSTER] kill switch {} cluster-wide (etcd revision {}, set "
                               "through {})",
                               r.engaged ? "engaged" : "released", r.revision, r.by);
                  done(std::move(status), std::string());
                },
                [=](caf::error& e) {
                  if (self->state.kill_switch_applied == r.revision)
                    self->state.kill_switch_applied = 0;
                  done(governance_status{}, "the executor did not apply it: " + describe(e));
                });
      },
      [=](const caf::error& e) {
        if (self->state.kill_switch_applied == r.revision)
          self->state.kill_switch_applied = 0;
        done(governance_status{}, "the executor is not reachable: " + describe(e));
      });
}

// Applies the cluster's kill switch read from etcd when it is a revision not
// applied yet (a node that joins applies the last one set).
void apply_kill_switch(cluster_self self, const etcd::range_answer& range) {
  auto& st = self->state;
  std::string why;
  const auto record = cluster::read_kill_switch(range, st.settings.name, why);
  if (!why.empty()) {
    spdlog::warn("[CLUSTER] ignored a record in etcd: {}", why);
    return;
  }
  if (!record || record->revision <= st.kill_switch_applied)
    return;
  send_kill_switch(self, *record, [self](governance_status, const std::string& problem) {
    if (!problem.empty())
      report(self->state, "applying the cluster's kill switch: " + problem);
  });
}

// The kill switch set through this node's API: written to etcd, then applied
// here; answered once this node's executor holds it.
void set_cluster_kill_switch(cluster_self self, bool engaged, std::string reason,
                             std::shared_ptr<caf::typed_response_promise<governance_status>> rp) {
  auto& st = self->state;
  const auto& s = st.settings;
  const auto record = cluster::encode_kill_switch({engaged, reason, s.node_id, 0});
  // The put and a read of it in one call: the read gives the put's revision.
  ask_worker(
      self, kv_worker(st),
      {etcd::put_request(cluster::kill_switch_key(s.name), record, 0),
       etcd::range_prefix_request(cluster::kill_switch_key(s.name))},
      [=](std::vector<etcd_reply>& replies) {
        std::string why;
        const auto written =
            cluster::read_kill_switch(to_range(replies.at(1)), self->state.settings.name, why);
        if (!written) {
          rp->deliver(make_error(errc::unavailable,
                                 "the kill switch was written to etcd but does not read back: "
                                     + (why.empty() ? std::string("the key is absent") : why)));
          return;
        }
        // A later switch set through another node was applied meanwhile:
        // ours is superseded, answered with what the executor holds now.
        if (written->revision <= self->state.kill_switch_applied) {
          with_component_or<executor_actor>(
              self, self->state.supervisor, "executor",
              [=](executor_actor executor) {
                self->request(executor, std::chrono::milliseconds(self->state.wait_ms),
                              atom::statistics_v)
                    .then([=](governance_report& report) { rp->deliver(report.governance); },
                          [=](caf::error& e) { rp->deliver(std::move(e)); });
              },
              [=](const caf::error& e) { rp->deliver(e); });
          return;
        }
        send_kill_switch(
            self, *written, [rp](governance_status status, const std::string& problem) {
              if (!problem.empty())
                rp->deliver(make_error(errc::unavailable,
                                       "the kill switch is set in etcd; this node " + problem));
              else
                rp->deliver(std::move(status));
            });
      },
      [=](const std::string& why) {
        rp->deliver(make_error(errc::unavailable,
                               "the kill switch was not set: etcd did not take it: " + why));
      });
}

// Re-reads members, owners and the kill switch, then claims and releases what the view asks
// for. One read at a time: asked for meanwhile, it is read again after.
void start_sync(cluster_self self) {
  auto& st = self->state;
  if (st.syncing) {
    st.sync_again = true;
    return;
  }
  st.syncing = true;
  st.last_sync_ms = steady_ms();
  const auto& s = st.settings;
  ask_worker(
      self, kv_worker(st),
      {etcd::range_prefix_request(cluster::members_prefix(s.name)),
       etcd::range_prefix_request(cluster::owners_prefix(s.name)),
       etcd::range_prefix_request(cluster::kill_switch_key(s.name))},
      [=](std::vector<etcd_reply>& replies) {
        auto& st = self->state;
        apply_kill_switch(self, to_range(replies.at(2)));
        const auto owners = to_range(replies.at(1));
        auto next = cluster::read_snapshot(to_range(replies.at(0)), owners, st.settings.name,
                                           cluster::shard_count);
        for (const auto& why : next.skipped)
          spdlog::warn("[CLUSTER] ignored a record in etcd: {}", why);
        log_member_changes(st, next);
        st.view = std::move(next);
        st.view_read = true;
        st.last_error.clear();
        carry_out(self, st.owned->reconcile(cluster::member_ids(st.view), st.view.owners,
                                            steady_ms(), owners.revision));
        ownership_changed(self);
        connect_peers(self);
        sync_done(self);
      },
      [=](const std::string& why) {
        report(self->state, "reading the cluster's members and owners: " + why);
        log_serving(self->state, steady_ms());
        sync_done(self);
      });
}

// A new lease and the member record bound to it, then a read.
void start_join(cluster_self self) {
  auto& st = self->state;
  if (st.joining)
    return;
  st.joining = true;
  const auto sent = steady_ms();
  const auto& s = st.settings;
  const auto failed = [=](const std::string& why) {
    auto& st = self->state;
    st.joining = false;
    report(st, "cannot join the cluster: " + why);
  };
  ask_worker(
      self, st.lease_worker, {etcd::lease_grant_request((s.lease_ttl_ms + 999) / 1000)},
      [=](std::vector<etcd_reply>& replies) {
        auto& st = self->state;
        const auto grant = replies.at(0);
        st.owned->lease_granted(grant.lease_id, sent, grant.ttl_seconds * 1000);
        st.last_keepalive_ms = sent;
        // A rejoin is a new incarnation; the first join keeps the process's.
        if (st.joined_once)
          st.incarnation = std::max(st.incarnation + 1, wall_ms());
        st.joined_once = true;
        const auto& s = st.settings;
        cluster::member me{s.node_id, st.http_url, s.listen, st.incarnation, grant.lease_id};
        ask_worker(
            self, st.lease_worker,
            {etcd::put_request(cluster::member_key(s.name, s.node_id), cluster::encode_member(me),
                               grant.lease_id)},
            [=](std::vector<etcd_reply>&) {
              auto& st = self->state;
              st.joining = false;
              st.last_error.clear();
              spdlog::info("[CLUSTER] joined cluster '{}' as {} (lease {:x}, TTL {} s, "
                           "incarnation {}) through etcd {}",
                           st.settings.name, st.settings.node_id, grant.lease_id, grant.ttl_seconds,
                           st.incarnation, st.etcd_where);
              start_sync(self);
            },
            [=](const std::string& why) {
              // Without its member record the lease is of no use: the next
              // tick joins afresh and this lease expires by itself.
              if (self->state.owned->lease_id() == grant.lease_id)
                self->state.owned->lease_lost();
              failed(why);
            });
      },
      failed);
}

void lease_gone(cluster_self self, const char* why) {
  auto& st = self->state;
  const auto stopped = st.owned->serving_shards(steady_ms()).size();
  ++st.lease_losses;
  st.owned->lease_lost();
  spdlog::warn("[CLUSTER] {}: stopped serving {} shards; rejoining", why, stopped);
  log_serving(st, steady_ms());
  start_join(self);
}

void start_keepalive(cluster_self self) {
  auto& st = self->state;
  if (st.keepalive_in_flight)
    return;
  st.keepalive_in_flight = true;
  const auto sent = steady_ms();
  st.last_keepalive_ms = sent;
  const auto lease = st.owned->lease_id();
  ask_worker(
      self, st.lease_worker, {etcd::lease_keepalive_request(lease)},
      [=](std::vector<etcd_reply>& replies) {
        auto& st = self->state;
        st.keepalive_in_flight = false;
        if (st.owned->lease_id() != lease)
          return; // about a lease we no longer hold
        const auto& answer = replies.at(0);
        if (answer.ttl_seconds == 0) {
          lease_gone(self, "etcd says our lease expired");
          return;
        }
        st.owned->lease_kept(lease, sent, answer.ttl_seconds * 1000);
      },
      [=](const std::string& why) {
        auto& st = self->state;
        st.keepalive_in_flight = false;
        report(st, "lease keepalive: " + why);
      });
}

void tick(cluster_self self) {
  auto& st = self->state;
  const auto now = steady_ms();
  if (st.owned->lease_id() != 0 && st.owned->expire_if_due(now)) {
    ++st.lease_losses;
    spdlog::warn("[CLUSTER] no keepalive answered for a whole lease TTL: stopped serving every "
                 "shard until etcd answers again");
    log_serving(st, now);
  }
  if (st.owned->lease_id() == 0) {
    start_join(self);
    return;
  }
  if (now - st.last_keepalive_ms >= st.settings.keepalive_interval_ms)
    start_keepalive(self);
  if (now - st.last_sync_ms >= sync_interval_ms)
    start_sync(self);
}

// Spawns the etcd watcher (detached: it blocks on etcd's stream) and
// monitors it; its first tick opens the stream.
void start_watcher(cluster_self self) {
  auto& st = self->state;
  if (!st.watch_source)
    return;
  const refresh_sink_actor sink = caf::actor_cast<refresh_sink_actor>(self);
  st.watcher =
      st.io.detached ? self->spawn<caf::detached + caf::monitored>(
          etcd_watcher, st.watch_source, st.settings.name, sink, watch_idle, watch_reopen_delay)
                     : self->spawn<caf::monitored>(etcd_watcher, st.watch_source, st.settings.name,
                                                   sink, watch_idle, watch_reopen_delay);
  self->send(st.watcher, atom::tick_v);
}

void peer_problem(cluster_state& st, const std::string& id, const std::string& problem) {
  auto& last = st.peer_errors[id];
  if (last == problem)
    return;
  last = problem;
  spdlog::warn("[CLUSTER] peer {}: {}", id, problem);
}

// Greets a dialed peer; it counts as connected once it answers in kind.
void greet(cluster_self self, const std::string& id, const std::string& address,
           int64_t their_incarnation, cluster_peer_actor handle) {
  auto& st = self->state;
  const auto ours = st.incarnation;
  self->request(handle, std::chrono::milliseconds(st.settings.etcd_timeout_ms), atom::hello_v,
                peer_hello{cluster_protocol_version, st.settings.node_id, ours},
                caf::actor_cast<caf::actor>(st.peer_endpoint))
      .then(
          [=](peer_hello& answer) {
            auto& st = self->state;
            st.dialing.erase(id);
            if (auto problem = cluster::hello_problem(
                    cluster_protocol_version, answer.protocol_version, answer.node_id, id)) {
              peer_problem(st, id, "refused: " + *problem);
              return;
            }
            const auto member = st.view.members.find(id);
            if (member == st.view.members.end() || member->second.incarnation != their_incarnation
                || st.incarnation != ours)
              return; // either side rejoined meanwhile: the next tick greets afresh
            self->monitor(handle);
            st.peers[id] = handle;
            st.greeted[id] = {ours, their_incarnation};
            st.peer_errors.erase(id);
            spdlog::info("[CLUSTER] connected to peer {} at {} over mutual TLS (protocol {})", id,
                         address, answer.protocol_version);
            retry_waiting(self);
          },
          [=](caf::error& e) {
            auto& st = self->state;
            st.dialing.erase(id);
            peer_problem(st, id, "refused our hello: " + describe(e));
          });
}

// Dials every member etcd lists with a greater id than ours that is not
// connected yet (the other side dials us: one connection per pair, as CAF's
// middleman keeps one per node pair), greets it, and forgets peers etcd no
// longer lists. A connection dropping only marks a peer suspect: etcd decides.
// Each dial is a peer dialer of its own: a dead peer's connect never holds
// this actor up.
void connect_peers(cluster_self self) {
  auto& st = self->state;
  if (!st.io.peers)
    return;
  for (auto it = st.peers.begin(); it != st.peers.end();) {
    const auto member = st.view.members.find(it->first);
    const auto greeted = st.greeted.find(it->first);
    // A peer we dialed forgot us if either side rejoined since our hello
    // (its view lost our member key, or ours lost its): greet it again.
    const bool stale =
        member != st.view.members.end() && greeted != st.greeted.end()
        && greeted->second != std::make_pair(st.incarnation, member->second.incarnation);
    if (member == st.view.members.end() || stale) {
      self->demonitor(it->second.address());
      st.greeted.erase(it->first);
      it = st.peers.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, m] : st.view.members) {
    if (id <= st.settings.node_id || st.peers.count(id) != 0 || st.dialing.count(id) != 0)
      continue;
    std::string why;
    auto at = cluster::parse_host_port(m.cluster, why);
    if (!at) {
      peer_problem(st, id, "its cluster address '" + m.cluster + "' is not host:port: " + why);
      continue;
    }
    st.dialing.insert(id);
    auto dialer =
        st.io.detached ? self->spawn<caf::detached>(peer_dialer) : self->spawn(peer_dialer);
    const auto peer_id = id;
    const auto address = m.cluster;
    const auto incarnation = m.incarnation;
    self->request(dialer, connect_timeout, atom::connect_v, at->host,
                  static_cast<uint16_t>(at->port))
        .then(
            [=](cluster_peer_actor& handle) {
              greet(self, peer_id, address, incarnation, std::move(handle));
            },
            [=](caf::error& e) {
              auto& st = self->state;
              st.dialing.erase(peer_id);
              peer_problem(st, peer_id,
                           "cannot connect over mutual TLS to " + address + ": " + describe(e));
            });
  }
}

// A peer's hello, answered when it is acceptable and etcd lists the peer.
caf::expected<peer_hello> welcome(cluster_self self, const peer_hello& theirs,
                                  const caf::actor& endpoint) {
  auto& st = self->state;
  auto refuse = [&](const std::string& problem) -> caf::expected<peer_hello> {
    spdlog::warn("[CLUSTER] refused a peer's hello: {}", problem);
    return make_error(errc::conflict, problem);
  };
  if (st.view.members.count(theirs.node_id) == 0)
    return refuse("peer '" + theirs.node_id + "' is not a member in etcd");
  auto handle = caf::actor_cast<cluster_peer_actor>(endpoint);
  auto known = st.peers.find(theirs.node_id);
  if (known == st.peers.end() || known->second != handle) {
    self->monitor(handle);
    st.peers[theirs.node_id] = handle;
    st.peer_errors.erase(theirs.node_id);
    spdlog::info("[CLUSTER] accepted peer {} over mutual TLS (protocol {})", theirs.node_id,
                 theirs.protocol_version);
    retry_waiting(self);
  }
  return peer_hello{cluster_protocol_version, st.settings.node_id, st.incarnation};
}

// A peer dialed us: greet it back when the hello is acceptable and etcd
// lists it (read again first if our view does not list it yet).
caf::result<peer_hello> accept_peer(cluster_self self, const peer_hello& theirs,
                                    const caf::actor& endpoint) {
  auto& st = self->state;
  auto refuse = [&](const std::string& problem) -> caf::result<peer_hello> {
    spdlog::warn("[CLUSTER] refused a peer's hello: {}", problem);
    return make_error(errc::conflict, problem);
  };
  if (auto problem = cluster::hello_problem(cluster_protocol_version, theirs.protocol_version,
                                            theirs.node_id, ""))
    return refuse(*problem);
  if (!endpoint)
    return refuse("peer '" + theirs.node_id + "' sent no endpoint");
  if (st.view.members.count(theirs.node_id) == 0 && st.owned->lease_id() != 0) {
    auto rp = self->make_response_promise<peer_hello>();
    st.hellos.push_back({theirs, endpoint, rp});
    start_sync(self);
    return rp;
  }
  auto answer = welcome(self, theirs, endpoint);
  if (!answer)
    return std::move(answer.error());
  return std::move(*answer);
}

// After a read (or a failed one): the hellos that waited for it.
void settle_hellos(cluster_self self) {
  auto hellos = std::move(self->state.hellos);
  self->state.hellos.clear();
  for (auto& h : hellos) {
    auto answer = welcome(self, h.theirs, h.endpoint);
    if (answer)
      h.rp.deliver(std::move(*answer));
    else
      h.rp.deliver(std::move(answer.error()));
  }
}

std::vector<cluster::endpoint> endpoints(const cluster::cluster_settings& s) {
  std::vector<cluster::endpoint> out;
  for (const auto& url : s.etcd) {
    std::string why;
    if (auto e = cluster::parse_etcd_url(url, why))
      out.push_back(*e);
  }
  return out;
}

} // namespace

cluster_state::~cluster_state() {
  // Interrupts the watcher's stream; the exit ends it (it is not linked: a
  // watcher that dies is spawned again, see the down handler).
  if (watch_source)
    watch_source->stop();
  if (watcher)
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  // Blocks once, at the end: members see the leave at once.
  if (io.connect_etcd && owned && owned->lease_id() != 0) {
    try {
      io.connect_etcd()->call(cluster::etcd::lease_revoke_request(owned->lease_id()));
      spdlog::info("[CLUSTER] left cluster '{}' (lease revoked)", settings.name);
    } catch (const cluster::etcd::etcd_error& e) {
      spdlog::warn("[CLUSTER] leaving: {} (the lease expires by itself)", e.what());
    }
  }
}

cluster_io real_cluster_io(const cluster::cluster_settings& settings) {
  cluster_io io;
  const etcd::tls_files tls{settings.cert, settings.key, settings.ca};
  const std::chrono::milliseconds timeout(settings.etcd_timeout_ms);
  const auto at = endpoints(settings);
  io.connect_etcd = [=]() -> std::shared_ptr<etcd::etcd_transport> {
    return std::make_shared<etcd::etcd_client>(at, tls, timeout);
  };
  io.connect_watch = [=]() -> std::shared_ptr<etcd::etcd_watch_source> {
    return std::make_shared<etcd::etcd_client>(at, tls, timeout);
  };
  return io;
}

void ask_etcd(cluster_actor::stateful_pointer<cluster_state> self,
              std::vector<cluster::etcd::request> calls,
              std::function<void(std::vector<etcd_reply>&)> on_answer,
              std::function<void(const std::string&)> on_error) {
  ask_worker(self, kv_worker(self->state), std::move(calls), std::move(on_answer),
             std::move(on_error));
}

void release_claim(cluster_actor::stateful_pointer<cluster_state> self, int shard,
                   int64_t fencing_token) {
  auto& st = self->state;
  const auto key = cluster::owner_key(st.settings.name, shard);
  const auto lease = st.owned->lease_id();
  ++st.open_claims;
  ask_worker(
      self, kv_worker(st), {etcd::release_request(key, fencing_token)},
      [=](std::vector<etcd_reply>& replies) {
        auto& st = self->state;
        st.owned->release_done(shard, lease, replies.at(0).revision);
        if (st.owned->role(shard) == cluster::shard_role::idle)
          st.view.owners.erase(shard);
        ++st.releases;
        spdlog::info("[CLUSTER] handed shard {} over to its preferred owner", shard);
        claim_or_release_answered(self);
      },
      [=](const std::string& why) {
        // Not served meanwhile; the key goes with our lease at the latest.
        report(self->state, "releasing shard " + std::to_string(shard) + ": " + why);
        claim_or_release_answered(self);
      });
}

cluster_actor::behavior_type cluster_component(cluster_actor::stateful_pointer<cluster_state> self,
                                               cluster::cluster_settings settings,
                                               std::string http_url, supervisor_actor supervisor,
                                               int64_t request_timeout_ms) {
  auto io = real_cluster_io(settings);
  return cluster_component_with(self, std::move(settings), std::move(http_url),
                                std::move(supervisor), request_timeout_ms, std::move(io));
}

cluster_actor::behavior_type
cluster_component_with(cluster_actor::stateful_pointer<cluster_state> self,
                       cluster::cluster_settings settings, std::string http_url,
                       supervisor_actor supervisor, int64_t request_timeout_ms, cluster_io io) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.http_url = std::move(http_url);
  st.supervisor = std::move(supervisor);
  st.io = std::move(io);
  // A waiting request gives up a little before HTTP would, so that the
  // client reads why (503) rather than a bare timeout (504).
  st.wait_ms = std::max<int64_t>(request_timeout_ms - 500, request_timeout_ms / 2);
  st.owned = std::make_unique<cluster::ownership>(st.settings.node_id, cluster::shard_count);
  const auto spawn_worker = [&] {
    auto transport = st.io.connect_etcd();
    if (st.etcd_where.empty())
      st.etcd_where = transport->where();
    return st.io.detached ? self->spawn<caf::linked + caf::detached>(etcd_worker, transport)
                          : self->spawn<caf::linked>(etcd_worker, transport);
  };
  st.lease_worker = spawn_worker();
  for (size_t i = 0; i < kv_worker_count; ++i)
    st.kv_workers.push_back(spawn_worker());
  if (st.io.watch && st.io.connect_watch) {
    st.watch_source = st.io.connect_watch();
    start_watcher(self);
  }
  st.incarnation = wall_ms();
  st.peer_endpoint =
      self->spawn<caf::linked>(cluster_peer_component, caf::actor_cast<cluster_actor>(self));
  if (st.io.peers) {
    std::string why;
    const auto listen = cluster::parse_host_port(st.settings.listen, why);
    auto problem =
        listen ? publish_peer(st.peer_endpoint, listen->host, static_cast<uint16_t>(listen->port))
               : std::optional<std::string>(why);
    if (problem) {
      const auto text = "cannot listen for peers on " + st.settings.listen + ": " + *problem;
      spdlog::error("[CLUSTER] {}", text);
      self->quit(make_error(errc::startup_failed, text));
      return cluster_actor::behavior_type::make_empty_behavior();
    }
    spdlog::info("[CLUSTER] listening for peers on {} (mutual TLS, cluster CA {}, protocol {})",
                 st.settings.listen, st.settings.ca, cluster_protocol_version);
  }
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    if (st.watcher && down.source == st.watcher.address()) {
      ++st.watcher_restarts;
      spdlog::warn("[CLUSTER] the etcd watcher stopped ({}): starting it again",
                   self->system().render(down.reason));
      start_watcher(self);
      return;
    }
    for (auto it = st.peers.begin(); it != st.peers.end(); ++it)
      if (it->second.address() == down.source) {
        spdlog::warn("[CLUSTER] peer {} suspect: its connection dropped (etcd decides whether it "
                     "is still a member)",
                     it->first);
        st.greeted.erase(it->first);
        st.peers.erase(it);
        break;
      }
  });
  self->send(self, atom::tick_v);
  return {
      [=](atom::tick) {
        tick(self);
        connect_peers(self);
        restore_shards(self);
        fold_due(self);
        advance_releases(self);
        hand_over_snapshots(self);
        retry_waiting(self);
        self->delayed_send(self, tick_interval, atom::tick_v);
      },
      [=](atom::refresh) {
        auto& st = self->state;
        if (st.sync_scheduled)
          return;
        st.sync_scheduled = true;
        self->delayed_send(self, sync_delay, atom::sync_v);
      },
      [=](atom::sync) {
        auto& st = self->state;
        st.sync_scheduled = false;
        if (st.owned->lease_id() != 0)
          start_sync(self); // peers, restores and waiting requests follow its answer
      },
      [=](atom::flush) {
        self->state.retry_scheduled = false;
        retry_waiting(self);
      },
      [=](atom::recommend, recommend_request& request) -> caf::result<recommendation, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<recommendation, std::string>>(
            self->make_response_promise<recommendation, std::string>());
        route_recommend(self, std::move(request), "", rp);
        return *rp;
      },
      [=](atom::reward, reward_report& report) -> caf::result<experience, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<experience, std::string>>(
            self->make_response_promise<experience, std::string>());
        route_reward(self, std::move(report), "", rp);
        return *rp;
      },
      [=](atom::ingest, sample_batch& batch) -> caf::result<ingest_receipt> {
        auto rp = std::make_shared<caf::typed_response_promise<ingest_receipt>>(
            self->make_response_promise<ingest_receipt>());
        route_ingest(self, std::move(batch), "", rp);
        return *rp;
      },
      [=](atom::ingest, sample_batch& batch, std::string& from) -> caf::result<ingest_receipt> {
        auto rp = std::make_shared<caf::typed_response_promise<ingest_receipt>>(
            self->make_response_promise<ingest_receipt>());
        route_ingest(self, std::move(batch), std::move(from), rp);
        return *rp;
      },
      [=](atom::recommend, recommend_request& request,
          std::string& from) -> caf::result<recommendation, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<recommendation, std::string>>(
            self->make_response_promise<recommendation, std::string>());
        route_recommend(self, std::move(request), std::move(from), rp);
        return *rp;
      },
      [=](atom::reward, reward_report& report,
          std::string& from) -> caf::result<experience, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<experience, std::string>>(
            self->make_response_promise<experience, std::string>());
        route_reward(self, std::move(report), std::move(from), rp);
        return *rp;
      },
      [=](atom::statistics) -> caf::result<cluster_rl_statistics> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_rl_statistics>>(
            self->make_response_promise<cluster_rl_statistics>());
        cluster_statistics(self, rp);
        return *rp;
      },
      [=](atom::statistics, const std::string&) -> caf::result<rl_statistics, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<rl_statistics, std::string>>(
            self->make_response_promise<rl_statistics, std::string>());
        share_statistics(self, rp);
        return *rp;
      },
      [=](atom::policies) -> caf::result<cluster_rl_policies> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_rl_policies>>(
            self->make_response_promise<cluster_rl_policies>());
        cluster_policies(self, rp);
        return *rp;
      },
      [=](atom::policies, const std::string&) -> caf::result<rl_policies, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<rl_policies, std::string>>(
            self->make_response_promise<rl_policies, std::string>());
        share_policies(self, rp);
        return *rp;
      },
      [=](atom::forecast, forecast_request& request) -> caf::result<cluster_forecasts> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_forecasts>>(
            self->make_response_promise<cluster_forecasts>());
        route_forecasts(self, std::move(request), rp);
        return *rp;
      },
      [=](atom::forecast, forecast_request& request,
          const std::string&) -> caf::result<std::vector<forecast>, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<std::vector<forecast>, std::string>>(
            self->make_response_promise<std::vector<forecast>, std::string>());
        forecast_here(self, std::move(request), rp);
        return *rp;
      },
      [=](atom::warnings) -> caf::result<cluster_warnings> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_warnings>>(
            self->make_response_promise<cluster_warnings>());
        cluster_warnings_view(self, rp);
        return *rp;
      },
      [=](atom::warnings, const std::string&) -> caf::result<warnings_view, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<warnings_view, std::string>>(
            self->make_response_promise<warnings_view, std::string>());
        share_warnings(self, rp);
        return *rp;
      },
      [=](atom::overview) -> caf::result<cluster_dashboard_overview> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_dashboard_overview>>(
            self->make_response_promise<cluster_dashboard_overview>());
        cluster_overview(self, rp);
        return *rp;
      },
      [=](atom::overview, const std::string&) -> caf::result<dashboard_overview, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<dashboard_overview, std::string>>(
            self->make_response_promise<dashboard_overview, std::string>());
        share_overview(self, rp);
        return *rp;
      },
      [=](atom::playbooks) -> caf::result<cluster_dashboard_playbooks> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_dashboard_playbooks>>(
            self->make_response_promise<cluster_dashboard_playbooks>());
        cluster_playbooks(self, rp);
        return *rp;
      },
      [=](atom::playbooks, const std::string&) -> caf::result<dashboard_playbooks, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<dashboard_playbooks, std::string>>(
            self->make_response_promise<dashboard_playbooks, std::string>());
        share_playbooks(self, rp);
        return *rp;
      },
      [=](atom::query, snapshot_query& query) -> caf::result<std::vector<snapshot>, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<std::vector<snapshot>, std::string>>(
            self->make_response_promise<std::vector<snapshot>, std::string>());
        route_snapshots(self, std::move(query), "", rp);
        return *rp;
      },
      [=](atom::query, snapshot_query& query,
          std::string& from) -> caf::result<std::vector<snapshot>, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<std::vector<snapshot>, std::string>>(
            self->make_response_promise<std::vector<snapshot>, std::string>());
        route_snapshots(self, std::move(query), std::move(from), rp);
        return *rp;
      },
      [=](atom::accuracy) -> caf::result<cluster_dashboard_accuracy> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_dashboard_accuracy>>(
            self->make_response_promise<cluster_dashboard_accuracy>());
        cluster_accuracy(self, rp);
        return *rp;
      },
      [=](atom::accuracy, const std::string&) -> caf::result<dashboard_accuracy, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<dashboard_accuracy, std::string>>(
            self->make_response_promise<dashboard_accuracy, std::string>());
        share_accuracy(self, rp);
        return *rp;
      },
      [=](atom::learning) -> caf::result<cluster_dashboard_learning> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_dashboard_learning>>(
            self->make_response_promise<cluster_dashboard_learning>());
        cluster_learning(self, rp);
        return *rp;
      },
      [=](atom::learning, const std::string&) -> caf::result<dashboard_learning, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<dashboard_learning, std::string>>(
            self->make_response_promise<dashboard_learning, std::string>());
        share_learning(self, rp);
        return *rp;
      },
      [=](atom::training) -> caf::result<cluster_dashboard_training> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_dashboard_training>>(
            self->make_response_promise<cluster_dashboard_training>());
        cluster_training(self, rp);
        return *rp;
      },
      [=](atom::training, const std::string&) -> caf::result<dashboard_training, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<dashboard_training, std::string>>(
            self->make_response_promise<dashboard_training, std::string>());
        share_training(self, rp);
        return *rp;
      },
      [=](atom::forecasts) -> caf::result<cluster_dashboard_forecasts> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_dashboard_forecasts>>(
            self->make_response_promise<cluster_dashboard_forecasts>());
        cluster_latest_forecasts(self, rp);
        return *rp;
      },
      [=](atom::forecasts, const std::string&) -> caf::result<dashboard_forecasts, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<dashboard_forecasts, std::string>>(
            self->make_response_promise<dashboard_forecasts, std::string>());
        share_latest_forecasts(self, rp);
        return *rp;
      },
      [=](atom::evaluate) -> caf::result<cluster_rl_evaluation> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_rl_evaluation>>(
            self->make_response_promise<cluster_rl_evaluation>());
        cluster_evaluation(self, rp);
        return *rp;
      },
      [=](atom::evaluate, const std::string&) -> caf::result<rl_evaluation, std::string> {
        auto rp = std::make_shared<caf::typed_response_promise<rl_evaluation, std::string>>(
            self->make_response_promise<rl_evaluation, std::string>());
        share_evaluation(self, rp);
        return *rp;
      },
      [=](atom::executions, std::string& filter) -> caf::result<cluster_executions> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_executions>>(
            self->make_response_promise<cluster_executions>());
        cluster_executions_view(self, std::move(filter), rp);
        return *rp;
      },
      [=](atom::executions, std::string& filter,
          const std::string&) -> caf::result<std::vector<execution>, std::string> {
        auto rp =
            std::make_shared<caf::typed_response_promise<std::vector<execution>, std::string>>(
                self->make_response_promise<std::vector<execution>, std::string>());
        share_executions(self, std::move(filter), rp);
        return *rp;
      },
      [=](atom::approve, std::string& id, bool approved) -> caf::result<cluster_executions> {
        auto rp = std::make_shared<caf::typed_response_promise<cluster_executions>>(
            self->make_response_promise<cluster_executions>());
        route_decision(self, std::move(id), approved, rp);
        return *rp;
      },
      [=](atom::approve, std::string& id, bool approved,
          const std::string&) -> caf::result<std::vector<execution>, std::string> {
        auto rp =
            std::make_shared<caf::typed_response_promise<std::vector<execution>, std::string>>(
                self->make_response_promise<std::vector<execution>, std::string>());
        decide_here(self, std::move(id), approved, rp);
        return *rp;
      },
      [=](atom::kill, bool engaged, std::string& reason) -> caf::result<governance_status> {
        auto rp = std::make_shared<caf::typed_response_promise<governance_status>>(
            self->make_response_promise<governance_status>());
        set_cluster_kill_switch(self, engaged, std::move(reason), rp);
        return *rp;
      },
      [=](atom::store, closed_windows& history) -> caf::result<uint64_t> {
        auto rp = std::make_shared<caf::typed_response_promise<uint64_t>>(
            self->make_response_promise<uint64_t>());
        route_history(self, std::move(history), "", rp);
        return *rp;
      },
      [=](atom::store, closed_windows& history, std::string& from) -> caf::result<uint64_t> {
        auto rp = std::make_shared<caf::typed_response_promise<uint64_t>>(
            self->make_response_promise<uint64_t>());
        route_history(self, std::move(history), std::move(from), rp);
        return *rp;
      },
      [=](atom::store, snapshot_handover& handover) -> caf::result<uint64_t> {
        auto rp = std::make_shared<caf::typed_response_promise<uint64_t>>(
            self->make_response_promise<uint64_t>());
        receive_handover(self, std::move(handover), rp);
        return *rp;
      },
      [=](atom::withdraw, std::string& event_id) -> caf::result<bool> {
        auto rp = std::make_shared<caf::typed_response_promise<bool>>(
            self->make_response_promise<bool>());
        route_withdraw(self, std::move(event_id), "", rp);
        return *rp;
      },
      [=](atom::withdraw, std::string& event_id, std::string& from) -> caf::result<bool> {
        auto rp = std::make_shared<caf::typed_response_promise<bool>>(
            self->make_response_promise<bool>());
        route_withdraw(self, std::move(event_id), std::move(from), rp);
        return *rp;
      },
      [=](atom::hello, const peer_hello& theirs, const caf::actor& endpoint) {
        return accept_peer(self, theirs, endpoint);
      },
      [=](atom::get) -> cluster_view {
        const auto& st = self->state;
        const auto now = steady_ms();
        cluster_view out;
        out.node_id = st.settings.node_id;
        out.cluster = st.settings.name;
        for (const auto& [id, m] : st.view.members)
          out.members.push_back({id, m.http, m.cluster, m.incarnation});
        for (int shard = 0; shard < cluster::shard_count; ++shard) {
          auto it = st.view.owners.find(shard);
          if (it == st.view.owners.end())
            out.shards.push_back({shard, "", 0});
          else
            out.shards.push_back({shard, it->second.node, it->second.fencing_token});
        }
        out.joined = st.owned->lease_alive(now) && st.view.members.count(st.settings.node_id);
        for (int shard : st.owned->serving_shards(now))
          out.serving.push_back(shard);
        for (const auto& [id, p] : st.peers)
          out.peers.push_back(id);
        return out;
      },
      [=](atom::status) -> cluster_status {
        const auto& st = self->state;
        const auto now = steady_ms();
        cluster_status out;
        out.node_id = st.settings.node_id;
        out.cluster = st.settings.name;
        out.lease_alive = st.owned->lease_alive(now);
        out.members = st.view.members.size();
        out.serving = st.owned->serving_shards(now).size();
        out.claims_won = st.claims_won;
        out.claims_lost = st.claims_lost;
        out.releases = st.releases;
        out.lease_losses = st.lease_losses;
        out.rewards_committed = st.rewards_committed;
        out.folds = st.folds;
        out.forwarded = st.forwarded;
        out.restored_shards = st.restored_shards;
        out.waiting = st.waiting.size();
        out.last_error = st.last_error;
        return out;
      },
  };
}

} // namespace grace
