#pragma once
// The record format of the sample log (storage/wal/, the write-ahead log of
// acknowledged samples). Pure: bytes in, bytes out; no file is touched here.
//
// A segment file is a 16-byte header followed by records:
//
//   header:  "GRACELOG" | u32 version (1) | u32 zero              (little endian)
//   record:  u32 payload length | u32 CRC-32C of the payload | payload
//
// A record is written with one write(2); a crash can only leave the last
// record of the last segment incomplete (or, after a machine crash, zeros or
// garbage there). A reader tells a good record by its length (1 .. 64 MiB,
// within the file) and its checksum, and stops at the first that is not.
//
// Payload of a sample batch (kind 1):
//   u8 kind | i64 min ts | i64 max ts | varint id count | (varint length, bytes)*
//   | varint sample count | (varint id index, zigzag varint ts delta, f64 value)*
// The ts delta is taken from the previous sample's ts (the first from 0); the
// value is the IEEE-754 double's 8 bytes, little endian. Labels are not
// logged: the aggregator does not use them.
#include "messages/types.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace grace::storage {

// CRC-32C (Castagnoli, as in iSCSI, ext4 and LevelDB); continues `crc`.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

inline constexpr std::string_view log_segment_magic = "GRACELOG";
inline constexpr uint32_t log_format_version = 1;
inline constexpr size_t log_segment_header_bytes = 16;
inline constexpr size_t log_frame_header_bytes = 8;
inline constexpr uint32_t log_max_payload_bytes = 64u << 20;

// The segment header bytes.
std::string log_segment_header();
// True when `bytes` starts with a complete, known segment header.
bool is_log_segment_header(std::string_view bytes);

// The 8 bytes that precede `payload` in the file.
void log_frame_header(std::string_view payload, char out[log_frame_header_bytes]);

enum class frame_status {
  ok,
  end,          // no bytes left: a clean end
  incomplete,   // fewer bytes than the header or the length announces (torn write)
  bad_length,   // length 0 or above log_max_payload_bytes (zeros, garbage)
  bad_checksum, // the payload does not match its CRC
};

struct frame_read {
  frame_status status = frame_status::end;
  std::string_view payload; // when ok
  size_t frame_bytes = 0;   // header + payload, when ok
};

// Reads the record at the start of `bytes`.
frame_read read_log_frame(std::string_view bytes);

const char* describe(frame_status s);

// A malformed payload (a record whose checksum matched but whose content does
// not decode: written by another version, or a bug).
class log_format_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The payload of one record and what the storage needs to know about it.
struct encoded_samples {
  std::string payload;
  uint64_t samples = 0;
  timestamp_ms min_ts = 0;
  timestamp_ms max_ts = 0;
};

// Encodes batch[i] for every i in `indices` (in that order) into one payload.
// Precondition: each index < batch.size(). Throws std::invalid_argument when
// `indices` is empty (a record holds at least one sample).
encoded_samples encode_samples(const std::vector<metric_sample>& batch,
                               const std::vector<uint32_t>& indices);
// The same for the whole batch.
encoded_samples encode_samples(const std::vector<metric_sample>& batch);

struct logged_sample {
  uint32_t metric = 0; // index into decoded_samples::metric_ids
  timestamp_ms ts = 0;
  double value = 0.0;
};

struct decoded_samples {
  std::vector<std::string> metric_ids;
  std::vector<logged_sample> samples; // in logged order
};

// Decodes a payload; throws log_format_error saying what is wrong.
decoded_samples decode_samples(std::string_view payload);

// The (min ts, max ts) stored at the front of a payload, without decoding the
// rest; throws log_format_error for a payload too short or of another kind.
std::pair<timestamp_ms, timestamp_ms> payload_time_range(std::string_view payload);

} // namespace grace::storage
