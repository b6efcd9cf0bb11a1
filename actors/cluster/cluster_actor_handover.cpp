#include "actors/cluster/cluster_actor_handover.hpp"

#include "actors/cluster/shard_map.hpp"
#include "actors/cluster/snapshot_handover.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/errors.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <limits>
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

void send_item(cluster_self self, storage_actor storage, cluster::handover_item item,
               std::shared_ptr<handover_round> round) {
  const snapshot_query query{item.metric_id, item.since, std::numeric_limits<timestamp_ms>::max(),
                             item.limit};
  self->request(storage, storage_timeout, atom::query_v, query)
      .then(
          [=](std::vector<snapshot>& snapshots) {
            auto& st = self->state;
            const auto peer = st.peers.find(item.to.node);
            if (snapshots.empty() || peer == st.peers.end()) {
              round->done();
              return;
            }
            const auto newest = snapshots.back().window_start;
            const auto count = snapshots.size();
            self->request(peer->second, peer_timeout, atom::store_v,
                          snapshot_handover{st.settings.node_id, item.shard, std::move(snapshots)})
                .then(
                    [=](uint64_t added) {
                      auto& st = self->state;
                      st.handover.sent(item, newest);
                      if (item.since == 0)
                        spdlog::info("[CLUSTER] handed {} snapshot(s) of {} (shard {}) over to "
                                     "its next owner {} ({} new there)",
                                     count, item.metric_id, item.shard, item.to.node, added);
                      round->done();
                    },
                    [=](caf::error& e) {
                      spdlog::debug("[CLUSTER] snapshots of {} not handed over to {} yet: {}",
                                    item.metric_id, item.to.node, describe(e));
                      round->done();
                    });
          },
          [=](caf::error& e) {
            spdlog::debug("[CLUSTER] cannot read the snapshots of {} to hand over: {}",
                          item.metric_id, describe(e));
            round->done();
          });
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
                    send_item(self, storage, item, round);
                },
                [=](caf::error&) { self->state.handing_over = false; });
      },
      [=](const caf::error&) { self->state.handing_over = false; });
}

void receive_handover(cluster_self self, snapshot_handover handover, shared_promise<uint64_t> rp) {
  auto& st = self->state;
  if (auto why =
          cluster::check_handover(handover.shard, handover.snapshots, cluster::shard_count)) {
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
        closed_windows windows{std::move(handover.snapshots),
                               std::numeric_limits<timestamp_ms>::min()};
        self->request(storage, storage_timeout, atom::store_v, std::move(windows))
            .then([=](uint64_t added) { rp->deliver(added); },
                  [=](caf::error& e) { rp->deliver(std::move(e)); });
      },
      [=](const caf::error& e) {
        rp->deliver(make_error(errc::unavailable, "storage is not reachable: " + describe(e)));
      });
}

} // namespace grace
