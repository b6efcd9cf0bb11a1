#include "actors/supervisor/restart_policy.hpp"

#include <algorithm>

namespace grace::supervision {

restart_decision restart_history::on_crash(int64_t now_ms, const restart_limits& limits) {
  while (!recent_.empty() && now_ms - recent_.front() >= limits.restart_window_ms)
    recent_.pop_front();
  restart_decision d;
  if (static_cast<int>(recent_.size()) >= limits.max_restarts) {
    d.give_up = true;
    d.restarts_in_window = static_cast<int>(recent_.size());
    return d;
  }
  int64_t delay = limits.backoff_initial_ms;
  for (size_t i = 0; i < recent_.size() && delay < limits.backoff_max_ms; ++i)
    delay *= 2;
  d.delay_ms = std::min(delay, limits.backoff_max_ms);
  recent_.push_back(now_ms);
  ++total_;
  d.restarts_in_window = static_cast<int>(recent_.size());
  return d;
}

} // namespace grace::supervision
