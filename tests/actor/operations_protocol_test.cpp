// Predictor, RL agent and executor on CAF's deterministic test coordinator:
// each governance rule through the executor actor (cooldown, rate limit,
// approval and its expiry, dry-run, kill switch), a run's outcome measured
// after the evaluation window and learned by the RL agent, and a forecast
// that becomes an early warning, a recommendation, a run and a prevented
// breach — all driven by advancing virtual time.
#define CAF_SUITE operations_protocol

#include "actors/catalog/catalog_actor.hpp"
#include "actors/executor/executor_actor.hpp"
#include "actors/mesh/mesh_actor.hpp"
#include "actors/predictor/predictor_actor.hpp"
#include "actors/rl_agent/rl_agent_actor.hpp"
#include "actors/storage/storage_actor.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "common/utc_time.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"
#include "messages/register_types.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

// dsl.hpp in 0.17.6 uses a one-argument FAIL it never defines.
#define FAIL(...) CAF_FAIL(__VA_ARGS__)
#include "tests/actor/actor_test_support.hpp"

#include <caf/test/dsl.hpp>
#include <caf/test/unit_test_impl.hpp>
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

// One metric and noop playbooks in each mode; a dry-run command that would
// leave a file behind if it ever ran.
const char* catalog_yaml = R"(version: 1
metrics:
  - id: api.latency_p95
    category: api
    service: grace-api
    unit: ms
    description: latency
    direction: higher_is_worse
    thresholds: {warning: 400, critical: 500}
    collection_interval: 60s
    aggregation: mean
    forecast: true
    playbooks: [fix-auto]
  - id: api.error_rate
    category: api
    service: grace-api
    unit: percent
    description: errors
    direction: higher_is_worse
    thresholds: {warning: 2, critical: 5}
    collection_interval: 60s
    aggregation: mean
    forecast: false
    playbooks: [fix-approval, fix-dry-run]
playbooks:
  - id: fix-auto
    description: automatic
    action: {kind: noop}
    risk_tier: 1
    mode: auto
    cooldown: 10m
    max_runs_per_hour: 2
  - id: fix-approval
    description: needs a human
    action: {kind: noop}
    risk_tier: 2
    mode: approval
    cooldown: 1m
    max_runs_per_hour: 10
  - id: fix-dry-run
    description: only says what it would do
    action: {kind: command, argv: [/usr/bin/touch, DRY_RUN_MARKER]}
    risk_tier: 1
    mode: dry-run
    cooldown: 1m
    max_runs_per_hour: 10
)";

// Stands in for a cluster node's cluster component whose peer owns every
// shard: recommendations come from this node's learner (as the owner's
// would), outcomes are "committed and learned by n2" and recorded.
struct fake_cluster_state {
  static inline const char* name = "fake-cluster";
};

