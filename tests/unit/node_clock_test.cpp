#include "actors/clock/clock_start.hpp"
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

TEST(node_clock, wall_time_is_not_scaled) {
  node_clock c{360.0, 1'000'000, 5'000'000'000, 1'700'000'000'000};
  EXPECT_EQ(c.wall_now_ms(5'000'000'000), 1'700'000'000'000);
  // 15 minutes of wall clock take 15 real minutes, however fast virtual time runs.
  EXPECT_EQ(c.wall_now_ms(5'000'000'000 + 900'000'000'000), 1'700'000'000'000 + 900'000);
  EXPECT_EQ(c.virtual_now_ms(5'000'000'000 + 900'000'000'000), 1'000'000 + 360 * 900'000);
}

namespace {
constexpr int64_t hour = 3'600'000;
constexpr int64_t wall = 1'700'000'000'000;
} // namespace

// The issue: a node at 360x ran 60 virtual hours ahead of the wall clock and
// was restarted; starting again from the wall clock put everything stored
// 58 h "in the future".
TEST(clock_start, a_scaled_clock_resumes_where_it_stopped_not_from_the_wall) {
  clock_start_inputs in;
  in.time_scale = 360.0;
  in.wall_now_ms = wall;
  in.saved = clock_position{wall + 60 * hour, 360.0, wall - 1000};
  in.newest_stored_ms = wall + 59 * hour; // the last closed snapshot
  const auto start = choose_clock_start(in);
  EXPECT_EQ(start.virtual_origin_ms, wall + 60 * hour);
  EXPECT_EQ(start.source, clock_start_source::saved_position);
  // Stopped long ago: it still resumes there, days behind the wall clock.
  in.wall_now_ms = wall + 500 * hour;
  EXPECT_EQ(choose_clock_start(in).virtual_origin_ms, wall + 60 * hour);
}

// After a kill -9 the saved position can be a save period old; data stored
// since is newer and wins, so nothing stored lies in the future.
TEST(clock_start, after_a_crash_the_newest_stored_time_wins_over_an_older_save) {
  clock_start_inputs in;
  in.time_scale = 360.0;
  in.wall_now_ms = wall;
  in.saved = clock_position{wall + 10 * hour, 360.0, wall - 5000};
  in.newest_stored_ms = wall + 10 * hour + 360'000;
  const auto start = choose_clock_start(in);
  EXPECT_EQ(start.virtual_origin_ms, wall + 10 * hour + 360'000);
  EXPECT_EQ(start.source, clock_start_source::stored_data);
  // A data directory from before positions were saved: the stored data alone.
  in.saved.reset();
  EXPECT_EQ(choose_clock_start(in).virtual_origin_ms, wall + 10 * hour + 360'000);
}

TEST(clock_start, a_fresh_data_directory_starts_at_the_wall_clock_or_the_configured_origin) {
  clock_start_inputs in;
  in.time_scale = 360.0;
  in.wall_now_ms = wall;
  EXPECT_EQ(choose_clock_start(in).virtual_origin_ms, wall);
  EXPECT_EQ(choose_clock_start(in).source, clock_start_source::wall_clock);
  in.configured_origin_ms = wall - 30 * 24 * hour; // a replay's first row
  EXPECT_EQ(choose_clock_start(in).virtual_origin_ms, wall - 30 * 24 * hour);
  EXPECT_EQ(choose_clock_start(in).source, clock_start_source::configured_origin);
}

TEST(clock_start, a_replay_continues_past_what_it_stored_but_a_later_origin_wins) {
  clock_start_inputs in;
  in.time_scale = 1.0;
  in.wall_now_ms = wall;
  in.configured_origin_ms = wall - 30 * 24 * hour;
  in.newest_stored_ms = wall - 29 * 24 * hour; // a day of the file replayed before
  EXPECT_EQ(choose_clock_start(in).virtual_origin_ms, wall - 29 * 24 * hour);
  in.configured_origin_ms = wall - 10 * 24 * hour; // another, later file
  EXPECT_EQ(choose_clock_start(in).virtual_origin_ms, wall - 10 * 24 * hour);
  EXPECT_EQ(choose_clock_start(in).source, clock_start_source::configured_origin);
}

// Live samples carry wall-clock times: at scale 1 the clock is the wall
// clock, and data a scaled run left ahead of it is reported, not followed.
TEST(clock_start, real_time_follows_the_wall_clock_and_reports_data_ahead_of_it) {
  clock_start_inputs in;
  in.time_scale = 1.0;
  in.wall_now_ms = wall;
  in.saved = clock_position{wall + 58 * hour, 360.0, wall - hour};
  in.newest_stored_ms = wall + 57 * hour;
  const auto start = choose_clock_start(in);
  EXPECT_EQ(start.virtual_origin_ms, wall);
  EXPECT_EQ(start.source, clock_start_source::wall_clock);
  EXPECT_EQ(start.stored_ahead_ms, 58 * hour);
  in.saved.reset();
  in.newest_stored_ms = wall - hour;
  EXPECT_EQ(choose_clock_start(in).stored_ahead_ms, 0);
}

TEST(clock_start, saved_positions_round_trip_and_bad_ones_are_named) {
  const clock_position p{wall + 42, 360.0, wall};
  std::string problem;
  const auto back = parse_clock_position(to_json_text(p), problem);
  ASSERT_TRUE(back) << problem;
  EXPECT_EQ(back->virtual_ms, p.virtual_ms);
  EXPECT_EQ(back->time_scale, p.time_scale);
  EXPECT_EQ(back->saved_at_wall_ms, p.saved_at_wall_ms);
  EXPECT_FALSE(parse_clock_position("[1,", problem));
  EXPECT_EQ(problem, "not a JSON object");
  EXPECT_FALSE(parse_clock_position(R"({"format":"x"})", problem));
  EXPECT_NE(problem.find("format"), std::string::npos);
  EXPECT_FALSE(parse_clock_position(
      R"({"format":"grace.node_clock/1","virtual_ms":-5,"time_scale":1,"saved_at_wall_ms":0})",
      problem));
  EXPECT_NE(problem.find("virtual_ms"), std::string::npos);
  EXPECT_FALSE(parse_clock_position(
      R"({"format":"grace.node_clock/1","virtual_ms":5,"time_scale":0,"saved_at_wall_ms":0})",
      problem));
  EXPECT_NE(problem.find("time_scale"), std::string::npos);
}
