#include "actors/storage/sample_log.hpp"

#include "actors/storage/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace grace::storage {

namespace fs = std::filesystem;

namespace {

constexpr const char* segment_suffix = ".log";

// The id of a segment file name ("0000000042.log" -> 42), 0 if it is not one.
uint64_t segment_id(const std::string& name) {
  const size_t suffix = std::char_traits<char>::length(segment_suffix);
  if (name.size() <= suffix || name.compare(name.size() - suffix, suffix, segment_suffix) != 0)
    return 0;
  const std::string digits = name.substr(0, name.size() - suffix);
  if (digits.empty() || digits.size() > 19
      || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  return std::stoull(digits);
}

class fd_guard {
public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what, const fs::path& path, int err) {
  throw storage_error("sample log: " + what + " '" + path.string()
                      + "' failed: " + describe_errno(err));
}

// Reads exactly n bytes at offset; false at a short read (end of file).
bool read_at(int fd, char* out, size_t n, uint64_t offset, const fs::path& path) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR)
        continue;
      fail("reading", path, errno);
    }
    if (r == 0)
      return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

std::string read_whole(const fs::path& path) {
  fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    fail("opening", path, errno);
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t r = ::read(fd.get(), buffer, sizeof buffer);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      fail("reading", path, errno);
    }
    if (r == 0)
      break;
    out.append(buffer, static_cast<size_t>(r));
  }
  return out;
}

} // namespace

std::vector<uint64_t> removable_segments(const std::vector<log_segment>& finished,
                                         timestamp_ms closed_before) {
  std::vector<uint64_t> out;
  for (const auto& s : finished)
    if (s.records == 0 || s.max_ts < closed_before)
      out.push_back(s.id);
  return out;
}

bool should_rotate(const log_segment& active, timestamp_ms closed_before,
                   uint64_t max_segment_bytes) {
  if (active.records == 0)
    return false;
  return active.min_ts < closed_before || active.bytes >= max_segment_bytes;
}

sample_log::sample_log(fs::path dir, sample_log_options options)
    : dir_(std::move(dir)), options_(options) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    throw storage_error("sample log: cannot create '" + dir_.string() + "': " + ec.message());
  scan();
}

sample_log::~sample_log() {
  if (active_fd_ >= 0) {
    if (unsynced_)
      ::fdatasync(active_fd_);
    ::close(active_fd_);
  }
}

fs::path sample_log::segment_path(uint64_t id) const {
  char name[32];
  std::snprintf(name, sizeof name, "%010llu%s", static_cast<unsigned long long>(id),
                segment_suffix);
  return dir_ / name;
}

