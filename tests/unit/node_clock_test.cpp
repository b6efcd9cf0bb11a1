#include "actors/clock/node_clock.hpp"

#include <gtest/gtest.h>

using namespace grace;

TEST(node_clock, virtual_time_runs_scale_times_faster) {
  node_clock c{360.0, 1'000'000, 5'000'000'000};
  EXPECT_EQ(c.virtual_now_ms(5'000'000'000), 1'000'000);
  // One real second is six virtual minutes.
  EXPECT_EQ(c.virtual_now_ms(6'000'000'000), 1'000'000 + 360'000);
  // Six virtual hours take one real minute.
  EXPECT_EQ(c.real_delay(6 * 3600 * 1000), std::chrono::seconds(60));
}

TEST(node_clock, scale_one_is_real_time) {
  node_clock c{1.0, 0, 0};
  EXPECT_EQ(c.virtual_now_ms(1'500'000'000), 1500);
  EXPECT_EQ(c.real_delay(250), std::chrono::milliseconds(250));
}

TEST(node_clock, aligned_boundaries) {
  EXPECT_EQ(virtual_ms_until_next_boundary(0, 300000), 300000);
  EXPECT_EQ(virtual_ms_until_next_boundary(299999, 300000), 1);
  EXPECT_EQ(virtual_ms_until_next_boundary(300000, 300000), 300000);
}
