#include "actors/cluster/cluster_actor.hpp"

#include "actors/cluster/cluster_actor_handover.hpp"
#include "actors/cluster/cluster_actor_routing.hpp"
#include "actors/cluster/cluster_peer_actor.hpp"
#include "actors/cluster/peer_check.hpp"
#include "actors/cluster/shard_map.hpp"
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

void carry_out(cluster_state& st, const std::vector<cluster::ownership_action>& actions) {
  const auto& s = st.settings;
  std::string handed;
  for (const auto& a : actions) {
    const auto key = cluster::owner_key(s.name, a.shard);
    if (a.kind == cluster::ownership_action_kind::claim) {
      try {
        auto t = etcd::parse_txn(st.client->call(etcd::claim_request(
            key, cluster::encode_owner(s.node_id, st.incarnation), st.owned->lease_id())));
        if (t.succeeded) {
          // The put created the key in this transaction: its revision is
          // the claim's, the fencing token.
          st.owned->claim_succeeded(a.shard, t.revision);
          st.view.owners[a.shard] = {s.node_id, st.incarnation, st.owned->lease_id(), t.revision};
          ++st.claims_won;
        } else {
          st.owned->claim_failed(a.shard);
          ++st.claims_lost;
        }
      } catch (const etcd::etcd_error& e) {
        st.owned->claim_failed(a.shard);
        report(st, std::string("claiming shard ") + std::to_string(a.shard) + ": " + e.what());
      }
    } else {
      try {
        etcd::parse_txn(st.client->call(etcd::release_request(key, a.fencing_token)));
        st.owned->release_done(a.shard);
        st.view.owners.erase(a.shard);
        ++st.releases;
        handed += (handed.empty() ? "" : ",") + std::to_string(a.shard);
      } catch (const etcd::etcd_error& e) {
        // Not served meanwhile; the key goes with our lease at the latest.
        report(st, std::string("releasing shard ") + std::to_string(a.shard) + ": " + e.what());
      }
    }
  }
  if (!handed.empty())
    spdlog::info("[CLUSTER] handed shards over to their preferred owners: {}", handed);
}

// Re-reads members and owners, then claims and releases what the view asks for.
void sync(cluster_state& st) {
  const auto& s = st.settings;
  const auto now = steady_ms();
  st.last_sync_ms = now;
  try {
    auto members = etcd::parse_range(
        st.client->call(etcd::range_prefix_request(cluster::members_prefix(s.name))));
    auto owners = etcd::parse_range(
        st.client->call(etcd::range_prefix_request(cluster::owners_prefix(s.name))));
    auto next = cluster::read_snapshot(members, owners, s.name, cluster::shard_count);
    for (const auto& why : next.skipped)
      spdlog::warn("[CLUSTER] ignored a record in etcd: {}", why);
    log_member_changes(st, next);
    st.view = std::move(next);
    st.view_read = true;
    st.last_error.clear();
  } catch (const etcd::etcd_error& e) {
    report(st, std::string("reading the cluster's members and owners: ") + e.what());
    log_serving(st, steady_ms());
    return;
  }
  carry_out(st, st.owned->reconcile(cluster::member_ids(st.view), st.view.owners, steady_ms()));
  log_serving(st, steady_ms());
}

// A new lease and the member record bound to it.
bool join(cluster_state& st) {
  const auto& s = st.settings;
  try {
    const auto sent = steady_ms();
    auto grant = etcd::parse_lease_grant(
        st.client->call(etcd::lease_grant_request((s.lease_ttl_ms + 999) / 1000)));
    st.owned->lease_granted(grant.id, sent, grant.ttl_seconds * 1000);
    st.last_keepalive_ms = sent;
    // A rejoin is a new incarnation; the first join keeps the process's.
    if (st.joined_once)
      st.incarnation = std::max(st.incarnation + 1, wall_ms());
    st.joined_once = true;
    cluster::member me{s.node_id, st.http_url, s.listen, st.incarnation, grant.id};
    st.client->call(etcd::put_request(cluster::member_key(s.name, s.node_id),
                                      cluster::encode_member(me), grant.id));
    st.last_error.clear();
    spdlog::info("[CLUSTER] joined cluster '{}' as {} (lease {:x}, TTL {} s, incarnation {}) "
                 "through etcd {}:{}",
                 s.name, s.node_id, grant.id, grant.ttl_seconds, st.incarnation,
                 st.client->current().host, st.client->current().port);
    return true;
  } catch (const etcd::etcd_error& e) {
    report(st, std::string("cannot join the cluster: ") + e.what());
    return false;
  }
}

