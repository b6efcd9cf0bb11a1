#include "actors/storage/provenance_ledger.hpp"

#include "actors/storage/atomic_file.hpp"
#include "common/utc_time.hpp"

#include <cerrno>
#include <fcntl.h>
#include <openssl/evp.h>
#include <optional>
#include <sys/file.h>
#include <unistd.h>

namespace grace::storage {

namespace fs = std::filesystem;
using nlohmann::json;

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw storage_error("SHA-256 failed (OpenSSL EVP_Digest)");
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[md[i] >> 4];
    out += digits[md[i] & 0xf];
  }
  return out;
}

std::string ledger_canonical_form(uint64_t seq, const json& ts, const std::string& kind,
                                  const json& payload, const std::string& prev_hash) {
  json j = json::object();
  j["seq"] = seq;
  j["ts"] = ts;
  j["kind"] = kind;
  j["payload"] = payload;
  j["prev_hash"] = prev_hash;
  return j.dump();
}

std::string ledger_hash(uint64_t seq, const json& ts, const std::string& kind, const json& payload,
                        const std::string& prev_hash) {
  return sha256_hex(ledger_canonical_form(seq, ts, kind, payload, prev_hash));
}

namespace {

bool is_hex64(const json& j) {
  if (!j.is_string())
    return false;
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() != 64)
    return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

// The result of scanning a ledger's bytes from the start.
struct scan_result {
  ledger_verification verification;
  std::vector<ledger_entry> entries; // only if collected
  uint64_t good_bytes = 0;           // length of the prefix of complete, valid entries
  bool torn_tail = false;            // the problem is a torn last line
};

std::string incomplete_reason(uint64_t line) {
  return "line " + std::to_string(line)
         + ": incomplete last line (no newline at the end; a crash during an append?)";
}

scan_result scan(const std::string& content, bool collect) {
  scan_result r;
  auto& v = r.verification;
  auto bad = [&](uint64_t line, uint64_t seq, std::string reason) {
    v.ok = false;
    v.first_bad_line = line;
    v.first_bad_seq = seq;
    v.reason = std::move(reason);
  };
  uint64_t expected = 1;
  uint64_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    ++line_no;
    const size_t nl = content.find('\n', pos);
    if (nl == std::string::npos) {
      bad(line_no, expected, incomplete_reason(line_no));
      r.torn_tail = true;
      return r;
    }
    const bool last_line = nl + 1 == content.size();
    std::string_view line(content.data() + pos, nl - pos);
    const std::string where = "line " + std::to_string(line_no) + ": ";
    if (line.empty()) {
      bad(line_no, expected, where + "empty line");
      return r;
    }
    json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded()) {
      bad(line_no, expected, where + "not valid JSON");
      r.torn_tail = last_line;
      return r;
    }
    if (!j.is_object()) {
      bad(line_no, expected, where + "not a JSON object");
      return r;
    }
    auto missing = [&](const char* field, const char* type) {
      bad(line_no, expected, where + "field '" + field + "' is missing or not " + type);
    };
    auto it = j.find("seq");
    if (it == j.end() || !it->is_number_unsigned()) {
      missing("seq", "a positive integer");
      return r;
    }
    const uint64_t seq = it->get<uint64_t>();
    const std::string entry = "entry " + std::to_string(expected) + ": ";
    if (seq != expected) {
      bad(line_no, expected,
          entry + "seq " + std::to_string(expected) + " expected, found " + std::to_string(seq));
      return r;
    }
    // ISO 8601 UTC text; unix milliseconds in entries written before.
    const auto ts_field = j.find("ts");
    std::optional<timestamp_ms> ts;
    if (ts_field != j.end() && ts_field->is_string())
      ts = parse_iso_time_ms(ts_field->get_ref<const std::string&>());
    else if (ts_field != j.end() && ts_field->is_number_integer())
      ts = ts_field->get<timestamp_ms>();
    if (!ts) {
      missing("ts", "an ISO 8601 UTC time");
      return r;
    }
    auto kind = j.find("kind");
    if (kind == j.end() || !kind->is_string()) {
      missing("kind", "a string");
      return r;
    }
    auto payload = j.find("payload");
    if (payload == j.end() || !payload->is_object()) {
      missing("payload", "an object");
      return r;
    }
    auto prev = j.find("prev_hash");
    if (prev == j.end() || !is_hex64(*prev)) {
      missing("prev_hash", "64 lowercase hex digits");
      return r;
    }
    auto hash = j.find("hash");
    if (hash == j.end() || !is_hex64(*hash)) {
      missing("hash", "64 lowercase hex digits");
      return r;
    }
    if (prev->get_ref<const std::string&>() != v.last_hash) {
      bad(line_no, expected,
          expected == 1 ? entry + "prev_hash of the first entry is not 64 zeros"
                        : entry + "prev_hash does not match entry " + std::to_string(expected - 1)
                              + "'s hash");
      return r;
    }
    const auto recomputed = ledger_hash(seq, *ts_field, kind->get_ref<const std::string&>(),
                                        *payload, prev->get_ref<const std::string&>());
    if (recomputed != hash->get_ref<const std::string&>()) {
      bad(line_no, expected, entry + "hash does not match its content");
      return r;
    }
    v.last_hash = recomputed;
    v.entries_checked = seq;
    if (collect)
      r.entries.push_back({seq, *ts, kind->get<std::string>(), std::move(*payload),
                           prev->get<std::string>(), recomputed});
    ++expected;
    pos = nl + 1;
    r.good_bytes = pos;
  }
  return r;
}

