#include "actors/storage/storage_actor.hpp"

#include "actors/storage/artifact_versions.hpp"
#include "actors/storage/atomic_file.hpp"
#include "actors/storage/data_dir.hpp"
#include "actors/storage/metric_store.hpp"
#include "actors/storage/provenance_ledger.hpp"
#include "actors/storage/sample_log.hpp"
#include "messages/errors.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

// Previous versions of each model artifact kept beside the current one.
constexpr size_t keep_artifact_versions = 5;

// Payload bytes per replay answer: the log of a busy node is read in pieces.
constexpr size_t replay_chunk_bytes = 4u << 20;

timestamp_ms wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Creates the layout and opens the ledger; throws storage_error.
void prepare(storage_state& st) {
  if (st.prepared)
    return;
  spdlog::info("[TRAINING-STORAGE] 📁 Initializing knowledge storage system...");
  storage::prepare_data_dir(st.root);
  st.ledger = std::make_shared<storage::provenance_ledger>(storage::ledger_path(st.root));
  const auto& rec = st.ledger->recovery();
  if (rec.truncated_tail)
    spdlog::warn("[TRAINING-STORAGE] ⚠️ Ledger: cut off a torn last line ({} bytes): {}",
                 rec.bytes_dropped, rec.reason);
  st.metrics = std::make_shared<storage::metric_store>(storage::metric_store_path(st.root));
  st.closed_before = st.metrics->closed_before();
  storage::sample_log_options log_options;
  log_options.max_segment_bytes = st.settings.max_segment_bytes;
  st.log = std::make_shared<storage::sample_log>(storage::sample_log_dir(st.root), log_options);
  const auto& found = st.log->recovery();
  for (const auto& problem : found.problems)
    spdlog::warn("[TRAINING-STORAGE] ⚠️ Sample log: {}", problem);
  if (found.records > 0)
    spdlog::info("[TRAINING-STORAGE] 📜 Sample log: {} records in {} segments to replay",
                 found.records, found.segments);
  st.prepared = true;
  spdlog::info("[TRAINING-STORAGE] ✅ {} category folders ready",
               storage::training_categories.size());
  spdlog::info("[TRAINING-STORAGE] 📁 Base path: {}",
               std::filesystem::absolute(storage::training_dir(st.root)).string());
  spdlog::info("[TRAINING-STORAGE] 🔗 Provenance ledger: {} entries, chain verified", rec.entries);
}

} // namespace

// Syncs the sample log and removes the segments whose windows are stored.
void sync_log(storage_state& st) {
  if (st.log->unsynced()) {
    st.log->sync();
    ++st.log_syncs;
  }
  st.log_segments_removed += st.log->maintain(st.closed_before);
}

