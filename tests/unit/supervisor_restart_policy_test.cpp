#include "actors/supervisor/restart_policy.hpp"

#include <gtest/gtest.h>

using namespace grace::supervision;

TEST(restart_policy, backoff_doubles_and_is_capped) {
  restart_limits limits{10, 60000, 100, 1000};
  restart_history h;
  EXPECT_EQ(h.on_crash(0, limits).delay_ms, 100);
  EXPECT_EQ(h.on_crash(1, limits).delay_ms, 200);
  EXPECT_EQ(h.on_crash(2, limits).delay_ms, 400);
  EXPECT_EQ(h.on_crash(3, limits).delay_ms, 800);
  EXPECT_EQ(h.on_crash(4, limits).delay_ms, 1000);
  EXPECT_EQ(h.on_crash(5, limits).delay_ms, 1000);
  EXPECT_EQ(h.total_restarts(), 6u);
}

TEST(restart_policy, gives_up_after_max_restarts_in_window) {
  restart_limits limits{3, 60000, 100, 5000};
  restart_history h;
  EXPECT_FALSE(h.on_crash(0, limits).give_up);
  EXPECT_FALSE(h.on_crash(1000, limits).give_up);
  EXPECT_FALSE(h.on_crash(2000, limits).give_up);
  auto d = h.on_crash(3000, limits);
  EXPECT_TRUE(d.give_up);
  EXPECT_EQ(d.restarts_in_window, 3);
}

TEST(restart_policy, old_restarts_leave_the_window) {
  restart_limits limits{2, 10000, 100, 5000};
  restart_history h;
  EXPECT_FALSE(h.on_crash(0, limits).give_up);
  EXPECT_FALSE(h.on_crash(5000, limits).give_up);
  // The first restart is 10 s old now: one slot is free again, and the
  // backoff only counts restarts inside the window.
  auto d = h.on_crash(10000, limits);
  EXPECT_FALSE(d.give_up);
  EXPECT_EQ(d.delay_ms, 200);
  EXPECT_TRUE(h.on_crash(10001, limits).give_up);
}