void keepalive(cluster_state& st) {
  const auto sent = steady_ms();
  st.last_keepalive_ms = sent;
  try {
    auto answer =
        etcd::parse_keepalive(st.client->call(etcd::lease_keepalive_request(st.owned->lease_id())));
    if (answer.ttl_seconds == 0) {
      const auto stopped = st.owned->serving_shards(sent).size();
      ++st.lease_losses;
      st.owned->lease_lost();
      spdlog::warn("[CLUSTER] etcd says our lease expired: stopped serving {} shards; rejoining",
                   stopped);
      log_serving(st, steady_ms());
      if (join(st))
        sync(st);
      return;
    }
    st.owned->lease_kept(sent, answer.ttl_seconds * 1000);
  } catch (const etcd::etcd_error& e) {
    report(st, std::string("lease keepalive: ") + e.what());
  }
}

void tick(cluster_state& st) {
  const auto now = steady_ms();
  if (st.owned->lease_id() != 0 && st.owned->expire_if_due(now)) {
    ++st.lease_losses;
    spdlog::warn("[CLUSTER] no keepalive answered for a whole lease TTL: stopped serving every "
                 "shard until etcd answers again");
    log_serving(st, now);
  }
  if (st.owned->lease_id() == 0) {
    if (join(st))
      sync(st);
    return;
  }
  if (now - st.last_keepalive_ms >= st.settings.keepalive_interval_ms)
    keepalive(st);
  if (steady_ms() - st.last_sync_ms >= sync_interval_ms)
    sync(st);
}

// On its own thread: reports every change under /grace/<cluster>/ to the actor.
// Only members and owners matter here: rewards and snapshots written under
// the same prefix change neither.
bool about_ownership(const etcd::watch_message& m, const std::string& members,
                     const std::string& owners) {
  for (const auto& e : m.events)
    if (e.kv.key.rfind(members, 0) == 0 || e.kv.key.rfind(owners, 0) == 0)
      return true;
  return false;
}

void watch_loop(etcd::etcd_client& client, std::string cluster_name, cluster_actor self,
                std::shared_ptr<std::atomic<bool>> stopping) {
  const auto prefix = "/grace/" + cluster_name + "/";
  const auto members = cluster::members_prefix(cluster_name);
  const auto owners = cluster::owners_prefix(cluster_name);
  std::string last_error;
  while (!*stopping) {
    try {
      client.watch(
          etcd::watch_create_request(prefix, 0),
          [&](const std::string& doc) {
            etcd::watch_message m;
            try {
              m = etcd::parse_watch_message(doc);
            } catch (const etcd::etcd_error& e) {
              spdlog::warn("[CLUSTER] watch: {}", e.what());
              return false;
            }
            if (m.canceled)
              return false;
            // Opened (again): whatever happened while it was closed is read back.
            if (m.created || about_ownership(m, members, owners))
              caf::anon_send(self, atom::refresh_v);
            last_error.clear();
            return true;
          },
          watch_idle);
    } catch (const etcd::etcd_error& e) {
      if (e.what() != last_error && !*stopping)
        spdlog::debug("[CLUSTER] watch closed: {}", e.what());
      last_error = e.what();
    }
    for (int i = 0; i < 10 && !*stopping; ++i)
      std::this_thread::sleep_for(50ms);
  }
}

void peer_problem(cluster_state& st, const std::string& id, const std::string& problem) {
  auto& last = st.peer_errors[id];
  if (last == problem)
    return;
  last = problem;
  spdlog::warn("[CLUSTER] peer {}: {}", id, problem);
}

