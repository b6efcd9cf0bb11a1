#pragma once
// The storage component: the only writer of files under the data directory.
#include "actors/clock/node_clock.hpp"
#include "messages/actors.hpp"

#include <filesystem>
#include <memory>

namespace grace::storage {
class provenance_ledger;
class metric_store;
class sample_log;
} // namespace grace::storage

namespace grace {

struct storage_settings {
  // Snapshots and forecasts older than this (virtual time) are deleted once
  // every virtual hour; 0 keeps everything (and schedules nothing, which the
  // deterministic actor tests rely on).
  int64_t retention_ms = 0;
  // The sample log is fdatasynced at least this often (real time): what a
  // machine crash (not a process crash) can lose. 0: only on flush and at
  // exit, with no timer (the deterministic actor tests); the node uses
  // storage.sync_interval.
  int64_t sync_interval_ms = 0;
  uint64_t max_segment_bytes = 64ull << 20;
};

struct storage_state {
  static inline const char* name = "storage";
  std::filesystem::path root;
  storage_settings settings;
  bool prepared = false;
  std::shared_ptr<storage::provenance_ledger> ledger;
  std::shared_ptr<storage::metric_store> metrics;
  std::shared_ptr<storage::sample_log> log;
  timestamp_ms closed_before = 0; // the store's closed watermark
  uint64_t log_records = 0;       // appended by this incarnation
  uint64_t log_bytes = 0;
  uint64_t log_syncs = 0;
  uint64_t log_segments_removed = 0;
  uint64_t snapshots_stored = 0;
  uint64_t snapshots_expired = 0;
  uint64_t forecasts_stored = 0;
  uint64_t artifacts_saved = 0;
  uint64_t records_written = 0;
  uint64_t write_failures = 0;
};

// Prepares the data directory layout at start (and on `prepare`) and opens
// the sample log (a torn last record is cut off and logged); a directory
// that cannot be prepared stops the actor with errc::startup_failed.
storage_actor::behavior_type storage_component(storage_actor::stateful_pointer<storage_state> self,
                                               std::filesystem::path root, node_clock clock,
                                               storage_settings settings);

} // namespace grace
