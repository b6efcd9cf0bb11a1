#include "actors/storage/data_dir.hpp"

#include "actors/storage/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace grace::storage {

namespace fs = std::filesystem;

bool is_training_category(std::string_view category) {
  return std::find(training_categories.begin(), training_categories.end(), category)
         != training_categories.end();
}

fs::path training_dir(const fs::path& root) {
  return root / "grace_training";
}

fs::path forecaster_artifact_dir(const fs::path& root) {
  return root / "ml_artifacts" / "temporal_forecaster";
}

fs::path artifact_dir(const fs::path& root, std::string_view model) {
  check_name(model, "model name");
  return root / "ml_artifacts" / std::string(model);
}

fs::path provenance_dir(const fs::path& root) {
  return root / "storage" / "provenance";
}

fs::path ledger_path(const fs::path& root) {
  return provenance_dir(root) / "ledger.jsonl";
}

fs::path metric_store_path(const fs::path& root) {
  return root / "storage" / "metrics.sqlite";
}

fs::path sample_log_dir(const fs::path& root) {
  return root / "storage" / "wal";
}

namespace {

// Throws if an ancestor of `dir` exists but is not a directory.
void check_no_file_in_the_way(const fs::path& dir) {
  for (auto p = dir.parent_path(); !p.empty() && p != p.parent_path(); p = p.parent_path()) {
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (!ec && fs::exists(st) && !fs::is_directory(st))
      throw storage_error("cannot use data directory '" + dir.string() + "': '" + p.string()
                          + "' is a file, not a directory");
  }
}

// Creates `dir` (and parents) if missing; then proves it is a writable
// directory.
void ensure_writable_dir(const fs::path& dir) {
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    check_no_file_in_the_way(dir);
    throw storage_error("data directory '" + dir.string() + "': " + describe_errno(ec.value()));
  }
  if (fs::exists(st) && !fs::is_directory(st))
    throw storage_error("data directory '" + dir.string()
                        + "' exists but is not a directory (a file is in the way)");
  if (!fs::exists(st)) {
    fs::create_directories(dir, ec);
    if (ec) {
      check_no_file_in_the_way(dir);
      throw storage_error("cannot create data directory '" + dir.string()
                          + "': " + describe_errno(ec.value()));
    }
  }
  std::string probe = (dir / ".grace_write_probe.XXXXXX").string();
  int fd = ::mkstemp(probe.data());
  if (fd < 0)
    throw storage_error("data directory '" + dir.string()
                        + "' is unusable: " + describe_errno(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

} // namespace

void prepare_data_dir(const fs::path& root) {
  ensure_writable_dir(root);
  for (auto category : training_categories)
    ensure_writable_dir(training_dir(root) / std::string(category));
  ensure_writable_dir(forecaster_artifact_dir(root));
  ensure_writable_dir(provenance_dir(root));
  ensure_writable_dir(sample_log_dir(root));
}

void check_name(std::string_view name, std::string_view what) {
  std::string quoted = "'";
  for (unsigned char c : name) {
    if (c >= 0x20 && c < 0x7f) {
      quoted += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      quoted += hex;
    }
  }
  quoted += "'";
  if (name.empty())
    throw storage_error(std::string(what) + " is empty");
  if (name.size() > 128)
    throw storage_error(std::string(what) + " " + quoted + " is longer than 128 characters");
  if (name == "." || name == "..")
    throw storage_error(std::string(what) + " " + quoted
                        + " is not allowed (it would name a directory)");
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
              || c == '.' || c == '-';
    if (!ok) {
      std::string shown = c >= 0x20 && c < 0x7f ? std::string("'") + static_cast<char>(c) + "'"
                                                : "byte " + std::to_string(c);
      throw storage_error(std::string(what) + " " + quoted + " contains " + shown + " at position "
                          + std::to_string(i + 1)
                          + "; only letters, digits, '_', '.' and '-' are allowed");
    }
  }
}

fs::path record_path(const fs::path& root, std::string_view category, std::string_view kind,
                     std::string_view id, timestamp_ms ts) {
  if (!is_training_category(category)) {
    std::string known;
    for (auto c : training_categories)
      known += (known.empty() ? "" : ", ") + std::string(c);
    throw storage_error("unknown training category '" + std::string(category) + "' (known: " + known
                        + ")");
  }
  check_name(kind, "record kind");
  check_name(id, "record id");
  // Floor division so that times before 1970 still land in the right second.
  int64_t secs = ts / 1000;
  if (ts % 1000 < 0)
    --secs;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr)
    throw storage_error("record timestamp " + std::to_string(ts) + " is out of range");
  char day[16];
  char time[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  std::strftime(time, sizeof time, "%H%M%S", &tm);
  return training_dir(root) / std::string(category) / day
         / (std::string(time) + "_" + std::string(kind) + "_" + std::string(id) + ".json");
}

fs::path write_record(const fs::path& root, std::string_view category, std::string_view kind,
                      std::string_view id, timestamp_ms ts, std::string_view content) {
  auto path = record_path(root, category, kind, id, ts);
  std::error_code ec;
  bool created = fs::create_directories(path.parent_path(), ec);
  if (ec)
    throw storage_error("cannot create directory '" + path.parent_path().string()
                        + "': " + describe_errno(ec.value()));
  if (created) // make the new date directory itself durable
    sync_directory(path.parent_path().parent_path());
  write_file_atomically(path, content);
  return path;
}

} // namespace grace::storage
