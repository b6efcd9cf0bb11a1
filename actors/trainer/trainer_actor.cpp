#include "actors/trainer/trainer_actor.hpp"

#include "actors/forecaster/snapshot_series.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "common/utc_time.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_pointer = trainer_actor::stateful_pointer<trainer_state>;

void finish(self_pointer self, caf::expected<training_record> outcome) {
  auto& st = self->state;
  st.running = false;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& rp : waiting) {
    if (outcome)
      rp.deliver(*outcome);
    else
      rp.deliver(outcome.error());
  }
}

void fail(self_pointer self, const std::string& why) {
  ++self->state.failures;
  self->state.last_error = why;
  spdlog::error("[AUTO-TRAIN] ❌ Training failed: {}", why);
  finish(self, make_error(errc::unavailable, "training failed: " + why));
}

// After the artifact is saved: record, hand over, announce.
void complete(self_pointer self, const supervisor_actor& supervisor,
              std::shared_ptr<trainer::training_output> out, const std::string& artifact_path) {
  auto& st = self->state;
  out->record.finished_at = std::max(virtual_now(self), out->record.started_at);
  st.cycles = out->record.cycle;
  st.last = out->record;
  st.last_error.clear();
  const auto record = out->record;
  const auto document = trainer::record_document(*out, artifact_path);
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::record_v, std::string("code_patterns"),
                  std::string("tft_training"), trainer::record_id(record.started_at), document)
        .then([](const std::string&) {},
              [](caf::error& e) {
                spdlog::error("[AUTO-TRAIN] ❌ Training record not saved: {}", describe(e));
              });
    self->request(storage, std::chrono::seconds(30), atom::store_v, record)
        .then([](uint64_t) {},
              [](caf::error& e) {
                spdlog::error("[AUTO-TRAIN] ❌ Training record not stored: {}", describe(e));
              });
  });
  with_component<forecaster_actor>(self, supervisor, "forecaster", [=](forecaster_actor f) {
    self->send(f, atom::model_v, forecaster_model(out->model), record.model_version);
  });
  const auto event = nlohmann::json{{"cycle", record.cycle},
                                    {"model_version", record.model_version},
                                    {"samples", record.samples},
                                    {"window_samples", out->window_samples},
                                    {"metrics", record.metrics},
                                    {"finished_at", record.finished_at},
                                    {"mean_validation_mase", out->model->validation().mean_mase}}
                         .dump();
  with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
    self->send(mesh, atom::publish_v, std::string("training"), event);
  });
  spdlog::info("[AUTO-TRAIN] ✅ Training complete: cycle #{}, {} samples processed", record.cycle,
               trainer::with_thousands(record.samples));
  finish(self, record);
}

void start_cycle(self_pointer self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  if (st.running)
    return;
  st.running = true;
  const int64_t started = virtual_now(self);
  const uint64_t cycle = st.cycles + 1;
  spdlog::info("[AUTO-TRAIN] 🎓 Collecting metrics for ML training...");
  with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor catalog) {
    self->request(catalog, std::chrono::seconds(5), atom::get_v)
        .then(
            [=](catalog_ref cat) {
              with_component<storage_actor>(
                  self, supervisor, "storage", [=](storage_actor storage) {
                    const auto since = trainer::data_since(started, self->state.settings.training);
                    self->request(storage, std::chrono::seconds(60), atom::history_v, since)
                        .then(
                            [=](const std::vector<snapshot>& snapshots) {
                              std::shared_ptr<trainer::training_output> out;
                              try {
                                std::set<std::string> metrics;
                                for (const auto& s : snapshots)
                                  if (cat->find_metric(s.metric_id))
                                    metrics.insert(s.metric_id);
                                spdlog::info(
                                    "[AUTO-TRAIN] 🧠 Training forecaster on {} metrics...",
                                    metrics.size());
                                out = std::make_shared<trainer::training_output>(
                                    trainer::train(snapshots, *cat, self->state.settings.training,
                                                   cycle, started));
                              } catch (const std::exception& e) {
                                fail(self, e.what());
                                return;
                              }
                              self->request(storage, std::chrono::seconds(60), atom::save_v,
                                            std::string("temporal_forecaster"),
                                            std::string("tft_model.json"), out->artifact_json)
                                  .then(
                                      [=](const std::string& path) {
                                        complete(self, supervisor, out, path);
                                      },
                                      [=](caf::error& e) {
                                        fail(self, "model artifact not saved: " + describe(e));
                                      });
                            },
                            [=](caf::error& e) {
                              fail(self, "cannot read snapshots: " + describe(e));
                            });
                  });
            },
            [=](caf::error& e) { fail(self, "no catalog: " + describe(e)); });
  });
}

} // namespace

trainer_actor::behavior_type trainer_component(trainer_actor::stateful_pointer<trainer_state> self,
                                               supervisor_actor supervisor,
                                               trainer_settings settings) {
  self->state.settings = std::move(settings);
  const auto& s = self->state.settings;
  // Cycle numbers continue from the last stored record.
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(10), atom::history_v, atom::train_v, uint64_t{1})
        .then(
            [=](const std::vector<training_record>& records) {
              if (!records.empty() && records.front().cycle > self->state.cycles) {
                self->state.cycles = records.front().cycle;
                if (!self->state.last)
                  self->state.last = records.front();
              }
            },
            [](caf::error& e) {
              spdlog::warn("[AUTO-TRAIN] ⚠️ Cannot read past training cycles: {}", describe(e));
            });
  });
  if (s.scheduled) {
    self->state.next_due_ms = virtual_now(self) + s.training.interval_ms;
    self->delayed_send(self, s.clock.real_delay(s.training.interval_ms), atom::tick_v);
    spdlog::info("[ML-SYSTEMS] 🎓 Automated training active ({} intervals)",
                 config::format_duration(s.training.interval_ms));
  }
  return {
      [=](atom::train) -> caf::result<training_record> {
        auto rp = self->make_response_promise<training_record>();
        self->state.waiting.push_back(rp);
        start_cycle(self, supervisor);
        return rp;
      },
      [=](atom::tick) {
        const auto& st = self->state;
        start_cycle(self, supervisor);
        self->state.next_due_ms = virtual_now(self) + st.settings.training.interval_ms;
        self->delayed_send(self, st.settings.clock.real_delay(st.settings.training.interval_ms),
                           atom::tick_v);
      },
      [=](atom::statistics) -> training_status {
        const auto& st = self->state;
        training_status out;
        out.cycles = st.cycles;
        out.failed_cycles = st.failures;
        out.running = st.running;
        out.interval_ms = st.settings.training.interval_ms;
        out.next_due_at = st.settings.scheduled ? st.next_due_ms : 0;
        out.has_last = st.last.has_value();
        if (st.last)
          out.last = *st.last;
        out.last_error = st.last_error;
        return out;
      },
      [=](atom::status) -> trainer_status {
        const auto& st = self->state;
        return {st.cycles, st.failures, st.running};
      },
  };
}

} // namespace grace
