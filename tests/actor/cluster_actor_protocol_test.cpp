// The cluster component against an in-memory etcd (memory_etcd.hpp) on CAF's
// test coordinator: it joins, claims and restores through its etcd workers
// by messages, answers requests while a call to etcd is outstanding, stops
// serving when etcd says its lease is gone, and greets a peer etcd lists
// only after reading etcd again.
#define CAF_SUITE cluster_actor_protocol
#include "actor_test_support.hpp"
// clang-format off
#include <caf/test/unit_test_impl.hpp>
// clang-format on
#include "actors/cluster/cluster_actor.hpp"
#include "actors/cluster/membership.hpp"
#include "actors/cluster/reward_ledger.hpp"
#include "actors/cluster/shard_map.hpp"
#include "memory_etcd.hpp"
#include "messages/errors.hpp"

using namespace grace;
using grace::testing::memory_etcd;

namespace {

struct restore_call {
  int32_t shard = 0;
  std::string snapshot;
  std::vector<std::string> log;
};

// Stands in for the learner: records what it is asked to restore.
caf::behavior fake_learner(caf::event_based_actor*,
                           std::shared_ptr<std::vector<restore_call>> restores) {
  return {
      [=](atom::restore, int32_t shard, const std::string& snapshot,
          const std::vector<std::string>& log) -> uint64_t {
        restores->push_back({shard, snapshot, log});
        return log.size();
      },
  };
}

supervisor_actor::behavior_type fake_supervisor(supervisor_actor::pointer, caf::actor learner) {
  return {
      [=](atom::get, const std::string& name) -> caf::result<caf::actor> {
        if (name == "rl_agent")
          return learner;
        return make_error(errc::not_found, name);
      },
      [=](atom::ready) { return true; },
      [=](atom::shutdown, int64_t) { return true; },
      [=](atom::status) { return supervisor_status{}; },
  };
}

struct fixture : test_coordinator_fixture<grace::testing::test_config> {
  std::shared_ptr<memory_etcd> etcd = std::make_shared<memory_etcd>();
  std::shared_ptr<std::vector<restore_call>> restores =
      std::make_shared<std::vector<restore_call>>();
  cluster::cluster_settings settings;
  cluster_actor node;

  fixture() {
    settings.node_id = "n1";
    settings.name = "t";
    settings.listen = "127.0.0.1:7001";
    settings.etcd = {"https://127.0.0.1:2379"};
    settings.keepalive_interval_ms = 1; // every tick keeps the lease alive
  }

  ~fixture() {
    if (node) {
      caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
      sched.run();
    }
  }

  void start() {
    cluster_io io;
    auto shared = etcd;
    io.connect_etcd = [shared]() -> std::shared_ptr<cluster::etcd::etcd_transport> {
      return std::make_shared<grace::testing::memory_transport>(shared);
    };
    io.watch = false;
    io.peers = false;
    io.detached = false;
    auto learner = sys.spawn(fake_learner, restores);
    auto sup = sys.spawn(fake_supervisor, learner);
    node = sys.spawn(cluster_component_with, settings, std::string("http://127.0.0.1:8001"), sup,
                     int64_t{5000}, io);
  }

  cluster_status status() {
    cluster_status out;
    self->send(node, atom::status_v);
    sched.prioritize(node);
    sched.run_once();
    self->receive([&](cluster_status& s) { out = std::move(s); });
    return out;
  }

