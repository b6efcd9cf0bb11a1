#include "actors/cluster/cluster_actor_routing.hpp"

#include "actors/cluster/cluster_views.hpp"
#include "actors/cluster/etcd_worker_actor.hpp"
#include "actors/cluster/membership.hpp"
#include "actors/cluster/shard_map.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

#include <algorithm>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using namespace std::chrono_literals;
namespace etcd = cluster::etcd;

constexpr auto retry_interval = 100ms;
constexpr auto learner_timeout = 30s;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds until(int64_t deadline_ms) {
  return std::chrono::milliseconds(std::max<int64_t>(deadline_ms - steady_ms(), 1));
}

// Where a request for `shard` goes now.
struct route {
  enum kind_t { here, peer, wait } kind = wait;
  cluster_peer_actor to;
  std::string owner;
};

// `learner`: the request needs the shard's learning state restored here.
route route_of(const cluster_state& st, int shard, bool forwarded, bool learner = true) {
  if (st.owned->serving(shard, steady_ms()))
    return {
        !learner || st.ledger.ready(shard) ? route::here : route::wait, {}, st.settings.node_id};
  if (forwarded)
    return {};
  const auto owner = st.view.owners.find(shard);
  if (owner == st.view.owners.end() || owner->second.node == st.settings.node_id)
    return {};
  const auto peer = st.peers.find(owner->second.node);
  if (peer == st.peers.end())
    return {};
  return {route::peer, peer->second, owner->second.node};
}

void schedule_retry(cluster_self self) {
  auto& st = self->state;
  if (st.retry_scheduled || st.waiting.empty())
    return;
  st.retry_scheduled = true;
  self->delayed_send(self, retry_interval, atom::flush_v);
}

// Runs `attempt` now and again after changes until it hands the request on
// or `deadline_ms` passes.
void dispatch(cluster_self self, int64_t deadline_ms, std::function<bool()> attempt,
              std::function<void()> expire) {
  if (attempt())
    return;
  if (steady_ms() >= deadline_ms) {
    expire();
    return;
  }
  self->state.waiting.push_back({deadline_ms, std::move(attempt), std::move(expire)});
  schedule_retry(self);
}

caf::error no_owner(int shard, int64_t waited_ms) {
  return make_error(errc::unavailable,
                    "shard " + std::to_string(shard) + " has no owner serving it (waited "
                        + std::to_string(waited_ms) + " ms): the cluster is still assigning it");
}

// Errors of the transport (the peer went away, a timeout) send the request
// round again: the shard is in transition. The owner's own answers (errc)
// go back to the client.
bool transport_error(const caf::error& e) {
  return e.category() != error_category();
}

// The error handler of a request forwarded to a shard's owner: a transport
// error sends the request round again while its deadline allows (`retry`),
// anything else goes to `fail`.
template <class Retry, class Fail>
auto retry_on_transport(int64_t deadline_ms, Retry retry, Fail fail) {
  return [=](caf::error& e) {
    if (transport_error(e) && steady_ms() < deadline_ms)
      retry();
    else
      fail(std::move(e));
  };
}

template <class F> void with_learner(cluster_self self, F f, std::function<void(caf::error)> fail) {
  with_component_or<rl_agent_actor>(
      self, self->state.supervisor, "rl_agent", std::move(f), [fail](const caf::error& e) {
        fail(make_error(errc::unavailable, "the learner is not reachable: " + describe(e)));
      });
}

void recommend_at(cluster_self self, int64_t deadline_ms, recommend_request request, bool forwarded,
                  recommend_promise rp);
void reward_at(cluster_self self, int64_t deadline_ms, reward_report report, int shard,
               bool forwarded, reward_promise rp);

void recommend_at(cluster_self self, int64_t deadline_ms, recommend_request request, bool forwarded,
                  recommend_promise rp) {
  const int shard = cluster::shard_of_context(request.service, request.diagnosis);
  const auto started = steady_ms();
  dispatch(
      self, deadline_ms,
      [=]() {
        const auto r = route_of(self->state, shard, forwarded);
        if (r.kind == route::wait)
          return false;
        if (r.kind == route::here) {
          with_learner(
              self,
              [=](rl_agent_actor learner) {
                self->request(learner, until(deadline_ms), atom::recommend_v, request)
                    .then(
                        [=](recommendation& answer) {
                          rp->deliver(std::move(answer), self->state.settings.node_id);
                        },
                        [=](caf::error& e) { rp->deliver(std::move(e)); });
              },
              [=](caf::error e) { rp->deliver(std::move(e)); });
          return true;
        }
        ++self->state.forwarded;
        self->request(r.to, until(deadline_ms), atom::recommend_v, request,
                      self->state.settings.node_id)
            .then([=](recommendation& answer,
                      std::string& node) { rp->deliver(std::move(answer), std::move(node)); },
                  retry_on_transport(
                      deadline_ms, [=] { recommend_at(self, deadline_ms, request, forwarded, rp); },
                      [=](caf::error e) { rp->deliver(std::move(e)); }));
        return true;
      },
      [=] { rp->deliver(no_owner(shard, steady_ms() - started)); });
}

// Commits the reward's experience under this node's fencing token for the
// shard: one etcd transaction, put once per event, made by the etcd worker.
void commit(cluster_self self, int shard, const experience& e,
            std::function<void(etcd::fenced_put_outcome)> done,
            std::function<void(const std::string&)> failed) {
  auto& st = self->state;
  const auto fence = cluster::owner_key(st.settings.name, shard);
  const auto key = cluster::reward_key(st.settings.name, shard, e.event_id);
  const auto token = st.owned->fencing_token(shard);
  const auto value = nlohmann::json(e).dump();
  ask_etcd(
      self, {etcd::fenced_put_once_request(fence, token, key, value)},
      [=](std::vector<etcd_reply>& replies) {
        done(etcd::read_fenced_put(to_txn(replies.at(0)), fence, token, key, value));
      },
      failed);
}

