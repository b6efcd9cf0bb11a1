#pragma once
// The node's one time source. Virtual time runs `scale` times faster than the
// actor system's clock (real time in production, CAF's test clock in tests):
// with scale 360 six virtual hours pass in one real minute. Periodic work is
// scheduled in virtual intervals and converted to a real delay here.
// Wall time is the same actor clock read as unix time: deadlines a person must
// meet (approvals) run on it, never sped up.
#include <chrono>
#include <cmath>
#include <cstdint>

namespace grace {

struct node_clock {
  double scale = 1.0;
  int64_t virtual_origin_ms = 0; // virtual time (unix ms) at the origin
  int64_t real_origin_ns = 0;    // the actor clock's reading at the origin
  int64_t wall_origin_ms = 0;    // the wall clock (unix ms) at the origin

  int64_t virtual_now_ms(int64_t real_now_ns) const {
    const double elapsed_ms = static_cast<double>(real_now_ns - real_origin_ns) / 1e6;
    return virtual_origin_ms + static_cast<int64_t>(std::floor(elapsed_ms * scale));
  }

  // Virtual now for an actor, from its own clock (CAF's test clock in tests).
  template <class Actor> int64_t actor_now_ms(Actor* self) const {
    return virtual_now_ms(self->clock().now().time_since_epoch().count());
  }

  // Wall-clock unix time, advancing with the actor clock (unscaled).
  int64_t wall_now_ms(int64_t real_now_ns) const {
    return wall_origin_ms + (real_now_ns - real_origin_ns) / 1000000;
  }

  template <class Actor> int64_t actor_wall_ms(Actor* self) const {
    return wall_now_ms(self->clock().now().time_since_epoch().count());
  }

  // The real delay after which `virtual_ms` of virtual time will have passed.
  std::chrono::nanoseconds real_delay(int64_t virtual_ms) const {
    const double ns = static_cast<double>(virtual_ms) * 1e6 / scale;
    return std::chrono::nanoseconds(static_cast<int64_t>(std::ceil(ns)));
  }
};

// The real delay until the next virtual multiple of `period_ms` after `now_ms`
// (aligned ticks: snapshots close on 5-minute boundaries).
inline int64_t virtual_ms_until_next_boundary(int64_t now_ms, int64_t period_ms) {
  const int64_t next = (now_ms / period_ms + 1) * period_ms;
  return next - now_ms;
}

} // namespace grace