cluster_actor::behavior_type fake_cluster(cluster_actor::stateful_pointer<fake_cluster_state> self,
                                          supervisor_actor sup,
                                          std::shared_ptr<std::vector<reward_report>> rewards,
                                          std::shared_ptr<std::vector<std::string>> withdrawn) {
  auto not_here = [] { return make_error(errc::invalid_input, "not in this test"); };
  return {
      [=](atom::get) { return cluster_view{}; },
      [=](atom::tick) {},
      [=](atom::refresh) {},
      [=](atom::sync) {},
      [=](atom::flush) {},
      [=](atom::status) { return cluster_status{}; },
      [=](atom::hello, const peer_hello&, const caf::actor&) -> caf::result<peer_hello> {
        return not_here();
      },
      [=](atom::recommend, const recommend_request& r) -> caf::result<recommendation, std::string> {
        auto rp = self->make_response_promise<recommendation, std::string>();
        self->request(sup, std::chrono::seconds(5), atom::get_v, std::string("rl_agent"))
            .then([=](caf::actor& a) mutable {
              self->request(caf::actor_cast<rl_agent_actor>(a), std::chrono::seconds(5),
                            atom::recommend_v, r)
                  .then([=](recommendation& out) mutable { rp.deliver(out, std::string("n2")); });
            });
        return rp;
      },
      [=](atom::reward, const reward_report& r) -> caf::result<experience, std::string> {
        rewards->push_back(r);
        experience e;
        e.event_id = r.event_id;
        e.reward = r.reward;
        e.kpi_deltas = r.kpi_deltas;
        e.trust_delta = 0.25;
        return {e, std::string("n2")};
      },
      [=](atom::recommend, const recommend_request&,
          const std::string&) -> caf::result<recommendation, std::string> { return not_here(); },
      [=](atom::reward, const reward_report&,
          const std::string&) -> caf::result<experience, std::string> { return not_here(); },
      [=](atom::ingest, const sample_batch&) -> caf::result<ingest_receipt> { return not_here(); },
      [=](atom::ingest, const sample_batch&, const std::string&) -> caf::result<ingest_receipt> {
        return not_here();
      },
      [=](atom::statistics) -> caf::result<cluster_rl_statistics> { return not_here(); },
      [=](atom::statistics, const std::string&) -> caf::result<rl_statistics, std::string> {
        return not_here();
      },
      [=](atom::policies) -> caf::result<cluster_rl_policies> { return not_here(); },
      [=](atom::policies, const std::string&) -> caf::result<rl_policies, std::string> {
        return not_here();
      },
      [=](atom::forecast, const forecast_request&) -> caf::result<cluster_forecasts> {
        return not_here();
      },
      [=](atom::forecast, const forecast_request&, const std::string&)
          -> caf::result<std::vector<forecast>, std::string> { return not_here(); },
      [=](atom::warnings) -> caf::result<cluster_warnings> { return not_here(); },
      [=](atom::warnings, const std::string&) -> caf::result<warnings_view, std::string> {
        return not_here();
      },
      [=](atom::overview) -> caf::result<cluster_dashboard_overview> { return not_here(); },
      [=](atom::overview, const std::string&) -> caf::result<dashboard_overview, std::string> {
        return not_here();
      },
      [=](atom::playbooks) -> caf::result<cluster_dashboard_playbooks> { return not_here(); },
      [=](atom::playbooks, const std::string&) -> caf::result<dashboard_playbooks, std::string> {
        return not_here();
      },
      [=](atom::store, const snapshot_handover&) -> caf::result<uint64_t> { return not_here(); },
      [=](atom::store, const closed_windows&) -> caf::result<uint64_t> { return not_here(); },
      [=](atom::store, const closed_windows&, const std::string&) -> caf::result<uint64_t> {
        return not_here();
      },
      // Withdrawn "at the owner": this node's learner stands in for it.
      [=](atom::withdraw, const std::string& event_id) -> caf::result<bool> {
        withdrawn->push_back(event_id);
        auto rp = self->make_response_promise<bool>();
        self->request(sup, std::chrono::seconds(5), atom::get_v, std::string("rl_agent"))
            .then([=](caf::actor& a) mutable {
              self->request(caf::actor_cast<rl_agent_actor>(a), std::chrono::seconds(5),
                            atom::withdraw_v, event_id)
                  .then([=](bool out) mutable { rp.deliver(out); });
            });
        return rp;
      },
      [=](atom::withdraw, const std::string&, const std::string&) -> caf::result<bool> {
        return not_here();
      },
      [=](atom::query, const snapshot_query&) -> caf::result<std::vector<snapshot>, std::string> {
        return not_here();
      },
      [=](atom::query, const snapshot_query&, const std::string&)
          -> caf::result<std::vector<snapshot>, std::string> { return not_here(); },
      [=](atom::accuracy) -> caf::result<cluster_dashboard_accuracy> { return not_here(); },
      [=](atom::accuracy, const std::string&) -> caf::result<dashboard_accuracy, std::string> {
        return not_here();
      },
      [=](atom::learning) -> caf::result<cluster_dashboard_learning> { return not_here(); },
      [=](atom::learning, const std::string&) -> caf::result<dashboard_learning, std::string> {
        return not_here();
      },
      [=](atom::training) -> caf::result<cluster_dashboard_training> { return not_here(); },
      [=](atom::training, const std::string&) -> caf::result<dashboard_training, std::string> {
        return not_here();
      },
      [=](atom::forecasts) -> caf::result<cluster_dashboard_forecasts> { return not_here(); },
      [=](atom::forecasts, const std::string&) -> caf::result<dashboard_forecasts, std::string> {
        return not_here();
      },
      [=](atom::executions, const std::string&) -> caf::result<cluster_executions> {
        return not_here();
      },
      [=](atom::executions, const std::string&, const std::string&)
          -> caf::result<std::vector<execution>, std::string> { return not_here(); },
      [=](atom::approve, const std::string&, bool) -> caf::result<cluster_executions> {
        return not_here();
      },
      [=](atom::approve, const std::string&, bool, const std::string&)
          -> caf::result<std::vector<execution>, std::string> { return not_here(); },
      [=](atom::kill, bool, const std::string&) -> caf::result<governance_status> {
        return not_here();
      },
      [=](atom::evaluate) -> caf::result<cluster_rl_evaluation> { return not_here(); },
      [=](atom::evaluate, const std::string&) -> caf::result<rl_evaluation, std::string> {
        return not_here();
      },
  };
}