storage_actor::behavior_type storage_component(storage_actor::stateful_pointer<storage_state> self,
                                               std::filesystem::path root, node_clock clock,
                                               storage_settings settings) {
  const int64_t retention_ms = settings.retention_ms;
  const auto sync_interval = std::chrono::milliseconds(settings.sync_interval_ms);
  self->state.root = std::move(root);
  self->state.settings = settings;
  try {
    prepare(self->state);
  } catch (const std::exception& e) {
    spdlog::error("[TRAINING-STORAGE] ❌ Cannot prepare the data directory: {}", e.what());
    self->quit(make_error(errc::startup_failed,
                          std::string("cannot prepare the data directory: ") + e.what()));
    return storage_actor::behavior_type::make_empty_behavior();
  }
  constexpr int64_t retention_check_ms = 3600000; // virtual
  if (retention_ms > 0)
    self->delayed_send(self, clock.real_delay(retention_check_ms), atom::tick_v);
  if (settings.sync_interval_ms > 0)
    self->delayed_send(self, sync_interval, atom::sync_v);
  return {
      [=](atom::record, const std::string& category, const std::string& kind, const std::string& id,
          const std::string& json_text) -> caf::result<std::string> {
        auto& st = self->state;
        try {
          auto parsed = nlohmann::json::parse(json_text); // refuse to store non-JSON
          // Dated in the node's (virtual) time, like the records' contents.
          const int64_t now = clock.actor_now_ms(self);
          auto path =
              storage::write_record(st.root, category, kind, id, now, parsed.dump(2) + "\n");
          ++st.records_written;
          auto relative = std::filesystem::relative(path, storage::training_dir(st.root));
          spdlog::info("[TRAINING-STORAGE] 💾 Saved: {}", relative.string());
          return path.string();
        } catch (const nlohmann::json::exception& e) {
          return make_error(errc::invalid_input,
                            std::string("record is not valid JSON: ") + e.what());
        } catch (const std::exception& e) {
          ++st.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Write failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::append, const std::string& kind,
          const std::string& payload_json) -> caf::result<uint64_t> {
        auto& st = self->state;
        try {
          auto payload = nlohmann::json::parse(payload_json);
          auto entry = st.ledger->append(kind, std::move(payload), wall_clock_ms());
          return entry.seq;
        } catch (const nlohmann::json::exception& e) {
          return make_error(errc::invalid_input,
                            std::string("ledger payload is not valid JSON: ") + e.what());
        } catch (const std::exception& e) {
          ++st.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Ledger append failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::verify) -> ledger_report {
        auto v = storage::verify_ledger(storage::ledger_path(self->state.root));
        return ledger_report{v.ok, v.entries_checked,
                             v.first_bad_seq ? v.first_bad_seq : v.first_bad_line, v.reason};
      },
      [=](atom::query, const snapshot_query& q) -> caf::result<std::vector<snapshot>> {
        try {
          std::optional<size_t> limit;
          if (q.limit > 0)
            limit = static_cast<size_t>(q.limit);
          return self->state.metrics->query_snapshots(q.metric_id, q.since, q.until, limit);
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::latest) -> caf::result<std::vector<snapshot>> {
        try {
          return self->state.metrics->latest_per_metric();
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::history, timestamp_ms since) -> caf::result<std::vector<snapshot>> {
        try {
          return self->state.metrics->snapshots_since(since);
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::query, atom::forecast,
          const snapshot_query& q) -> caf::result<std::vector<forecast>> {
        try {
          std::optional<size_t> limit;
          if (q.limit > 0)
            limit = static_cast<size_t>(q.limit);
          return self->state.metrics->query_forecasts(q.metric_id, q.since, q.until, limit);
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::history, atom::reward, uint64_t n) -> caf::result<std::vector<experience>> {
        try {
          return self->state.metrics->recent_experiences(static_cast<size_t>(n));
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::store, const std::vector<forecast>& batch) -> caf::result<uint64_t> {
        try {
          self->state.metrics->insert_forecasts(batch);
          self->state.forecasts_stored += batch.size();
          return static_cast<uint64_t>(batch.size());
        } catch (const std::exception& e) {
          ++self->state.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Storing forecasts failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::store, const training_record& record) -> caf::result<uint64_t> {
        try {
          self->state.metrics->insert_training_record(record);
          return uint64_t{1};
        } catch (const std::exception& e) {
          ++self->state.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Storing a training record failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::history, atom::train, uint64_t n) -> caf::result<std::vector<training_record>> {
        try {
          return self->state.metrics->recent_training_records(static_cast<size_t>(n));
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::save, const std::string& model, const std::string& file,
          const std::string& content) -> caf::result<std::string> {
        auto& st = self->state;
        try {
          storage::check_name(model, "model name");
          storage::check_name(file, "artifact name");
          const auto dir = storage::artifact_dir(st.root, model);
          std::filesystem::create_directories(dir);
          storage::save_artifact(dir, file, content, keep_artifact_versions);
          ++st.artifacts_saved;
          const auto path = dir / file;
          spdlog::info("[TRAINING-STORAGE] 💾 Saved model: {}",
                       std::filesystem::relative(path, st.root).string());
          return path.string();
        } catch (const storage::storage_error& e) {
          return make_error(errc::invalid_input, e.what());
        } catch (const std::exception& e) {
          ++st.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Saving a model failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::load, const std::string& model,
          const std::string& file) -> caf::result<std::vector<artifact_copy>> {
        try {
          storage::check_name(model, "model name");
          storage::check_name(file, "artifact name");
          std::vector<artifact_copy> out;
          for (const auto& v : storage::list_artifact_versions(
                   storage::artifact_dir(self->state.root, model), file)) {
            try {
              out.push_back({v.path.string(), storage::read_file(v.path)});
            } catch (const storage::storage_error& e) {
              spdlog::warn("[TRAINING-STORAGE] ⚠️ Cannot read {}: {}", v.path.string(),
                           e.what());
            }
          }
          return out;
        } catch (const std::exception& e) {
          return make_error(errc::invalid_input, e.what());
        }
      },
      [=](atom::state, const std::string& key, const std::string& json) -> caf::result<uint64_t> {
        try {
          if (!nlohmann::json::accept(json)) // refuse to store non-JSON
            return make_error(errc::invalid_input, "state '" + key + "' is not valid JSON");
          const int64_t now = clock.actor_now_ms(self);
          self->state.metrics->put_state(key, json, now);
          return uint64_t{1};
        } catch (const std::exception& e) {
          ++self->state.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Storing state '{}' failed: {}", key, e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::state, const std::string& key) -> caf::result<std::string> {
        try {
          auto entry = self->state.metrics->get_state(key);
          return entry ? entry->json : std::string();
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::state, const std::vector<stored_items_change>& changes) -> caf::result<uint64_t> {
        for (const auto& change : changes) {
          if (change.collection.empty())
            return make_error(errc::invalid_input, "state rows without a collection name");
          for (const auto& item : change.put)
            if (item.id.empty() || !nlohmann::json::accept(item.json))
              return make_error(errc::invalid_input, "state row '" + item.id + "' of '"
                                                         + change.collection
                                                         + "' has no id or is not valid JSON");
        }
        try {
          return self->state.metrics->change_state_items(changes);
        } catch (const std::exception& e) {
          ++self->state.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Storing state rows failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::state, atom::history,
          const std::string& collection) -> caf::result<std::vector<stored_item>> {
        try {
          return self->state.metrics->state_items(collection);
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::latest, atom::history) -> caf::result<timestamp_ms> {
        try {
          return self->state.metrics->newest_time();
        } catch (const std::exception& e) {
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::store, const experience& e) -> caf::result<uint64_t> {
        try {
          self->state.metrics->insert_experience(e);
          return uint64_t{1};
        } catch (const std::exception& ex) {
          ++self->state.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Storing an experience failed: {}", ex.what());
          return make_error(errc::storage_failure, ex.what());
        }
      },
      [=](atom::append, const sample_log_record& record) -> caf::result<uint64_t> {
        auto& st = self->state;
        try {
          st.log->append(record.payload);
          ++st.log_records;
          st.log_bytes += record.payload.size();
          return st.log_records;
        } catch (const storage::log_format_error& e) {
          return make_error(errc::invalid_input, e.what());
        } catch (const std::exception& e) {
          ++st.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Sample log write failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::replay, uint64_t segment, uint64_t offset) -> caf::result<sample_log_chunk> {
        auto& st = self->state;
        try {
          auto read = st.log->read({segment, offset}, replay_chunk_bytes);
          sample_log_chunk chunk;
          chunk.closed_before = st.closed_before;
          chunk.payloads = std::move(read.payloads);
          chunk.next_segment = read.next.segment;
          chunk.next_offset = read.next.offset;
          chunk.done = read.done;
          return chunk;
        } catch (const std::exception& e) {
          spdlog::error("[TRAINING-STORAGE] ❌ Sample log read failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::store, const closed_windows& closed) -> caf::result<uint64_t> {
        auto& st = self->state;
        try {
          const auto added = st.metrics->store_closed_windows(
              closed.snapshots, closed.closed_before, clock.actor_now_ms(self));
          st.closed_before = std::max(st.closed_before, closed.closed_before);
          st.snapshots_stored += added;
          return added;
        } catch (const std::exception& e) {
          ++st.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Storing closed windows failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::flush) -> caf::result<bool> {
        try {
          sync_log(self->state);
          return true;
        } catch (const std::exception& e) {
          spdlog::error("[TRAINING-STORAGE] ❌ Sample log flush failed: {}", e.what());
          return make_error(errc::storage_failure, e.what());
        }
      },
      [=](atom::sync) {
        try {
          sync_log(self->state);
        } catch (const std::exception& e) {
          ++self->state.write_failures;
          spdlog::error("[TRAINING-STORAGE] ❌ Sample log sync failed: {}", e.what());
        }
        if (sync_interval.count() > 0)
          self->delayed_send(self, sync_interval, atom::sync_v);
      },
      [=](atom::tick) {
        auto& st = self->state;
        const int64_t now = clock.actor_now_ms(self);
        try {
          auto removed = st.metrics->delete_older_than(now - retention_ms);
          st.snapshots_expired += removed.snapshots;
          if (removed.snapshots + removed.forecasts > 0)
            spdlog::info("[TRAINING-STORAGE] 🧹 Retention: removed {} snapshots, {} forecasts",
                         removed.snapshots, removed.forecasts);
        } catch (const std::exception& e) {
          spdlog::error("[TRAINING-STORAGE] ❌ Retention failed: {}", e.what());
        }
        self->delayed_send(self, clock.real_delay(retention_check_ms), atom::tick_v);
      },
      [=](atom::status) -> storage_status {
        const auto& st = self->state;
        storage_status out;
        out.data_dir = st.root.string();
        out.prepared = st.prepared;
        out.records_written = st.records_written;
        out.write_failures = st.write_failures;
        out.snapshots_stored = st.snapshots_stored;
        out.snapshots_expired = st.snapshots_expired;
        out.forecasts_stored = st.forecasts_stored;
        out.artifacts_saved = st.artifacts_saved;
        out.ledger_entries = st.ledger ? st.ledger->last_seq() : 0;
        out.has_sample_log = static_cast<bool>(st.log);
        if (st.log) {
          auto& log = out.sample_log;
          log.segments = st.log->segments().size();
          log.bytes = st.log->bytes();
          log.records_appended = st.log_records;
          log.bytes_appended = st.log_bytes;
          log.syncs = st.log_syncs;
          log.segments_removed = st.log_segments_removed;
          log.recovered_records = st.log->recovery().records;
          log.recovery_problems = st.log->recovery().problems.size();
          log.closed_before = st.closed_before;
        }
        return out;
      },
  };
}

} // namespace grace