void sample_log::scan() {
  std::vector<uint64_t> ids;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (!entry.is_regular_file())
      continue;
    const uint64_t id = segment_id(entry.path().filename().string());
    if (id > 0)
      ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool last = i + 1 == ids.size();
    const fs::path path = segment_path(ids[i]);
    next_id_ = ids[i] + 1;
    const std::string bytes = read_whole(path);
    if (!is_log_segment_header(bytes)) {
      if (bytes.size() < log_segment_header_bytes
          && std::string_view(bytes) == log_segment_header().substr(0, bytes.size())) {
        // Created but its header never fully written: nothing in it.
        fs::remove(path);
        continue;
      }
      // Not ours, or damaged beyond use: keep it for an operator, out of the way.
      recovery_.problems.push_back(path.filename().string()
                                   + ": not a sample log segment (bad header); renamed to "
                                   + path.filename().string() + ".corrupt, not replayed");
      recovery_.bytes_dropped += bytes.size();
      fs::rename(path, fs::path(path.string() + ".corrupt"));
      continue;
    }
    log_segment seg;
    seg.id = ids[i];
    size_t offset = log_segment_header_bytes;
    for (;;) {
      const frame_read frame = read_log_frame(std::string_view(bytes).substr(offset));
      if (frame.status == frame_status::end)
        break;
      if (frame.status != frame_status::ok) {
        recovery_.bytes_dropped += bytes.size() - offset;
        recovery_.problems.push_back(
            path.filename().string() + " at byte " + std::to_string(offset) + ": "
            + describe(frame.status) + "; "
            + (last ? "cut off the last " + std::to_string(bytes.size() - offset) + " bytes"
                    : "skipped the rest of the segment (" + std::to_string(bytes.size() - offset)
                          + " bytes)"));
        break;
      }
      try {
        const auto [lo, hi] = payload_time_range(frame.payload);
        seg.min_ts = std::min(seg.min_ts, lo);
        seg.max_ts = std::max(seg.max_ts, hi);
      } catch (const log_format_error& e) {
        // Checksummed but not a batch this build knows: replay reports it too.
        recovery_.problems.push_back(path.filename().string() + " at byte " + std::to_string(offset)
                                     + ": " + e.what());
      }
      ++seg.records;
      offset += frame.frame_bytes;
    }
    seg.bytes = offset;
    if (last && offset < bytes.size()) {
      fd_guard fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
      if (fd.get() < 0 || ::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0
          || ::fdatasync(fd.get()) != 0)
        fail("cutting off the torn end of", path, errno);
    }
    if (seg.records == 0) {
      fs::remove(path);
      continue;
    }
    recovery_.records += seg.records;
    finished_.push_back(seg);
  }
  recovery_.segments = finished_.size();
}

void sample_log::open_active() {
  active_ = log_segment{};
  active_.id = next_id_++;
  const fs::path path = segment_path(active_.id);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    fail("creating", path, errno);
  const std::string header = log_segment_header();
  if (::write(fd, header.data(), header.size()) != static_cast<ssize_t>(header.size())) {
    const int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    fail("writing the header of", path, err);
  }
  // The new file's name must survive a machine crash with the data synced later.
  sync_directory(dir_);
  active_fd_ = fd;
  active_.bytes = header.size();
  unsynced_ = true;
}

void sample_log::finish_active() {
  if (active_fd_ < 0)
    return;
  // Synced before the next segment starts, so that after a machine crash
  // only the last segment can end in a torn record.
  const int rc = ::fdatasync(active_fd_);
  const int err = errno;
  ::close(active_fd_);
  active_fd_ = -1;
  unsynced_ = false;
  if (active_.records > 0)
    finished_.push_back(active_);
  else
    ::unlink(segment_path(active_.id).c_str());
  if (rc != 0)
    fail("syncing", segment_path(active_.id), err);
}

void sample_log::append(std::string_view payload) {
  if (payload.empty() || payload.size() > log_max_payload_bytes)
    throw log_format_error("sample log record: payload of " + std::to_string(payload.size())
                           + " bytes (1 to " + std::to_string(log_max_payload_bytes) + " allowed)");
  const auto [lo, hi] = payload_time_range(payload);
  if (active_fd_ < 0)
    open_active();
  char header[log_frame_header_bytes];
  log_frame_header(payload, header);
  iovec parts[2] = {{header, sizeof header}, {const_cast<char*>(payload.data()), payload.size()}};
  const size_t total = sizeof header + payload.size();
  size_t written = 0;
  while (written < total) {
    // After a short write, the rest of both parts.
    iovec rest[2];
    int count = 0;
    size_t skip = written;
    for (const auto& part : parts) {
      if (skip >= part.iov_len) {
        skip -= part.iov_len;
        continue;
      }
      rest[count].iov_base = static_cast<char*>(part.iov_base) + skip;
      rest[count].iov_len = part.iov_len - skip;
      skip = 0;
      ++count;
    }
    const ssize_t r = ::writev(active_fd_, rest, count);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      const int err = r < 0 ? errno : EIO;
      // Cut the partial record off so that later records stay readable; if
      // that fails, finish the segment at its last whole record.
      if (written > 0 && ::ftruncate(active_fd_, static_cast<off_t>(active_.bytes)) != 0) {
        ::close(active_fd_);
        active_fd_ = -1;
        unsynced_ = false;
        if (active_.records > 0)
          finished_.push_back(active_);
      }
      fail("appending to", segment_path(active_.id), err);
    }
    written += static_cast<size_t>(r);
  }
  active_.bytes += total;
  ++active_.records;
  active_.min_ts = std::min(active_.min_ts, lo);
  active_.max_ts = std::max(active_.max_ts, hi);
  unsynced_ = true;
}