struct fixture : testing::virtual_time_fixture {
  std::shared_ptr<std::vector<reward_report>> cluster_rewards =
      std::make_shared<std::vector<reward_report>>();
  std::shared_ptr<std::vector<std::string>> cluster_withdrawals =
      std::make_shared<std::vector<std::string>>();
  fixture() : virtual_time_fixture("operations-test") {
    std::string yaml = catalog_yaml;
    const auto marker = (temp / "dry-run-ran").string();
    yaml.replace(yaml.find("DRY_RUN_MARKER"), 14, marker);
    std::ofstream(temp / "catalog.yaml") << yaml;
  }

  void start(bool act = true, rl::agent_config rl = {}, bool cluster = false) {
    predictor_settings ps;
    ps.clock = clock;
    ps.act = act;
    ps.cluster = cluster;
    executor_settings es;
    es.clock = clock;
    es.cluster = cluster;
    rl_agent_settings rs;
    rs.clock = clock;
    rs.agent = rl;
    std::vector<component_spec> specs{
        spec("storage", storage_component, temp / "data", clock, storage_settings{}),
        spec("catalog", catalog_component, (temp / "catalog.yaml").string()),
        spec("mesh", mesh_component),
        peer_spec("rl_agent", rl_agent_component, rs),
        peer_spec("predictor", predictor_component, ps),
        peer_spec("executor", executor_component, es)};
    if (cluster)
      specs.push_back(peer_spec("cluster", fake_cluster, cluster_rewards, cluster_withdrawals));
    sup = sys.spawn(supervisor, specs, supervision::restart_limits{});
    sched.run();
  }

  execution run(const std::string& playbook, const std::string& metric = "api.latency_p95") {
    execution_request r;
    r.metric_id = metric;
    r.service = "grace-api";
    r.playbook = playbook;
    return ask<execution>(component<executor_actor>("executor"), atom::run_v, r);
  }

  size_t files_under(const fs::path& dir) {
    size_t n = 0;
    if (fs::exists(dir))
      for (const auto& e : fs::recursive_directory_iterator(dir))
        n += e.is_regular_file() ? 1 : 0;
    return n;
  }

  // A forecast from now whose mean climbs from 300 to 480 over an hour with
  // narrow intervals: the 400 threshold is crossed about 35 minutes ahead.
  forecast rising_forecast() {
    forecast f;
    f.metric_id = "api.latency_p95";
    f.generated_at = now();
    f.step = 5 * minute;
    for (int k = 1; k <= 12; ++k) {
      const double mean = 300.0 + 15.0 * k;
      f.points.push_back(
          {f.generated_at + k * 5 * minute, mean, mean - 10, mean + 10, mean - 20, mean + 20});
    }
    return f;
  }

