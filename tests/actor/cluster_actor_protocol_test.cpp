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
#include "actors/cluster/etcd_watcher_actor.hpp"
#include "actors/cluster/membership.hpp"
#include "actors/cluster/reward_ledger.hpp"
#include "actors/cluster/shard_map.hpp"
#include "memory_etcd.hpp"
#include "messages/errors.hpp"

#include <deque>
#include <limits>

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

// Stands in for the storage: the stored history of the metrics `latest`
// names (three snapshots and two forecasts of each).
struct fake_history {
  std::vector<snapshot> latest;
  std::vector<snapshot> stored; // closed windows routed here
};

caf::behavior fake_storage(caf::event_based_actor*, std::shared_ptr<fake_history> history) {
  return {
      [=](atom::latest) { return history->latest; },
      [=](atom::store, const closed_windows& w) {
        history->stored.insert(history->stored.end(), w.snapshots.begin(), w.snapshots.end());
        return static_cast<uint64_t>(w.snapshots.size());
      },
      [=](atom::query, const snapshot_query& q) {
        std::vector<snapshot> out;
        for (int k = 0; k < 3; ++k) {
          snapshot x;
          x.metric_id = q.metric_id;
          x.window_start = 300000 * k;
          x.window_end = 300000 * (k + 1);
          x.count = 1;
          if (x.window_start >= q.since)
            out.push_back(x);
        }
        return out;
      },
      [=](atom::query, atom::forecast, const snapshot_query& q) {
        std::vector<forecast> out;
        for (int k = 1; k <= 2; ++k) {
          forecast f;
          f.metric_id = q.metric_id;
          f.generated_at = 300000 * k;
          f.step = 300000;
          f.points = {{f.generated_at + 300000, 1.0, 0.5, 1.5, 0.25, 1.75}};
          if (f.generated_at >= q.since)
            out.push_back(f);
        }
        return out;
      },
  };
}

// Records every kill switch it is told, as the executor would apply it.
struct kill_call {
  bool engaged = false;
  std::string reason;
};

caf::behavior fake_executor(caf::event_based_actor*,
                            std::shared_ptr<std::vector<kill_call>> kills) {
  return {
      [=](atom::kill, bool engaged, const std::string& reason) {
        kills->push_back({engaged, reason});
        governance_status out;
        out.kill_switch = {engaged, reason, 1};
        return out;
      },
  };
}

supervisor_actor::behavior_type fake_supervisor(supervisor_actor::pointer, caf::actor learner,
                                                caf::actor storage, caf::actor executor) {
  return {
      [=](atom::get, const std::string& name) -> caf::result<caf::actor> {
        if (name == "rl_agent")
          return learner;
        if (name == "storage")
          return storage;
        if (name == "executor")
          return executor;
        return make_error(errc::not_found, name);
      },
      [=](atom::ready) { return true; },
      [=](atom::shutdown, int64_t) { return true; },
      [=](atom::status) { return supervisor_status{}; },
  };
}

// etcd's watch stream, scripted: each watch() plays the next session (its
// documents, then the stream ends, or it fails as an unreachable etcd
// does); with none left the stream ends at once.
struct fake_watch : cluster::etcd::etcd_watch_source {
  struct session {
    std::vector<std::string> documents;
    bool unreachable = false;
    bool crash = false; // not an etcd error: the watcher dies
  };
  std::deque<session> sessions;
  size_t opened = 0;
  std::vector<size_t> consumed; // documents taken per session
  bool stopped = false;

  void watch(const cluster::etcd::request&, const std::function<bool(const std::string&)>& on_doc,
             std::chrono::milliseconds) override {
    ++opened;
    if (stopped || sessions.empty())
      return;
    auto s = sessions.front();
    sessions.pop_front();
    if (s.unreachable)
      throw cluster::etcd::etcd_error("etcd memory/v3/watch: unreachable");
    if (s.crash)
      throw std::runtime_error("a bug in the watch");
    size_t n = 0;
    for (const auto& d : s.documents) {
      ++n;
      if (!on_doc(d))
        break;
    }
    consumed.push_back(n);
  }
  void stop() override { stopped = true; }
};

std::string created_doc() {
  return R"({"result":{"header":{"revision":"8"},"created":true}})";
}

std::string event_doc(const std::string& key) {
  nlohmann::json doc = {{"result",
                         {{"header", {{"revision", "9"}}},
                          {"events",
                           {{{"kv",
                              {{"key", cluster::etcd::base64_encode(key)},
                               {"value", cluster::etcd::base64_encode("v")},
                               {"create_revision", "9"},
                               {"mod_revision", "9"},
                               {"version", "1"}}}}}}}}};
  return doc.dump();
}

// Counts the refreshes the watcher asks for.
refresh_sink_actor::behavior_type counting_sink(refresh_sink_actor::pointer,
                                                std::shared_ptr<size_t> refreshes) {
  return {
      [=](atom::refresh) { ++*refreshes; },
  };
}

