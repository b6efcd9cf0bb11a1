// The telemetry path on CAF's deterministic test coordinator: virtual time is
// driven by advancing the test clock, never by sleeping. Samples go through
// ingest to the aggregator, which closes the window once virtual time has
// passed it, and the snapshot lands in storage with the catalog's band.
#define CAF_SUITE telemetry_protocol

#include "actors/aggregator/aggregator_actor.hpp"
#include "actors/catalog/catalog_actor.hpp"
#include "actors/ingest/ingest_actor.hpp"
#include "actors/integration/integration_actor.hpp"
#include "actors/mesh/mesh_actor.hpp"
#include "actors/storage/storage_actor.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "messages/register_types.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

// dsl.hpp in 0.17.6 uses a one-argument FAIL it never defines.
#define FAIL(...) CAF_FAIL(__VA_ARGS__)
#include "tests/actor/actor_test_support.hpp"

#include <caf/test/dsl.hpp>
#include <caf/test/unit_test_impl.hpp>
#include <cstdlib>
#include <filesystem>
#include <limits>

using namespace grace;
using grace::testing::peer_spec;
using grace::testing::source_dir;
using grace::testing::spec;
using grace::testing::test_config;
namespace fs = std::filesystem;

namespace {

struct fixture : test_coordinator_fixture<test_config> {
  fs::path temp;
  node_clock clock;

  fixture() {
    char pattern[] = "/tmp/grace-telemetry-test-XXXXXX";
    temp = mkdtemp(pattern);
    clock.scale = 60; // one virtual minute per real second
    clock.virtual_origin_ms = 1'700'000'000'000;
    clock.real_origin_ns = sys.clock().now().time_since_epoch().count();
  }

  ~fixture() {
    std::error_code ec;
    fs::remove_all(temp, ec);
  }

  // The periodic ticks re-arm themselves, so run() would never return: only
  // messages are processed here, and time moves by advance_time().
  template <class T, class Handle, class... Ts> T ask(Handle h, Ts... xs) {
    auto answer = self->request(h, caf::infinite, xs...);
    sched.run();
    T out{};
    answer.receive([&](T& x) { out = std::move(x); },
                   [&](caf::error& e) { CAF_FAIL("request failed: " << sys.render(e)); });
    return out;
  }

