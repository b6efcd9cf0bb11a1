#include "actors/storage/sample_log_format.hpp"

#include <array>
#include <cstring>
#include <unordered_map>

namespace grace::storage {

namespace {

constexpr uint8_t kind_samples = 1;
constexpr size_t payload_fixed_bytes = 1 + 8 + 8;

// Slice-by-8 tables of the reflected Castagnoli polynomial.
struct crc_tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  crc_tables() {
    constexpr uint32_t poly = 0x82F63B78u;
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (size_t s = 1; s < 8; ++s)
        t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};

const crc_tables& tables() {
  static const crc_tables instance;
  return instance;
}

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

char* put_varint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Bounds-checked reading of a payload.
class reader {
public:
  explicit reader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  size_t left() const { return static_cast<size_t>(end_ - p_); }

  uint8_t byte(const char* what) {
    need(1, what);
    return static_cast<uint8_t>(*p_++);
  }
  uint64_t u64(const char* what) {
    need(8, what);
    uint64_t v = get_u64(p_);
    p_ += 8;
    return v;
  }
  uint64_t varint(const char* what) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t b = byte(what);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return v;
    }
    throw log_format_error(std::string("sample log record: ") + what + " is not a valid varint");
  }
  std::string_view bytes(size_t n, const char* what) {
    need(n, what);
    std::string_view v(p_, n);
    p_ += n;
    return v;
  }

private:
  void need(size_t n, const char* what) {
    if (left() < n)
      throw log_format_error(std::string("sample log record: truncated at ") + what);
  }
  const char* p_;
  const char* end_;
};

} // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) {
  const auto& t = tables().t;
  crc = ~crc;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  while (n >= 8) {
    const uint32_t lo = crc
                        ^ (static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8
                           | static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24]
          ^ t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0)
    crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

std::string log_segment_header() {
  std::string h(log_segment_header_bytes, '\0');
  std::memcpy(h.data(), log_segment_magic.data(), log_segment_magic.size());
  put_u32(h.data() + 8, log_format_version);
  return h;
}

bool is_log_segment_header(std::string_view bytes) {
  return bytes.size() >= log_segment_header_bytes
         && bytes.substr(0, log_segment_magic.size()) == log_segment_magic
         && get_u32(bytes.data() + 8) == log_format_version;
}

void log_frame_header(std::string_view payload, char out[log_frame_header_bytes]) {
  put_u32(out, static_cast<uint32_t>(payload.size()));
  put_u32(out + 4, crc32c(payload));
}

frame_read read_log_frame(std::string_view bytes) {
  frame_read r;
  if (bytes.empty())
    return r;
  if (bytes.size() < log_frame_header_bytes) {
    r.status = frame_status::incomplete;
    return r;
  }
  const uint32_t length = get_u32(bytes.data());
  if (length == 0 || length > log_max_payload_bytes) {
    r.status = frame_status::bad_length;
    return r;
  }
  if (bytes.size() - log_frame_header_bytes < length) {
    r.status = frame_status::incomplete;
    return r;
  }
  const std::string_view payload = bytes.substr(log_frame_header_bytes, length);
  if (crc32c(payload) != get_u32(bytes.data() + 4)) {
    r.status = frame_status::bad_checksum;
    return r;
  }
  r.status = frame_status::ok;
  r.payload = payload;
  r.frame_bytes = log_frame_header_bytes + length;
  return r;
}

const char* describe(frame_status s) {
  switch (s) {
  case frame_status::ok:
    return "ok";
  case frame_status::end:
    return "end of file";
  case frame_status::incomplete:
    return "incomplete record (a write cut short)";
  case frame_status::bad_length:
    return "invalid record length (zeros or garbage)";
  case frame_status::bad_checksum:
    return "checksum mismatch";
  }
  return "unknown";
}

