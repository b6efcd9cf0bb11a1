// Actor protocol tests on CAF's deterministic test coordinator: the
// supervisor restarts a crashed component, gives up after too many crashes,
// stops the node when a component cannot start, and the catalog keeps its
// last good version on a bad reload.
#define CAF_SUITE supervisor_protocol

#include "actors/catalog/catalog.hpp"
#include "actors/catalog/catalog_actor.hpp"
#include "actors/storage/storage_actor.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "messages/errors.hpp"
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
#include <fstream>

using namespace grace;
using grace::testing::source_dir;
using grace::testing::test_config;
namespace fs = std::filesystem;

namespace {

struct fixture : test_coordinator_fixture<test_config> {
  fs::path temp;

  fixture() {
    char pattern[] = "/tmp/grace-actor-test-XXXXXX";
    temp = mkdtemp(pattern);
  }

  ~fixture() {
    std::error_code ec;
    fs::remove_all(temp, ec);
  }

  static component_spec catalog_spec(const std::string& path) {
    return {"catalog", [path](caf::local_actor* self, const supervisor_actor&) {
              return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(catalog_component, path));
            }};
  }

  component_spec storage_spec() {
    return {"storage", [root = temp / "data"](caf::local_actor* self, const supervisor_actor&) {
              return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(
                  storage_component, root, node_clock{}, storage_settings{}));
            }};
  }

  caf::actor component(const supervisor_full_actor& sup, const std::string& name) {
    return request<caf::actor>(sup, atom::get_v, name);
  }

  size_t metric_count(const caf::actor& c) {
    auto ref = request<catalog_ref>(caf::actor_cast<catalog_actor>(c), atom::get_v);
    return ref ? ref->metrics().size() : 0;
  }

  // The exit reason of a monitored actor, taken from the test's mailbox.
  caf::error down_reason() {
    caf::error reason;
    bool got = false;
    self->receive([&](caf::down_msg& d) {
      reason = d.reason;
      got = true;
    });
    CAF_REQUIRE(got);
    return reason;
  }
};

const supervision::restart_limits fast_limits{3, 60000, 100, 1000};

} // namespace

CAF_TEST_FIXTURE_SCOPE(supervisor_tests, fixture)

CAF_TEST(a crashed component is restarted and answers again) {
  auto catalog_path = source_dir() + "/config/metrics_catalog.yaml";
  auto sup =
      sys.spawn(supervisor, std::vector<component_spec>{storage_spec(), catalog_spec(catalog_path)},
                fast_limits);
  run();
  CAF_CHECK(request<bool>(sup, atom::ready_v));
  auto first = component(sup, "catalog");
  CAF_CHECK_EQUAL(metric_count(first), 14u);
  // Crash it (as an uncaught exception would). Until the backoff passes, it
  // is reported as restarting. (exit_reason::kill cannot be trapped by a
  // linked supervisor in CAF, so it is not what a crash looks like.)
  caf::anon_send_exit(first, caf::exit_reason::unhandled_exception);
  sched.run(); // messages only: the restart timer stays pending
  bool ready = true;
  auto ready_answer = self->request(sup, caf::infinite, atom::ready_v);
  sched.run();
  ready_answer.receive([&](bool r) { ready = r; }, [](caf::error&) {});
  CAF_CHECK(!ready);
  bool unavailable = false;
  auto get_answer = self->request(sup, caf::infinite, atom::get_v, std::string("catalog"));
  sched.run();
  get_answer.receive([](caf::actor&) {},
                     [&](caf::error& e) { unavailable = is(e, errc::unavailable); });
  CAF_CHECK(unavailable);
  // After the backoff it is back, under a new handle, and answers.
  advance_time(std::chrono::milliseconds(100));
  run();
  CAF_CHECK(request<bool>(sup, atom::ready_v));
  auto second = component(sup, "catalog");
  CAF_CHECK_NOT_EQUAL(first, second);
  CAF_CHECK_EQUAL(metric_count(second), 14u);
  auto status = request<supervisor_status>(sup, atom::status_v);
  auto catalog = std::find_if(status.components.begin(), status.components.end(),
                              [](const component_health& c) { return c.name == "catalog"; });
  CAF_REQUIRE(catalog != status.components.end());
  CAF_CHECK(catalog->up);
  CAF_CHECK_EQUAL(catalog->restarts, 1u);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  run();
}

