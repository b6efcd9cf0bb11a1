#include "actors/cluster/certificate_names.hpp"
#include "actors/cluster/cluster_settings.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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

// A self-signed certificate issued to `cn` (and `dns`, when given), as PEM.
std::string certificate_for(const std::string& cn, const std::string& dns = "") {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("prime256v1"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!dns.empty()) {
    const std::string value = "DNS:" + dns + ",IP:127.0.0.1";
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str());
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), key.get(), EVP_sha256());
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(out.get(), cert.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

} // namespace

TEST(ClusterSettings, CertificateNamesAreItsCommonNameAndDnsNames) {
  std::string why;
  auto names = certificate_names(certificate_for("n1", "node-1.example"), why);
  ASSERT_TRUE(names) << why;
  EXPECT_EQ(*names, (std::vector<std::string>{"n1", "node-1.example"}));
  EXPECT_FALSE(certificate_names("pem", why));
  EXPECT_EQ(why, "no PEM certificate in it");
  EXPECT_FALSE(certificate_names("", why));
}

TEST(ClusterSettings, TheNodeIdIsANameOfItsCertificate) {
  auto dir = std::filesystem::temp_directory_path() / "grace-cluster-settings-names";
  std::filesystem::create_directories(dir);
  auto s = complete();
  s.cert = (dir / "n1.pem").string();
  s.key = (dir / "n1.key").string();
  s.ca = (dir / "ca.pem").string();
  std::ofstream(s.key) << "key";
  std::ofstream(s.ca) << "ca";
  std::ofstream(s.cert) << certificate_for("n2");
  auto problems = cluster_settings_problems(s, true);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "cluster.node_id 'n1' is not a name of the certificate " + s.cert
                             + " (it names 'n2'): a node's id must be its certificate's CN or a "
                               "DNS name in it");
  std::ofstream(s.cert) << certificate_for("gateway", "n1");
  EXPECT_TRUE(cluster_settings_problems(s, true).empty()) << "a DNS name counts";
  std::ofstream(s.cert) << certificate_for("n1");
  EXPECT_TRUE(cluster_settings_problems(s, true).empty());
  std::ofstream(s.cert) << "not a certificate";
  problems = cluster_settings_problems(s, true);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "cluster.cert: " + s.cert + ": no PEM certificate in it");
  std::filesystem::remove_all(dir);
}

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
  std::ofstream(s.cert) << certificate_for("n1");
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
