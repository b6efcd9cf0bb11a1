#include "actors/integration/band_watch.hpp"

#include <gtest/gtest.h>

using namespace grace;
using grace::integration::band_watch;

namespace {
snapshot snap(const std::string& id, band b, timestamp_ms end) {
  snapshot s;
  s.metric_id = id;
  s.level = b;
  s.window_end = end;
  s.mean = 1.0;
  return s;
}
} // namespace

TEST(band_watch, reports_escalations_only) {
  band_watch w;
  EXPECT_TRUE(w.observe({snap("a", band::good, 1)}).empty());
  auto up = w.observe({snap("a", band::warning, 2)});
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].from, band::good);
  EXPECT_EQ(up[0].to, band::warning);
  EXPECT_EQ(up[0].at, 2);
  // Staying in warning is not news; going critical is.
  EXPECT_TRUE(w.observe({snap("a", band::warning, 3)}).empty());
  auto crit = w.observe({snap("a", band::critical, 4)});
  ASSERT_EQ(crit.size(), 1u);
  EXPECT_EQ(crit[0].from, band::warning);
  // Recovering to warning is not an escalation; good then warning again is.
  EXPECT_TRUE(w.observe({snap("a", band::warning, 5)}).empty());
  EXPECT_TRUE(w.observe({snap("a", band::good, 6)}).empty());
  EXPECT_EQ(w.observe({snap("a", band::warning, 7)}).size(), 1u);
}

TEST(band_watch, metrics_are_independent_and_first_sight_counts) {
  band_watch w;
  auto changes = w.observe({snap("a", band::critical, 1), snap("b", band::good, 1)});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].metric_id, "a");
  EXPECT_EQ(changes[0].from, band::good);
  EXPECT_EQ(w.current("b"), band::good);
  EXPECT_EQ(w.current("a"), band::critical);
}
