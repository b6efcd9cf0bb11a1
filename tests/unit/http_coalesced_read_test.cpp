// Coalesced reads: callers at the same time share one read, and none takes
// the answer of a read that started before it asked.
#include "http/coalesced_read.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <vector>

using grace::http::coalesced_read;

namespace {

struct failure {
  std::string message;
};

void wait_until(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(done());
}

} // namespace

TEST(http_coalesced_read, one_caller_reads_itself) {
  coalesced_read<int, failure> reads;
  failure f;
  EXPECT_EQ(reads.get(f, [](failure&) { return std::optional<int>(7); }), 7);
  EXPECT_EQ(reads.get(f, [](failure&) { return std::optional<int>(8); }), 8);
}

TEST(http_coalesced_read, callers_during_a_read_share_the_next_one) {
  coalesced_read<int, failure> reads;
  std::atomic<int> version{1};
  std::atomic<int> read_count{0};
  std::promise<void> release_first;
  auto first_released = release_first.get_future().share();
  auto read = [&](failure&) {
    const int n = ++read_count;
    const int seen = version.load();
    if (n == 1)
      first_released.wait();
    return std::optional<int>(seen);
  };

  failure f1;
  auto first = std::async(std::launch::async, [&] { return reads.get(f1, read); });
  wait_until([&] { return read_count.load() == 1; });
  // A write lands after the first read started: callers arriving now must not
  // get the first read's (older) answer.
  version = 2;
  std::vector<std::future<std::optional<int>>> later;
  std::vector<failure> failures(8);
  for (int i = 0; i < 8; ++i)
    later.push_back(
        std::async(std::launch::async, [&, i] { return reads.get(failures[i], read); }));
  wait_until([&] { return reads.waiting() == 8; });
  release_first.set_value();

  EXPECT_EQ(first.get(), 1);
  for (auto& l : later)
    EXPECT_EQ(l.get(), 2);
  EXPECT_EQ(read_count.load(), 2); // the eight shared one read
}

TEST(http_coalesced_read, a_failure_reaches_every_caller_sharing_it) {
  coalesced_read<int, failure> reads;
  failure f;
  auto result = reads.get(f, [](failure& out) {
    out.message = "storage is down";
    return std::optional<int>();
  });
  EXPECT_FALSE(result.has_value());
  EXPECT_EQ(f.message, "storage is down");
  // The next caller reads again (the failure is not kept for later callers).
  failure g;
  EXPECT_EQ(reads.get(g, [](failure&) { return std::optional<int>(3); }), 3);
  EXPECT_EQ(g.message, "");
}