  snapshot snap(const std::string& metric, int64_t end, double mean, band level) {
    snapshot s;
    s.metric_id = metric;
    s.window_start = end - 5 * minute;
    s.window_end = end;
    s.count = 5;
    s.mean = s.p50 = s.p95 = s.last = s.min = s.max = mean;
    s.level = level;
    return s;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(operations_tests, fixture)

CAF_TEST(cooldown and rate limit stop repeated runs and every decision is recorded) {
  start();
  auto first = run("fix-auto");
  CAF_CHECK_EQUAL(to_string(first.state), "succeeded");
  CAF_CHECK_EQUAL(first.message, "no action (noop playbook)");
  auto second = run("fix-auto");
  CAF_CHECK_EQUAL(to_string(second.state), "refused");
  CAF_CHECK_EQUAL(second.rule, "cooldown");
  pass_virtual(11 * minute);
  CAF_CHECK_EQUAL(to_string(run("fix-auto").state), "succeeded");
  pass_virtual(11 * minute);
  auto third = run("fix-auto"); // a third run within the hour: max_runs_per_hour is 2
  CAF_CHECK_EQUAL(to_string(third.state), "refused");
  CAF_CHECK_EQUAL(third.rule, "rate_limit");
  CAF_CHECK_EQUAL(files_under(temp / "data/grace_training/governance"), 4u);
  auto listed = ask<std::vector<execution>>(component<executor_actor>("executor"), atom::get_v,
                                            std::string("refused"));
  CAF_CHECK_EQUAL(listed.size(), 2u);
}

CAF_TEST(approval waits approves once and expires) {
  start();
  auto executor = component<executor_actor>("executor");
  auto pending = run("fix-approval", "api.error_rate");
  CAF_CHECK_EQUAL(to_string(pending.state), "pending_approval");
  auto approved = ask<execution>(executor, atom::approve_v, pending.id, true);
  CAF_CHECK_EQUAL(to_string(approved.state), "succeeded");
  auto again = ask_error<execution>(executor, atom::approve_v, pending.id, true);
  CAF_CHECK(is(again, errc::not_found));
  pass_virtual(2 * minute);
  // A person's deadline is wall-clock time: 16 virtual minutes (16 real
  // seconds at this scale) leave most of the 15-minute timeout to approve.
  auto waiting = run("fix-approval", "api.error_rate");
  CAF_CHECK_EQUAL(waiting.approval_expires_at, iso_time(wall_now() + 15 * minute));
  pass_virtual(16 * minute);
  auto in_time = ask<execution>(executor, atom::approve_v, waiting.id, true);
  CAF_CHECK_EQUAL(to_string(in_time.state), "succeeded");
  pass_virtual(2 * minute);
  auto unattended = run("fix-approval", "api.error_rate");
  pass_real(std::chrono::minutes(14));
  CAF_CHECK_EQUAL(ask<std::vector<execution>>(executor, atom::get_v, std::string("expired")).size(),
                  0u);
  pass_real(std::chrono::minutes(2));
  auto late = ask_error<execution>(executor, atom::approve_v, unattended.id, true);
  CAF_CHECK(is(late, errc::not_found));
  auto expired = ask<std::vector<execution>>(executor, atom::get_v, std::string("expired"));
  CAF_REQUIRE_EQUAL(expired.size(), 1u);
  CAF_CHECK_EQUAL(expired[0].id, unattended.id);
  CAF_CHECK_EQUAL(expired[0].approval_expires_at, unattended.approval_expires_at);
  // A rejected one never runs.
  auto rejected_run = run("fix-approval", "api.error_rate");
  auto rejected = ask<execution>(executor, atom::approve_v, rejected_run.id, false);
  CAF_CHECK_EQUAL(to_string(rejected.state), "rejected");
}

CAF_TEST(dry run runs nothing and the kill switch refuses everything) {
  start();
  auto dry = run("fix-dry-run", "api.error_rate");
  CAF_CHECK_EQUAL(to_string(dry.state), "dry_run");
  pass_virtual(2 * minute);
  CAF_CHECK(!fs::exists(temp / "dry-run-ran"));
  auto executor = component<executor_actor>("executor");
  auto status =
      ask<governance_status>(executor, atom::kill_v, true, std::string("maintenance window"));
  CAF_CHECK(status.kill_switch.engaged);
  CAF_CHECK_EQUAL(status.kill_switch.reason, "maintenance window");
  auto killed = run("fix-auto");
  CAF_CHECK_EQUAL(to_string(killed.state), "refused");
  CAF_CHECK_EQUAL(killed.rule, "kill_switch");
  ask<governance_status>(executor, atom::kill_v, false, std::string("window over"));
  CAF_CHECK_EQUAL(to_string(run("fix-auto").state), "succeeded");
}

CAF_TEST(an outcome is measured against the counterfactual and learned) {
  start();
  auto agent = component<rl_agent_actor>("rl_agent");
  auto rec = ask<recommendation>(agent, atom::recommend_v,
                                 recommend_request{"grace-api", "api.latency_p95", {}});
  CAF_CHECK_EQUAL(rec.chosen, "fix-auto");
  CAF_CHECK_EQUAL(rec.propensity, 1.0);
  // Before the run the metric sat at 300; the forecast said 450 for the next
  // half hour; after the run it stayed at 300: a clear effect, no breach.
  std::vector<snapshot> before;
  for (int k = 6; k >= 1; --k)
    before.push_back(snap("api.latency_p95", now() - (k - 1) * 5 * minute, 300.0, band::good));
  auto storage = component<storage_actor>("storage");
  ask<uint64_t>(storage, atom::store_v, closed_windows{before, INT64_MIN});
  execution_request r;
  r.metric_id = "api.latency_p95";
  r.service = "grace-api";
  r.playbook = rec.chosen;
  r.event_id = rec.event_id;
  r.propensity = rec.propensity;
  r.counterfactual.metric_id = r.metric_id;
  r.counterfactual.generated_at = now();
  r.counterfactual.step = 5 * minute;
  for (int k = 1; k <= 12; ++k)
    r.counterfactual.points.push_back({now() + k * 5 * minute, 450.0, 430, 470, 420, 480});
  auto started = ask<execution>(component<executor_actor>("executor"), atom::run_v, r);
  CAF_CHECK_EQUAL(to_string(started.state), "succeeded");
  std::vector<snapshot> after;
  for (int k = 1; k <= 6; ++k)
    after.push_back(snap("api.latency_p95", now() + k * 5 * minute, 300.0, band::good));
  ask<uint64_t>(storage, atom::store_v, closed_windows{after, INT64_MIN});
  pass_virtual(32 * minute);
  auto done = ask<std::vector<execution>>(component<executor_actor>("executor"), atom::get_v,
                                          std::string("evaluated"));
  CAF_REQUIRE_EQUAL(done.size(), 1u);
  CAF_CHECK_GREATER(done[0].reward, 0.5);
  CAF_CHECK_GREATER(done[0].trust_delta, 0.0);
  auto stats = ask<rl_statistics>(agent, atom::statistics_v);
  CAF_CHECK_EQUAL(stats.experiences, 1u);
  CAF_CHECK_EQUAL(files_under(temp / "data/grace_training/errors_fixed"), 1u);
  auto report = ask<ledger_report>(storage, atom::verify_v);
  CAF_CHECK(report.ok);
  CAF_CHECK_GREATER_OR_EQUAL(report.entries, 3u); // execution, learning step, outcome
}

CAF_TEST(in a cluster an outcome is acknowledged by the owner of its events shard) {
  start(true, {}, true);
  auto agent = component<rl_agent_actor>("rl_agent");
  auto rec = ask<recommendation>(agent, atom::recommend_v,
                                 recommend_request{"grace-api", "api.latency_p95", {}});
  std::vector<snapshot> before;
  for (int k = 6; k >= 1; --k)
    before.push_back(snap("api.latency_p95", now() - (k - 1) * 5 * minute, 300.0, band::good));
  auto storage = component<storage_actor>("storage");
  ask<uint64_t>(storage, atom::store_v, closed_windows{before, INT64_MIN});
  execution_request r;
  r.metric_id = "api.latency_p95";
  r.service = "grace-api";
  r.playbook = rec.chosen;
  r.event_id = rec.event_id;
  r.propensity = rec.propensity;
  r.counterfactual.metric_id = r.metric_id;
  r.counterfactual.generated_at = now();
  r.counterfactual.step = 5 * minute;
  for (int k = 1; k <= 12; ++k)
    r.counterfactual.points.push_back({now() + k * 5 * minute, 450.0, 430, 470, 420, 480});
  ask<execution>(component<executor_actor>("executor"), atom::run_v, r);
  std::vector<snapshot> after;
  for (int k = 1; k <= 6; ++k)
    after.push_back(snap("api.latency_p95", now() + k * 5 * minute, 300.0, band::good));
  ask<uint64_t>(storage, atom::store_v, closed_windows{after, INT64_MIN});
  pass_virtual(32 * minute);
  auto done = ask<std::vector<execution>>(component<executor_actor>("executor"), atom::get_v,
                                          std::string("evaluated"));
  CAF_REQUIRE_EQUAL(done.size(), 1u);
  // The owner's answer (its commit to etcd, then its learning step) is what
  // the execution records; this node's learner learned nothing itself.
  CAF_CHECK_EQUAL(done[0].trust_delta, 0.25);
  CAF_REQUIRE_EQUAL(cluster_rewards->size(), 1u);
  CAF_CHECK_EQUAL(cluster_rewards->at(0).event_id, rec.event_id);
  CAF_CHECK_EQUAL(cluster_rewards->at(0).reward, done[0].reward);
  CAF_CHECK_EQUAL(ask<rl_statistics>(agent, atom::statistics_v).experiences, 0u);
}

CAF_TEST(an outcome evaluation due during a restart of the executor still happens) {
  start();
  auto storage = component<storage_actor>("storage");
  std::vector<snapshot> before;
  for (int k = 6; k >= 1; --k)
    before.push_back(snap("api.latency_p95", now() - (k - 1) * 5 * minute, 300.0, band::good));
  ask<uint64_t>(storage, atom::store_v, closed_windows{before, INT64_MIN});
  execution_request r;
  r.metric_id = "api.latency_p95";
  r.service = "grace-api";
  r.playbook = "fix-auto";
  r.counterfactual.metric_id = r.metric_id;
  r.counterfactual.generated_at = now();
  r.counterfactual.step = 5 * minute;
  for (int k = 1; k <= 12; ++k)
    r.counterfactual.points.push_back({now() + k * 5 * minute, 450.0, 430, 470, 420, 480});
  auto executor = component<executor_actor>("executor");
  auto started = ask<execution>(executor, atom::run_v, r);
  CAF_CHECK_EQUAL(to_string(started.state), "succeeded");
  std::vector<snapshot> after;
  for (int k = 1; k <= 6; ++k)
    after.push_back(snap("api.latency_p95", now() + k * 5 * minute, 300.0, band::good));
  ask<uint64_t>(storage, atom::store_v, closed_windows{after, INT64_MIN});
  pass_virtual(10 * minute); // the state (with the request) is saved
  caf::anon_send_exit(executor, caf::exit_reason::unhandled_exception);
  sched.run();
  advance_time(std::chrono::seconds(1));
  sched.run();
  auto again = component<executor_actor>("executor");
  CAF_CHECK_NOT_EQUAL(executor, again);
  pass_virtual(25 * minute);
  auto done = ask<std::vector<execution>>(again, atom::get_v, std::string("evaluated"));
  CAF_REQUIRE_EQUAL(done.size(), 1u);
  CAF_CHECK_EQUAL(done[0].id, started.id);
  CAF_CHECK_GREATER(done[0].reward, 0.5);
}

CAF_TEST(a reward acknowledged before the snapshot survives a crash of the agent) {
  start();
  auto agent = component<rl_agent_actor>("rl_agent");
  auto rec = ask<recommendation>(agent, atom::recommend_v,
                                 recommend_request{"grace-api", "api.latency_p95", {}});
  reward_report report;
  report.event_id = rec.event_id;
  report.reward = 0.6;
  ask<experience>(agent, atom::reward_v, report);
  // Acknowledged: the experience is stored; the snapshot is still to come.
  auto status = ask<rl_agent_status>(agent, atom::status_v);
  CAF_CHECK_EQUAL(status.snapshots_saved, 0u);
  CAF_CHECK(status.snapshot_pending);
  caf::anon_send_exit(agent, caf::exit_reason::unhandled_exception);
  sched.run();
  advance_time(std::chrono::seconds(1)); // the supervisor's backoff
  sched.run();
  auto again = component<rl_agent_actor>("rl_agent");
  CAF_CHECK_NOT_EQUAL(agent, again);
  auto stats = ask<rl_statistics>(again, atom::statistics_v);
  CAF_CHECK_EQUAL(stats.experiences, 1u);
  CAF_CHECK_EQUAL(stats.updates, 1u);
  status = ask<rl_agent_status>(again, atom::status_v);
  CAF_CHECK_EQUAL(status.recovered, 1u);
  // The re-learned state is written after the snapshot delay; the next
  // incarnation starts from that snapshot and has nothing to re-learn.
  advance_time(std::chrono::seconds(3));
  sched.run();
  status = ask<rl_agent_status>(again, atom::status_v);
  CAF_CHECK_EQUAL(status.snapshots_saved, 1u);
  caf::anon_send_exit(again, caf::exit_reason::unhandled_exception);
  sched.run();
  advance_time(std::chrono::seconds(5));
  sched.run();
  auto third = component<rl_agent_actor>("rl_agent");
  status = ask<rl_agent_status>(third, atom::status_v);
  CAF_CHECK(status.restored);
  CAF_CHECK_EQUAL(status.recovered, 0u);
  stats = ask<rl_statistics>(third, atom::statistics_v);
  CAF_CHECK_EQUAL(stats.experiences, 1u);
  // A reward for the same event is still refused as already given.
  auto refused = ask_error<experience>(third, atom::reward_v, report);
  CAF_CHECK(is(refused, errc::conflict));
}

CAF_TEST(event ids differ after a crash that lost the newest ids with the snapshot) {
  start();
  auto agent = component<rl_agent_actor>("rl_agent");
  const recommend_request request{"grace-api", "api.latency_p95", {}};
  ask<recommendation>(agent, atom::recommend_v, request);
  advance_time(std::chrono::seconds(3)); // the snapshot holds the first event
  sched.run();
  auto lost = ask<recommendation>(agent, atom::recommend_v, request); // not in any snapshot
  caf::anon_send_exit(agent, caf::exit_reason::unhandled_exception);
  sched.run();
  advance_time(std::chrono::seconds(1)); // the supervisor's backoff
  sched.run();
  auto again = component<rl_agent_actor>("rl_agent");
  auto next = ask<recommendation>(again, atom::recommend_v, request);
  CAF_CHECK_NOT_EQUAL(next.event_id, lost.event_id);
  // The lost event's late reward is refused, never credited to the new one.
  reward_report late;
  late.event_id = lost.event_id;
  late.reward = 0.9;
  CAF_CHECK(is(ask_error<experience>(again, atom::reward_v, late), errc::not_found));
  auto stats = ask<rl_statistics>(again, atom::statistics_v);
  CAF_CHECK_EQUAL(stats.pending, 2u);
}

CAF_TEST(pending and expired events stored apart from the snapshot survive a crash) {
  rl::agent_config rl;
  rl.max_pending = 2;
  start(true, rl);
  auto agent = component<rl_agent_actor>("rl_agent");
  const recommend_request request{"grace-api", "api.latency_p95", {}};
  auto expired = ask<recommendation>(agent, atom::recommend_v, request);
  auto open = ask<recommendation>(agent, atom::recommend_v, request);
  auto newest = ask<recommendation>(agent, atom::recommend_v, request); // the cap expires one
  advance_time(std::chrono::seconds(3));                                // the save
  sched.run();
  auto status = ask<rl_agent_status>(agent, atom::status_v);
  CAF_CHECK_EQUAL(status.event_rows_saved, 1u);
  // The policy snapshot holds no event: the rows do.
  auto storage = component<storage_actor>("storage");
  auto snapshot =
      nlohmann::json::parse(ask<std::string>(storage, atom::state_v, std::string("rl_agent")));
  CAF_CHECK(!snapshot.contains("pending"));
  auto rows = ask<std::vector<stored_item>>(storage, atom::state_v, atom::history_v,
                                            std::string("rl_agent.pending"));
  CAF_REQUIRE_EQUAL(rows.size(), 2u);
  CAF_CHECK_EQUAL(rows[0].id, open.event_id);
  CAF_CHECK_EQUAL(rows[1].id, newest.event_id);
  caf::anon_send_exit(agent, caf::exit_reason::unhandled_exception);
  sched.run();
  advance_time(std::chrono::seconds(1)); // the supervisor's backoff
  sched.run();
  auto again = component<rl_agent_actor>("rl_agent");
  CAF_CHECK_NOT_EQUAL(agent, again);
  auto stats = ask<rl_statistics>(again, atom::statistics_v);
  CAF_CHECK_EQUAL(stats.pending, 2u);
  // A reward after the restart credits the event it names.
  reward_report report;
  report.event_id = open.event_id;
  report.reward = 0.8;
  auto learned = ask<experience>(again, atom::reward_v, report);
  CAF_CHECK_EQUAL(learned.event_id, open.event_id);
  CAF_CHECK_EQUAL(learned.playbook, open.chosen);
  report.event_id = expired.event_id;
  CAF_CHECK(is(ask_error<experience>(again, atom::reward_v, report), errc::gone));
  // The rewarded event's row goes with the next save.
  advance_time(std::chrono::seconds(3));
  sched.run();
  rows = ask<std::vector<stored_item>>(storage, atom::state_v, atom::history_v,
                                       std::string("rl_agent.pending"));
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  CAF_CHECK_EQUAL(rows[0].id, newest.event_id);
}

CAF_TEST(recommend refuses made up contexts and rewards for expired events are gone) {
  rl::agent_config rl;
  rl.max_pending = 1;
  start(true, rl);
  auto agent = component<rl_agent_actor>("rl_agent");
  for (const auto& [service, diagnosis] :
       std::vector<std::pair<std::string, std::string>>{{"made-up-1", "api.latency_p95"},
                                                        {"grace-api", "made.up"},
                                                        {"grace-api", "api.latency_p95:other"}}) {
    auto refused = ask_error<recommendation>(agent, atom::recommend_v,
                                             recommend_request{service, diagnosis, {}});
    CAF_CHECK(is(refused, errc::invalid_input));
  }
  auto policies = ask<rl_policies>(agent, atom::get_v);
  CAF_CHECK_EQUAL(policies.policies.size(), 0u);
  // An unknown candidate is left out with its reason; the rest are ranked.
  auto first = ask<recommendation>(
      agent, atom::recommend_v,
      recommend_request{"grace-api", "api.error_rate", {"no-such-playbook", "fix-approval"}});
  CAF_CHECK_EQUAL(first.chosen, "fix-approval");
  CAF_REQUIRE_EQUAL(first.excluded.size(), 1u);
  CAF_CHECK_EQUAL(first.excluded[0].playbook, "no-such-playbook");
  CAF_CHECK_EQUAL(first.excluded[0].reason, "not a playbook of the catalog");
  // rl.max_pending is 1: the next recommendation expires the first.
  ask<recommendation>(agent, atom::recommend_v,
                      recommend_request{"grace-api", "api.latency_p95", {}});
  reward_report report;
  report.event_id = first.event_id;
  report.reward = 0.5;
  CAF_CHECK(is(ask_error<experience>(agent, atom::reward_v, report), errc::gone));
  report.event_id = "rl-0000000000000000-000000000000";
  CAF_CHECK(is(ask_error<experience>(agent, atom::reward_v, report), errc::not_found));
  // The context only offered in is gone with its event; the pending one stays.
  policies = ask<rl_policies>(agent, atom::get_v);
  CAF_REQUIRE_EQUAL(policies.policies.size(), 1u);
  CAF_CHECK_EQUAL(policies.policies[0].diagnosis, "api.latency_p95");
}

CAF_TEST(a rising forecast becomes a warning a run and a prevented breach) {
  start();
  auto predictor = component<predictor_actor>("predictor");
  const auto f = rising_forecast();
  self->send(predictor, atom::forecast_v, std::vector<forecast>{f});
  sched.run();
  auto warnings = nlohmann::json(ask<warnings_view>(predictor, atom::warnings_v));
  CAF_REQUIRE_EQUAL(warnings.at("open").size(), 1u);
  const auto w = warnings.at("open")[0];
  CAF_CHECK_EQUAL(w.at("metric_id").get<std::string>(), "api.latency_p95");
  CAF_CHECK_EQUAL(w.at("recommended_playbook").get<std::string>(), "fix-auto");
  CAF_CHECK_EQUAL(w.at("action_playbook").get<std::string>(), "fix-auto");
  const int64_t lead =
      *parse_iso_time_ms(w.at("expected_breach_at").get<std::string>()) - f.generated_at;
  CAF_CHECK_GREATER_OR_EQUAL(lead, 15 * minute);
  CAF_CHECK_LESS_OR_EQUAL(lead, 60 * minute);
  // The same forecast again folds into the open warning.
  self->send(predictor, atom::forecast_v, std::vector<forecast>{f});
  sched.run();
  warnings = nlohmann::json(ask<warnings_view>(predictor, atom::warnings_v));
  CAF_CHECK_EQUAL(warnings.at("open").size(), 1u);
  CAF_CHECK_EQUAL(warnings.at("statistics").at("raised").get<int>(), 1);
  // The breach never comes: after its time and the grace period it is prevented.
  pass_virtual(100 * minute);
  warnings = nlohmann::json(ask<warnings_view>(predictor, atom::warnings_v));
  CAF_CHECK_EQUAL(warnings.at("open").size(), 0u);
  CAF_CHECK_EQUAL(warnings.at("statistics").at("prevented").get<int>(), 1);
}

CAF_TEST(in a cluster a refused pick is withdrawn at the owner of its events shard) {
  start(true, {}, true);
  auto executor = component<executor_actor>("executor");
  ask<governance_status>(executor, atom::kill_v, true, std::string("maintenance window"));
  auto predictor = component<predictor_actor>("predictor");
  self->send(predictor, atom::forecast_v, std::vector<forecast>{rising_forecast()});
  sched.run();
  // The pick came from the owner (through the cluster component) and the
  // kill switch refused its run: the withdrawal went the same way, and the
  // owner's learner no longer holds the event pending.
  CAF_REQUIRE_GREATER_OR_EQUAL(cluster_withdrawals->size(), 1u);
  auto agent = component<rl_agent_actor>("rl_agent");
  CAF_CHECK_EQUAL(ask<rl_statistics>(agent, atom::statistics_v).pending, 0u);
  CAF_CHECK(!ask<bool>(agent, atom::withdraw_v, cluster_withdrawals->at(0)));
}

CAF_TEST(a warning without action that comes true records its lead time) {
  start(false);
  auto predictor = component<predictor_actor>("predictor");
  const auto f = rising_forecast();
  self->send(predictor, atom::forecast_v, std::vector<forecast>{f});
  sched.run();
  pass_virtual(40 * minute);
  self->send(predictor, atom::ingest_v,
             std::vector<snapshot>{snap("api.latency_p95", now(), 420.0, band::warning)});
  sched.run();
  auto warnings = nlohmann::json(ask<warnings_view>(predictor, atom::warnings_v));
  CAF_CHECK_EQUAL(warnings.at("open").size(), 0u);
  CAF_CHECK_EQUAL(warnings.at("statistics").at("came_true").get<int>(), 1);
  const double lead = warnings.at("statistics").at("mean_lead_minutes").get<double>();
  CAF_CHECK_GREATER_OR_EQUAL(lead, 39.0);
  CAF_CHECK_LESS_OR_EQUAL(lead, 41.0);
}

CAF_TEST_FIXTURE_SCOPE_END()