// The owner's part: check with the learner, commit to etcd, then learn and
// answer. Nothing is acknowledged that etcd does not hold.
void reward_here(cluster_self self, int64_t deadline_ms, reward_report report, int shard,
                 bool forwarded, reward_promise rp, rl_agent_actor learner) {
  self->request(learner, until(deadline_ms), atom::reward_v, report, atom::check_v)
      .then(
          [=](experience& preview) {
            auto& st = self->state;
            if (!st.owned->serving(shard, steady_ms()) || !st.ledger.ready(shard)) {
              reward_at(self, deadline_ms, report, shard, forwarded, rp);
              return;
            }
            commit(
                self, shard, preview,
                [=](etcd::fenced_put_outcome outcome) {
                  auto& st = self->state;
                  if (outcome == etcd::fenced_put_outcome::not_owner) {
                    spdlog::warn("[CLUSTER] shard {} changed owner while a reward was committed: "
                                 "sending it to the new owner",
                                 shard);
                    self->send(self, atom::refresh_v);
                    st.ledger.forget(shard); // restored again if etcd still says ours
                    reward_at(self, deadline_ms, report, shard, forwarded, rp);
                    return;
                  }
                  if (outcome == etcd::fenced_put_outcome::conflict) {
                    rp->deliver(make_error(errc::conflict,
                                           "event '" + report.event_id + "' was already rewarded"));
                    return;
                  }
                  ++st.rewards_committed;
                  self->request(learner, until(deadline_ms), atom::reward_v, report)
                      .then(
                          [=](experience& learned) {
                            self->state.ledger.learned(shard, learned.event_id, steady_ms());
                            rp->deliver(std::move(learned), self->state.settings.node_id);
                          },
                          [=](caf::error& e) { rp->deliver(std::move(e)); });
                },
                [=](const std::string& why) {
                  rp->deliver(make_error(errc::unavailable,
                                         "the reward was not committed to etcd, nothing was "
                                         "learned: "
                                             + why));
                });
          },
          [=](caf::error& e) { rp->deliver(std::move(e)); });
}

void reward_at(cluster_self self, int64_t deadline_ms, reward_report report, int shard,
               bool forwarded, reward_promise rp) {
  const auto started = steady_ms();
  dispatch(
      self, deadline_ms,
      [=]() {
        const auto r = route_of(self->state, shard, forwarded);
        if (r.kind == route::wait)
          return false;
        if (r.kind == route::here) {
          with_learner(
              self,
              [=](rl_agent_actor learner) {
                reward_here(self, deadline_ms, report, shard, forwarded, rp, learner);
              },
              [=](caf::error e) { rp->deliver(std::move(e)); });
          return true;
        }
        ++self->state.forwarded;
        self->request(r.to, until(deadline_ms), atom::reward_v, report,
                      self->state.settings.node_id)
            .then([=](experience& answer,
                      std::string& node) { rp->deliver(std::move(answer), std::move(node)); },
                  retry_on_transport(
                      deadline_ms,
                      [=] { reward_at(self, deadline_ms, report, shard, forwarded, rp); },
                      [=](caf::error e) { rp->deliver(std::move(e)); }));
        return true;
      },
      [=] { rp->deliver(no_owner(shard, steady_ms() - started)); });
}

void withdraw_at(cluster_self self, int64_t deadline_ms, std::string event_id, int shard,
                 bool forwarded, shared_promise<bool> rp) {
  const auto started = steady_ms();
  dispatch(
      self, deadline_ms,
      [=]() {
        const auto r = route_of(self->state, shard, forwarded);
        if (r.kind == route::wait)
          return false;
        if (r.kind == route::here) {
          with_learner(
              self,
              [=](rl_agent_actor learner) {
                self->request(learner, until(deadline_ms), atom::withdraw_v, event_id)
                    .then([=](bool withdrawn) { rp->deliver(withdrawn); },
                          [=](caf::error& e) { rp->deliver(std::move(e)); });
              },
              [=](caf::error e) { rp->deliver(std::move(e)); });
          return true;
        }
        ++self->state.forwarded;
        self->request(r.to, until(deadline_ms), atom::withdraw_v, event_id,
                      self->state.settings.node_id)
            .then([=](bool withdrawn) { rp->deliver(withdrawn); },
                  retry_on_transport(
                      deadline_ms,
                      [=] { withdraw_at(self, deadline_ms, event_id, shard, forwarded, rp); },
                      [=](caf::error e) { rp->deliver(std::move(e)); }));
        return true;
      },
      [=] { rp->deliver(no_owner(shard, steady_ms() - started)); });
}

// The receipts of a batch's shard groups, merged as they come: refusals by
// position in the whole batch.
struct ingest_merge {
  ingest_receipt receipt;
  size_t open = 0;
  shared_promise<ingest_receipt> rp;

  void add(const std::vector<size_t>& positions, const ingest_receipt& part) {
    receipt.accepted += part.accepted;
    for (const auto& r : part.rejected)
      receipt.rejected.push_back(
          {r.index < positions.size() ? positions[r.index] : r.index, r.reason});
    close();
  }
  void refuse(const std::vector<size_t>& positions, const std::string& why) {
    for (auto p : positions)
      receipt.rejected.push_back({p, "not acknowledged by its owner (send it again): " + why});
    close();
  }
  void close() {
    if (--open > 0)
      return;
    std::sort(receipt.rejected.begin(), receipt.rejected.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    rp->deliver(std::move(receipt));
  }
};

// A part bound for its shard's owner: this node's `component` when it
// serves the shard, else the owner over the wire, sent round again (`again`)
// on a transport error while the deadline allows. `done` gets the answer,
// `fail` why there is none.
template <class Component, class Result, class Atom, class Part, class Again, class Done,
          class Fail>
void deliver_to_owner(cluster_self self, int64_t deadline_ms, int shard, bool forwarded,
                      const char* component, Atom atom, Part part, Again again, Done done,
                      Fail fail) {
  const auto started = steady_ms();
  dispatch(
      self, deadline_ms,
      [=]() {
        const auto r = route_of(self->state, shard, forwarded, false);
        if (r.kind == route::wait)
          return false;
        if (r.kind == route::here) {
          with_component_or<Component>(
              self, self->state.supervisor, component,
              [=](Component local) {
                self->request(local, until(deadline_ms), atom, part)
                    .then([=](const Result& answer) { done(answer); },
                          [=](caf::error& e) { fail(describe(e)); });
              },
              [=](const caf::error& e) { fail(describe(e)); });
          return true;
        }
        ++self->state.forwarded;
        self->request(r.to, until(deadline_ms), atom, part, self->state.settings.node_id)
            .then([=](const Result& answer) { done(answer); },
                  retry_on_transport(deadline_ms, again, [=](caf::error e) { fail(describe(e)); }));
        return true;
      },
      [=] { fail(describe(no_owner(shard, steady_ms() - started))); });
}

void ingest_at(cluster_self self, int64_t deadline_ms, int shard, sample_batch part,
               std::vector<size_t> positions, bool forwarded, std::shared_ptr<ingest_merge> merge) {
  deliver_to_owner<ingest_actor, ingest_receipt>(
      self, deadline_ms, shard, forwarded, "ingest", atom::ingest_v, part,
      [=] { ingest_at(self, deadline_ms, shard, part, positions, forwarded, merge); },
      [=](const ingest_receipt& receipt) { merge->add(positions, receipt); },
      [=](const std::string& why) { merge->refuse(positions, why); });
}

// The parts of a history batch (one per shard) as their owners store them:
// the new windows summed; any part not stored fails the batch (its sender
// sends it again; a stored window is never written twice).
struct history_merge {
  uint64_t added = 0;
  std::string failed;
  size_t open = 0;
  shared_promise<uint64_t> rp;

