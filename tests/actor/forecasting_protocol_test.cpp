// Forecaster, trainer and scheduler on CAF's deterministic test coordinator:
// the 15-minute forecast cycle and the 6-hour training cycle fire when virtual
// time reaches them (and not before), training leaves an artifact and a
// record, a corrupt artifact falls back to the previous version, and forecast
// requests are validated.
#define CAF_SUITE forecasting_protocol

#include "actors/catalog/catalog_actor.hpp"
#include "actors/forecaster/forecaster_actor.hpp"
#include "actors/mesh/mesh_actor.hpp"
#include "actors/scheduler/scheduler_actor.hpp"
#include "actors/storage/storage_actor.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "actors/trainer/trainer_actor.hpp"
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
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace grace;
using grace::testing::peer_spec;
using grace::testing::source_dir;
using grace::testing::spec;
namespace fs = std::filesystem;

namespace {

constexpr int64_t minute = 60000;
constexpr int64_t hour = 60 * minute;

struct fixture : testing::virtual_time_fixture {
  fixture() : virtual_time_fixture("forecasting-test") {}

  // A component's typed status (a copy: CAF's check macros keep references
  // to their operands).
  template <class Status> Status status_of(const std::string& name) {
    return ask<Status>(component<status_client<Status>>(name), atom::status_v);
  }

  void start(bool scheduled_training) {
    forecaster_settings fs;
    fs.clock = clock;
    trainer_settings ts;
    ts.clock = clock;
    ts.scheduled = scheduled_training;
    scheduler_settings ss;
    ss.clock = clock;
    ss.notify_predictor = false;
    std::vector<component_spec> specs{
        spec("storage", storage_component, temp / "data", clock, storage_settings{}),
        spec("catalog", catalog_component, source_dir() + "/config/metrics_catalog.yaml"),
        spec("mesh", mesh_component),
        peer_spec("forecaster", forecaster_component, fs),
        peer_spec("trainer", trainer_component, ts),
        peer_spec("scheduler", scheduler_component, ss)};
    sup = sys.spawn(supervisor, specs, supervision::restart_limits{});
    sched.run();
  }

