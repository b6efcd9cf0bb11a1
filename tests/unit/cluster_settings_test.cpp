#include "actors/cluster/cluster_settings.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

using namespace grace::cluster;

namespace {

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& p : problems)
    if (p.find(text) != std::string::npos)
      return true;
  return false;
}

cluster_settings complete() {
  cluster_settings s;
  s.node_id = "n1";
  s.etcd = {"https://127.0.0.1:2379"};
  s.listen = "127.0.0.1:9001";
  s.cert = "n1.pem";
  s.key = "n1.key";
  s.ca = "ca.pem";
  return s;
}

} // namespace

TEST(ClusterSettings, EtcdIsReachedOverTlsOnly) {
  std::string why;
  auto e = parse_etcd_url("https://10.0.0.5:2379/", why);
  ASSERT_TRUE(e) << why;
  EXPECT_EQ(e->host, "10.0.0.5");
  EXPECT_EQ(e->port, 2379);
  EXPECT_FALSE(parse_etcd_url("http://10.0.0.5:2379", why));
  EXPECT_EQ(why, "etcd is reached over TLS only: expected https://host:port");
  EXPECT_FALSE(parse_etcd_url("https://10.0.0.5:2379/v3", why));
  EXPECT_FALSE(parse_etcd_url("https://10.0.0.5", why));
  EXPECT_FALSE(parse_etcd_url("https://10.0.0.5:0", why));
  EXPECT_FALSE(parse_etcd_url("https://10.0.0.5:65536", why));
  EXPECT_FALSE(parse_etcd_url("https://a b:1", why));
  EXPECT_TRUE(parse_etcd_url("https://[::1]:2379", why));
}

TEST(ClusterSettings, ListsSplitOnCommas) {
  EXPECT_EQ(split_list("a, b,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_list("").empty());
}

TEST(ClusterSettings, AloneNeedsNothing) {
  cluster_settings s;
  EXPECT_FALSE(s.enabled());
  EXPECT_TRUE(cluster_settings_problems(s, true).empty());
}

TEST(ClusterSettings, ACompleteClusterNodeMayStart) {
  EXPECT_TRUE(cluster_settings_problems(complete(), false).empty());
}

TEST(ClusterSettings, NoCertificateNoClusterNode) {
  for (auto field : {&cluster_settings::cert, &cluster_settings::key, &cluster_settings::ca}) {
    auto s = complete();
    s.*field = "";
    auto problems = cluster_settings_problems(s, false);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(mentions(problems, "never runs without its certificate")) << problems[0];
  }
}

TEST(ClusterSettings, EveryProblemNamesItsSetting) {
  cluster_settings s;
  s.etcd = {"http://x:1"};
  s.name = "a/b";
  auto problems = cluster_settings_problems(s, false);
  EXPECT_TRUE(mentions(problems, "cluster.node_id (--node-id) is required"));
  EXPECT_TRUE(mentions(problems, "cluster.name must be"));
  EXPECT_TRUE(mentions(problems, "cluster.etcd: 'http://x:1': etcd is reached over TLS only"));
  EXPECT_TRUE(mentions(problems, "cluster.listen (--cluster-listen) is required"));
  EXPECT_TRUE(mentions(problems, "cluster.cert (--cluster-cert)"));
  s = complete();
  s.node_id = "bad id";
  s.listen = "nowhere";
  EXPECT_TRUE(mentions(cluster_settings_problems(s, false), "cluster.node_id must be"));
  EXPECT_TRUE(mentions(cluster_settings_problems(s, false), "cluster.listen: expected host:port"));
}

TEST(ClusterSettings, CertificateFilesMustBeReadable) {
  auto dir = std::filesystem::temp_directory_path() / "grace-cluster-settings-test";
  std::filesystem::create_directories(dir);
  auto s = complete();
  s.cert = (dir / "n1.pem").string();
  s.key = (dir / "n1.key").string();
  s.ca = (dir / "missing-ca.pem").string();
  std::ofstream(s.cert) << "pem";
  std::ofstream(s.key) << "pem";
  auto problems = cluster_settings_problems(s, true);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "cluster.ca: cannot read " + s.ca);
  std::filesystem::remove_all(dir);
}

TEST(ClusterSettings, KeepaliveMustFitTheLease) {
  auto s = complete();
  s.keepalive_interval_ms = 6000;
  EXPECT_TRUE(mentions(cluster_settings_problems(s, false), "keepalive interval"));
}