  void add(uint64_t part) {
    added += part;
    close();
  }
  void refuse(const std::string& why) {
    if (failed.empty())
      failed = why;
    close();
  }
  void close() {
    if (--open > 0)
      return;
    if (!failed.empty())
      rp->deliver(
          make_error(errc::unavailable, "windows not stored by their metric's owner: " + failed));
    else
      rp->deliver(added);
  }
};

void store_history_at(cluster_self self, int64_t deadline_ms, int shard, closed_windows part,
                      bool forwarded, std::shared_ptr<history_merge> merge) {
  deliver_to_owner<storage_actor, uint64_t>(
      self, deadline_ms, shard, forwarded, "storage", atom::store_v, part,
      [=] { store_history_at(self, deadline_ms, shard, part, forwarded, merge); },
      [=](uint64_t added) { merge->add(added); },
      [=](const std::string& why) { merge->refuse(why); });
}

} // namespace

void route_history(cluster_self self, closed_windows batch, std::string forwarded_by,
                   shared_promise<uint64_t> rp) {
  std::map<int, closed_windows> by_shard;
  for (auto& snap : batch.snapshots) {
    auto& part = by_shard[cluster::shard_of_metric(snap.metric_id)];
    part.closed_before = batch.closed_before;
    part.snapshots.push_back(std::move(snap));
  }
  auto merge = std::make_shared<history_merge>();
  merge->rp = std::move(rp);
  merge->open = by_shard.size() + 1; // closed once more below: an empty batch answers too
  const auto deadline = steady_ms() + self->state.wait_ms;
  for (auto& [shard, part] : by_shard)
    store_history_at(self, deadline, shard, std::move(part), !forwarded_by.empty(), merge);
  merge->close();
}

void route_ingest(cluster_self self, sample_batch batch, std::string forwarded_by,
                  shared_promise<ingest_receipt> rp) {
  std::map<int, std::pair<sample_batch, std::vector<size_t>>> by_shard;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& group = by_shard[cluster::shard_of_metric(batch[i].metric_id)];
    group.first.push_back(std::move(batch[i]));
    group.second.push_back(i);
  }
  auto merge = std::make_shared<ingest_merge>();
  merge->rp = std::move(rp);
  merge->open = by_shard.size() + 1; // closed once more below: an empty batch answers too
  const auto deadline = steady_ms() + self->state.wait_ms;
  for (auto& [shard, group] : by_shard)
    ingest_at(self, deadline, shard, std::move(group.first), std::move(group.second),
              !forwarded_by.empty(), merge);
  merge->close();
}

void route_recommend(cluster_self self, recommend_request request, std::string forwarded_by,
                     recommend_promise rp) {
  recommend_at(self, steady_ms() + self->state.wait_ms, std::move(request), !forwarded_by.empty(),
               std::move(rp));
}

void route_reward(cluster_self self, reward_report report, std::string forwarded_by,
                  reward_promise rp) {
  const auto shard = cluster::shard_of_event(report.event_id, cluster::shard_count);
  if (!shard) {
    rp->deliver(make_error(errc::not_found,
                           "event '" + report.event_id
                               + "' is unknown: a cluster's event ids end with -s<shard>"));
    return;
  }
  reward_at(self, steady_ms() + self->state.wait_ms, std::move(report), *shard,
            !forwarded_by.empty(), std::move(rp));
}

void route_withdraw(cluster_self self, std::string event_id, std::string forwarded_by,
                    shared_promise<bool> rp) {
  const auto shard = cluster::shard_of_event(event_id, cluster::shard_count);
  if (!shard) {
    rp->deliver(make_error(errc::not_found,
                           "event '" + event_id
                               + "' is unknown: a cluster's event ids end with -s<shard>"));
    return;
  }
  withdraw_at(self, steady_ms() + self->state.wait_ms, std::move(event_id), *shard,
              !forwarded_by.empty(), std::move(rp));
}

