// The cached body of GET /api/snapshots/latest: rendered again exactly when
// the rows change, and the same text send_json() would write.
#include "http/rendered_snapshots.hpp"
#include "messages/json.hpp"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <nlohmann/json.hpp>

using grace::snapshot;
using grace::http::rendered_snapshots;

namespace {

snapshot row(const std::string& id, grace::timestamp_ms start, double mean) {
  snapshot s;
  s.metric_id = id;
  s.window_start = start;
  s.window_end = start + 300000;
  s.count = 5;
  s.mean = s.min = s.max = s.p50 = s.p95 = s.last = mean;
  return s;
}

} // namespace

TEST(HttpRenderedSnapshots, RendersOncePerChangeOfTheRows) {
  rendered_snapshots cache;
  const std::vector<snapshot> rows{row("api.latency_p95", 0, 120.5), row("cpu", 0, 0.25)};
  const auto first = cache.body_for(rows);
  EXPECT_EQ(*first, nlohmann::json({{"snapshots", rows}}).dump());
  EXPECT_EQ(cache.body_for(rows), first); // the same object: not rendered again
  // A window closes: one row moves on.
  auto next = rows;
  next[1] = row("cpu", 300000, 0.5);
  const auto second = cache.body_for(next);
  EXPECT_NE(second, first);
  EXPECT_EQ(*second, nlohmann::json({{"snapshots", next}}).dump());
  // Any field counts: the band of a row.
  next[0].level = grace::band::critical;
  EXPECT_NE(*cache.body_for(next), *second);
  // Fewer rows (retention), or none.
  EXPECT_EQ(*cache.body_for({}), R"({"snapshots":[]})");
}

TEST(HttpRenderedSnapshots, NaNStatisticsCompareEqual) {
  auto a = row("m", 0, std::numeric_limits<double>::quiet_NaN());
  auto b = a;
  EXPECT_TRUE(grace::http::same_snapshots({a}, {b}));
  b.mean = 1.0;
  EXPECT_FALSE(grace::http::same_snapshots({a}, {b}));
  rendered_snapshots cache;
  EXPECT_EQ(cache.body_for({a}), cache.body_for({a}));
}
