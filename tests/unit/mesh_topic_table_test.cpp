#include "actors/mesh/topic_table.hpp"

#include <gtest/gtest.h>

using grace::mesh::topic_table;

TEST(topic_table, delivers_to_topic_and_wildcard_subscribers_once) {
  topic_table<int> t;
  t.subscribe("snapshots", 1);
  t.subscribe("warnings", 2);
  t.subscribe("*", 3);
  t.subscribe("snapshots", 3);
  EXPECT_EQ(t.recipients("snapshots"), (std::vector<int>{1, 3}));
  EXPECT_EQ(t.recipients("warnings"), (std::vector<int>{2, 3}));
  EXPECT_EQ(t.recipients("training"), (std::vector<int>{3}));
  EXPECT_EQ(t.subscriptions(), 4u);
}

TEST(topic_table, unsubscribing_removes_every_subscription) {
  topic_table<int> t;
  t.subscribe("a", 1);
  t.subscribe("b", 1);
  t.subscribe("b", 2);
  t.unsubscribe_everywhere(1);
  EXPECT_TRUE(t.recipients("a").empty());
  EXPECT_EQ(t.recipients("b"), (std::vector<int>{2}));
  EXPECT_EQ(t.subscriptions(), 1u);
}