  void pass_virtual(int64_t virtual_ms) {
    // In small steps, so each tick's follow-up messages are delivered in turn.
    for (int64_t done = 0; done < virtual_ms; done += 10000) {
      advance_time(clock.real_delay(10000));
      sched.run();
    }
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(telemetry_tests, fixture)

CAF_TEST(samples become a stored snapshot once virtual time passes the window) {
  aggregator_settings agg;
  agg.allowed_lateness_ms = 60000;
  agg.notify_predictor = false;
  std::vector<component_spec> specs{
      spec("storage", storage_component, temp / "data", clock, storage_settings{}),
      spec("catalog", catalog_component, source_dir() + "/config/metrics_catalog.yaml"),
      spec("mesh", mesh_component),
      peer_spec("aggregator", aggregator_component, clock, agg),
      peer_spec("ingest", ingest_component),
      peer_spec("integration", integration_component, int64_t{3600000})};
  auto sup = sys.spawn(supervisor, specs, supervision::restart_limits{});
  sched.run();
  pass_virtual(60000); // the aggregator fetches the catalog on its first tick
  auto ingest =
      caf::actor_cast<ingest_actor>(ask<caf::actor>(sup, atom::get_v, std::string("ingest")));
  // Window [t0, t0 + 5 min) of api.latency_p95: 100..500, mean 300, below the
  // 400 ms warning threshold (the catalog's statistic is the mean): good. The
  // next window: 400 and 500, mean 450: warning.
  const int64_t t0 =
      (clock.virtual_now_ms(sys.clock().now().time_since_epoch().count()) / 300000 + 1) * 300000;
  sample_batch batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back({"api.latency_p95", t0 + i * 60000, 100.0 * (i + 1), {}});
  for (int i = 0; i < 2; ++i)
    batch.push_back({"api.latency_p95", t0 + 300000 + i * 60000, 400.0 + 100 * i, {}});
  CAF_CHECK_EQUAL(ask<ingest_receipt>(ingest, atom::ingest_v, batch).accepted, 7u);
  sched.run();
  auto storage =
      caf::actor_cast<storage_actor>(ask<caf::actor>(sup, atom::get_v, std::string("storage")));
  snapshot_query q{"api.latency_p95", 0, std::numeric_limits<int64_t>::max(), 0};
  // Nothing is stored before virtual time has passed the windows.
  CAF_CHECK(ask<std::vector<snapshot>>(storage, atom::query_v, q).empty());
  const int64_t now = clock.virtual_now_ms(sys.clock().now().time_since_epoch().count());
  pass_virtual(t0 + 600000 + 60000 - now + 60000);
  auto rows = ask<std::vector<snapshot>>(storage, atom::query_v, q);
  CAF_REQUIRE_EQUAL(rows.size(), 2u);
  CAF_CHECK_EQUAL(rows[0].window_start, t0);
  CAF_CHECK_EQUAL(rows[0].count, 5u);
  CAF_CHECK_EQUAL(rows[0].mean, 300.0);
  CAF_CHECK_EQUAL(rows[0].max, 500.0);
  CAF_CHECK_EQUAL(rows[0].last, 500.0);
  CAF_CHECK_EQUAL(rows[0].level, band::good);
  CAF_CHECK_EQUAL(rows[1].mean, 450.0);
  CAF_CHECK_EQUAL(rows[1].level, band::warning);
  // The integration component saw the escalation.
  auto integration = caf::actor_cast<integration_actor>(
      ask<caf::actor>(sup, atom::get_v, std::string("integration")));
  auto status = ask<integration_status>(integration, atom::status_v);
  CAF_CHECK_EQUAL(status.forecast_requests, 1u);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST(a restarted node replays acknowledged samples and refuses samples for stored windows) {
  aggregator_settings agg;
  agg.allowed_lateness_ms = 60000;
  agg.notify_predictor = false;
  auto start = [&] {
    std::vector<component_spec> specs{
        spec("storage", storage_component, temp / "data", clock, storage_settings{}),
        spec("catalog", catalog_component, source_dir() + "/config/metrics_catalog.yaml"),
        spec("mesh", mesh_component),
        peer_spec("aggregator", aggregator_component, clock, agg),
        peer_spec("ingest", ingest_component),
        peer_spec("integration", integration_component, int64_t{3600000})};
    auto sup = sys.spawn(supervisor, specs, supervision::restart_limits{});
    sched.run();
    return sup;
  };
  auto component = [&](const supervisor_full_actor& sup, const char* name) {
    return ask<caf::actor>(sup, atom::get_v, std::string(name));
  };
  auto first = start();
  auto ingest = caf::actor_cast<ingest_actor>(component(first, "ingest"));
  // Five samples (mean 3) for a window two windows ahead: acknowledged, open.
  const int64_t t0 =
      (clock.virtual_now_ms(sys.clock().now().time_since_epoch().count()) / 300000 + 2) * 300000;
  sample_batch batch;
  for (int i = 1; i <= 5; ++i)
    batch.push_back({"api.latency_p95", t0 + i * 1000, double(i), {}});
  CAF_CHECK_EQUAL(ask<ingest_receipt>(ingest, atom::ingest_v, batch).accepted, 5u);
  // The process dies (kill: no flush, nothing closed).
  caf::anon_send_exit(first, caf::exit_reason::kill);
  sched.run();
  auto second = start();
  auto storage = caf::actor_cast<storage_actor>(component(second, "storage"));
  const int64_t now = clock.virtual_now_ms(sys.clock().now().time_since_epoch().count());
  pass_virtual(t0 + 300000 + 60000 - now + 60000);
  snapshot_query q{"api.latency_p95", t0, t0 + 1, 0};
  auto rows = ask<std::vector<snapshot>>(storage, atom::query_v, q);
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  CAF_CHECK_EQUAL(rows[0].count, 5u);
  CAF_CHECK_EQUAL(rows[0].mean, 3.0);
  // The window is stored: a late sample for it is refused and changes nothing,
  // also after another restart.
  caf::anon_send_exit(second, caf::exit_reason::kill);
  sched.run();
  auto third = start();
  ingest = caf::actor_cast<ingest_actor>(component(third, "ingest"));
  auto receipt = ask<ingest_receipt>(ingest, atom::ingest_v,
                                     sample_batch{{"api.latency_p95", t0 + 30000, 100.0, {}}});
  CAF_CHECK_EQUAL(receipt.accepted, 0u);
  CAF_REQUIRE_EQUAL(receipt.rejected.size(), 1u);
  CAF_CHECK(receipt.rejected[0].reason.find("late") != std::string::npos);
  storage = caf::actor_cast<storage_actor>(component(third, "storage"));
  pass_virtual(600000);
  rows = ask<std::vector<snapshot>>(storage, atom::query_v, q);
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  CAF_CHECK_EQUAL(rows[0].count, 5u);
  caf::anon_send_exit(third, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST_FIXTURE_SCOPE_END()
