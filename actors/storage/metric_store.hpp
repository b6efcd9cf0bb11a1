#pragma once
// The metric store: one SQLite 3 file (storage/metrics.sqlite) holding
// snapshots, forecasts, experiences, training records, a key/value table
// of component state (RL policies etc.) and collections of component rows
// changed one by one (the RL agent's pending events).
//
// Journal: WAL, so readers (the sqlite3 CLI, a backup, another process) never
// block the writer and see a consistent snapshot. synchronous=NORMAL: in WAL
// mode this never corrupts the database; a power loss (not a process crash)
// can only roll back the last transactions committed since the previous
// checkpoint/sync. That is acceptable here: snapshots and forecasts are
// re-derived every window, and the audit trail that must survive is the
// provenance ledger, which fsyncs each append. Pass full_sync = true to pay an
// fsync per commit instead.
//
// Schema: versioned with PRAGMA user_version and migrated in code on open; a
// file whose version is newer than this build knows is refused.
//
// NOT thread-safe: one object is used by one thread (the storage actor).
// Other processes may read the file concurrently (WAL).
//
// Time ranges are half-open: [since_ms, until_ms).
// All errors throw storage_error naming the operation, the file and SQLite's
// message.
#include "actors/storage/storage_error.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace grace::storage {

struct metric_store_options {
  bool full_sync = false;     // PRAGMA synchronous=FULL instead of NORMAL
  int busy_timeout_ms = 5000; // wait this long for another process's lock
};

// A stored component state.
struct state_entry {
  std::string key;
  std::string json; // as stored (the caller's serialisation)
  timestamp_ms updated_at = 0;
};

struct retention_result {
  uint64_t snapshots = 0; // rows deleted
  uint64_t forecasts = 0;
};

class metric_store {
public:
  // The schema version this build writes and reads.
  static constexpr int schema_version = 2;

  // Opens (creating if missing) the database at `path` (its directory must
  // exist), switches it to WAL and migrates the schema. Throws storage_error
  // for a file that is not an SQLite database ("corrupt or not a database"),
  // a newer schema, or an unusable path.
  explicit metric_store(std::filesystem::path path, metric_store_options options = {});
  ~metric_store();
  metric_store(const metric_store&) = delete;
  metric_store& operator=(const metric_store&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string journal_mode(); // "wal"
  int user_version();         // schema version in the file
  // PRAGMA quick_check: empty if fine, otherwise SQLite's findings. Reads the
  // whole file: call on demand (e.g. from a verify command), not per request.
  std::vector<std::string> quick_check();
  // Moves the WAL's content into the database file and truncates the WAL.
  void checkpoint();

  // --- snapshots (primary key: metric_id, window_start; written only by
  // store_closed_windows, never rewritten) ---
  // Snapshots of one metric with window_start in [since_ms, until_ms),
  // ascending by window_start. With a limit, the MOST RECENT `limit` of that
  // range are returned (still ascending): "the last N points".
  std::vector<snapshot> query_snapshots(const std::string& metric_id, timestamp_ms since_ms,
                                        timestamp_ms until_ms,
                                        std::optional<size_t> limit = std::nullopt);
  // The newest snapshot of every metric, ordered by metric_id.
  std::vector<snapshot> latest_per_metric();
  // All metrics' snapshots with window_start >= since_ms, ordered by
  // (metric_id, window_start): what the trainer reads.
  std::vector<snapshot> snapshots_since(timestamp_ms since_ms);

  // --- closed windows (the aggregator's) ---
  // Stores the snapshots of windows the aggregator closed and raises the
  // closed watermark to `closed_before` (never lowers it), in one transaction
  // committed with a full sync whatever full_sync says: the sample log drops
  // these windows' samples once this returns. A window already stored stays
  // as it is (a closed window is never rewritten). Returns how many snapshots
  // were new.
  uint64_t store_closed_windows(const std::vector<snapshot>& batch, timestamp_ms closed_before,
                                timestamp_ms updated_at);
  // The closed watermark: every window starting before it is closed and
  // stored. INT64_MIN when nothing was closed yet.
  timestamp_ms closed_before();

  // --- forecasts (primary key: metric_id, generated_at; re-insert replaces) ---
  void insert_forecasts(const std::vector<forecast>& batch);
  // Forecasts of one metric with generated_at in [since_ms, until_ms),
  // ascending; a limit keeps the most recent ones (as for snapshots).
  std::vector<forecast> query_forecasts(const std::string& metric_id, timestamp_ms since_ms,
                                        timestamp_ms until_ms,
                                        std::optional<size_t> limit = std::nullopt);

  // --- experiences (append-only) ---
  void insert_experience(const experience& e);
  void insert_experiences(const std::vector<experience>& batch);
  // The newest `n` by insertion, returned oldest first.
  std::vector<experience> recent_experiences(size_t n);

  // --- training records (append-only) ---
  void insert_training_record(const training_record& r);
  // The newest `n` by insertion, newest first.
  std::vector<training_record> recent_training_records(size_t n);

  // --- component state (key/value) ---
  void put_state(const std::string& key, const std::string& json, timestamp_ms updated_at);
  std::optional<state_entry> get_state(const std::string& key);

  // --- component state rows: collections of (id, JSON) changed row by row ---
  // Erases (every row of the collection first if replace_all), then puts
  // (replacing an id stored again), every change in one
  // transaction; returns how many rows were erased or put.
  uint64_t change_state_items(const std::vector<stored_items_change>& changes);
  // The rows of a collection in the order they were put.
  std::vector<stored_item> state_items(const std::string& collection);

  // The newest virtual time anything here carries: snapshot window ends,
  // forecast and training times, rewards, component state writes. 0 when
  // empty. Where a restarted node's clock resumes (actors/clock/clock_start.hpp).
  timestamp_ms newest_time();

  // --- retention ---
  // Deletes snapshots with window_start < cutoff_ms and forecasts with
  // generated_at < cutoff_ms in one transaction; returns the counts.
  retention_result delete_older_than(timestamp_ms cutoff_ms);

private:
  class statement;
  class transaction;
  sqlite3_stmt* prepare(const char* sql);
  void exec(const char* sql, const char* operation);
  [[noreturn]] void fail(const char* operation, int rc);
  void migrate();
  void upsert_forecast(const forecast& f);
  void append_experience(const experience& e);
  // Binds a snapshot to ?1..?11 in GRACE_SNAPSHOT_COLUMNS order.
  static void bind_snapshot(statement& st, const snapshot& s);
  std::vector<snapshot> read_snapshots(statement& st);
  std::vector<forecast> read_forecasts(statement& st);
  std::vector<experience> read_experiences(statement& st);

  std::filesystem::path path_;
  bool full_sync_ = false;
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> statements_; // prepared once, by SQL text
};

} // namespace grace::storage
