#include "actors/cluster/cluster_actor_handover.hpp"

#include "actors/cluster/shard_map.hpp"
#include "actors/cluster/snapshot_handover.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/errors.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <functional>
#include <limits>
#include <set>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using namespace std::chrono_literals;

constexpr auto storage_timeout = 10s;
constexpr auto peer_timeout = 10s;
// Metrics handed over per round (one round per tick at most).
constexpr size_t metrics_per_round = 64;
// After a round with nothing to send, the next one waits this long (each
// round reads the latest snapshot of every metric from storage).
constexpr int64_t idle_round_ms = 2000;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Ends the round once every item of it is done, sent or not.
struct handover_round {
  cluster_self self;
  size_t open = 0;
  void done() {
    if (--open == 0)
      self->state.handing_over = false;
  }
};

// Sends one metric's history due to `item.to`: its snapshots and stored
// forecasts from storage, in one message. `done(true)` once the target
// stored them (or there was nothing to send), `done(false)` otherwise.
void send_history(cluster_self self, storage_actor storage, cluster::handover_item item,
                  std::function<void(bool)> done) {
  const snapshot_query query{item.metric_id, item.since, std::numeric_limits<timestamp_ms>::max(),
                             item.limit};
  const snapshot_query forecasts{item.metric_id, item.forecasts_since,
                                 std::numeric_limits<timestamp_ms>::max(), item.forecast_limit};
  const auto failed = [=](caf::error& e) {
    spdlog::debug("[CLUSTER] cannot read the history of {} to hand over: {}", item.metric_id,
                  describe(e));
    done(false);
  };
  self->request(storage, storage_timeout, atom::query_v, query)
      .then(
          [=](std::vector<snapshot>& snapshots) {
            self->request(storage, storage_timeout, atom::query_v, atom::forecast_v, forecasts)
                .then(
                    [=](std::vector<forecast>& stored) {
                      auto& st = self->state;
                      const auto peer = st.peers.find(item.to.node);
                      if (snapshots.empty() && stored.empty()) {
                        done(true);
                        return;
                      }
                      if (peer == st.peers.end()) {
                        done(false);
                        return;
                      }
                      const auto newest = snapshots.empty() ? 0 : snapshots.back().window_start;
                      timestamp_ms newest_forecast = 0;
                      for (const auto& f : stored)
                        newest_forecast = std::max(newest_forecast, f.generated_at);
                      const auto count = snapshots.size();
                      const auto forecast_count = stored.size();
                      self->request(peer->second, peer_timeout, atom::store_v,
                                    snapshot_handover{st.settings.node_id, item.shard, snapshots,
                                                      std::move(stored)})
                          .then(
                              [=](uint64_t added) {
                                self->state.handover.sent(item, newest, newest_forecast);
                                if (item.since == 0)
                                  spdlog::info("[CLUSTER] handed {} snapshot(s) and {} "
                                               "forecast(s) of {} (shard {}) over to {} ({} new "
                                               "there)",
                                               count, forecast_count, item.metric_id, item.shard,
                                               item.to.node, added);
                                done(true);
                              },
                              [=](caf::error& e) {
                                spdlog::debug("[CLUSTER] history of {} not handed over to {} yet: "
                                              "{}",
                                              item.metric_id, item.to.node, describe(e));
                                done(false);
                              });
                    },
                    failed);
          },
          failed);
}

} // namespace

void hand_over_snapshots(cluster_self self) {
  auto& st = self->state;
  const auto now = steady_ms();
  if (st.handing_over || now < st.next_handover_ms || st.peers.empty()
      || st.owned->serving_shards(now).empty())
    return;
  st.handing_over = true;
  st.next_handover_ms = now + idle_round_ms;
  with_component_or<storage_actor>(
      self, st.supervisor, "storage",
      [=](storage_actor storage) {
        self->request(storage, storage_timeout, atom::latest_v)
            .then(
                [=](std::vector<snapshot>& latest) {
                  auto& st = self->state;
                  std::map<std::string, int64_t> members;
                  for (const auto& [id, m] : st.view.members)
                    members[id] = m.incarnation;
                  const auto items =
                      st.handover.due(latest, st.owned->serving_shards(steady_ms()), members,
                                      st.settings.node_id, metrics_per_round);
                  if (items.empty()) {
                    st.handing_over = false;
                    return;
                  }
                  st.next_handover_ms = 0; // more may be due: the next tick looks again
                  auto round = std::make_shared<handover_round>();
                  round->self = self;
                  round->open = items.size();
                  for (const auto& item : items)
                    send_history(self, storage, item, [round](bool) { round->done(); });
                },
                [=](caf::error&) { self->state.handing_over = false; });
      },
      [=](const caf::error&) { self->state.handing_over = false; });
}