  // Two days of a daily cycle for three metrics, ending at the current window.
  void store_history() {
    const int64_t end = now() / (5 * minute) * (5 * minute);
    std::vector<snapshot> rows;
    for (const char* id : {"api.latency_p95", "infra.cpu_utilization", "api.error_rate"}) {
      for (int i = 0; i < 2 * 288; ++i) {
        snapshot s;
        s.metric_id = id;
        s.window_start = end - (2 * 288 - i) * 5 * minute;
        s.window_end = s.window_start + 5 * minute;
        s.count = 5;
        s.mean = s.p50 = s.p95 = s.last = 100.0 + 20.0 * std::sin(2.0 * M_PI * i / 288.0);
        s.min = s.mean - 1;
        s.max = s.mean + 1;
        rows.push_back(s);
      }
    }
    CAF_CHECK_EQUAL(ask<uint64_t>(component<storage_actor>("storage"), atom::store_v,
                                  closed_windows{rows, INT64_MIN}),
                    rows.size());
  }
};

size_t files_under(const fs::path& dir) {
  size_t n = 0;
  if (!fs::exists(dir))
    return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    n += e.is_regular_file() ? 1 : 0;
  return n;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(forecasting_tests, fixture)

CAF_TEST(the scheduler forecasts every 15 virtual minutes and not before) {
  start(false);
  store_history();
  pass_virtual(14 * minute);
  CAF_CHECK_EQUAL(status_of<scheduler_status>("scheduler").cycles, 0u);
  pass_virtual(2 * minute);
  const auto status = status_of<scheduler_status>("scheduler");
  CAF_CHECK_EQUAL(status.cycles, 1u);
  // Six forecast metrics in the catalog; three have snapshots.
  CAF_CHECK_EQUAL(status.forecasts, 3u);
  CAF_CHECK(status.has_last_cycle);
  CAF_CHECK_EQUAL(status.last_cycle.without_data.size(), 3u);
  pass_virtual(15 * minute);
  CAF_CHECK_EQUAL(status_of<scheduler_status>("scheduler").cycles, 2u);
  CAF_CHECK_EQUAL(status_of<storage_status>("storage").forecasts_stored, 6u);
}

CAF_TEST(the trainer trains every 6 virtual hours and on demand) {
  start(true);
  store_history();
  pass_virtual(5 * hour + 55 * minute);
  CAF_CHECK_EQUAL(status_of<trainer_status>("trainer").training_cycles, 0u);
  pass_virtual(10 * minute);
  CAF_CHECK_EQUAL(status_of<trainer_status>("trainer").training_cycles, 1u);
  const auto artifact = temp / "data/ml_artifacts/temporal_forecaster/tft_model.json";
  CAF_CHECK(fs::exists(artifact));
  CAF_CHECK_EQUAL(files_under(temp / "data/grace_training/code_patterns"), 1u);
  auto model =
      ask<forecaster_statistics>(component<forecaster_actor>("forecaster"), atom::statistics_v);
  CAF_CHECK_EQUAL(model.metrics_modelled, 3u);
  CAF_CHECK_EQUAL(model.model_version, "tft-20251109T060000Z");
  // On demand: cycle 2 at once, answered with its record.
  auto record = ask<training_record>(component<trainer_actor>("trainer"), atom::train_v);
  CAF_CHECK_EQUAL(record.cycle, 2u);
  CAF_CHECK_EQUAL(record.metrics, 3u);
  CAF_CHECK_EQUAL(record.samples, 3u * 2 * 288);
  CAF_CHECK_EQUAL(record.validation_scores.size(), 3u);
  CAF_CHECK_EQUAL(files_under(temp / "data/grace_training/code_patterns"), 2u);
  // The previous artifact is kept as a version of its own.
  CAF_CHECK(fs::exists(artifact.parent_path() / "tft_model.v1.json"));
}

CAF_TEST(a corrupt artifact falls back to the previous version) {
  start(false);
  store_history();
  auto trainer = component<trainer_actor>("trainer");
  CAF_CHECK_EQUAL(ask<training_record>(trainer, atom::train_v).cycle, 1u);
  pass_virtual(30 * minute);
  CAF_CHECK_EQUAL(ask<training_record>(trainer, atom::train_v).cycle, 2u);
  const auto dir = temp / "data/ml_artifacts/temporal_forecaster";
  { std::ofstream(dir / "tft_model.json", std::ios::trunc) << "{\"format\": \"grace.temp"; }
  // A forecaster started now (as after a restart) loads the older version.
  forecaster_settings fs;
  fs.clock = clock;
  auto fresh = sys.spawn(forecaster_component, sup, fs);
  sched.run();
  auto stats = ask<forecaster_statistics>(fresh, atom::statistics_v);
  CAF_CHECK_EQUAL(stats.metrics_modelled, 3u);
  CAF_CHECK(stats.loaded_from.find("tft_model.v1.json") != std::string::npos);
  CAF_REQUIRE_EQUAL(stats.rejected_artifacts.size(), 1u);
  CAF_CHECK(stats.rejected_artifacts[0].find("tft_model.json") != std::string::npos);
  caf::anon_send_exit(fresh, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST(forecast requests are validated and answered from stored snapshots) {
  start(false);
  store_history();
  auto forecaster = component<forecaster_actor>("forecaster");
  auto unknown = ask_error<std::vector<forecast>>(
      forecaster, atom::forecast_v, forecast_request{{"api.latency_p95", "bogus"}, hour});
  CAF_CHECK(is(unknown, errc::not_found));
  CAF_CHECK(describe(unknown).find("unknown metric 'bogus'") != std::string::npos);
  auto too_far = ask_error<std::vector<forecast>>(forecaster, atom::forecast_v,
                                                  forecast_request{{"api.latency_p95"}, 7 * hour});
  CAF_CHECK(is(too_far, errc::invalid_input));
  auto out = ask<std::vector<forecast>>(
      forecaster, atom::forecast_v,
      forecast_request{{"api.latency_p95", "executor.queue_depth"}, hour});
  // executor.queue_depth has no snapshots: left out.
  CAF_REQUIRE_EQUAL(out.size(), 1u);
  CAF_CHECK_EQUAL(out[0].metric_id, "api.latency_p95");
  CAF_CHECK_EQUAL(out[0].model_version, "untrained");
  CAF_REQUIRE(!out[0].points.empty());
  CAF_CHECK_GREATER_OR_EQUAL(out[0].points.back().ts, out[0].generated_at + hour);
  CAF_CHECK_LESS(out[0].points.back().ts, out[0].generated_at + hour + 5 * minute);
  for (const auto& p : out[0].points) {
    CAF_CHECK_LESS_OR_EQUAL(p.lo95, p.mean);
    CAF_CHECK_LESS_OR_EQUAL(p.mean, p.hi95);
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
