#include "actors/ingest/replay_cursor.hpp"

#include <gtest/gtest.h>
#include <sstream>
#include <stdexcept>
#include <string>

using namespace grace;
using namespace grace::ingest;

TEST(replay_cursor, hands_out_rows_in_time_order_as_time_passes) {
  std::istringstream csv("timestamp,value\n"
                         "2014-02-14 14:35:00,2\n"
                         "2014-02-14 14:30:00,1\n"
                         "2014-02-14 14:35:00,9\n" // repeated timestamp: first kept
                         "2014-02-14 14:40:00,3\n");
  replay_cursor c("infra.cpu_utilization", read_csv_series(csv, "t.csv").rows);
  const timestamp_ms t0 = *parse_timestamp_ms("2014-02-14 14:30:00");
  EXPECT_EQ(c.first_ts(), t0);
  EXPECT_EQ(c.total(), 3u);
  auto first = c.take_until(t0 + 299999);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].value, 1);
  EXPECT_EQ(first[0].metric_id, "infra.cpu_utilization");
  EXPECT_EQ(first[0].labels.at("source"), "replay");
  EXPECT_TRUE(c.take_until(t0 + 1000).empty()); // nothing twice
  auto rest = c.take_until(t0 + 3600000);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].value, 2);
  EXPECT_EQ(rest[1].value, 3);
  EXPECT_TRUE(c.finished());
}

TEST(csv_series, values_and_timestamps_are_read_without_exceptions_or_locale) {
  std::istringstream csv("timestamp,value\n"
                         "2014-02-14 14:30:00,+1.5\n"
                         "2014-02-14T14:31:00.25Z,\"-2e3\"\n"
                         "1392388320,.5\n");
  const auto rows = read_csv_series(csv, "t.csv").rows;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].value, 1.5);
  EXPECT_EQ(rows[1].value, -2000);
  EXPECT_EQ(rows[1].unix_ms, *parse_timestamp_ms("2014-02-14 14:31:00") + 250);
  EXPECT_EQ(rows[2].value, 0.5);
  for (const char* bad : {"nan", "inf", "1e999", "0x10", "", "12abc", "+-1"}) {
    std::istringstream in(std::string("timestamp,value\n2014-02-14 14:30:00,") + bad + "\n");
    EXPECT_THROW(read_csv_series(in, "t.csv"), std::runtime_error) << bad;
  }
  std::istringstream long_value("timestamp,value\n2014-02-14 14:30:00," + std::string(500, '9')
                                + "x\n");
  try {
    read_csv_series(long_value, "t.csv");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "t.csv:2: value '" + std::string(60, '9')
                                         + "...' (501 characters) is not a finite number");
  }
  EXPECT_FALSE(parse_timestamp_ms("9999999999999999"));
  EXPECT_EQ(parse_timestamp_ms("999999999999999"), 999999999999999);
}