void sample_log::sync() {
  if (active_fd_ < 0 || !unsynced_)
    return;
  if (::fdatasync(active_fd_) != 0)
    fail("syncing", segment_path(active_.id), errno);
  unsynced_ = false;
}

size_t sample_log::maintain(timestamp_ms closed_before) {
  if (active_fd_ >= 0 && should_rotate(active_, closed_before, options_.max_segment_bytes))
    finish_active();
  const auto ids = removable_segments(finished_, closed_before);
  for (uint64_t id : ids) {
    std::error_code ec;
    fs::remove(segment_path(id), ec);
    if (ec)
      throw storage_error("sample log: removing '" + segment_path(id).string()
                          + "' failed: " + ec.message());
    finished_.erase(std::find_if(finished_.begin(), finished_.end(),
                                 [id](const log_segment& s) { return s.id == id; }));
  }
  return ids.size();
}

log_read sample_log::read(log_position from, size_t max_bytes) const {
  log_read out;
  auto all = segments();
  if (!all.empty())
    out.next = {all.back().id, all.back().bytes};
  size_t payload_bytes = 0;
  for (const auto& seg : all) {
    if (seg.id < from.segment)
      continue;
    uint64_t offset = seg.id == from.segment
                          ? std::max<uint64_t>(from.offset, log_segment_header_bytes)
                          : log_segment_header_bytes;
    if (offset >= seg.bytes)
      continue;
    const fs::path path = segment_path(seg.id);
    fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0)
      fail("opening", path, errno);
    while (offset < seg.bytes) {
      if (!out.payloads.empty() && payload_bytes >= max_bytes) {
        out.next = {seg.id, offset};
        return out;
      }
      char header[log_frame_header_bytes];
      std::string payload;
      bool whole = offset + sizeof header <= seg.bytes
                   && read_at(fd.get(), header, sizeof header, offset, path);
      if (whole) {
        const uint32_t length = static_cast<uint32_t>(static_cast<uint8_t>(header[0]))
                                | static_cast<uint32_t>(static_cast<uint8_t>(header[1])) << 8
                                | static_cast<uint32_t>(static_cast<uint8_t>(header[2])) << 16
                                | static_cast<uint32_t>(static_cast<uint8_t>(header[3])) << 24;
        whole = length > 0 && length <= log_max_payload_bytes
                && offset + sizeof header + length <= seg.bytes;
        if (whole) {
          payload.resize(length);
          whole = read_at(fd.get(), payload.data(), length, offset + sizeof header, path);
        }
        if (whole) {
          char expected[log_frame_header_bytes];
          log_frame_header(payload, expected);
          whole = std::equal(expected, expected + sizeof expected, header);
        }
      }
      if (!whole)
        break; // changed on disk since the scan: the rest of this segment is skipped
      offset += sizeof header + payload.size();
      payload_bytes += payload.size();
      out.payloads.push_back(std::move(payload));
    }
  }
  out.done = true;
  return out;
}

std::vector<log_segment> sample_log::segments() const {
  auto out = finished_;
  if (active_fd_ >= 0)
    out.push_back(active_);
  return out;
}

uint64_t sample_log::bytes() const {
  uint64_t n = 0;
  for (const auto& s : segments())
    n += s.bytes;
  return n;
}

} // namespace grace::storage