namespace {

// The shards whose learning state this node answers for: served and
// restored (a shard not restored yet holds what this node's learner
// remembers of it, not the shard's state).
std::vector<int32_t> answered_shards(const cluster_state& st) {
  std::vector<int32_t> shards;
  for (int shard : st.owned->serving_shards(steady_ms()))
    if (st.ledger.ready(shard))
      shards.push_back(shard);
  return shards;
}

// Asks the learner `question` (with the answered shards) and delivers its
// answer with this node's id.
template <class Share, class Atom>
void share_of(cluster_self self, Atom question, shared_promise<Share, std::string> rp) {
  const auto shards = answered_shards(self->state);
  const auto timeout = std::chrono::milliseconds(self->state.wait_ms);
  with_learner(
      self,
      [=](rl_agent_actor learner) {
        self->request(learner, timeout, question, shards)
            .then(
                [=](Share& share) { rp->deliver(std::move(share), self->state.settings.node_id); },
                [=](caf::error& e) { rp->deliver(std::move(e)); });
      },
      [=](caf::error e) { rp->deliver(std::move(e)); });
}

// The members' shares as they come; merged and answered once every member
// has answered or failed to.
template <class Share, class Merged> struct gather {
  using member = std::pair<std::string, Share>;
  std::string here;
  std::vector<member> answers;
  std::vector<std::string> unanswered;
  size_t open = 0;
  std::function<Merged(std::vector<member>, std::vector<std::string>)> merge;
  shared_promise<Merged> rp;

  void add(std::string node, Share share) {
    answers.emplace_back(std::move(node), std::move(share));
    close();
  }
  void miss(const std::string& node, const std::string& why) {
    unanswered.push_back(node + ": " + why);
    close();
  }
  void close() {
    if (--open > 0)
      return;
    if (answers.empty()) {
      std::string why;
      for (const auto& u : unanswered)
        why += (why.empty() ? "" : "; ") + u;
      rp->deliver(make_error(errc::unavailable, "no member answered: " + why));
      return;
    }
    // This node first: where a merge picks one answer, it is this node's.
    std::stable_partition(answers.begin(), answers.end(),
                          [&](const member& a) { return a.first == here; });
    rp->deliver(merge(std::move(answers), std::move(unanswered)));
  }
};

// Asks every member etcd lists (and this node) for its share over the peer
// links, in parallel, each within the request wait: `ask(to, timeout, me)`
// sends the question to one member's handle (this node's cluster component
// or a peer's endpoint) and returns the request.
template <class Share, class Merged, class Ask>
void ask_members_with(cluster_self self, std::shared_ptr<gather<Share, Merged>> g, Ask ask) {
  auto& st = self->state;
  const auto& me = st.settings.node_id;
  g->here = me;
  std::set<std::string> members{me};
  for (const auto& [id, m] : st.view.members)
    members.insert(id);
  g->open = members.size();
  const auto timeout = std::chrono::milliseconds(st.wait_ms);
  for (const auto& id : members) {
    if (id == me) {
      // Asked of ourselves through the path a peer's request takes.
      ask(caf::actor_cast<cluster_actor>(self), timeout, me)
          .then([=](Share& share, std::string& node) { g->add(std::move(node), std::move(share)); },
                [=](caf::error& e) { g->miss(me, describe(e)); });
      continue;
    }
    const auto peer = st.peers.find(id);
    if (peer == st.peers.end()) {
      g->miss(id, "not connected over the cluster transport");
      continue;
    }
    ask(peer->second, timeout, me)
        .then([=](Share& share, std::string& node) { g->add(std::move(node), std::move(share)); },
              [=](caf::error& e) { g->miss(id, describe(e)); });
  }
}

// The same with `(question, me)` as the question.
template <class Share, class Merged, class Atom>
void ask_members(cluster_self self, Atom question, std::shared_ptr<gather<Share, Merged>> g) {
  ask_members_with(self, g, [self, question](const auto& to, auto timeout, const std::string& me) {
    return self->request(to, timeout, question, me);
  });
}

} // namespace

void share_statistics(cluster_self self, shared_promise<rl_statistics, std::string> rp) {
  share_of<rl_statistics>(self, atom::statistics_v, std::move(rp));
}

namespace {

// A cluster-wide view: every member's share, named by node, merged by
// `merge_shares` (cluster_views.hpp).
template <class Share, class View, class Member, class Merge>
std::shared_ptr<gather<Share, View>> make_gather(shared_promise<View> rp, Merge merge_shares) {
  auto g = std::make_shared<gather<Share, View>>();
  g->rp = std::move(rp);
  g->merge = [merge_shares](std::vector<std::pair<std::string, Share>> answers,
                            std::vector<std::string> unanswered) {
    std::vector<Member> shares;
    for (auto& [node, share] : answers)
      shares.push_back({std::move(node), std::move(share)});
    return merge_shares(std::move(shares), std::move(unanswered));
  };
  return g;
}

template <class Share, class View, class Member, class Atom, class Merge>
void gather_view(cluster_self self, Atom which, shared_promise<View> rp, Merge merge_shares) {
  ask_members(self, which, make_gather<Share, View, Member>(std::move(rp), merge_shares));
}

} // namespace

void cluster_statistics(cluster_self self, shared_promise<cluster_rl_statistics> rp) {
  gather_view<rl_statistics, cluster_rl_statistics, cluster::member_statistics>(
      self, atom::statistics_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_statistics(std::move(shares), std::move(unanswered));
      });
}

void share_policies(cluster_self self, shared_promise<rl_policies, std::string> rp) {
  share_of<rl_policies>(self, atom::get_v, std::move(rp));
}

void cluster_policies(cluster_self self, shared_promise<cluster_rl_policies> rp) {
  gather_view<rl_policies, cluster_rl_policies, cluster::member_policies>(
      self, atom::policies_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_policies(std::move(shares), std::move(unanswered));
      });
}

void retry_waiting(cluster_self self) {
  auto& st = self->state;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  const auto now = steady_ms();
  for (auto& w : waiting) {
    if (w.attempt())
      continue;
    if (now >= w.deadline_ms)
      w.expire();
    else
      st.waiting.push_back(std::move(w));
  }
  schedule_retry(self);
}

namespace {

// The learner replaces the shard's contexts by what etcd holds of it.
void restore_shard(cluster_self self, int shard, uint64_t ticket, const cluster::shard_history& h) {
  const auto failed = [=](const caf::error& e) {
    self->state.ledger.restore_failed(shard, ticket);
    spdlog::debug("[CLUSTER] shard {} not restored yet: {}", shard, describe(e));
  };
  with_learner(
      self,
      [=](rl_agent_actor learner) {
        self->request(learner, learner_timeout, atom::restore_v, static_cast<int32_t>(shard),
                      h.snapshot, h.log)
            .then(
                [=](uint64_t learned) {
                  auto& st = self->state;
                  st.ledger.restore_done(shard, ticket);
                  if (!st.ledger.ready(shard))
                    return;
                  ++st.restored_shards;
                  if (!h.snapshot.empty() || !h.log.empty())
                    spdlog::info("[CLUSTER] shard {} restored from etcd: {} ({} bytes), then {} "
                                 "committed reward(s) learned of {}",
                                 shard, h.snapshot.empty() ? "no snapshot" : "its snapshot",
                                 h.snapshot.size(), learned, h.log.size());
                  retry_waiting(self);
                },
                failed);
      },
      failed);
}

} // namespace

