#include "actors/ingest/replay_cursor.hpp"

#include <gtest/gtest.h>
#include <sstream>

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