std::optional<std::string> read_if_exists(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec) && !ec)
    return std::nullopt;
  return read_file(path);
}

[[noreturn]] void fail(const std::string& what, const fs::path& path, int err) {
  throw storage_error(what + " '" + path.string() + "': " + describe_errno(err));
}

} // namespace

ledger_verification verify_ledger(const fs::path& path) {
  auto content = read_if_exists(path);
  if (!content)
    return {};
  return scan(*content, false).verification;
}

std::vector<ledger_entry> read_ledger(const fs::path& path) {
  auto content = read_if_exists(path);
  if (!content)
    return {};
  auto r = scan(*content, true);
  if (!r.verification.ok)
    throw ledger_corrupt_error(
        "ledger '" + path.string() + "' does not verify: " + r.verification.reason, r.verification);
  return std::move(r.entries);
}

provenance_ledger::provenance_ledger(fs::path path) : path_(std::move(path)) {
  std::error_code ec;
  const bool existed = fs::exists(path_, ec);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail("cannot open ledger", path_, errno);
  try {
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK)
        throw storage_error("ledger '" + path_.string()
                            + "' is in use by another writer (another grace-node on the same "
                              "data directory?)");
      fail("cannot lock ledger", path_, errno);
    }
    if (!existed)
      sync_directory(path_.parent_path());
    const std::string content = read_file(path_);
    auto r = scan(content, false);
    if (!r.verification.ok && !r.torn_tail)
      throw ledger_corrupt_error("ledger '" + path_.string()
                                     + "' is corrupt: " + r.verification.reason
                                     + " (not repaired; run verify and restore it from a copy)",
                                 r.verification);
    if (r.torn_tail) {
      if (::ftruncate(fd_, static_cast<off_t>(r.good_bytes)) != 0 || ::fsync(fd_) != 0)
        fail("cannot cut the torn last line of ledger", path_, errno);
      recovery_.truncated_tail = true;
      recovery_.bytes_dropped = content.size() - r.good_bytes;
      recovery_.reason = r.verification.reason;
    }
    recovery_.entries = r.verification.entries_checked;
    last_seq_ = r.verification.entries_checked;
    last_hash_ = r.verification.last_hash;
    size_ = r.good_bytes;
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

provenance_ledger::~provenance_ledger() {
  if (fd_ >= 0)
    ::close(fd_); // also releases the flock
}

ledger_entry provenance_ledger::append(const std::string& kind, json payload, timestamp_ms ts) {
  if (!payload.is_object())
    throw storage_error("ledger append ('" + kind + "'): payload must be a JSON object, not "
                        + std::string(payload.type_name()));
  ledger_entry e;
  e.seq = last_seq_ + 1;
  e.ts = ts;
  e.kind = kind;
  e.prev_hash = last_hash_;
  std::string line;
  try {
    const json ts_text = iso_time_ms(ts);
    e.hash = ledger_hash(e.seq, ts_text, kind, payload, last_hash_);
    json j = json::object();
    j["seq"] = e.seq;
    j["ts"] = ts_text;
    j["kind"] = kind;
    j["payload"] = payload;
    j["prev_hash"] = e.prev_hash;
    j["hash"] = e.hash;
    line = j.dump();
  } catch (const json::exception& ex) {
    throw storage_error("ledger append ('" + kind
                        + "'): cannot serialise the entry: " + std::string(ex.what()));
  }
  line += '\n';
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : (static_cast<size_t>(n) != line.size() ? ENOSPC : 0);
  if (err == 0 && ::fsync(fd_) != 0)
    err = errno;
  if (err != 0) {
    // Cut back whatever part of the line got written, so that the file stays
    // a sequence of complete entries.
    [[maybe_unused]] int rc = ::ftruncate(fd_, static_cast<off_t>(size_));
    throw storage_error("cannot append to ledger '" + path_.string() + "': " + describe_errno(err));
  }
  size_ += line.size();
  last_seq_ = e.seq;
  last_hash_ = e.hash;
  e.payload = std::move(payload);
  return e;
}

} // namespace grace::storage
