#include "common/scalar_text.hpp"
#include "common/utc_time.hpp"

#include <gtest/gtest.h>
#include <optional>
#include <string>

using grace::common::format_duration;
using grace::common::parse_duration_ms;

TEST(common_durations, parse_every_unit) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("90s"), 90000);
  EXPECT_EQ(parse_duration_ms("1.5s"), 1500);
  EXPECT_EQ(parse_duration_ms(" 1.5h "), 5400000);
  EXPECT_EQ(parse_duration_ms("1d"), 86400000);
  EXPECT_FALSE(parse_duration_ms("30"));
  EXPECT_FALSE(parse_duration_ms("m"));
  EXPECT_FALSE(parse_duration_ms("-5m"));
  EXPECT_FALSE(parse_duration_ms("5 minutes"));
}

TEST(common_durations, parse_is_bounded) {
  std::string problem;
  EXPECT_EQ(parse_duration_ms("36500d"), grace::common::max_duration_ms);
  EXPECT_FALSE(parse_duration_ms("36501d", &problem));
  EXPECT_EQ(problem, "out of range");
  EXPECT_FALSE(parse_duration_ms(std::string(309, '9') + "s", &problem));
  EXPECT_EQ(problem, "out of range");
  EXPECT_FALSE(parse_duration_ms("infm", &problem));
  EXPECT_EQ(problem, "not a duration");
}

TEST(common_durations, format_for_people_in_two_units_at_most) {
  EXPECT_EQ(format_duration(0), "0ms");
  EXPECT_EQ(format_duration(250), "250ms");
  EXPECT_EQ(format_duration(1500), "1.5s");
  EXPECT_EQ(format_duration(1050), "1.05s");
  EXPECT_EQ(format_duration(45000), "45s");
  EXPECT_EQ(format_duration(4 * 60000), "4m");
  EXPECT_EQ(format_duration(4 * 60000 + 30000), "4m 30s");
  EXPECT_EQ(format_duration(900000), "15m");
  EXPECT_EQ(format_duration(2 * 3600000 + 5 * 60000 + 7000), "2h 5m");
  EXPECT_EQ(format_duration(6 * 3600000), "6h");
  EXPECT_EQ(format_duration(3 * 86400000LL + 4 * 3600000), "3d 4h");
  EXPECT_EQ(format_duration(36500LL * 86400000LL), "36500d");
  EXPECT_EQ(format_duration(-2 * 60000), "-2m");
}

TEST(common_durations, one_unit_forms_read_back) {
  for (long long ms : {250LL, 1500LL, 45000LL, 900000LL, 21600000LL, 86400000LL})
    EXPECT_EQ(parse_duration_ms(format_duration(ms)), ms) << ms;
}

TEST(utc_time, writes_and_reads_iso_8601_utc_to_the_millisecond) {
  EXPECT_EQ(grace::iso_time_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(grace::iso_time_ms(1'762'703'123'004), "2025-11-09T15:45:23.004Z");
  for (int64_t ms : {int64_t{0}, int64_t{951'782'400'999}, int64_t{1'762'703'123'004},
                     int64_t{4'102'444'799'999}})
    EXPECT_EQ(grace::parse_iso_time_ms(grace::iso_time_ms(ms)), ms) << ms;
  EXPECT_EQ(grace::parse_iso_time_ms("2024-02-29T12:00:00Z"), 1'709'208'000'000);
  EXPECT_EQ(grace::parse_iso_time_ms("2025-11-09T15:45:23.5Z"), 1'762'703'123'500);
  EXPECT_EQ(grace::parse_iso_time_ms("2023-02-29T12:00:00Z"), std::nullopt);
  EXPECT_EQ(grace::parse_iso_time_ms("2025-11-09T24:00:00Z"), std::nullopt);
  EXPECT_EQ(grace::parse_iso_time_ms("2025-11-09T15:45:23.Z"), std::nullopt);
  EXPECT_EQ(grace::parse_iso_time_ms("2025-11-09T15:45:23"), std::nullopt);
  EXPECT_EQ(grace::parse_iso_time_ms(""), std::nullopt);
}
