#pragma once
// The storage component: the only writer of files under the data directory.
#include "actors/clock/node_clock.hpp"
#include "messages/actors.hpp"

#include <filesystem>
#include <memory>

namespace grace::storage {
class provenance_ledger;
class metric_store;
} // namespace grace::storage

namespace grace {

struct storage_state {
  static inline const char* name = "storage";
  std::filesystem::path root;
  bool prepared = false;
  std::shared_ptr<storage::provenance_ledger> ledger;
  std::shared_ptr<storage::metric_store> metrics;
  uint64_t snapshots_stored = 0;
  uint64_t snapshots_expired = 0;
  uint64_t forecasts_stored = 0;
  uint64_t artifacts_saved = 0;
  uint64_t records_written = 0;
  uint64_t write_failures = 0;
};

// Prepares the data directory layout at start (and on `prepare`); a directory
// that cannot be prepared stops the actor with errc::startup_failed.
// Snapshots and forecasts older than `retention_ms` (virtual time) are deleted
// once every virtual hour; 0 keeps everything (and schedules nothing, which
// the deterministic actor tests rely on).
storage_actor::behavior_type storage_component(storage_actor::stateful_pointer<storage_state> self,
                                               std::filesystem::path root, node_clock clock,
                                               int64_t retention_ms);

} // namespace grace