void receive_handover(cluster_self self, snapshot_handover handover, shared_promise<uint64_t> rp) {
  auto& st = self->state;
  if (auto why = cluster::check_handover(handover.shard, handover.snapshots, handover.forecasts,
                                         cluster::shard_count)) {
    spdlog::warn("[CLUSTER] refused a snapshot handover from {}: {}", handover.from, *why);
    rp->deliver(make_error(errc::invalid_input, "snapshot handover: " + *why));
    return;
  }
  if (st.view.members.count(handover.from) == 0) {
    rp->deliver(make_error(errc::conflict, "snapshot handover from '" + handover.from
                                               + "', which etcd does not list as a member"));
    return;
  }
  with_component_or<storage_actor>(
      self, st.supervisor, "storage",
      [=](storage_actor storage) {
        // Stored like closed windows, without moving this node's own closed
        // watermark: they are windows another node closed.
        closed_windows windows{handover.snapshots, std::numeric_limits<timestamp_ms>::min()};
        const auto forecasts = handover.forecasts;
        self->request(storage, storage_timeout, atom::store_v, std::move(windows))
            .then(
                [=](uint64_t added) {
                  if (forecasts.empty()) {
                    rp->deliver(added);
                    return;
                  }
                  // Idempotent per metric and generation time.
                  self->request(storage, storage_timeout, atom::store_v, forecasts)
                      .then([=](uint64_t stored) { rp->deliver(added + stored); },
                            [=](caf::error& e) { rp->deliver(std::move(e)); });
                },
                [=](caf::error& e) { rp->deliver(std::move(e)); });
      },
      [=](const caf::error& e) {
        rp->deliver(make_error(errc::unavailable, "storage is not reachable: " + describe(e)));
      });
}

namespace {

// The live handover of one shard: every metric's history to `to`; the
// release follows once all were stored there (or the wait passed).
struct shard_handover {
  cluster_self self;
  int shard = 0;
  size_t open = 0;
  bool ok = true;
  void done(bool sent) {
    ok = ok && sent;
    if (--open > 0)
      return;
    auto& st = self->state;
    if (ok)
      st.releasing.acknowledged(shard);
    else
      st.releasing.failed(shard);
    advance_releases(self);
  }
};

void hand_over_shard(cluster_self self, int shard, std::string to) {
  auto& st = self->state;
  const auto failed = [=](const caf::error& e) {
    spdlog::debug("[CLUSTER] shard {} not handed over to {} yet: {}", shard, to, describe(e));
    self->state.releasing.failed(shard);
  };
  with_component_or<storage_actor>(
      self, st.supervisor, "storage",
      [=](storage_actor storage) {
        self->request(storage, storage_timeout, atom::latest_v)
            .then(
                [=](std::vector<snapshot>& latest) {
                  auto& st = self->state;
                  const auto member = st.view.members.find(to);
                  const cluster::handover_target target{
                      to, member == st.view.members.end() ? 0 : member->second.incarnation};
                  const auto items = st.handover.for_shard(latest, shard, target);
                  if (items.empty()) {
                    st.releasing.acknowledged(shard);
                    advance_releases(self);
                    return;
                  }
                  spdlog::info("[CLUSTER] handing shard {} over to {}: the history of {} "
                               "metric(s) first",
                               shard, to, items.size());
                  auto h = std::make_shared<shard_handover>();
                  h->self = self;
                  h->shard = shard;
                  h->open = items.size();
                  for (const auto& item : items)
                    send_history(self, storage, item, [h](bool sent) { h->done(sent); });
                },
                [=](caf::error& e) { failed(e); });
      },
      failed);
}

} // namespace

void advance_releases(cluster_self self) {
  auto& st = self->state;
  const auto now = steady_ms();
  std::set<std::string> connected;
  for (const auto& [id, peer] : st.peers)
    connected.insert(id);
  std::set<int> releasing;
  for (int shard = 0; shard < cluster::shard_count; ++shard)
    if (st.owned->role(shard) == cluster::shard_role::releasing)
      releasing.insert(shard);
  for (const auto& step : st.releasing.next(now, connected, releasing)) {
    if (step.kind == cluster::release_step::send) {
      hand_over_shard(self, step.shard, step.to);
      continue;
    }
    if (!step.handed_over)
      spdlog::warn("[CLUSTER] shard {} released to {} without its history: not handed over "
                   "within {} ms",
                   step.shard, step.to, cluster::release_handover_wait_ms);
    release_claim(self, step.shard, step.fencing_token);
  }
}

} // namespace grace
