#pragma once
// etcd's v3 HTTP/JSON API (the grpc-gateway of etcd 3.4): request bodies and
// the parsing of answers, on plain strings. Keys and values travel in base64;
// 64-bit integers arrive as JSON strings ("7587869346412364809") and fields
// with default values (0, false, PUT) are left out. Every answer is outside
// input: a malformed one raises etcd_error naming what was wrong, never
// anything else.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace grace::cluster::etcd {

class etcd_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

std::string base64_encode(std::string_view bytes);
// Strict standard alphabet with padding; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

// The range_end that selects every key starting with `prefix`.
std::string prefix_range_end(std::string_view prefix);

struct request {
  std::string path; // e.g. /v3/kv/txn
  std::string body; // JSON
};

request lease_grant_request(int64_t ttl_seconds);
request lease_keepalive_request(int64_t lease);
request lease_revoke_request(int64_t lease);
request put_request(std::string_view key, std::string_view value, int64_t lease);
request range_prefix_request(std::string_view prefix);
// Creates `key` = `value` bound to `lease` only if the key does not exist
// (compare create_revision == 0); otherwise reads it back.
request claim_request(std::string_view key, std::string_view value, int64_t lease);
// Deletes `key` only if it is still the claim made at `create_revision`.
request release_request(std::string_view key, int64_t create_revision);
// Puts `key` = `value` (no lease: it outlives the writer) only while
// `fence_key` is still the claim made at `fencing_token` (compare its
// create_revision) and only if `key` does not exist yet (an idempotent write
// per event); otherwise reads both back (see read_fenced_put).
request fenced_put_once_request(std::string_view fence_key, int64_t fencing_token,
                                std::string_view key, std::string_view value);
// Opens a watch on every key under `prefix`, from `start_revision` (0: now).
request watch_create_request(std::string_view prefix, int64_t start_revision);

struct key_value {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

struct lease_grant {
  int64_t id = 0;
  int64_t ttl_seconds = 0;
};

struct keepalive_answer {
  int64_t id = 0;
  int64_t ttl_seconds = 0; // 0: the lease no longer exists
};

struct range_answer {
  int64_t revision = 0; // the store's revision when read
  std::vector<key_value> kvs;
};

struct txn_answer {
  int64_t revision = 0; // the store's revision after the transaction
  bool succeeded = false;
  std::vector<key_value> kvs; // what request_range operations returned
};

struct watch_event {
  bool deleted = false;
  key_value kv; // a deletion carries the key and its mod_revision only
};

struct watch_message {
  int64_t revision = 0;
  bool created = false;
  bool canceled = false;
  int64_t compact_revision = 0; // set when the start revision was compacted away
  std::string cancel_reason;
  std::vector<watch_event> events;
};

enum class fenced_put_outcome {
  committed,         // written now
  already_committed, // an earlier write of the same value: the retry is done
  conflict,          // the key holds another value
  not_owner,         // the fence moved: another claim owns the shard now
};

const char* to_string(fenced_put_outcome o);

// What a fenced_put_once_request's answer means.
fenced_put_outcome read_fenced_put(const txn_answer& answer, std::string_view fence_key,
                                   int64_t fencing_token, std::string_view key,
                                   std::string_view value);

lease_grant parse_lease_grant(std::string_view body);
keepalive_answer parse_keepalive(std::string_view body);
range_answer parse_range(std::string_view body);
txn_answer parse_txn(std::string_view body);
// One message of the watch stream (each arrives as one JSON document).
watch_message parse_watch_message(std::string_view document);

// Cuts the watch stream (newline-delimited JSON, arriving in arbitrary
// pieces) into documents. A document longer than the limit is an error.
class stream_splitter {
public:
  explicit stream_splitter(size_t max_document_bytes = 4 * 1024 * 1024)
      : max_(max_document_bytes) {}
  std::vector<std::string> feed(std::string_view bytes);
  size_t pending() const { return buffer_.size(); }

private:
  size_t max_;
  std::string buffer_;
};

} // namespace grace::cluster::etcd
