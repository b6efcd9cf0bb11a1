// The sample log (write-ahead log of acknowledged samples): record format,
// torn and damaged records, segment rotation and removal, replay reads.
#include "actors/storage/sample_log.hpp"
#include "storage_test_support.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <gtest/gtest.h>
#include <limits>
#include <random>

using namespace grace::storage;
using grace::metric_sample;
using grace::timestamp_ms;
using grace::storage::test::file_names;
using grace::storage::test::temp_dir;

namespace {

constexpr timestamp_ms T0 = 1'700'000'100'000;

std::vector<metric_sample> batch_at(timestamp_ms ts, int n, double base = 1.0) {
  std::vector<metric_sample> out;
  const char* ids[] = {"api.latency_p95", "api.error_rate", "infra.cpu_utilization"};
  for (int i = 0; i < n; ++i)
    out.push_back({ids[i % 3], ts + i, base + i, {{"pod", "p1"}}});
  return out;
}

std::string payload_at(timestamp_ms ts, int n = 3, double base = 1.0) {
  return encode_samples(batch_at(ts, n, base)).payload;
}

void append_raw(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::app);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> read_all(const sample_log& log, size_t chunk = 1 << 20) {
  std::vector<std::string> out;
  log_position at;
  for (;;) {
    auto r = log.read(at, chunk);
    for (auto& p : r.payloads)
      out.push_back(std::move(p));
    if (r.done)
      return out;
    at = r.next;
  }
}

std::filesystem::path only_segment(const std::filesystem::path& dir) {
  auto names = file_names(dir);
  EXPECT_EQ(names.size(), 1u);
  return dir / names.at(0);
}

} // namespace

TEST(sample_log_format, crc32c_matches_the_reference_check_value) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  // Continuing over two parts is the same as one pass.
  EXPECT_EQ(crc32c("6789", crc32c("12345")), 0xE3069283u);
}