void restore_shards(cluster_self self) {
  auto& st = self->state;
  const auto serving = st.owned->serving_shards(steady_ms());
  st.ledger.keep_only(serving);
  const auto todo = st.ledger.to_restore(serving);
  if (todo.empty())
    return;
  std::map<int, uint64_t> tickets;
  for (int shard : todo)
    tickets[shard] = st.ledger.restore_started(shard);
  ask_etcd(
      self,
      {etcd::range_prefix_request(cluster::snapshots_prefix(st.settings.name)),
       etcd::range_prefix_request(cluster::rewards_prefix(st.settings.name))},
      [=](std::vector<etcd_reply>& replies) {
        std::vector<std::string> skipped;
        auto history =
            cluster::group_history(to_range(replies.at(0)), to_range(replies.at(1)),
                                   self->state.settings.name, cluster::shard_count, skipped);
        for (const auto& why : skipped)
          spdlog::warn("[CLUSTER] ignored a learning record in etcd: {}", why);
        for (const auto& [shard, ticket] : tickets)
          if (self->state.ledger.restoring(shard, ticket)) // served since the read was sent
            restore_shard(self, shard, ticket, history[shard]);
      },
      [=](const std::string& why) {
        for (const auto& [shard, ticket] : tickets)
          self->state.ledger.restore_failed(shard, ticket);
        spdlog::warn("[CLUSTER] cannot read the shards' learning state from etcd (they are not "
                     "answered for until it is read): {}",
                     why);
      });
}

void fold_due(cluster_self self) {
  auto& st = self->state;
  if (st.folding)
    return;
  const auto due = st.ledger.due(steady_ms());
  if (due.empty())
    return;
  const int shard = due.front();
  auto ids = std::make_shared<std::vector<std::string>>(st.ledger.take(shard));
  st.folding = true;
  const auto failed = [=](const std::string& why) {
    auto& st = self->state;
    st.folding = false;
    st.ledger.fold_failed(shard, std::move(*ids), steady_ms());
    spdlog::warn("[CLUSTER] shard {}: rewards not folded into its snapshot yet: {}", shard, why);
  };
  with_learner(
      self,
      [=](rl_agent_actor learner) {
        self->request(learner, learner_timeout, atom::fold_v, static_cast<int32_t>(shard))
            .then(
                [=](const shard_snapshot& typed) {
                  auto& st = self->state;
                  if (!st.ledger.ready(shard)) {
                    st.folding = false;
                    return; // not ours any more: the log stays for the next owner
                  }
                  const auto& name = st.settings.name;
                  const auto snapshot = nlohmann::json(typed).dump();
                  const auto requests = cluster::fold_requests(
                      cluster::owner_key(name, shard), st.owned->fencing_token(shard),
                      cluster::snapshot_key(name, shard), snapshot, name, shard, *ids);
                  const auto size = snapshot.size();
                  ask_etcd(
                      self, requests,
                      [=](std::vector<etcd_reply>& replies) {
                        auto& st = self->state;
                        st.folding = false;
                        // The worker stops at the first transaction that failed.
                        if (replies.size() < requests.size() || !replies.back().succeeded) {
                          spdlog::warn("[CLUSTER] shard {} changed owner before its rewards were "
                                       "folded: the log stays for the new owner",
                                       shard);
                          self->send(self, atom::refresh_v);
                          return;
                        }
                        ++st.folds;
                        spdlog::info("[CLUSTER] folded {} reward(s) of shard {} into its snapshot "
                                     "in etcd ({} bytes)",
                                     ids->size(), shard, size);
                      },
                      failed);
                },
                [=](caf::error& e) { failed(describe(e)); });
      },
      [=](caf::error e) { failed(describe(e)); });
}

} // namespace grace

namespace grace {

namespace {

// The answers of a forecast request's shard groups, merged as they come.
struct forecast_merge {
  forecast_request request;
  std::map<std::string, forecast> by_metric;
  std::map<std::string, std::string> unanswered_metrics;
  std::set<std::string> answered_by;
  std::map<std::string, std::string> unanswered; // node -> why
  std::optional<caf::error> refused;             // an owner's own refusal (unknown metric...)
  size_t open = 0;
  shared_promise<cluster_forecasts> rp;

