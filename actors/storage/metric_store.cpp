#include "actors/storage/metric_store.hpp"

#include "messages/json.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace grace::storage {

using nlohmann::json;

namespace {

// Migration i (0-based) takes the schema from version i to i+1. Append new
// migrations; never edit a released one.
const char* const migrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE snapshots (
  metric_id    TEXT    NOT NULL,
  window_start INTEGER NOT NULL,
  window_end   INTEGER NOT NULL,
  count        INTEGER NOT NULL,
  mean REAL, min REAL, max REAL, p50 REAL, p95 REAL, last REAL, -- NULL = NaN
  band         TEXT    NOT NULL,
  PRIMARY KEY (metric_id, window_start)
) WITHOUT ROWID;
CREATE INDEX snapshots_by_window_start ON snapshots (window_start);

CREATE TABLE forecasts (
  id                 INTEGER PRIMARY KEY,
  metric_id          TEXT    NOT NULL,
  generated_at       INTEGER NOT NULL,
  step_ms            INTEGER NOT NULL,
  model_version      TEXT    NOT NULL,
  points             TEXT    NOT NULL, -- JSON array of forecast_point
  feature_importance TEXT    NOT NULL, -- JSON array of feature_weight
  UNIQUE (metric_id, generated_at)
);
CREATE INDEX forecasts_by_generated_at ON forecasts (generated_at);

CREATE TABLE experiences (
  id          INTEGER PRIMARY KEY,
  event_id    TEXT    NOT NULL,
  service     TEXT    NOT NULL,
  diagnosis   TEXT    NOT NULL,
  playbook    TEXT    NOT NULL,
  propensity  REAL,
  reward      REAL,
  kpi_deltas  TEXT    NOT NULL, -- JSON object of numbers
  trust_delta REAL,
  ts          INTEGER NOT NULL
);

CREATE TABLE training_records (
  id                INTEGER PRIMARY KEY,
  cycle             INTEGER NOT NULL,
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER NOT NULL,
  samples           INTEGER NOT NULL,
  metrics           INTEGER NOT NULL,
  model_version     TEXT    NOT NULL,
  validation_scores TEXT    NOT NULL -- JSON object of numbers
);

CREATE TABLE state (
  key        TEXT    PRIMARY KEY,
  json       TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql",
    // 1 -> 2
    R"sql(
CREATE TABLE state_items (
  collection TEXT NOT NULL,
  item_id    TEXT NOT NULL,
  json       TEXT NOT NULL,
  PRIMARY KEY (collection, item_id)
);
)sql",
};

static_assert(sizeof(migrations) / sizeof(migrations[0]) == metric_store::schema_version,
              "one migration per schema version");

const char* hint(int rc) {
  switch (rc & 0xff) {
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return " (the file is corrupt or not an SQLite database)";
  case SQLITE_FULL:
    return " (disk full)";
  case SQLITE_READONLY:
  case SQLITE_PERM:
    return " (not writable)";
  case SQLITE_CANTOPEN:
    return " (cannot open the file: missing directory or no permission)";
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return " (locked by another connection)";
  case SQLITE_IOERR:
    return " (input/output error)";
  default:
    return "";
  }
}

int64_t sql_limit(std::optional<size_t> limit) {
  if (!limit)
    return -1; // SQLite: no limit
  if (*limit > static_cast<size_t>(std::numeric_limits<int64_t>::max()))
    return -1;
  return static_cast<int64_t>(*limit);
}

std::string scores_to_text(const std::map<std::string, double>& m) {
  return json(m).dump();
}

} // namespace

// --- statement / transaction ---------------------------------------------

