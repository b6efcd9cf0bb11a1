#include "actors/aggregator/aggregator_actor.hpp"

#include "actors/catalog/catalog.hpp"
#include "actors/storage/sample_log_format.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/json.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_ptr = aggregator_actor::stateful_pointer<aggregator_state>;

constexpr auto lookup_timeout = std::chrono::seconds(10);
constexpr auto append_timeout = std::chrono::seconds(10);
constexpr auto store_timeout = std::chrono::seconds(30);
constexpr auto replay_timeout = std::chrono::seconds(60);

int64_t virtual_now(self_ptr self, const node_clock& clock) {
  return clock.actor_now_ms(self);
}

void refresh_catalog(self_ptr self, const supervisor_actor& supervisor) {
  with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor c) {
    self->request(c, std::chrono::seconds(5), atom::get_v)
        .then([=](catalog_ref& ref) { self->state.catalog = std::move(ref); }, [](caf::error&) {});
  });
}

// The storage handle, cached; `on_missing` runs when it cannot be found.
template <class F, class G>
void with_storage(self_ptr self, const supervisor_actor& supervisor, F on_handle, G on_missing) {
  if (self->state.storage) {
    on_handle(self->state.storage);
    return;
  }
  with_component_or<storage_actor>(
      self, supervisor, "storage",
      [=](storage_actor s) {
        self->state.storage = s;
        on_handle(s);
      },
      on_missing);
}

bool flushed(const aggregator_state& st) {
  return st.appends_in_flight == 0 && st.unstored.empty() && st.storing == 0;
}

void answer_flush(self_ptr self, const caf::error& failure = caf::error{}) {
  auto& st = self->state;
  if (!st.closing || st.flush_waiters.empty() || (!failure && !flushed(st)))
    return;
  for (auto& rp : st.flush_waiters) {
    if (failure)
      rp.deliver(failure);
    else
      rp.deliver(true);
  }
  st.flush_waiters.clear();
}

// Sends the closed windows not yet stored, all in one request, oldest first;
// a failure leaves them queued for the next tick. Never two requests at a
// time, so the closed watermark is stored in order.
void store_closed(self_ptr self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  if (st.storing > 0 || st.unstored.empty())
    return;
  closed_windows all;
  for (const auto& c : st.unstored) {
    all.snapshots.insert(all.snapshots.end(), c.snapshots.begin(), c.snapshots.end());
    all.closed_before = c.closed_before;
  }
  st.storing = st.unstored.size();
  auto failed = [=](const caf::error& e) {
    auto& st = self->state;
    st.storing = 0;
    st.storage = nullptr;
    spdlog::error("[AGGREGATOR] Closed windows not stored yet (retried at the next tick): {}",
                  describe(e));
    answer_flush(self, e);
  };
  with_storage(
      self, supervisor,
      [=](storage_actor s) {
        self->request(s, store_timeout, atom::store_v, all)
            .then(
                [=](uint64_t) {
                  auto& st = self->state;
                  for (; st.storing > 0; --st.storing)
                    st.unstored.pop_front();
                  answer_flush(self);
                  store_closed(self, supervisor);
                },
                [=](caf::error& e) { failed(e); });
      },
      failed);
}

// Closes the windows virtual time has passed and hands their snapshots on.
void close_due(self_ptr self, const supervisor_actor& supervisor, int64_t now) {
  auto& st = self->state;
  // Without the catalog every band would read "good": wait for it.
  if (!st.catalog)
    return;
  auto snapshots = st.window->close_until(now);
  if (snapshots.empty())
    return;
  st.snapshots_emitted += snapshots.size();
  spdlog::debug("[AGGREGATOR] {} snapshots closed", snapshots.size());
  st.unstored.push_back(closed_windows{snapshots, st.window->closed_before()});
  store_closed(self, supervisor);
  with_component<integration_actor>(self, supervisor, "integration", [=](integration_actor i) {
    self->send(i, atom::ingest_v, snapshots);
  });
  if (st.has_predictor)
    with_component<predictor_actor>(self, supervisor, "predictor", [=](predictor_actor p) {
      self->send(p, atom::ingest_v, snapshots);
    });
  with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor m) {
    for (const auto& s : snapshots)
      self->send(m, atom::publish_v, std::string("snapshots"), nlohmann::json(s).dump());
  });
}

// Reads the sample log from (segment, offset) into the windows. Awaited, so
// no sample is taken and no window closes before the replay is done.
void replay_from(self_ptr self, uint64_t segment, uint64_t offset) {
  self->request(self->state.storage, replay_timeout, atom::replay_v, segment, offset)
      .await(
          [=](sample_log_chunk& chunk) {
            auto& st = self->state;
            auto& w = *st.window;
            w.restore_closed_before(chunk.closed_before);
            for (const auto& payload : chunk.payloads) {
              try {
                const auto decoded = storage::decode_samples(payload);
                for (const auto& s : decoded.samples)
                  if (w.add(decoded.metric_ids[s.metric], s.ts, s.value))
                    ++st.replayed;
              } catch (const storage::log_format_error& e) {
                ++st.replay_bad_records;
                spdlog::error("[AGGREGATOR] ❌ Skipped a sample log record: {}", e.what());
              }
            }
            if (!chunk.done) {
              replay_from(self, chunk.next_segment, chunk.next_offset);
              return;
            }
            if (st.replayed + w.late_dropped() > 0)
              spdlog::info("[AGGREGATOR] 📜 Replayed {} logged samples into {} open windows ({} "
                           "of windows already stored skipped)",
                           st.replayed, w.open_windows(), w.late_dropped());
          },
          [=](caf::error& e) {
            spdlog::error("[AGGREGATOR] ❌ Cannot replay the sample log: {}", describe(e));
            self->quit(e);
          });
}

