#pragma once
// Concurrent identical reads share one ask: a caller takes the answer of a
// read that started after it arrived (so it sees every write that finished
// before it asked), waiting for the next read when one is already under way.
// Under load one component query then serves every waiting HTTP worker,
// instead of each queueing its own query behind the others.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>

namespace grace::http {

template <class Result, class Failure> class coalesced_read {
public:
  // `read(Failure&)` returns the result or nullopt with the failure set.
  template <class Read> std::optional<Result> get(Failure& failure, Read&& read) {
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t needed = started_ + 1; // a read under way started before this caller
    ++waiting_;
    while (finished_ < needed && running_)
      done_.wait(lock);
    --waiting_;
    if (finished_ >= needed) {
      failure = last_failure_;
      return last_;
    }
    running_ = true;
    const uint64_t mine = ++started_;
    lock.unlock();
    Failure f{};
    std::optional<Result> result = read(f);
    lock.lock();
    last_ = result;
    last_failure_ = f;
    finished_ = mine;
    running_ = false;
    done_.notify_all();
    failure = f;
    return result;
  }

  // Callers waiting for a read (for tests and figures).
  size_t waiting() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_;
  }

private:
  mutable std::mutex mutex_;
  std::condition_variable done_;
  uint64_t started_ = 0;
  uint64_t finished_ = 0;
  size_t waiting_ = 0;
  bool running_ = false;
  std::optional<Result> last_;
  Failure last_failure_{};
};

} // namespace grace::http