  size_t owned_by(const std::string& id) const {
    size_t n = 0;
    for (int shard = 0; shard < cluster::shard_count; ++shard) {
      auto it = etcd->kv.find(cluster::owner_key("t", shard));
      if (it != etcd->kv.end() && it->second.value.find("\"" + id + "\"") != std::string::npos)
        ++n;
    }
    return n;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_actor_tests, fixture)

CAF_TEST(answers while its lease grant is on its way to etcd) {
  start();
  sched.prioritize(node);
  sched.run_once(); // the first tick: the grant goes to the lease worker
  CAF_CHECK(etcd->paths.empty());
  auto s = status(); // answered before etcd is
  CAF_CHECK(!s.lease_alive);
  CAF_CHECK_EQUAL(s.serving, 0u);
  sched.run(); // grant, member record, read, claims, restore
  CAF_REQUIRE(!etcd->paths.empty());
  CAF_CHECK_EQUAL(etcd->paths.front(), "/v3/lease/grant");
  s = status();
  CAF_CHECK(s.lease_alive);
  CAF_CHECK_EQUAL(s.members, 1u);
  CAF_CHECK_EQUAL(s.serving, static_cast<uint64_t>(cluster::shard_count));
  CAF_CHECK_EQUAL(s.claims_won, static_cast<uint64_t>(cluster::shard_count));
  CAF_CHECK_EQUAL(owned_by("n1"), static_cast<size_t>(cluster::shard_count));
  CAF_CHECK_EQUAL(s.restored_shards, static_cast<uint64_t>(cluster::shard_count));
}

CAF_TEST(a gained shard is restored from its snapshot and log in etcd) {
  const int shard = 5;
  etcd->put_key(cluster::snapshot_key("t", shard), "the snapshot");
  etcd->put_key(cluster::shard_rewards_prefix("t", shard) + "rl-a-1-s5", "reward one");
  etcd->put_key(cluster::shard_rewards_prefix("t", shard) + "rl-a-2-s5", "reward two");
  start();
  sched.run();
  const restore_call* found = nullptr;
  for (const auto& r : *restores)
    if (r.shard == shard)
      found = &r;
  CAF_REQUIRE(found != nullptr);
  CAF_CHECK_EQUAL(found->snapshot, "the snapshot");
  CAF_CHECK_EQUAL(found->log, std::vector<std::string>({"reward one", "reward two"}));
  CAF_CHECK_EQUAL(restores->size(), static_cast<size_t>(cluster::shard_count));
}

CAF_TEST(a lost lease stops every shard at once and the node rejoins) {
  start();
  sched.run();
  CAF_REQUIRE_EQUAL(status().serving, static_cast<uint64_t>(cluster::shard_count));
  // etcd expired the lease (a long stall): the member and owner keys went.
  const auto lease = etcd->kv.at(cluster::member_key("t", "n1")).lease;
  etcd->expire(lease);
  etcd->refuse_grants = true;
  self->send(node, atom::tick_v); // the keepalive hears that the lease is gone
  sched.run();
  auto s = status();
  CAF_CHECK_EQUAL(s.serving, 0u);
  CAF_CHECK_EQUAL(s.lease_losses, 1u);
  CAF_CHECK(!s.lease_alive);
  etcd->refuse_grants = false;
  self->send(node, atom::tick_v);
  sched.run();
  s = status();
  CAF_CHECK_EQUAL(s.serving, static_cast<uint64_t>(cluster::shard_count));
  const auto rejoined = etcd->kv.at(cluster::member_key("t", "n1")).lease;
  CAF_CHECK_NOT_EQUAL(rejoined, lease);
  CAF_CHECK_EQUAL(etcd->kv.at(cluster::owner_key("t", 0)).lease, rejoined);
}

CAF_TEST(etcd unreachable changes nothing until it answers again) {
  start();
  sched.run();
  etcd->unreachable = true;
  self->send(node, atom::tick_v);
  self->send(node, atom::sync_v);
  sched.run();
  auto s = status();
  CAF_CHECK_EQUAL(s.serving, static_cast<uint64_t>(cluster::shard_count));
  CAF_CHECK(s.last_error.find("unreachable") != std::string::npos);
  etcd->unreachable = false;
  self->send(node, atom::sync_v);
  sched.run();
  CAF_CHECK_EQUAL(status().last_error, "");
}

CAF_TEST(a peer is greeted once a read of etcd lists it) {
  start();
  sched.run();
  // n2 joins after our last read: its hello makes us read etcd again.
  cluster::member n2{"n2", "http://127.0.0.1:8002", "127.0.0.1:7002", 42, 0};
  etcd->put_key(cluster::member_key("t", "n2"), cluster::encode_member(n2));
  auto endpoint = sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  self->send(node, atom::hello_v, peer_hello{cluster_protocol_version, "n2", 42}, endpoint);
  sched.run();
  bool greeted = false;
  self->receive([&](peer_hello& h) {
    greeted = true;
    CAF_CHECK_EQUAL(h.node_id, "n1");
  });
  CAF_CHECK(greeted);
  self->send(node, atom::hello_v, peer_hello{cluster_protocol_version, "n9", 1}, endpoint);
  sched.run();
  bool refused = false;
  self->receive([](peer_hello&) {},
                [&](caf::error& e) {
                  refused = true;
                  CAF_CHECK(describe(e).find("not a member") != std::string::npos);
                });
  CAF_CHECK(refused);
  // n2 is preferred for some shards now: n1 hands them over.
  self->send(node, atom::sync_v);
  sched.run();
  const auto s = status();
  CAF_CHECK_LESS(s.serving, static_cast<uint64_t>(cluster::shard_count));
  CAF_CHECK_GREATER(s.releases, 0u);
  CAF_CHECK_EQUAL(owned_by("n1"), static_cast<size_t>(s.serving));
}

CAF_TEST_FIXTURE_SCOPE_END()