// Start-up, awaited step by step: the catalog (for the bands), then the
// storage and the replay of its sample log.
void start_up(self_ptr self, const supervisor_actor& supervisor) {
  auto find_storage = [=] {
    self->request(supervisor, lookup_timeout, atom::get_v, std::string("storage"))
        .await(
            [=](caf::actor& s) {
              self->state.storage = caf::actor_cast<storage_actor>(s);
              replay_from(self, 0, 0);
            },
            [=](caf::error& e) {
              spdlog::error("[AGGREGATOR] ❌ Storage not reachable at start: {}", describe(e));
              self->quit(e);
            });
  };
  self->request(supervisor, lookup_timeout, atom::get_v, std::string("catalog"))
      .await(
          [=](caf::actor& c) {
            self->request(caf::actor_cast<catalog_actor>(c), lookup_timeout, atom::get_v)
                .await(
                    [=](catalog_ref& ref) {
                      self->state.catalog = std::move(ref);
                      find_storage();
                    },
                    [=](caf::error&) { find_storage(); });
          },
          [=](caf::error&) { find_storage(); });
}

} // namespace

aggregator_actor::behavior_type
aggregator_component(aggregator_actor::stateful_pointer<aggregator_state> self,
                     supervisor_actor supervisor, node_clock clock, aggregator_settings settings) {
  self->state.has_predictor = settings.notify_predictor;
  aggregator::window_config config;
  config.period_ms = settings.snapshot_interval_ms;
  config.allowed_lateness_ms = settings.allowed_lateness_ms;
  // The band of the catalog's aggregation statistic; unknown metrics stay good.
  auto band_of = [self](const std::string& metric_id, const snapshot& s) {
    const auto& cat = self->state.catalog;
    const auto* m = cat ? cat->find_metric(metric_id) : nullptr;
    return m ? catalog::band_of(*m, catalog::statistic_of(s, m->aggregation)) : band::good;
  };
  self->state.window = std::make_unique<aggregator::snapshot_window>(config, band_of);
  start_up(self, supervisor);
  self->delayed_send(self, clock.real_delay(settings.tick_ms), atom::tick_v);
  return {
      [=](atom::ingest, sample_batch& batch) -> caf::result<ingest_receipt> {
        auto& st = self->state;
        if (st.closing)
          return make_error(errc::unavailable, "the node is shutting down: no samples are taken");
        auto verdict = st.window->admit(batch);
        ingest_receipt receipt;
        receipt.accepted = verdict.kept.size();
        for (auto& r : verdict.refused)
          receipt.rejected.push_back({r.index, std::move(r.reason)});
        if (verdict.kept.empty())
          return receipt;
        sample_log_record record{storage::encode_samples(batch, verdict.kept).payload};
        // The windows stay open until the samples are written and added.
        const timestamp_ms held = verdict.first_window;
        st.window->hold(held);
        ++st.appends_in_flight;
        auto samples = std::make_shared<const sample_batch>(std::move(batch));
        auto kept = std::make_shared<const std::vector<uint32_t>>(std::move(verdict.kept));
        auto rp = self->make_response_promise<ingest_receipt>();
        auto promise = std::make_shared<caf::typed_response_promise<ingest_receipt>>(rp);
        auto answer = std::make_shared<ingest_receipt>(std::move(receipt));
        auto done = [=] {
          auto& st = self->state;
          st.window->release(held);
          --st.appends_in_flight;
        };
        auto failed = [=](const caf::error& e) {
          self->state.storage = nullptr;
          done();
          promise->deliver(e);
          answer_flush(self);
        };
        with_storage(
            self, supervisor,
            [=](storage_actor s) {
              self->request(s, append_timeout, atom::append_v, record)
                  .then(
                      [=](uint64_t) {
                        auto& st = self->state;
                        for (uint32_t i : *kept)
                          st.window->add((*samples)[i]);
                        st.samples_taken += kept->size();
                        done();
                        promise->deliver(std::move(*answer));
                        answer_flush(self);
                      },
                      [=](caf::error& e) { failed(e); });
            },
            failed);
        return rp;
      },
      [=](atom::flush) -> caf::result<bool> {
        auto& st = self->state;
        st.closing = true;
        // Windows due are stored now; the others stay open in the log.
        close_due(self, supervisor, virtual_now(self, clock));
        store_closed(self, supervisor);
        if (flushed(st))
          return true;
        auto rp = self->make_response_promise<bool>();
        st.flush_waiters.push_back(rp);
        return rp;
      },
      [=](atom::tick) {
        close_due(self, supervisor, virtual_now(self, clock));
        store_closed(self, supervisor);
        refresh_catalog(self, supervisor);
        self->delayed_send(self, clock.real_delay(settings.tick_ms), atom::tick_v);
      },
      [=](atom::status) -> aggregator_status {
        const auto& st = self->state;
        const auto& w = *st.window;
        aggregator_status out;
        out.accepted = st.samples_taken;
        out.rejected_late = w.rejected_late();
        out.rejected_invalid = w.rejected_invalid();
        out.replayed = st.replayed;
        out.replay_skipped_stored = w.late_dropped();
        out.replay_bad_records = st.replay_bad_records;
        out.open_windows = w.open_windows();
        out.held_windows = w.held_windows();
        out.appends_in_flight = st.appends_in_flight;
        out.watermark = w.watermark();
        out.closed_before = w.closed_before();
        out.snapshots_emitted = st.snapshots_emitted;
        for (const auto& c : st.unstored)
          out.snapshots_unstored += c.snapshots.size();
        return out;
      },
  };
}

} // namespace grace