  void add(const std::string& node, std::vector<forecast> forecasts) {
    answered_by.insert(node);
    for (auto& f : forecasts)
      by_metric.insert_or_assign(f.metric_id, std::move(f));
    close();
  }
  void miss(const std::vector<std::string>& metrics, const std::string& node,
            const std::string& why) {
    for (const auto& m : metrics)
      unanswered_metrics[m] = (node.empty() ? "" : "its owner " + node + " did not answer: ") + why;
    if (!node.empty())
      unanswered[node] = why;
    close();
  }
  void refuse(caf::error e) {
    if (!refused)
      refused = std::move(e);
    close();
  }
  void close() {
    if (--open > 0)
      return;
    if (refused) {
      rp->deliver(std::move(*refused));
      return;
    }
    cluster_forecasts out;
    for (const auto& id : request.metric_ids) {
      auto it = by_metric.find(id);
      if (it != by_metric.end()) {
        out.forecasts.push_back(std::move(it->second));
        by_metric.erase(it);
      }
    }
    out.unanswered_metrics = std::move(unanswered_metrics);
    out.answered_by.assign(answered_by.begin(), answered_by.end());
    for (const auto& [node, why] : unanswered)
      if (!answered_by.count(node))
        out.unanswered.push_back(node + ": " + why);
    rp->deliver(std::move(out));
  }
};

void ask_forecaster(cluster_self self, int64_t deadline_ms, forecast_request request,
                    std::function<void(std::vector<forecast>)> done,
                    std::function<void(caf::error)> fail) {
  with_component_or<forecaster_actor>(
      self, self->state.supervisor, "forecaster",
      [=](forecaster_actor forecaster) {
        self->request(forecaster, until(deadline_ms), atom::forecast_v, request)
            .then([=](std::vector<forecast>& answer) { done(std::move(answer)); },
                  [=](caf::error& e) { fail(std::move(e)); });
      },
      [=](const caf::error& e) {
        fail(make_error(errc::unavailable, "the forecaster is not reachable: " + describe(e)));
      });
}

void forecasts_at(cluster_self self, int64_t deadline_ms, int shard, forecast_request part,
                  std::shared_ptr<forecast_merge> merge) {
  const auto started = steady_ms();
  dispatch(
      self, deadline_ms,
      [=]() {
        const auto r = route_of(self->state, shard, false, false);
        if (r.kind == route::wait)
          return false;
        const auto fail = [=](const std::string& node, caf::error e) {
          if (e.category() == error_category())
            merge->refuse(std::move(e));
          else
            merge->miss(part.metric_ids, node, describe(e));
        };
        if (r.kind == route::here) {
          const auto me = self->state.settings.node_id;
          ask_forecaster(
              self, deadline_ms, part,
              [=](std::vector<forecast> answer) { merge->add(me, std::move(answer)); },
              [=](caf::error e) { fail(me, std::move(e)); });
          return true;
        }
        ++self->state.forwarded;
        self->request(r.to, until(deadline_ms), atom::forecast_v, part,
                      self->state.settings.node_id)
            .then([=](std::vector<forecast>& answer,
                      std::string& node) { merge->add(node, std::move(answer)); },
                  retry_on_transport(
                      deadline_ms, [=] { forecasts_at(self, deadline_ms, shard, part, merge); },
                      [=](caf::error e) { fail(r.owner, std::move(e)); }));
        return true;
      },
      [=] { merge->miss(part.metric_ids, "", describe(no_owner(shard, steady_ms() - started))); });
}

} // namespace

void route_forecasts(cluster_self self, forecast_request request,
                     shared_promise<cluster_forecasts> rp) {
  std::map<int, forecast_request> by_shard;
  for (const auto& id : request.metric_ids) {
    auto& part = by_shard[cluster::shard_of_metric(id)];
    part.horizon_ms = request.horizon_ms;
    if (std::find(part.metric_ids.begin(), part.metric_ids.end(), id) == part.metric_ids.end())
      part.metric_ids.push_back(id);
  }
  auto merge = std::make_shared<forecast_merge>();
  merge->request = std::move(request);
  merge->rp = std::move(rp);
  merge->open = by_shard.size() + 1; // closed once more below: no metric answers too
  const auto deadline = steady_ms() + self->state.wait_ms;
  for (auto& [shard, part] : by_shard)
    forecasts_at(self, deadline, shard, std::move(part), merge);
  merge->close();
}

void forecast_here(cluster_self self, forecast_request request,
                   shared_promise<std::vector<forecast>, std::string> rp) {
  ask_forecaster(
      self, steady_ms() + self->state.wait_ms, std::move(request),
      [=](std::vector<forecast> answer) {
        rp->deliver(std::move(answer), self->state.settings.node_id);
      },
      [=](caf::error e) { rp->deliver(std::move(e)); });
}

void share_warnings(cluster_self self, shared_promise<warnings_view, std::string> rp) {
  const auto shards = self->state.owned->serving_shards(steady_ms());
  with_component_or<predictor_actor>(
      self, self->state.supervisor, "predictor",
      [=](predictor_actor predictor) {
        self->request(predictor, std::chrono::milliseconds(self->state.wait_ms), atom::warnings_v)
            .then(
                [=](warnings_view& view) {
                  rp->deliver(cluster::warnings_of_shards(std::move(view), shards),
                              self->state.settings.node_id);
                },
                [=](caf::error& e) { rp->deliver(std::move(e)); });
      },
      [=](const caf::error& e) {
        rp->deliver(
            make_error(errc::unavailable, "the predictor is not reachable: " + describe(e)));
      });
}

void cluster_warnings_view(cluster_self self, shared_promise<cluster_warnings> rp) {
  gather_view<warnings_view, cluster_warnings, cluster::member_warnings>(
      self, atom::warnings_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_warnings(std::move(shares), std::move(unanswered));
      });
}

namespace {

// The analytics component's overview and the learner's share, asked in
// parallel (both within the request wait) and delivered once both came.
struct overview_share {
  std::optional<dashboard_overview> overview;
  std::optional<rl_statistics> learning;
  std::string learning_missing; // why the learner's share did not come
  int open = 2;
  shared_promise<dashboard_overview, std::string> rp;
  std::string node;

  void done() {
    if (--open > 0 || !overview)
      return;
    overview->has_learning = learning.has_value();
    overview->learning = learning.value_or(rl_statistics{});
    if (!learning)
      overview->unavailable.push_back("rl_agent: " + learning_missing);
    rp->deliver(std::move(*overview), node);
  }
  void fail(caf::error e) {
    if (open <= 0)
      return;
    open = 0;
    rp->deliver(std::move(e));
  }
};

} // namespace

void share_overview(cluster_self self, shared_promise<dashboard_overview, std::string> rp) {
  auto share = std::make_shared<overview_share>();
  share->rp = std::move(rp);
  share->node = self->state.settings.node_id;
  const auto timeout = std::chrono::milliseconds(self->state.wait_ms);
  const auto shards = answered_shards(self->state);
  with_component_or<analytics_actor>(
      self, self->state.supervisor, "analytics",
      [=](analytics_actor analytics) {
        self->request(analytics, timeout, atom::get_v, atom::overview_v)
            .then(
                [=](dashboard_overview& overview) {
                  share->overview = std::move(overview);
                  share->done();
                },
                [=](caf::error& e) { share->fail(std::move(e)); });
      },
      [=](const caf::error& e) {
        share->fail(make_error(errc::unavailable,
                               "the analytics component is not reachable: " + describe(e)));
      });
  with_learner(
      self,
      [=](rl_agent_actor learner) {
        self->request(learner, timeout, atom::statistics_v, shards)
            .then(
                [=](rl_statistics& learning) {
                  share->learning = std::move(learning);
                  share->done();
                },
                [=](caf::error& e) {
                  share->learning_missing = describe(e);
                  share->done();
                });
      },
      [=](caf::error e) {
        share->learning_missing = describe(e);
        share->done();
      });
}