CAF_TEST(the supervisor gives up after too many restarts in the window) {
  auto catalog_path = source_dir() + "/config/metrics_catalog.yaml";
  auto sup =
      sys.spawn(supervisor, std::vector<component_spec>{catalog_spec(catalog_path)}, fast_limits);
  self->monitor(sup);
  run();
  for (int crash = 0; crash < 3; ++crash) {
    caf::anon_send_exit(component(sup, "catalog"), caf::exit_reason::unhandled_exception);
    run(); // the restart timeout fires inside run()
  }
  // A fourth crash within the window: no more restarts, the supervisor stops.
  caf::anon_send_exit(component(sup, "catalog"), caf::exit_reason::unhandled_exception);
  run();
  auto reason = down_reason();
  CAF_CHECK(is(reason, errc::internal));
  CAF_CHECK(describe(reason).find("component catalog crashed 4 times") != std::string::npos);
}

CAF_TEST(a component that cannot start stops the supervisor) {
  auto bad = temp / "bad.yaml";
  std::ofstream(bad) << "version: 1\nmetrics: []\n";
  auto sup =
      sys.spawn(supervisor, std::vector<component_spec>{catalog_spec(bad.string())}, fast_limits);
  self->monitor(sup);
  run();
  auto reason = down_reason();
  CAF_CHECK(is(reason, errc::startup_failed));
  CAF_CHECK(describe(reason).find("playbooks: missing required key") != std::string::npos);
}

CAF_TEST(a bad reload keeps the last good catalog) {
  auto path = temp / "catalog.yaml";
  fs::copy_file(source_dir() + "/config/metrics_catalog.yaml", path);
  auto cat = sys.spawn(catalog_component, path.string());
  run();
  std::ofstream(path, std::ios::trunc) << "version: 1\nmetrics: [\n";
  auto refused = request<reload_outcome>(cat, atom::reload_v);
  CAF_CHECK(!refused.reloaded);
  CAF_CHECK_EQUAL(refused.generation, 1u);
  CAF_REQUIRE_EQUAL(refused.errors.size(), 1u);
  CAF_CHECK(refused.errors[0].find("YAML syntax") != std::string::npos);
  CAF_CHECK_EQUAL(request<catalog_ref>(cat, atom::get_v)->metrics().size(), 14u);
  // A valid file is taken.
  fs::copy_file(source_dir() + "/config/metrics_catalog.yaml", path,
                fs::copy_options::overwrite_existing);
  auto taken = request<reload_outcome>(cat, atom::reload_v);
  CAF_CHECK(taken.reloaded);
  CAF_CHECK_EQUAL(taken.generation, 2u);
  caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
  run();
}

CAF_TEST(storage writes records and chains ledger entries) {
  auto st = sys.spawn(storage_component, temp / "data", node_clock{}, storage_settings{});
  run();
  auto path =
      request<std::string>(st, atom::record_v, std::string("errors_fixed"), std::string("incident"),
                           std::string("abc123"), std::string(R"({"reward": 1.0})"));
  CAF_CHECK(path.find("/grace_training/errors_fixed/") != std::string::npos);
  CAF_CHECK(path.find("_incident_abc123.json") != std::string::npos);
  CAF_CHECK(fs::exists(path));
  CAF_CHECK_EQUAL(
      request<uint64_t>(st, atom::append_v, std::string("test"), std::string(R"({"a":1})")), 1u);
  CAF_CHECK_EQUAL(
      request<uint64_t>(st, atom::append_v, std::string("test"), std::string(R"({"a":2})")), 2u);
  auto report = request<ledger_report>(st, atom::verify_v);
  CAF_CHECK(report.ok);
  CAF_CHECK_EQUAL(report.entries, 2u);
  // Bad input is refused and nothing is written.
  bool refused = false;
  auto answer = self->request(st, caf::infinite, atom::record_v, std::string("../etc"),
                              std::string("x"), std::string("y"), std::string("{}"));
  run();
  answer.receive([](std::string&) {},
                 [&](caf::error& e) { refused = is(e, errc::storage_failure); });
  CAF_CHECK(refused);
  caf::anon_send_exit(st, caf::exit_reason::user_shutdown);
  run();
}

CAF_TEST_FIXTURE_SCOPE_END()
