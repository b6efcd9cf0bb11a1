// etcd's v3 JSON answers (lease grant and keepalive, range, txn, the watch
// stream) and the member and owner records read from them: a clear
// etcd_error or a parsed value, never a crash, and nothing parsed that could
// not be sent on as JSON.
#include "actors/cluster/etcd_json.hpp"
#include "actors/cluster/membership.hpp"
#include "actors/cluster/shard_map.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace grace::cluster;

template <class F> void expect_clean(F&& parse) {
  try {
    parse();
  } catch (const etcd::etcd_error& e) {
    FUZZ_CHECK(std::string(e.what()).rfind("etcd ", 0) == 0);
    FUZZ_CHECK(std::string(e.what()).size() < 1024);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  expect_clean([&] {
    auto g = etcd::parse_lease_grant(body);
    FUZZ_CHECK(g.id != 0 && g.ttl_seconds > 0);
  });
  expect_clean([&] {
    auto k = etcd::parse_keepalive(body);
    FUZZ_CHECK(k.ttl_seconds >= 0);
  });
  expect_clean([&] {
    auto t = etcd::parse_txn(body);
    (void)t;
  });
  expect_clean([&] {
    auto w = etcd::parse_watch_message(body);
    FUZZ_CHECK(w.cancel_reason.size() <= 300);
  });
  expect_clean([&] {
    // The node reads members and owners from one range answer each.
    auto r = etcd::parse_range(body);
    auto snap = read_snapshot(r, r, "g", shard_count);
    for (const auto& [id, m] : snap.members) {
      FUZZ_CHECK(valid_name(id) && id == m.id);
      FUZZ_CHECK(!m.http.empty() && !m.cluster.empty());
    }
    for (const auto& [shard, o] : snap.owners)
      FUZZ_CHECK(shard >= 0 && shard < shard_count && valid_name(o.node));
    const auto view = nlohmann::json::parse(cluster_view_json("n", "g", snap, shard_count));
    FUZZ_CHECK(view["shards"].size() == static_cast<size_t>(shard_count));
  });
  expect_clean([&] {
    etcd::stream_splitter splitter(1024);
    for (const auto& doc : splitter.feed(body))
      FUZZ_CHECK(doc.find('\n') == std::string::npos && !doc.empty());
  });
  return 0;
}