void cluster_overview(cluster_self self, shared_promise<cluster_dashboard_overview> rp) {
  gather_view<dashboard_overview, cluster_dashboard_overview, cluster::member_overview>(
      self, atom::overview_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_overviews(std::move(shares), std::move(unanswered));
      });
}

void share_playbooks(cluster_self self, shared_promise<dashboard_playbooks, std::string> rp) {
  with_component_or<analytics_actor>(
      self, self->state.supervisor, "analytics",
      [=](analytics_actor analytics) {
        self->request(analytics, std::chrono::milliseconds(self->state.wait_ms), atom::get_v,
                      atom::playbooks_v)
            .then(
                [=](dashboard_playbooks& report) {
                  rp->deliver(std::move(report), self->state.settings.node_id);
                },
                [=](caf::error& e) { rp->deliver(std::move(e)); });
      },
      [=](const caf::error& e) {
        rp->deliver(make_error(errc::unavailable,
                               "the analytics component is not reachable: " + describe(e)));
      });
}

void cluster_playbooks(cluster_self self, shared_promise<cluster_dashboard_playbooks> rp) {
  gather_view<dashboard_playbooks, cluster_dashboard_playbooks, cluster::member_playbooks>(
      self, atom::playbooks_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_playbooks(std::move(shares), std::move(unanswered));
      });
}

} // namespace grace

namespace grace {

namespace {

void snapshots_at(cluster_self self, int64_t deadline_ms, snapshot_query query, bool forwarded,
                  shared_promise<std::vector<snapshot>, std::string> rp) {
  const int shard = cluster::shard_of_metric(query.metric_id);
  const auto started = steady_ms();
  dispatch(
      self, deadline_ms,
      [=]() {
        const auto r = route_of(self->state, shard, forwarded, false);
        if (r.kind == route::wait)
          return false;
        if (r.kind == route::here) {
          with_component_or<storage_actor>(
              self, self->state.supervisor, "storage",
              [=](storage_actor storage) {
                self->request(storage, until(deadline_ms), atom::query_v, query)
                    .then(
                        [=](std::vector<snapshot>& rows) {
                          rp->deliver(std::move(rows), self->state.settings.node_id);
                        },
                        [=](caf::error& e) { rp->deliver(std::move(e)); });
              },
              [=](const caf::error& e) {
                rp->deliver(
                    make_error(errc::unavailable, "the storage is not reachable: " + describe(e)));
              });
          return true;
        }
        ++self->state.forwarded;
        self->request(r.to, until(deadline_ms), atom::query_v, query, self->state.settings.node_id)
            .then([=](std::vector<snapshot>& rows,
                      std::string& node) { rp->deliver(std::move(rows), std::move(node)); },
                  retry_on_transport(
                      deadline_ms, [=] { snapshots_at(self, deadline_ms, query, forwarded, rp); },
                      [=](caf::error e) { rp->deliver(std::move(e)); }));
        return true;
      },
      [=] { rp->deliver(no_owner(shard, steady_ms() - started)); });
}

// The analytics component's report `which`, delivered with this node's id.
template <class Report, class Which, class Then>
void analytics_report(cluster_self self, Which which, shared_promise<Report, std::string> rp,
                      Then then) {
  with_component_or<analytics_actor>(
      self, self->state.supervisor, "analytics",
      [=](analytics_actor analytics) {
        self->request(analytics, std::chrono::milliseconds(self->state.wait_ms), atom::get_v, which)
            .then([=](Report& report) mutable { then(std::move(report)); },
                  [=](caf::error& e) { rp->deliver(std::move(e)); });
      },
      [=](const caf::error& e) {
        rp->deliver(make_error(errc::unavailable,
                               "the analytics component is not reachable: " + describe(e)));
      });
}

template <class Report, class Which>
void share_report(cluster_self self, Which which, shared_promise<Report, std::string> rp) {
  analytics_report<Report>(self, which, rp, [=](Report report) {
    rp->deliver(std::move(report), self->state.settings.node_id);
  });
}

// Learning progress: the analytics component's (its learner's experiences),
// the agent's statistics and policies replaced by the learner's over the
// shards this node answers for (as the statistics and policies shares).
struct learning_share {
  dashboard_learning report;
  int open = 2;
  shared_promise<dashboard_learning, std::string> rp;
  std::string node;

  void missing(const std::string& why) {
    auto entry = "rl_agent: " + why;
    auto& u = report.unavailable;
    if (std::find(u.begin(), u.end(), entry) == u.end())
      u.push_back(std::move(entry));
  }
  void done() {
    if (--open == 0)
      rp->deliver(std::move(report), node);
  }
};

} // namespace

void route_snapshots(cluster_self self, snapshot_query query, std::string forwarded_by,
                     shared_promise<std::vector<snapshot>, std::string> rp) {
  snapshots_at(self, steady_ms() + self->state.wait_ms, std::move(query), !forwarded_by.empty(),
               std::move(rp));
}

void share_accuracy(cluster_self self, shared_promise<dashboard_accuracy, std::string> rp) {
  share_report<dashboard_accuracy>(self, atom::accuracy_v, std::move(rp));
}

void cluster_accuracy(cluster_self self, shared_promise<cluster_dashboard_accuracy> rp) {
  gather_view<dashboard_accuracy, cluster_dashboard_accuracy, cluster::member_accuracy>(
      self, atom::accuracy_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_accuracy_reports(std::move(shares), std::move(unanswered));
      });
}

