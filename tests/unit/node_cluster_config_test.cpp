// grace.yaml's cluster: section: the format of each setting (completeness is
// cluster_settings_problems', tested beside it).
#include "node/node_config.hpp"

#include <gtest/gtest.h>

using namespace grace::node;

TEST(node_cluster_config, off_by_default) {
  auto r = load_node_settings_string("", "grace.yaml", "/etc/grace");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.settings.cluster.enabled());
  EXPECT_EQ(r.settings.cluster.name, "grace");
}

TEST(node_cluster_config, reads_every_setting_and_resolves_pem_paths) {
  auto r = load_node_settings_string("cluster:\n"
                                     "  node_id: n1\n"
                                     "  name: prod\n"
                                     "  etcd: [https://10.0.0.1:2379, https://10.0.0.2:2379]\n"
                                     "  listen: 10.0.0.9:7000\n"
                                     "  cert: certs/n1.pem\n"
                                     "  key: /secure/n1.key\n"
                                     "  ca: certs/ca.pem\n",
                                     "grace.yaml", "/etc/grace");
  for (const auto& e : r.errors)
    ADD_FAILURE() << e.to_string();
  const auto& c = r.settings.cluster;
  EXPECT_TRUE(c.enabled());
  EXPECT_EQ(c.node_id, "n1");
  EXPECT_EQ(c.name, "prod");
  EXPECT_EQ(c.etcd, (std::vector<std::string>{"https://10.0.0.1:2379", "https://10.0.0.2:2379"}));
  EXPECT_EQ(c.listen, "10.0.0.9:7000");
  EXPECT_EQ(c.cert, "/etc/grace/certs/n1.pem");
  EXPECT_EQ(c.key, "/secure/n1.key");
  EXPECT_EQ(c.ca, "/etc/grace/certs/ca.pem");
}

TEST(node_cluster_config, names_where_and_what_is_wrong) {
  auto r = load_node_settings_string("cluster:\n"
                                     "  node_id: a/b\n"
                                     "  etcd: [http://10.0.0.1:2379]\n"
                                     "  listen: nowhere\n"
                                     "  cert: ''\n"
                                     "  peers: 3\n",
                                     "g.yaml", "/etc/grace");
  ASSERT_FALSE(r.ok());
  std::vector<std::string> messages;
  for (const auto& e : r.errors)
    messages.push_back(e.to_string());
  auto has = [&](const std::string& text) {
    for (const auto& m : messages)
      if (m.find(text) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(has("cluster.node_id: must be 1-64 characters"))
      << ::testing::PrintToString(messages);
  EXPECT_TRUE(has("g.yaml:3:10: cluster.etcd[0]: etcd is reached over TLS only"))
      << ::testing::PrintToString(messages);
  EXPECT_TRUE(has("cluster.listen: expected host:port")) << ::testing::PrintToString(messages);
  EXPECT_TRUE(has("cluster.cert: must not be empty")) << ::testing::PrintToString(messages);
  EXPECT_TRUE(has("peers")) << ::testing::PrintToString(messages);
}