class metric_store::statement {
public:
  statement(metric_store& store, const char* sql, const char* operation)
      : store_(store), operation_(operation), stmt_(store.prepare(sql)) {}
  ~statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& text(int i, const std::string& v) {
    return check(
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  statement& integer(int i, int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  statement& count(int i, uint64_t v) { return integer(i, static_cast<int64_t>(v)); }
  // NaN is stored as NULL (SQLite has no NaN) and read back as NaN.
  statement& real(int i, double v) {
    return check(std::isnan(v) ? sqlite3_bind_null(stmt_, i) : sqlite3_bind_double(stmt_, i, v));
  }

  // True while there is a row.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
      return true;
    if (rc == SQLITE_DONE)
      return false;
    store_.fail(operation_, rc);
  }
  void run() {
    while (step()) {
    }
  }

  std::string column_text(int c) {
    auto p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }
  int64_t column_integer(int c) { return sqlite3_column_int64(stmt_, c); }
  uint64_t column_count(int c) { return static_cast<uint64_t>(sqlite3_column_int64(stmt_, c)); }
  double column_real(int c) {
    if (sqlite3_column_type(stmt_, c) == SQLITE_NULL)
      return std::numeric_limits<double>::quiet_NaN();
    return sqlite3_column_double(stmt_, c);
  }

  const char* operation() const { return operation_; }

private:
  statement& check(int rc) {
    if (rc != SQLITE_OK)
      store_.fail(operation_, rc);
    return *this;
  }
  metric_store& store_;
  const char* operation_;
  sqlite3_stmt* stmt_;
};

class metric_store::transaction {
public:
  transaction(metric_store& store, const char* operation) : store_(store), operation_(operation) {
    store_.exec("BEGIN IMMEDIATE", operation_);
  }
  ~transaction() {
    if (!done_)
      sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit() {
    store_.exec("COMMIT", operation_);
    done_ = true;
  }

private:
  metric_store& store_;
  const char* operation_;
  bool done_ = false;
};

// --- open / close ----------------------------------------------------------

metric_store::metric_store(std::filesystem::path path, metric_store_options options)
    : path_(std::move(path)), full_sync_(options.full_sync) {
  int rc =
      sqlite3_open_v2(path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  try {
    if (rc != SQLITE_OK)
      fail("open", rc);
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, options.busy_timeout_ms);
    {
      statement st(*this, "PRAGMA journal_mode=WAL", "open (switching to WAL)");
      std::string mode = st.step() ? st.column_text(0) : std::string();
      if (mode != "wal")
        throw storage_error("metric store '" + path_.string()
                            + "': cannot switch to WAL journal mode (got '" + mode
                            + "'; the file system may not support shared memory)");
    }
    exec(options.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
         "open (setting synchronous)");
    migrate();
  } catch (...) {
    for (auto& [sql, stmt] : statements_)
      sqlite3_finalize(stmt);
    statements_.clear();
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

metric_store::~metric_store() {
  for (auto& [sql, stmt] : statements_)
    sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

void metric_store::fail(const char* operation, int rc) {
  std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  throw storage_error("metric store '" + path_.string() + "': " + operation + " failed: " + msg
                      + hint(rc));
}

sqlite3_stmt* metric_store::prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end())
    return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK)
    fail((std::string("preparing \"") + sql + "\"").c_str(), rc);
  statements_.emplace(sql, stmt);
  return stmt;
}

void metric_store::exec(const char* sql, const char* operation) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    fail(operation, rc);
}

int metric_store::user_version() {
  statement st(*this, "PRAGMA user_version", "reading the schema version");
  return st.step() ? static_cast<int>(st.column_integer(0)) : 0;
}

std::string metric_store::journal_mode() {
  statement st(*this, "PRAGMA journal_mode", "reading the journal mode");
  return st.step() ? st.column_text(0) : std::string();
}

void metric_store::migrate() {
  int version = user_version();
  if (version > schema_version)
    throw storage_error("metric store '" + path_.string() + "' has schema version "
                        + std::to_string(version) + ", but this build knows only up to "
                        + std::to_string(schema_version)
                        + "; refusing to open it (written by a newer grace-node?)");
  if (version < 0)
    throw storage_error("metric store '" + path_.string() + "' has an invalid schema version "
                        + std::to_string(version));
  if (version == schema_version)
    return;
  transaction tx(*this, "migrating the schema");
  // Read again under the write lock: another process may have migrated.
  version = user_version();
  for (int v = version; v < schema_version; ++v) {
    const std::string op = "migrating the schema to version " + std::to_string(v + 1);
    exec(migrations[v], op.c_str());
  }
  exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str(),
       "setting the schema version");
  tx.commit();
}

std::vector<std::string> metric_store::quick_check() {
  std::vector<std::string> problems;
  statement st(*this, "PRAGMA quick_check", "quick_check");
  while (st.step()) {
    auto line = st.column_text(0);
    if (line != "ok")
      problems.push_back(line);
  }
  return problems;
}

void metric_store::checkpoint() {
  exec("PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
}

// --- snapshots ---------------------------------------------------------------

#define GRACE_SNAPSHOT_COLUMNS                                                                     \
  "metric_id, window_start, window_end, count, mean, min, max, p50, p95, last, band"

void metric_store::bind_snapshot(statement& st, const snapshot& s) {
  st.text(1, s.metric_id)
      .integer(2, s.window_start)
      .integer(3, s.window_end)
      .count(4, s.count)
      .real(5, s.mean)
      .real(6, s.min)
      .real(7, s.max)
      .real(8, s.p50)
      .real(9, s.p95)
      .real(10, s.last)
      .text(11, to_string(s.level));
}

namespace {
// The state row holding the closed watermark.
const std::string closed_before_key = "storage.closed_windows";
} // namespace

uint64_t metric_store::store_closed_windows(const std::vector<snapshot>& batch,
                                            timestamp_ms closed_before, timestamp_ms updated_at) {
  const timestamp_ms before = this->closed_before();
  if (batch.empty() && closed_before <= before)
    return 0;
  exec("PRAGMA synchronous=FULL", "store_closed_windows (setting synchronous)");
  struct restore_sync {
    sqlite3* db;
    bool full;
    ~restore_sync() {
      sqlite3_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", nullptr,
                   nullptr, nullptr);
    }
  } restore{db_, full_sync_};
  uint64_t added = 0;
  transaction tx(*this, "store_closed_windows");
  for (const auto& s : batch) {
    statement st(*this,
                 "INSERT INTO snapshots (" GRACE_SNAPSHOT_COLUMNS
                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                 " ON CONFLICT (metric_id, window_start) DO NOTHING",
                 "store_closed_windows");
    bind_snapshot(st, s);
    st.run();
    added += static_cast<uint64_t>(sqlite3_changes(db_));
  }
  if (closed_before > before)
    put_state(closed_before_key, json{{"closed_before", closed_before}}.dump(), updated_at);
  tx.commit();
  return added;
}

timestamp_ms metric_store::closed_before() {
  auto entry = get_state(closed_before_key);
  if (!entry)
    return std::numeric_limits<timestamp_ms>::min();
  const auto j = json::parse(entry->json, nullptr, false);
  if (!j.is_object() || !j.contains("closed_before") || !j.at("closed_before").is_number_integer())
    throw storage_error("metric store '" + path_.string() + "': the state row '" + closed_before_key
                        + "' is corrupt: " + entry->json);
  return j.at("closed_before").get<timestamp_ms>();
}

std::vector<snapshot> metric_store::read_snapshots(statement& st) {
  std::vector<snapshot> out;
  while (st.step()) {
    snapshot s;
    s.metric_id = st.column_text(0);
    s.window_start = st.column_integer(1);
    s.window_end = st.column_integer(2);
    s.count = st.column_count(3);
    s.mean = st.column_real(4);
    s.min = st.column_real(5);
    s.max = st.column_real(6);
    s.p50 = st.column_real(7);
    s.p95 = st.column_real(8);
    s.last = st.column_real(9);
    try {
      s.level = band_from_string(st.column_text(10));
    } catch (const json_mapping_error& e) {
      throw storage_error("metric store '" + path_.string() + "': " + st.operation()
                          + ": corrupt snapshot row for '" + s.metric_id + "': " + e.what());
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<snapshot> metric_store::query_snapshots(const std::string& metric_id,
                                                    timestamp_ms since_ms, timestamp_ms until_ms,
                                                    std::optional<size_t> limit) {
  statement st(*this,
               "SELECT * FROM (SELECT " GRACE_SNAPSHOT_COLUMNS " FROM snapshots"
               " WHERE metric_id = ?1 AND window_start >= ?2 AND window_start < ?3"
               " ORDER BY window_start DESC LIMIT ?4) ORDER BY window_start ASC",
               "query_snapshots");
  st.text(1, metric_id).integer(2, since_ms).integer(3, until_ms).integer(4, sql_limit(limit));
  return read_snapshots(st);
}

std::vector<snapshot> metric_store::latest_per_metric() {
  statement st(*this,
               "SELECT s.metric_id, s.window_start, s.window_end, s.count, s.mean, s.min, s.max,"
               " s.p50, s.p95, s.last, s.band FROM snapshots s"
               " JOIN (SELECT metric_id, MAX(window_start) AS ws FROM snapshots"
               " GROUP BY metric_id) m ON s.metric_id = m.metric_id AND s.window_start = m.ws"
               " ORDER BY s.metric_id",
               "latest_per_metric");
  return read_snapshots(st);
}

timestamp_ms metric_store::newest_time() {
  // Snapshots are the big table: its newest window through the window_start index.
  statement st(*this,
               "SELECT MAX(t) FROM ("
               " SELECT MAX(window_end) AS t FROM snapshots"
               "  WHERE window_start = (SELECT MAX(window_start) FROM snapshots)"
               " UNION ALL SELECT MAX(generated_at) FROM forecasts"
               " UNION ALL SELECT MAX(ts) FROM experiences"
               " UNION ALL SELECT MAX(finished_at) FROM training_records"
               " UNION ALL SELECT MAX(updated_at) FROM state)",
               "newest_time");
  return st.step() ? st.column_integer(0) : 0;
}

std::vector<snapshot> metric_store::snapshots_since(timestamp_ms since_ms) {
  statement st(*this,
               "SELECT " GRACE_SNAPSHOT_COLUMNS " FROM snapshots WHERE window_start >= ?1"
               " ORDER BY metric_id, window_start",
               "snapshots_since");
  st.integer(1, since_ms);
  return read_snapshots(st);
}

// --- forecasts ---------------------------------------------------------------

#define GRACE_FORECAST_COLUMNS                                                                     \
  "metric_id, generated_at, step_ms, model_version, points, feature_importance"

void metric_store::upsert_forecast(const forecast& f) {
  statement st(*this,
               "INSERT OR REPLACE INTO forecasts (" GRACE_FORECAST_COLUMNS
               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
               "insert_forecast");
  st.text(1, f.metric_id)
      .integer(2, f.generated_at)
      .integer(3, f.step)
      .text(4, f.model_version)
      .text(5, json(f.points).dump())
      .text(6, json(f.feature_importance).dump());
  st.run();
}

void metric_store::insert_forecasts(const std::vector<forecast>& batch) {
  if (batch.empty())
    return;
  transaction tx(*this, "insert_forecasts");
  for (const auto& f : batch)
    upsert_forecast(f);
  tx.commit();
}

std::vector<forecast> metric_store::read_forecasts(statement& st) {
  std::vector<forecast> out;
  while (st.step()) {
    forecast f;
    f.metric_id = st.column_text(0);
    f.generated_at = st.column_integer(1);
    f.step = st.column_integer(2);
    f.model_version = st.column_text(3);
    try {
      f.points = json::parse(st.column_text(4)).get<std::vector<forecast_point>>();
      f.feature_importance = json::parse(st.column_text(5)).get<std::vector<feature_weight>>();
    } catch (const std::exception& e) {
      throw storage_error("metric store '" + path_.string() + "': " + st.operation()
                          + ": corrupt forecast row for '" + f.metric_id + "' at "
                          + std::to_string(f.generated_at) + ": " + e.what());
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<forecast> metric_store::query_forecasts(const std::string& metric_id,
                                                    timestamp_ms since_ms, timestamp_ms until_ms,
                                                    std::optional<size_t> limit) {
  statement st(*this,
               "SELECT * FROM (SELECT " GRACE_FORECAST_COLUMNS " FROM forecasts"
               " WHERE metric_id = ?1 AND generated_at >= ?2 AND generated_at < ?3"
               " ORDER BY generated_at DESC LIMIT ?4) ORDER BY generated_at ASC",
               "query_forecasts");
  st.text(1, metric_id).integer(2, since_ms).integer(3, until_ms).integer(4, sql_limit(limit));
  return read_forecasts(st);
}

// --- experiences -------------------------------------------------------------

#define GRACE_EXPERIENCE_COLUMNS                                                                   \
  "event_id, service, diagnosis, playbook, propensity, reward, kpi_deltas, trust_delta, ts"

void metric_store::append_experience(const experience& e) {
  statement st(*this,
               "INSERT INTO experiences (" GRACE_EXPERIENCE_COLUMNS
               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
               "insert_experience");
  st.text(1, e.event_id)
      .text(2, e.service)
      .text(3, e.diagnosis)
      .text(4, e.playbook)
      .real(5, e.propensity)
      .real(6, e.reward)
      .text(7, scores_to_text(e.kpi_deltas))
      .real(8, e.trust_delta)
      .integer(9, e.ts);
  st.run();
}

void metric_store::insert_experience(const experience& e) {
  append_experience(e);
}

void metric_store::insert_experiences(const std::vector<experience>& batch) {
  if (batch.empty())
    return;
  transaction tx(*this, "insert_experiences");
  for (const auto& e : batch)
    append_experience(e);
  tx.commit();
}

std::vector<experience> metric_store::read_experiences(statement& st) {
  std::vector<experience> out;
  while (st.step()) {
    // Build the JSON form and reuse the one mapping (null kpi values -> NaN).
    json j{{"event_id", st.column_text(0)},    {"service", st.column_text(1)},
           {"diagnosis", st.column_text(2)},   {"playbook", st.column_text(3)},
           {"propensity", st.column_real(4)},  {"reward", st.column_real(5)},
           {"trust_delta", st.column_real(7)}, {"ts", st.column_integer(8)}};
    try {
      j["kpi_deltas"] = json::parse(st.column_text(6));
      out.push_back(j.get<experience>());
    } catch (const std::exception& e) {
      throw storage_error("metric store '" + path_.string() + "': " + st.operation()
                          + ": corrupt experience row: " + e.what());
    }
  }
  return out;
}

std::vector<experience> metric_store::recent_experiences(size_t n) {
  statement st(*this,
               "SELECT " GRACE_EXPERIENCE_COLUMNS " FROM (SELECT * FROM experiences"
               " ORDER BY id DESC LIMIT ?1) ORDER BY id ASC",
               "recent_experiences");
  st.integer(1, sql_limit(n));
  return read_experiences(st);
}

// --- training records --------------------------------------------------------

void metric_store::insert_training_record(const training_record& r) {
  statement st(*this,
               "INSERT INTO training_records (cycle, started_at, finished_at, samples, metrics,"
               " model_version, validation_scores) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
               "insert_training_record");
  st.count(1, r.cycle)
      .integer(2, r.started_at)
      .integer(3, r.finished_at)
      .count(4, r.samples)
      .count(5, r.metrics)
      .text(6, r.model_version)
      .text(7, scores_to_text(r.validation_scores));
  st.run();
}

std::vector<training_record> metric_store::recent_training_records(size_t n) {
  statement st(*this,
               "SELECT cycle, started_at, finished_at, samples, metrics, model_version,"
               " validation_scores FROM training_records ORDER BY id DESC LIMIT ?1",
               "recent_training_records");
  st.integer(1, sql_limit(n));
  std::vector<training_record> out;
  while (st.step()) {
    json j{{"cycle", st.column_count(0)},         {"started_at", st.column_integer(1)},
           {"finished_at", st.column_integer(2)}, {"samples", st.column_count(3)},
           {"metrics", st.column_count(4)},       {"model_version", st.column_text(5)}};
    try {
      j["validation_scores"] = json::parse(st.column_text(6));
      out.push_back(j.get<training_record>());
    } catch (const std::exception& e) {
      throw storage_error("metric store '" + path_.string() + "': " + st.operation()
                          + ": corrupt training record row: " + e.what());
    }
  }
  return out;
}

// --- state -------------------------------------------------------------------

void metric_store::put_state(const std::string& key, const std::string& json_text,
                             timestamp_ms updated_at) {
  statement st(*this,
               "INSERT INTO state (key, json, updated_at) VALUES (?1, ?2, ?3)"
               " ON CONFLICT (key) DO UPDATE SET json = excluded.json,"
               " updated_at = excluded.updated_at",
               "put_state");
  st.text(1, key).text(2, json_text).integer(3, updated_at);
  st.run();
}

std::optional<state_entry> metric_store::get_state(const std::string& key) {
  statement st(*this, "SELECT key, json, updated_at FROM state WHERE key = ?1", "get_state");
  st.text(1, key);
  if (!st.step())
    return std::nullopt;
  return state_entry{st.column_text(0), st.column_text(1), st.column_integer(2)};
}

// --- component state rows (collections) ---------------------------------------

uint64_t metric_store::change_state_items(const std::vector<stored_items_change>& changes) {
  uint64_t changed = 0;
  transaction tx(*this, "change_state_items");
  for (const auto& change : changes) {
    if (change.replace_all) {
      statement st(*this, "DELETE FROM state_items WHERE collection = ?1",
                   "change_state_items (erase all)");
      st.text(1, change.collection);
      st.run();
      changed += static_cast<uint64_t>(sqlite3_changes(db_));
    }
    for (const auto& id : change.erase) {
      statement st(*this, "DELETE FROM state_items WHERE collection = ?1 AND item_id = ?2",
                   "change_state_items (erase)");
      st.text(1, change.collection).text(2, id);
      st.run();
      ++changed;
    }
    // A replaced row is deleted and inserted again: its rowid (the order the
    // rows are read back in) is then that of its latest put.
    for (const auto& item : change.put) {
      statement st(*this,
                   "INSERT OR REPLACE INTO state_items (collection, item_id, json)"
                   " VALUES (?1, ?2, ?3)",
                   "change_state_items (put)");
      st.text(1, change.collection).text(2, item.id).text(3, item.json);
      st.run();
      ++changed;
    }
  }
  tx.commit();
  return changed;
}

std::vector<stored_item> metric_store::state_items(const std::string& collection) {
  statement st(*this, "SELECT item_id, json FROM state_items WHERE collection = ?1 ORDER BY rowid",
               "state_items");
  st.text(1, collection);
  std::vector<stored_item> out;
  while (st.step())
    out.push_back({st.column_text(0), st.column_text(1)});
  return out;
}

// --- retention ---------------------------------------------------------------

retention_result metric_store::delete_older_than(timestamp_ms cutoff_ms) {
  retention_result result;
  transaction tx(*this, "delete_older_than");
  {
    statement st(*this, "DELETE FROM snapshots WHERE window_start < ?1", "delete_older_than");
    st.integer(1, cutoff_ms);
    st.run();
    result.snapshots = static_cast<uint64_t>(sqlite3_changes(db_));
  }
  {
    statement st(*this, "DELETE FROM forecasts WHERE generated_at < ?1", "delete_older_than");
    st.integer(1, cutoff_ms);
    st.run();
    result.forecasts = static_cast<uint64_t>(sqlite3_changes(db_));
  }
  tx.commit();
  return result;
}

} // namespace grace::storage