void share_learning(cluster_self self, shared_promise<dashboard_learning, std::string> rp) {
  const auto shards = answered_shards(self->state);
  const auto timeout = std::chrono::milliseconds(self->state.wait_ms);
  analytics_report<dashboard_learning>(self, atom::learning_v, rp, [=](dashboard_learning report) {
    auto share = std::make_shared<learning_share>();
    share->report = std::move(report);
    share->rp = rp;
    share->node = self->state.settings.node_id;
    // The analytics component asked the learner for all its contexts;
    // its own word on the learner is replaced by the shares' below.
    auto& u = share->report.unavailable;
    u.erase(std::remove_if(u.begin(), u.end(),
                           [](const std::string& x) { return x.rfind("rl_agent", 0) == 0; }),
            u.end());
    share->report.has_agent = false;
    share->report.has_policies = false;
    with_learner(
        self,
        [=](rl_agent_actor learner) {
          self->request(learner, timeout, atom::statistics_v, shards)
              .then(
                  [=](rl_statistics& agent) {
                    share->report.has_agent = true;
                    share->report.agent = std::move(agent);
                    share->done();
                  },
                  [=](caf::error& e) {
                    share->missing(describe(e));
                    share->done();
                  });
          self->request(learner, timeout, atom::get_v, shards)
              .then(
                  [=](rl_policies& policies) {
                    share->report.has_policies = true;
                    share->report.policies = std::move(policies.policies);
                    share->done();
                  },
                  [=](caf::error& e) {
                    share->missing(describe(e));
                    share->done();
                  });
        },
        [=](caf::error e) {
          share->missing(describe(e));
          share->open = 1;
          share->done();
        });
  });
}

void cluster_learning(cluster_self self, shared_promise<cluster_dashboard_learning> rp) {
  gather_view<dashboard_learning, cluster_dashboard_learning, cluster::member_learning>(
      self, atom::learning_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_learning(std::move(shares), std::move(unanswered));
      });
}

void share_training(cluster_self self, shared_promise<dashboard_training, std::string> rp) {
  share_report<dashboard_training>(self, atom::training_v, std::move(rp));
}

void cluster_training(cluster_self self, shared_promise<cluster_dashboard_training> rp) {
  gather_view<dashboard_training, cluster_dashboard_training, cluster::member_training>(
      self, atom::training_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_training_history(std::move(shares), std::move(unanswered));
      });
}

void share_latest_forecasts(cluster_self self,
                            shared_promise<dashboard_forecasts, std::string> rp) {
  share_report<dashboard_forecasts>(self, atom::forecasts_v, std::move(rp));
}

void cluster_latest_forecasts(cluster_self self, shared_promise<cluster_dashboard_forecasts> rp) {
  gather_view<dashboard_forecasts, cluster_dashboard_forecasts, cluster::member_forecasts>(
      self, atom::forecasts_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_latest_forecasts(std::move(shares), std::move(unanswered));
      });
}

void share_executions(cluster_self self, std::string filter,
                      shared_promise<std::vector<execution>, std::string> rp) {
  with_component_or<executor_actor>(
      self, self->state.supervisor, "executor",
      [=](executor_actor executor) {
        self->request(executor, std::chrono::milliseconds(self->state.wait_ms), atom::get_v, filter)
            .then(
                [=](std::vector<execution>& list) {
                  rp->deliver(std::move(list), self->state.settings.node_id);
                },
                [=](caf::error& e) { rp->deliver(std::move(e)); });
      },
      [=](const caf::error& e) {
        rp->deliver(make_error(errc::unavailable, "the executor is not reachable: " + describe(e)));
      });
}

void cluster_executions_view(cluster_self self, std::string filter,
                             shared_promise<cluster_executions> rp) {
  auto g = make_gather<std::vector<execution>, cluster_executions, cluster::member_executions>(
      std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_executions(std::move(shares), std::move(unanswered));
      });
  ask_members_with(self, g, [self, filter](const auto& to, auto timeout, const std::string& me) {
    return self->request(to, timeout, atom::executions_v, filter, me);
  });
}

void decide_here(cluster_self self, std::string id, bool approved,
                 shared_promise<std::vector<execution>, std::string> rp) {
  with_component_or<executor_actor>(
      self, self->state.supervisor, "executor",
      [=](executor_actor executor) {
        self->request(executor, std::chrono::milliseconds(self->state.wait_ms), atom::approve_v, id,
                      approved)
            .then(
                [=](execution& decided) {
                  rp->deliver(std::vector<execution>{std::move(decided)},
                              self->state.settings.node_id);
                },
                [=](caf::error& e) {
                  // Not held here: another member's run (its id names it).
                  if (is(e, errc::not_found))
                    rp->deliver(std::vector<execution>{}, self->state.settings.node_id);
                  else
                    rp->deliver(std::move(e));
                });
      },
      [=](const caf::error& e) {
        rp->deliver(make_error(errc::unavailable, "the executor is not reachable: " + describe(e)));
      });
}

void route_decision(cluster_self self, std::string id, bool approved,
                    shared_promise<cluster_executions> rp) {
  auto g = make_gather<std::vector<execution>, cluster_executions, cluster::member_executions>(
      std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_executions(std::move(shares), std::move(unanswered));
      });
  ask_members_with(self, g,
                   [self, id, approved](const auto& to, auto timeout, const std::string& me) {
                     return self->request(to, timeout, atom::approve_v, id, approved, me);
                   });
}

void share_evaluation(cluster_self self, shared_promise<rl_evaluation, std::string> rp) {
  with_learner(
      self,
      [=](rl_agent_actor learner) {
        self->request(learner, std::chrono::milliseconds(self->state.wait_ms), atom::evaluate_v)
            .then(
                [=](rl_evaluation& evaluation) {
                  rp->deliver(std::move(evaluation), self->state.settings.node_id);
                },
                [=](caf::error& e) { rp->deliver(std::move(e)); });
      },
      [=](caf::error e) { rp->deliver(std::move(e)); });
}

void cluster_evaluation(cluster_self self, shared_promise<cluster_rl_evaluation> rp) {
  gather_view<rl_evaluation, cluster_rl_evaluation, cluster::member_rl_evaluation>(
      self, atom::evaluate_v, std::move(rp), [](auto shares, auto unanswered) {
        return cluster::merge_evaluations(std::move(shares), std::move(unanswered));
      });
}

} // namespace grace