struct fixture : test_coordinator_fixture<grace::testing::test_config> {
  std::shared_ptr<memory_etcd> etcd = std::make_shared<memory_etcd>();
  std::shared_ptr<std::vector<restore_call>> restores =
      std::make_shared<std::vector<restore_call>>();
  cluster::cluster_settings settings;
  cluster_actor node;
  std::shared_ptr<fake_history> history = std::make_shared<fake_history>();
  std::shared_ptr<fake_watch> watch; // set before start() to run the watcher
  std::shared_ptr<std::vector<kill_call>> kills = std::make_shared<std::vector<kill_call>>();

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
    io.watch = static_cast<bool>(watch);
    if (watch) {
      auto source = watch;
      io.connect_watch = [source]() -> std::shared_ptr<cluster::etcd::etcd_watch_source> {
        return source;
      };
    }
    io.peers = false;
    io.detached = false;
    auto learner = sys.spawn(fake_learner, restores);
    auto storage = sys.spawn(fake_storage, history);
    auto executor = sys.spawn(fake_executor, kills);
    auto sup = sys.spawn(fake_supervisor, learner, storage, executor);
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

CAF_TEST(the cluster kill switch reaches the executor once per revision in etcd) {
  start();
  sched.run();
  CAF_CHECK(kills->empty()); // nothing decided cluster-wide yet
  etcd->put_key(cluster::kill_switch_key("t"),
                cluster::encode_kill_switch({true, "change freeze", "n2", 0}));
  self->send(node, atom::sync_v);
  sched.run();
  CAF_REQUIRE_EQUAL(kills->size(), 1u);
  CAF_CHECK(kills->at(0).engaged);
  CAF_CHECK_EQUAL(kills->at(0).reason, "change freeze (cluster-wide, set through n2)");
  self->send(node, atom::sync_v); // the same revision again: not applied twice
  sched.run();
  CAF_CHECK_EQUAL(kills->size(), 1u);
  // Released through this node's API: written to etcd, then applied here.
  self->send(node, atom::kill_v, false, std::string("freeze over"));
  sched.run();
  bool answered = false;
  self->receive(
      [&](governance_status& g) {
        answered = true;
        CAF_CHECK(!g.kill_switch.engaged);
      },
      [](caf::error& e) { CAF_FAIL(describe(e)); });
  CAF_CHECK(answered);
  CAF_REQUIRE_EQUAL(kills->size(), 2u);
  CAF_CHECK(!kills->at(1).engaged);
  CAF_CHECK_EQUAL(kills->at(1).reason, "freeze over (cluster-wide, set through n1)");
  const auto& stored = etcd->kv.at(cluster::kill_switch_key("t")).value;
  CAF_CHECK(stored.find("\"by\":\"n1\"") != std::string::npos);
  CAF_CHECK(stored.find("\"engaged\":false") != std::string::npos);
  self->send(node, atom::sync_v); // its own write read back: not applied again
  sched.run();
  CAF_CHECK_EQUAL(kills->size(), 2u);
  // A record that is not one is ignored (and logged), never applied.
  etcd->put_key(cluster::kill_switch_key("t"), "{\"engaged\": \"yes\"}");
  self->send(node, atom::sync_v);
  sched.run();
  CAF_CHECK_EQUAL(kills->size(), 2u);
}

CAF_TEST(etcd unreachable sets no kill switch and says so) {
  start();
  sched.run();
  etcd->unreachable = true;
  self->send(node, atom::kill_v, true, std::string("change freeze"));
  sched.run();
  bool refused = false;
  self->receive([](governance_status&) { CAF_FAIL("acknowledged without etcd"); },
                [&](caf::error& e) {
                  refused = true;
                  CAF_CHECK(describe(e).find("etcd did not take it") != std::string::npos);
                });
  CAF_CHECK(refused);
  CAF_CHECK(kills->empty());
}

CAF_TEST(a source history is stored by the owner of each metric) {
  start();
  sched.run(); // alone: it owns every shard
  closed_windows backfill;
  backfill.closed_before = std::numeric_limits<timestamp_ms>::min();
  for (const char* id : {"db.cpu", "api.latency_p95", "db.cpu"}) {
    snapshot x;
    x.metric_id = id;
    x.window_start = 300000 * static_cast<int64_t>(backfill.snapshots.size());
    x.window_end = x.window_start + 300000;
    x.count = 1;
    backfill.snapshots.push_back(x);
  }
  self->send(node, atom::store_v, backfill);
  sched.run();
  uint64_t added = 0;
  self->receive([&](uint64_t n) { added = n; }, [](caf::error& e) { CAF_FAIL(describe(e)); });
  CAF_CHECK_EQUAL(added, 3u);
  CAF_CHECK_EQUAL(history->stored.size(), 3u);
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

CAF_TEST(a shard taken from a live owner gets its history before the release) {
  start();
  sched.run();
  CAF_REQUIRE_EQUAL(status().serving, static_cast<uint64_t>(cluster::shard_count));
  // A metric whose shard n2 wins once it joins, and one that stays with n1.
  std::string moving, staying;
  for (int i = 0; i < 500 && (moving.empty() || staying.empty()); ++i) {
    const auto id = "m" + std::to_string(i);
    const auto owner = cluster::preferred_owner(cluster::shard_of_metric(id), {"n1", "n2"});
    (*owner == "n2" ? moving : staying) = id;
  }
  CAF_REQUIRE(!moving.empty() && !staying.empty());
  const int shard = cluster::shard_of_metric(moving);
  snapshot latest_moving, latest_staying;
  latest_moving.metric_id = moving;
  latest_staying.metric_id = staying;
  history->latest = {latest_moving, latest_staying};
  // n2 joins; its endpoint records what it is handed and whether n1 still
  // held the shard's claim in etcd at that moment.
  cluster::member n2{"n2", "http://127.0.0.1:8002", "127.0.0.1:7002", 42, 0};
  etcd->put_key(cluster::member_key("t", "n2"), cluster::encode_member(n2));
  struct received {
    snapshot_handover handover;
    bool claim_still_ours = false;
  };
  auto got = std::make_shared<std::vector<received>>();
  auto shared = etcd;
  auto endpoint = sys.spawn([got, shared]() -> caf::behavior {
    return {
        [=](atom::store, const snapshot_handover& h) -> uint64_t {
          auto it = shared->kv.find(cluster::owner_key("t", h.shard));
          got->push_back(
              {h, it != shared->kv.end() && it->second.value.find("\"n1\"") != std::string::npos});
          return h.snapshots.size() + h.forecasts.size();
        },
    };
  });
  self->send(node, atom::hello_v, peer_hello{cluster_protocol_version, "n2", 42}, endpoint);
  sched.run();
  self->receive([](peer_hello&) {}, [](caf::error& e) { CAF_FAIL(describe(e)); });
  self->send(node, atom::sync_v);
  sched.run();
  // The moving metric's whole history, snapshots and forecasts, went to n2
  // while n1 still held the claim.
  const received* mine = nullptr;
  for (const auto& r : *got)
    if (r.handover.shard == shard)
      mine = &r;
  CAF_REQUIRE(mine != nullptr);
  CAF_CHECK_EQUAL(mine->handover.from, "n1");
  CAF_CHECK_EQUAL(mine->handover.snapshots.size(), 3u);
  CAF_CHECK_EQUAL(mine->handover.forecasts.size(), 2u);
  CAF_CHECK(mine->claim_still_ours);
  // Then released: n2 may claim it now; n1 kept the shards it still wins.
  CAF_CHECK(etcd->kv.count(cluster::owner_key("t", shard)) == 0);
  const auto s = status();
  CAF_CHECK_GREATER(s.releases, 0u);
  CAF_CHECK_EQUAL(owned_by("n1"), static_cast<size_t>(s.serving));
  CAF_CHECK_EQUAL(static_cast<int>(s.serving + s.releases), cluster::shard_count);
}

CAF_TEST(the watcher refreshes on member and owner changes and watches again after a failure) {
  auto source = std::make_shared<fake_watch>();
  source->sessions.push_back(
      {{created_doc(), event_doc("/grace/t/rewards/3/rl-a-1-s3"), event_doc("/grace/t/members/n2"),
        event_doc("/grace/t/snapshots/3"), event_doc("/grace/t/owner/7")}});
  source->sessions.push_back({{}, true}); // etcd unreachable
  source->sessions.push_back({{created_doc()}});
  auto refreshes = std::make_shared<size_t>(0);
  auto sink = sys.spawn(counting_sink, refreshes);
  auto watcher = sys.spawn(etcd_watcher, std::shared_ptr<cluster::etcd::etcd_watch_source>(source),
                           std::string("t"), sink, std::chrono::milliseconds(30000),
                           std::chrono::milliseconds(500));
  self->send(watcher, atom::tick_v);
  sched.run();
  // Opened, a member and an owner changed: three refreshes; rewards and
  // snapshots under the same prefix are not about ownership.
  CAF_CHECK_EQUAL(*refreshes, 3u);
  CAF_CHECK_EQUAL(source->opened, 1u);
  // The stream ended: watched again a moment later; etcd unreachable, then
  // again, and back: opened again, one more refresh.
  advance_time(std::chrono::milliseconds(500));
  sched.run();
  CAF_CHECK_EQUAL(source->opened, 2u);
  CAF_CHECK_EQUAL(*refreshes, 3u);
  advance_time(std::chrono::milliseconds(500));
  sched.run();
  CAF_CHECK_EQUAL(source->opened, 3u);
  CAF_CHECK_EQUAL(*refreshes, 4u);
  anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST(the cluster component starts its watcher again when it dies and stops it on exit) {
  watch = std::make_shared<fake_watch>();
  watch->sessions.push_back({{}, false, true}); // the watcher dies
  watch->sessions.push_back({{created_doc()}});
  start();
  sched.run();
  // The first watcher died on its first stream; the component started
  // another, which watched.
  CAF_CHECK_GREATER_OR_EQUAL(watch->opened, 2u);
  CAF_CHECK_EQUAL(watch->consumed.size(), 1u);
  CAF_CHECK(!watch->stopped);
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  sched.run();
  node = cluster_actor{};
  // Its source was stopped: a stream under way is interrupted.
  CAF_CHECK(watch->stopped);
}

CAF_TEST_FIXTURE_SCOPE_END()