// Dials every member etcd lists with a greater id than ours that is not
// connected yet (the other side dials us: one connection per pair, as CAF's
// middleman keeps one per node pair), greets it, and forgets peers etcd no
// longer lists. A connection dropping only marks a peer suspect: etcd decides.
void connect_peers(cluster_actor::stateful_pointer<cluster_state> self) {
  auto& st = self->state;
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
    if (id <= st.settings.node_id || st.peers.count(id) != 0)
      continue;
    std::string why;
    auto at = cluster::parse_host_port(m.cluster, why);
    if (!at) {
      peer_problem(st, id, "its cluster address '" + m.cluster + "' is not host:port: " + why);
      continue;
    }
    auto handle = connect_peer(self->system(), at->host, static_cast<uint16_t>(at->port));
    if (!handle) {
      peer_problem(st, id,
                   "cannot connect over mutual TLS to " + m.cluster + ": "
                       + self->system().render(handle.error()));
      continue;
    }
    std::optional<peer_hello> answer;
    std::string refused;
    caf::scoped_actor greeter{self->system()};
    greeter
        ->request(*handle, std::chrono::milliseconds(st.settings.etcd_timeout_ms), atom::hello_v,
                  peer_hello{cluster_protocol_version, st.settings.node_id, st.incarnation},
                  caf::actor_cast<caf::actor>(st.peer_endpoint))
        .receive([&](peer_hello& h) { answer = std::move(h); },
                 [&](caf::error& e) { refused = describe(e); });
    if (!answer) {
      peer_problem(st, id, "refused our hello: " + refused);
      continue;
    }
    if (auto problem = cluster::hello_problem(cluster_protocol_version, answer->protocol_version,
                                              answer->node_id, id)) {
      peer_problem(st, id, "refused: " + *problem);
      continue;
    }
    self->monitor(*handle);
    st.peers[id] = *handle;
    st.greeted[id] = {st.incarnation, m.incarnation};
    st.peer_errors.erase(id);
    spdlog::info("[CLUSTER] connected to peer {} at {} over mutual TLS (protocol {})", id,
                 m.cluster, answer->protocol_version);
  }
}

// A peer dialed us: greet it back when the hello is acceptable and etcd
// lists it (read again if our view is older than its join).
caf::result<peer_hello> accept_peer(cluster_actor::stateful_pointer<cluster_state> self,
                                    const peer_hello& theirs, const caf::actor& endpoint) {
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
  if (st.view.members.count(theirs.node_id) == 0 && st.owned->lease_id() != 0)
    sync(st);
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
  }
  return peer_hello{cluster_protocol_version, st.settings.node_id, st.incarnation};
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
  *stopping = true;
  if (watch_client)
    watch_client->stop();
  if (watcher.joinable())
    watcher.join();
  if (client && owned && owned->lease_id() != 0) {
    try {
      client->call(cluster::etcd::lease_revoke_request(owned->lease_id()));
      spdlog::info("[CLUSTER] left cluster '{}' (lease revoked)", settings.name);
    } catch (const cluster::etcd::etcd_error& e) {
      spdlog::warn("[CLUSTER] leaving: {} (the lease expires by itself)", e.what());
    }
  }
}

cluster_actor::behavior_type cluster_component(cluster_actor::stateful_pointer<cluster_state> self,
                                               cluster::cluster_settings settings,
                                               std::string http_url, supervisor_actor supervisor,
                                               int64_t request_timeout_ms) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.http_url = std::move(http_url);
  st.supervisor = std::move(supervisor);
  // A waiting request gives up a little before HTTP would, so that the
  // client reads why (503) rather than a bare timeout (504).
  st.wait_ms = std::max<int64_t>(request_timeout_ms - 500, request_timeout_ms / 2);
  st.owned = std::make_unique<cluster::ownership>(st.settings.node_id, cluster::shard_count);
  const etcd::tls_files tls{st.settings.cert, st.settings.key, st.settings.ca};
  const std::chrono::milliseconds timeout(st.settings.etcd_timeout_ms);
  st.client = std::make_unique<etcd::etcd_client>(endpoints(st.settings), tls, timeout);
  st.watch_client = std::make_unique<etcd::etcd_client>(endpoints(st.settings), tls, timeout);
  st.watcher = std::thread(watch_loop, std::ref(*st.watch_client), st.settings.name,
                           caf::actor_cast<cluster_actor>(self), st.stopping);
  st.incarnation = wall_ms();
  std::string why;
  const auto listen = cluster::parse_host_port(st.settings.listen, why);
  st.peer_endpoint =
      self->spawn<caf::linked>(cluster_peer_component, caf::actor_cast<cluster_actor>(self));
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
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
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
        tick(self->state);
        connect_peers(self);
        restore_shards(self);
        fold_due(self);
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
        if (st.owned->lease_id() != 0) {
          sync(st);
          connect_peers(self);
          restore_shards(self);
          retry_waiting(self);
        }
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
      [=](atom::store, snapshot_handover& handover) -> caf::result<uint64_t> {
        auto rp = std::make_shared<caf::typed_response_promise<uint64_t>>(
            self->make_response_promise<uint64_t>());
        receive_handover(self, std::move(handover), rp);
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
