#pragma once
// One-for-one restart decisions: how long to wait before restarting a crashed
// component, and when to give up on it. Pure logic, driven by timestamps.
#include <cstdint>
#include <deque>

namespace grace::supervision {

// grace.yaml `supervisor:` (docs/configuration.md) fills these.
struct restart_limits {
  int max_restarts = 5; // within `restart_window_ms`
  int64_t restart_window_ms = 60000;
  int64_t backoff_initial_ms = 100;
  int64_t backoff_max_ms = 5000;
};

struct restart_decision {
  bool give_up = false;
  int64_t delay_ms = 0;       // wait before restarting
  int restarts_in_window = 0; // including this one
};

class restart_history {
public:
  // A crash at `now_ms`: restart after a delay that doubles with every crash
  // still inside the window, or give up when the window already holds
  // max_restarts restarts.
  restart_decision on_crash(int64_t now_ms, const restart_limits& limits);

  uint64_t total_restarts() const { return total_; }

private:
  std::deque<int64_t> recent_; // times of restarts inside the window
  uint64_t total_ = 0;
};

} // namespace grace::supervision