encoded_samples encode_samples(const std::vector<metric_sample>& batch,
                               const std::vector<uint32_t>& indices) {
  if (indices.empty())
    throw std::invalid_argument("encode_samples: no samples to encode");
  encoded_samples out;
  out.samples = indices.size();
  // The id table, in order of first use.
  std::vector<std::string_view> ids;
  std::unordered_map<std::string_view, uint32_t> index_of;
  std::vector<uint32_t> id_of_sample(indices.size());
  size_t id_bytes = 0;
  const std::string* last_id = nullptr;
  uint32_t last_index = 0;
  timestamp_ms min_ts = batch[indices.front()].ts, max_ts = min_ts;
  for (size_t k = 0; k < indices.size(); ++k) {
    const metric_sample& s = batch[indices[k]];
    if (s.ts < min_ts)
      min_ts = s.ts;
    if (s.ts > max_ts)
      max_ts = s.ts;
    if (last_id == nullptr || *last_id != s.metric_id) {
      auto [it, fresh] =
          index_of.try_emplace(std::string_view(s.metric_id), static_cast<uint32_t>(ids.size()));
      if (fresh) {
        ids.push_back(s.metric_id);
        id_bytes += s.metric_id.size() + 10;
      }
      last_id = &s.metric_id;
      last_index = it->second;
    }
    id_of_sample[k] = last_index;
  }
  out.min_ts = min_ts;
  out.max_ts = max_ts;
  // Worst case: fixed part, two counts, the id table, 5 + 10 + 8 per sample.
  out.payload.resize(payload_fixed_bytes + 20 + id_bytes + indices.size() * 23);
  char* p = out.payload.data();
  *p++ = static_cast<char>(kind_samples);
  put_u64(p, static_cast<uint64_t>(min_ts));
  put_u64(p + 8, static_cast<uint64_t>(max_ts));
  p += 16;
  p = put_varint(p, ids.size());
  for (auto id : ids) {
    p = put_varint(p, id.size());
    std::memcpy(p, id.data(), id.size());
    p += id.size();
  }
  p = put_varint(p, indices.size());
  timestamp_ms previous = 0;
  for (size_t k = 0; k < indices.size(); ++k) {
    const metric_sample& s = batch[indices[k]];
    p = put_varint(p, id_of_sample[k]);
    // Differences of int64 values wrap in unsigned arithmetic and unwrap the same way.
    p = put_varint(p, zigzag(static_cast<int64_t>(static_cast<uint64_t>(s.ts)
                                                  - static_cast<uint64_t>(previous))));
    previous = s.ts;
    uint64_t bits;
    std::memcpy(&bits, &s.value, 8);
    put_u64(p, bits);
    p += 8;
  }
  out.payload.resize(static_cast<size_t>(p - out.payload.data()));
  return out;
}

encoded_samples encode_samples(const std::vector<metric_sample>& batch) {
  std::vector<uint32_t> all(batch.size());
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = static_cast<uint32_t>(i);
  return encode_samples(batch, all);
}

std::pair<timestamp_ms, timestamp_ms> payload_time_range(std::string_view payload) {
  reader in(payload);
  if (in.byte("kind") != kind_samples)
    throw log_format_error("sample log record: unknown kind");
  const auto min_ts = static_cast<timestamp_ms>(in.u64("min ts"));
  const auto max_ts = static_cast<timestamp_ms>(in.u64("max ts"));
  if (min_ts > max_ts)
    throw log_format_error("sample log record: min ts after max ts");
  return {min_ts, max_ts};
}

decoded_samples decode_samples(std::string_view payload) {
  reader in(payload);
  if (in.byte("kind") != kind_samples)
    throw log_format_error("sample log record: unknown kind");
  const auto min_ts = static_cast<timestamp_ms>(in.u64("min ts"));
  const auto max_ts = static_cast<timestamp_ms>(in.u64("max ts"));
  decoded_samples out;
  const uint64_t id_count = in.varint("id count");
  if (id_count > in.left())
    throw log_format_error("sample log record: id count beyond the record");
  out.metric_ids.reserve(id_count);
  for (uint64_t i = 0; i < id_count; ++i) {
    const uint64_t length = in.varint("id length");
    if (length > in.left())
      throw log_format_error("sample log record: id beyond the record");
    out.metric_ids.emplace_back(in.bytes(length, "id"));
  }
  const uint64_t count = in.varint("sample count");
  // Each sample takes at least 10 bytes.
  if (count > in.left() / 10)
    throw log_format_error("sample log record: sample count beyond the record");
  out.samples.reserve(count);
  uint64_t previous = 0;
  for (uint64_t i = 0; i < count; ++i) {
    logged_sample s;
    const uint64_t id = in.varint("id index");
    if (id >= out.metric_ids.size())
      throw log_format_error("sample log record: id index out of range");
    s.metric = static_cast<uint32_t>(id);
    previous += static_cast<uint64_t>(unzigzag(in.varint("ts")));
    s.ts = static_cast<timestamp_ms>(previous);
    if (s.ts < min_ts || s.ts > max_ts)
      throw log_format_error("sample log record: ts outside the record's range");
    const uint64_t bits = in.u64("value");
    std::memcpy(&s.value, &bits, 8);
    out.samples.push_back(s);
  }
  if (in.left() != 0)
    throw log_format_error("sample log record: bytes after the last sample");
  return out;
}

} // namespace grace::storage
