#pragma once
// The sample log: a write-ahead log of acknowledged samples in numbered
// segment files (storage/wal/0000000001.log, ...), in the format of
// sample_log_format.hpp. Like Prometheus' head WAL: a sample is acknowledged
// once its record is written (write(2) returned, so a killed process loses
// nothing); the storage component fdatasyncs the active segment every
// storage.sync_interval, so a machine crash loses at most that much.
//
// Segments: appends go to the active (newest) segment. Once the windows of
// some of its samples are closed and stored, it is finished (fdatasynced and
// closed) and a new one starts; a finished segment is removed once every one
// of its samples lies before the closed watermark ("closed before": every
// window starting before it is closed and its snapshot stored in SQLite).
// The log therefore holds about the open windows' samples, never more than a
// few segments while windows keep closing.
//
// Opening scans every segment: a record that is incomplete or fails its
// length or checksum check ends the readable part of its segment. In the
// last segment (a crash during the last write, or unsynced data after a
// machine crash) the file is cut there; in an earlier segment (damage on
// disk) the rest of that segment is skipped and reported, and the later
// segments are still read. Nothing in a segment's bytes can stop the node.
//
// Not thread-safe: one object per log, used by the storage actor. CAF-free.
#include "actors/storage/sample_log_format.hpp"
#include "actors/storage/storage_error.hpp"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace grace::storage {

struct log_segment {
  uint64_t id = 0;
  uint64_t bytes = 0;   // readable bytes, the segment header included
  uint64_t records = 0; // readable records
  timestamp_ms min_ts = std::numeric_limits<timestamp_ms>::max();
  timestamp_ms max_ts = std::numeric_limits<timestamp_ms>::min();
};

// The finished segments (oldest first) that hold only samples before
// `closed_before`: their windows are all stored, so they can go.
std::vector<uint64_t> removable_segments(const std::vector<log_segment>& finished,
                                         timestamp_ms closed_before);

// Whether the active segment should be finished and a new one started: it
// holds samples of windows that are closed already (finishing it lets it be
// removed once its other windows close), or it reached the size limit.
bool should_rotate(const log_segment& active, timestamp_ms closed_before,
                   uint64_t max_segment_bytes);

struct sample_log_options {
  uint64_t max_segment_bytes = 64ull << 20;
};

// What opening found.
struct sample_log_recovery {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t bytes_dropped = 0;        // cut off or skipped as unreadable
  std::vector<std::string> problems; // one line each, for the log
};

struct log_position {
  uint64_t segment = 0; // 0: from the first segment
  uint64_t offset = 0;
};

struct log_read {
  std::vector<std::string> payloads;
  log_position next; // where to continue
  bool done = false; // no record after these
};

class sample_log {
public:
  // Opens (creating if missing) the log in `dir` and scans it (see above).
  // Throws storage_error when the directory cannot be used.
  explicit sample_log(std::filesystem::path dir, sample_log_options options = {});
  ~sample_log();
  sample_log(const sample_log&) = delete;
  sample_log& operator=(const sample_log&) = delete;

  const sample_log_recovery& recovery() const { return recovery_; }

  // Appends one record with one write(2) and returns once it is written.
  // Throws log_format_error for a payload that does not carry a sample batch
  // and storage_error when the write fails (the segment is then cut back to
  // its last whole record, or finished if that fails too, so that later
  // records stay readable).
  void append(std::string_view payload);

  // fdatasyncs the active segment if something was written since the last
  // sync. Throws storage_error.
  void sync();
  bool unsynced() const { return unsynced_; }

  // Segment housekeeping once the windows before `closed_before` are stored:
  // finishes the active segment when should_rotate() says so and removes the
  // removable segments. Returns how many were removed. Throws storage_error.
  size_t maintain(timestamp_ms closed_before);

  // Records from `from` on, about `max_bytes` of payload at most (at least
  // one record). Records appended later are read by a later call.
  log_read read(log_position from, size_t max_bytes) const;

  // Every segment, oldest first (the active one, if any, last).
  std::vector<log_segment> segments() const;
  uint64_t bytes() const;
  const std::filesystem::path& dir() const { return dir_; }

private:
  std::filesystem::path segment_path(uint64_t id) const;
  void scan();
  void open_active();
  void finish_active();

  std::filesystem::path dir_;
  sample_log_options options_;
  sample_log_recovery recovery_;
  std::vector<log_segment> finished_; // oldest first
  log_segment active_;
  int active_fd_ = -1; // -1: no active segment yet (created on the first append)
  uint64_t next_id_ = 1;
  bool unsynced_ = false;
};

} // namespace grace::storage
