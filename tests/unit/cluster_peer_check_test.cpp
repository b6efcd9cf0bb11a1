#include "actors/cluster/peer_check.hpp"

#include <gtest/gtest.h>

using grace::cluster::hello_problem;

TEST(ClusterPeerCheck, TheSameVersionAndIdIsAccepted) {
  EXPECT_FALSE(hello_problem(1, 1, "n2", "n2"));
  EXPECT_FALSE(hello_problem(1, 1, "n2", ""));
}

TEST(ClusterPeerCheck, AnotherVersionIsRefusedNamingBoth) {
  auto p = hello_problem(1, 2, "n2", "n2");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "peer 'n2' speaks cluster protocol version 2, this node speaks version 1: run the "
                "same grace-node release on every node");
}

TEST(ClusterPeerCheck, ANodeAtAnotherAddressOrWithoutIdIsRefused) {
  EXPECT_EQ(hello_problem(1, 1, "n3", "n2"),
            "the peer at this address says it is 'n3', etcd lists 'n2' there");
  EXPECT_EQ(hello_problem(1, 1, "", ""), "the peer sent no valid node id");
  EXPECT_TRUE(hello_problem(1, 1, "a/b", ""));
}