TEST(sample_log_format, a_batch_round_trips_with_extreme_values_and_times) {
  std::vector<metric_sample> batch = {
      {"a", T0, 1.5, {}},
      {"b", T0 - 10'000, -0.0, {}}, // earlier than the one before
      {"a", 0, 1.7e308, {}},        // the epoch
      {"c", std::numeric_limits<timestamp_ms>::max(), -1.7e308, {}},
      {"b", std::numeric_limits<timestamp_ms>::min(), 4e-320, {}},
  };
  auto encoded = encode_samples(batch);
  EXPECT_EQ(encoded.samples, 5u);
  EXPECT_EQ(encoded.min_ts, std::numeric_limits<timestamp_ms>::min());
  EXPECT_EQ(encoded.max_ts, std::numeric_limits<timestamp_ms>::max());
  auto decoded = decode_samples(encoded.payload);
  EXPECT_EQ(decoded.metric_ids, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(decoded.samples.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(decoded.metric_ids[decoded.samples[i].metric], batch[i].metric_id);
    EXPECT_EQ(decoded.samples[i].ts, batch[i].ts);
    EXPECT_EQ(std::signbit(decoded.samples[i].value), std::signbit(batch[i].value));
    EXPECT_EQ(decoded.samples[i].value, batch[i].value);
  }
  EXPECT_EQ(payload_time_range(encoded.payload), std::make_pair(encoded.min_ts, encoded.max_ts));
}

TEST(sample_log_format, an_empty_batch_is_not_a_record) {
  EXPECT_THROW(encode_samples({}), std::invalid_argument);
  EXPECT_THROW(encode_samples(batch_at(T0, 3), {}), std::invalid_argument);
}

TEST(sample_log_format, a_subset_of_a_batch_is_encoded_in_the_given_order) {
  auto batch = batch_at(T0, 6);
  auto encoded = encode_samples(batch, {4, 1});
  auto decoded = decode_samples(encoded.payload);
  ASSERT_EQ(decoded.samples.size(), 2u);
  EXPECT_EQ(decoded.metric_ids[decoded.samples[0].metric], batch[4].metric_id);
  EXPECT_EQ(decoded.samples[0].value, batch[4].value);
  EXPECT_EQ(decoded.samples[1].ts, batch[1].ts);
  EXPECT_EQ(encoded.min_ts, T0 + 1);
  EXPECT_EQ(encoded.max_ts, T0 + 4);
}

TEST(sample_log_format, any_cut_or_flipped_payload_is_refused_or_decoded_never_a_crash) {
  const std::string good = payload_at(T0, 20);
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(decode_samples(good.substr(0, n)), log_format_error) << "cut at " << n;
  std::mt19937 rng(17);
  for (int round = 0; round < 2000; ++round) {
    std::string bad = good;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    try {
      auto d = decode_samples(bad);
      for (const auto& s : d.samples)
        EXPECT_LT(s.metric, d.metric_ids.size());
    } catch (const log_format_error&) {
    }
  }
}

TEST(sample_log_format, frames_are_told_apart_by_length_and_checksum) {
  const std::string payload = payload_at(T0);
  char header[log_frame_header_bytes];
  log_frame_header(payload, header);
  const std::string frame = std::string(header, sizeof header) + payload;
  const std::string followed = frame + "trailing";
  auto ok = read_log_frame(followed);
  EXPECT_EQ(ok.status, frame_status::ok);
  EXPECT_EQ(ok.payload, payload);
  EXPECT_EQ(ok.frame_bytes, frame.size());
  EXPECT_EQ(read_log_frame("").status, frame_status::end);
  EXPECT_EQ(read_log_frame(frame.substr(0, 5)).status, frame_status::incomplete);
  EXPECT_EQ(read_log_frame(frame.substr(0, frame.size() - 1)).status, frame_status::incomplete);
  EXPECT_EQ(read_log_frame(std::string(64, '\0')).status, frame_status::bad_length);
  std::string flipped = frame;
  flipped.back() ^= 0x01;
  EXPECT_EQ(read_log_frame(flipped).status, frame_status::bad_checksum);
}

TEST(sample_log, appended_records_are_read_back_in_order_after_reopening) {
  temp_dir dir;
  std::vector<std::string> written;
  {
    sample_log log(dir.path());
    EXPECT_TRUE(file_names(dir.path()).empty()); // no segment before the first record
    for (int i = 0; i < 50; ++i) {
      written.push_back(payload_at(T0 + i * 1000, 3, i));
      log.append(written.back());
    }
    EXPECT_TRUE(log.unsynced());
    log.sync();
    EXPECT_FALSE(log.unsynced());
    EXPECT_EQ(read_all(log), written); // readable while it is being written, too
  }
  sample_log again(dir.path());
  EXPECT_EQ(again.recovery().records, 50u);
  EXPECT_TRUE(again.recovery().problems.empty());
  EXPECT_EQ(read_all(again, 100), written); // in small chunks
  // New records go to a new segment after the old ones.
  again.append(payload_at(T0 + 99'000));
  EXPECT_EQ(again.segments().size(), 2u);
  EXPECT_EQ(read_all(again).size(), 51u);
}

TEST(sample_log, a_torn_last_record_is_cut_off_and_reported) {
  temp_dir dir;
  const std::string p1 = payload_at(T0), p2 = payload_at(T0 + 1000);
  {
    sample_log log(dir.path());
    log.append(p1);
    log.append(p2);
  }
  const auto segment = only_segment(dir.path());
  const auto good_size = std::filesystem::file_size(segment);
  // A crash in the middle of the third record's write: header and half a payload.
  const std::string p3 = payload_at(T0 + 2000, 30);
  char header[log_frame_header_bytes];
  log_frame_header(p3, header);
  append_raw(segment, std::string(header, sizeof header) + p3.substr(0, p3.size() / 2));
  sample_log log(dir.path());
  EXPECT_EQ(log.recovery().records, 2u);
  ASSERT_EQ(log.recovery().problems.size(), 1u);
  EXPECT_NE(log.recovery().problems[0].find("incomplete record"), std::string::npos)
      << log.recovery().problems[0];
  EXPECT_GT(log.recovery().bytes_dropped, 0u);
  EXPECT_EQ(std::filesystem::file_size(segment), good_size); // cut back
  EXPECT_EQ(read_all(log), (std::vector<std::string>{p1, p2}));
}

TEST(sample_log, zeros_or_garbage_after_a_machine_crash_end_the_log_there) {
  for (const std::string& tail :
       {std::string(4096, '\0'), std::string("\x10\x00\x00\x00garbage", 11)}) {
    temp_dir dir;
    const std::string p1 = payload_at(T0);
    {
      sample_log log(dir.path());
      log.append(p1);
    }
    append_raw(only_segment(dir.path()), tail);
    sample_log log(dir.path());
    EXPECT_EQ(read_all(log), std::vector<std::string>{p1});
    EXPECT_EQ(log.recovery().problems.size(), 1u);
  }
}

TEST(sample_log, a_damaged_record_in_an_earlier_segment_skips_only_the_rest_of_it) {
  temp_dir dir;
  const std::string a1 = payload_at(T0), a2 = payload_at(T0 + 1000), b1 = payload_at(T0 + 400'000);
  {
    sample_log log(dir.path());
    log.append(a1);
    log.append(a2);
    log.maintain(T0 + 1); // holds closed samples: finished, a new one starts
    log.append(b1);
  }
  auto names = file_names(dir.path());
  ASSERT_EQ(names.size(), 2u);
  // Flip a byte in the first segment's second record.
  const auto first = dir.path() / names[0];
  std::string bytes;
  {
    std::ifstream f(first, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() - 3] ^= 0x40;
  {
    std::ofstream f(first, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  sample_log log(dir.path());
  ASSERT_EQ(log.recovery().problems.size(), 1u);
  EXPECT_NE(log.recovery().problems[0].find("checksum"), std::string::npos);
  EXPECT_NE(log.recovery().problems[0].find("skipped"), std::string::npos);
  EXPECT_EQ(read_all(log), (std::vector<std::string>{a1, b1}));
}

TEST(sample_log, a_segment_without_a_whole_header_is_dropped_and_a_foreign_one_set_aside) {
  temp_dir dir;
  append_raw(dir / "0000000001.log", log_segment_header().substr(0, 5));
  append_raw(dir / "0000000002.log", std::string("not a log at all, but long enough"));
  append_raw(dir / "notes.txt", "ignored");
  sample_log log(dir.path());
  EXPECT_EQ(log.recovery().records, 0u);
  EXPECT_EQ(log.recovery().problems.size(), 1u);
  EXPECT_EQ(file_names(dir.path()),
            (std::vector<std::string>{"0000000002.log.corrupt", "notes.txt"}));
  log.append(payload_at(T0)); // numbering goes on after the highest id seen
  EXPECT_EQ(log.segments().at(0).id, 3u);
}

TEST(sample_log, a_payload_that_is_not_a_sample_batch_is_refused_before_writing) {
  temp_dir dir;
  sample_log log(dir.path());
  EXPECT_THROW(log.append(""), log_format_error);
  EXPECT_THROW(log.append("\x07garbage"), log_format_error);
  EXPECT_TRUE(file_names(dir.path()).empty());
}

TEST(sample_log_segments, rotation_and_removal_follow_the_closed_watermark) {
  log_segment active;
  active.records = 0;
  EXPECT_FALSE(should_rotate(active, T0, 1 << 20)); // nothing in it
  active.records = 3;
  active.min_ts = T0;
  active.max_ts = T0 + 500'000;
  active.bytes = 100;
  EXPECT_FALSE(should_rotate(active, T0, 1 << 20));    // all its windows open
  EXPECT_TRUE(should_rotate(active, T0 + 1, 1 << 20)); // some closed
  EXPECT_TRUE(should_rotate(active, T0, 100));         // full
  std::vector<log_segment> finished(3);
  finished[0] = {1, 100, 2, T0, T0 + 100};
  finished[1] = {2, 100, 2, T0 + 50, T0 + 300'000};
  finished[2] = {3, 16, 0}; // empty
  EXPECT_EQ(removable_segments(finished, T0 + 100), (std::vector<uint64_t>{3}));
  EXPECT_EQ(removable_segments(finished, T0 + 101), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(removable_segments(finished, T0 + 300'001), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(sample_log, segments_go_once_their_windows_are_stored_and_the_log_stays_bounded) {
  temp_dir dir;
  sample_log log(dir.path());
  constexpr timestamp_ms P = 300'000;
  std::vector<std::string> written;
  // Ten windows of pushes; after each, the window before it is stored.
  for (int w = 0; w < 10; ++w) {
    for (int i = 0; i < 5; ++i) {
      written.push_back(payload_at(T0 + w * P + i * 1000));
      log.append(written.back());
    }
    const timestamp_ms closed_before = T0 + w * P;
    log.maintain(closed_before);
    EXPECT_LE(log.segments().size(), 2u) << "window " << w;
    // Every record with a sample of a window still open is kept.
    auto kept = read_all(log);
    for (const auto& p : written) {
      if (payload_time_range(p).second >= closed_before) {
        EXPECT_NE(std::find(kept.begin(), kept.end(), p), kept.end()) << "window " << w;
      }
    }
  }
  // Once every window is stored, nothing is left.
  log.maintain(T0 + 10 * P);
  log.maintain(T0 + 10 * P);
  EXPECT_TRUE(read_all(log).empty());
  EXPECT_TRUE(file_names(dir.path()).empty());
}

TEST(sample_log, a_large_segment_is_finished_at_the_size_limit) {
  temp_dir dir;
  sample_log_options options;
  options.max_segment_bytes = 4096;
  sample_log log(dir.path(), options);
  for (int i = 0; i < 100; ++i) {
    log.append(payload_at(T0 + i, 10));
    log.maintain(T0 - 1); // nothing closed: only the size limit matters
  }
  EXPECT_GE(log.segments().size(), 4u);
  for (const auto& s : log.segments())
    EXPECT_LE(s.bytes, 4096u + 400u);
  EXPECT_EQ(read_all(log).size(), 100u);
}
