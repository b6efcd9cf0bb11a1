#pragma once
// The provenance ledger: an append-only, hash-chained JSON-lines file
// (storage/provenance/ledger.jsonl). Each line is one entry:
//
//   {"hash":"<64 hex>","kind":"...","payload":{...},"prev_hash":"<64 hex>","seq":N,
//    "ts":"2026-12-07T07:06:29.251Z"}
//
// ts is when the entry was written, on the wall clock, ISO 8601 UTC to the
// millisecond (entries written before this form carry unix milliseconds,
// and verify as they are).
//
// seq counts from 1; the first entry's prev_hash is 64 zeros; each later
// entry's prev_hash is the hash of the entry before it. Editing, deleting or
// reordering any line therefore breaks the chain at that point.
//
// Canonical form (what `hash` is the SHA-256 of, as lowercase hex):
//   nlohmann::json{{"kind", kind}, {"payload", payload}, {"prev_hash", prev_hash},
//                  {"seq", seq}, {"ts", ts}}.dump()
// with ts exactly as the line holds it (text, or the older integer).
// i.e. one JSON object without any whitespace (dump() with no indent), keys
// sorted by byte value at every level (nlohmann::json objects are std::map),
// strings as UTF-8 (non-ASCII not escaped; control characters escaped as
// \uXXXX or \n etc.), integers in decimal, floating-point numbers in the
// shortest form that reads back as the same double, NaN/Inf as null.
// Because this form round-trips through nlohmann's parser, a verifier
// re-derives the same bytes from the stored line. It is "canonical enough":
// it is not RFC 8785 (JCS), so a verifier in another language must reproduce
// nlohmann's number formatting.
//
// What the chain cannot show on its own: removing the LAST entries (or
// re-hashing a tampered last entry) leaves a valid shorter chain. Anchor the
// head (seq, hash) elsewhere - e.g. in the metric store's state table or
// another node - to catch that.
//
// Opening and verify() read the whole file into memory and re-hash every
// entry (O(size)); fine for audit volumes (one entry per action/approval).
//
// Not thread-safe: one writer (the storage actor). The file is locked with
// flock(LOCK_EX) while a ledger object holds it, so a second writer (another
// process on the same data directory) is refused. verify() only reads.
#include "actors/storage/storage_error.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace grace::storage {

inline const std::string ledger_zero_hash(64, '0');

struct ledger_entry {
  uint64_t seq = 0;
  timestamp_ms ts = 0;
  std::string kind;
  nlohmann::json payload = nlohmann::json::object();
  std::string prev_hash;
  std::string hash;
};

// The canonical serialisation described above, and its SHA-256 hex.
std::string ledger_canonical_form(uint64_t seq, const nlohmann::json& ts, const std::string& kind,
                                  const nlohmann::json& payload, const std::string& prev_hash);
std::string ledger_hash(uint64_t seq, const nlohmann::json& ts, const std::string& kind,
                        const nlohmann::json& payload, const std::string& prev_hash);

// SHA-256 of `data` as 64 lowercase hex digits (OpenSSL EVP).
std::string sha256_hex(std::string_view data);

struct ledger_verification {
  bool ok = true;
  uint64_t entries_checked = 0; // entries that passed every check
  uint64_t first_bad_seq = 0;   // seq expected at the first bad entry; 0 if ok
  uint64_t first_bad_line = 0;  // 1-based line number of the first problem; 0 if ok
  // Plain words, e.g. "entry 17: hash does not match its content",
  // "entry 18: prev_hash does not match entry 17's hash", "line 5: not valid
  // JSON", "entry 9: seq 9 expected, found 11", "line 12: incomplete last
  // line (no newline at the end; a crash during an append?)". Empty if ok.
  std::string reason;
  std::string last_hash = ledger_zero_hash; // of the last good entry
};

// Checks the whole file as it is (a torn tail is reported, not repaired). A
// missing file is an empty, valid ledger.
ledger_verification verify_ledger(const std::filesystem::path& path);

// All entries of a ledger that verifies; throws storage_error with the
// verification's reason otherwise.
std::vector<ledger_entry> read_ledger(const std::filesystem::path& path);

// What opening a ledger found and did.
struct ledger_recovery {
  uint64_t entries = 0;        // complete entries in the file
  bool truncated_tail = false; // a torn last line was cut off
  uint64_t bytes_dropped = 0;  // its length
  std::string reason;          // why it counted as torn; empty if not
};

class ledger_corrupt_error : public storage_error {
public:
  ledger_corrupt_error(const std::string& what, ledger_verification v)
      : storage_error(what), verification(std::move(v)) {}
  ledger_verification verification;
};

class provenance_ledger {
public:
  // Opens (creating if missing) the ledger at `path`; its directory must
  // exist. Verifies the whole chain. A torn last line - no trailing newline,
  // or a last line that is not valid JSON - is what a crash in the middle of
  // an append leaves: it is truncated back to the last complete entry and
  // reported in recovery(). Any other problem (a bad line in the middle, a
  // complete last line whose hash or chain does not match) is corruption:
  // throws ledger_corrupt_error and changes nothing. Throws storage_error if
  // another process holds the ledger or the file cannot be opened.
  explicit provenance_ledger(std::filesystem::path path);
  ~provenance_ledger();
  provenance_ledger(const provenance_ledger&) = delete;
  provenance_ledger& operator=(const provenance_ledger&) = delete;

  const ledger_recovery& recovery() const { return recovery_; }

  // Appends one entry with the next seq and returns it. The line is written
  // with a single write() and fsync()ed before returning. `payload` must be a
  // JSON object and its strings valid UTF-8. On a failed write the file is
  // cut back to its previous length and storage_error is thrown.
  ledger_entry append(const std::string& kind, nlohmann::json payload, timestamp_ms ts);

  uint64_t last_seq() const { return last_seq_; }
  const std::string& last_hash() const { return last_hash_; }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t last_seq_ = 0;
  std::string last_hash_ = ledger_zero_hash;
  uint64_t size_ = 0; // bytes of complete entries
  ledger_recovery recovery_;
};

} // namespace grace::storage
