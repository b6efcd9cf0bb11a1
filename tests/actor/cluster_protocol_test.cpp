// The cluster transport's hello across two simulated nodes (CAF's io_dsl,
// no sockets): the message types cross the wire with their registered type
// ids, the published peer endpoint hands the hello to the cluster component,
// and a refusal comes back to the dialer as an error.
#define CAF_SUITE cluster_protocol
#ifndef FAIL
#define FAIL(...) CAF_FAIL(__VA_ARGS__)
#endif
// clang-format off
#include <caf/test/io_dsl.hpp>
#include <caf/test/unit_test_impl.hpp>
// clang-format on
#include "actors/cluster/cluster_peer_actor.hpp"
#include "messages/errors.hpp"
#include "messages/register_types.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/io/middleman.hpp>
#include <limits>
#include <tuple>

using namespace grace;

namespace {

struct cluster_test_config : caf::actor_system_config {
  cluster_test_config() {
    register_types(*this);
    load<caf::io::middleman>();
  }
};

using planets = point_to_point_fixture<test_coordinator_fixture<cluster_test_config>>;

// Stands in for the cluster component: accepts a hello from anyone but
// "intruder", records who greeted it, and owns every shard: a forwarded
// reward is "learned" with reward 0.5 refused, and recorded with its sender.
struct fake_cluster_state {
  static inline const char* name = "fake-cluster";
  std::vector<std::string> greeted;
  std::vector<std::string> rewarded_by;
};

cluster_actor::behavior_type
fake_cluster(cluster_actor::stateful_pointer<fake_cluster_state> self) {
  return {
      [=](atom::get) { return cluster_view{}; },
      [=](atom::tick) {},
      [=](atom::refresh) {},
      [=](atom::sync) {},
      [=](atom::hello, const peer_hello& theirs,
          const caf::actor& endpoint) -> caf::result<peer_hello> {
        if (theirs.node_id == "intruder" || !endpoint)
          return make_error(errc::conflict, "peer 'intruder' is not a member in etcd");
        self->state.greeted.push_back(theirs.node_id);
        return peer_hello{cluster_protocol_version, "mars-node", 7};
      },
      [=](atom::status) { return cluster_status{}; },
      [=](atom::policies) -> caf::result<cluster_rl_policies> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::policies, const std::string&) -> caf::result<rl_policies, std::string> {
        rl_policies share;
        share.policies = {{"api", "latency", 2, {{"restart", 0.5, 0.1, 2, 0.4, false}}}};
        return {share, std::string("mars-node")};
      },
      [=](atom::statistics) -> caf::result<cluster_rl_statistics> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::statistics, const std::string&) -> caf::result<rl_statistics, std::string> {
        rl_statistics share;
        share.policy = "hierarchical_thompson";
        share.contexts = 3;
        share.experiences = 41;
        share.average_reward = 0.25;
        return {share, std::string("mars-node")};
      },
      [=](atom::flush) {},
      [=](atom::forecast, const forecast_request&) -> caf::result<cluster_forecasts> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      // One forecast per metric asked, but "unknown" is refused.
      [=](atom::forecast, const forecast_request& r,
          const std::string&) -> caf::result<std::vector<forecast>, std::string> {
        std::vector<forecast> out;
        for (const auto& id : r.metric_ids) {
          if (id == "unknown")
            return make_error(errc::not_found, "unknown metric 'unknown'");
          forecast f;
          f.metric_id = id;
          f.step = r.horizon_ms;
          f.points = {{1000, 1.5, 1.0, 2.0, 0.5, 2.5}};
          out.push_back(f);
        }
        return {out, std::string("mars-node")};
      },
      [=](atom::warnings) -> caf::result<cluster_warnings> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::warnings, const std::string&) -> caf::result<warnings_view, std::string> {
        warnings_view share;
        share.open.resize(1);
        share.open[0].id = "w-1";
        share.open[0].metric_id = "api.latency_p95";
        share.statistics.raised = 3;
        return {share, std::string("mars-node")};
      },
      [=](atom::overview) -> caf::result<cluster_dashboard_overview> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::overview, const std::string&) -> caf::result<dashboard_overview, std::string> {
        dashboard_overview share;
        share.warnings.raised = 5;
        share.has_learning = true;
        share.learning.experiences = 12;
        share.health.parts = {{"training_freshness", 0.15, 80.0, "fresh"}};
        share.unavailable = {"trainer: request_timeout"};
        return {share, std::string("mars-node")};
      },
      [=](atom::playbooks) -> caf::result<cluster_dashboard_playbooks> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::playbooks, const std::string&) -> caf::result<dashboard_playbooks, std::string> {
        dashboard_playbooks share;
        share.playbooks = {{"restart", {}, {{"api", "api.latency_p95", {}}}}};
        share.playbooks[0].counts.runs = 2;
        share.playbooks[0].counts.not_run["refused"] = 1;
        return {share, std::string("mars-node")};
      },
      [=](atom::store, const closed_windows&) -> caf::result<uint64_t> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      // Stores what it owns of a forwarded history: the db.* windows.
      [=](atom::store, const closed_windows& w, const std::string&) -> caf::result<uint64_t> {
        uint64_t n = 0;
        for (const auto& x : w.snapshots)
          n += x.metric_id.rfind("db.", 0) == 0 ? 1 : 0;
        return n;
      },
      [=](atom::store, const snapshot_handover& h) -> caf::result<uint64_t> {
        if (h.from != "earth-node")
          return make_error(errc::conflict, "not a member: " + h.from);
        return static_cast<uint64_t>(h.snapshots.size() + h.forecasts.size());
      },
      [=](atom::withdraw, const std::string&) -> caf::result<bool> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      // Had only "rl-x-1-s3" pending.
      [=](atom::withdraw, const std::string& event_id, const std::string&) -> caf::result<bool> {
        return event_id == "rl-x-1-s3";
      },
      [=](atom::ingest, const sample_batch&) -> caf::result<ingest_receipt> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      // Takes every sample but those of metric "late".
      [=](atom::ingest, const sample_batch& batch, const std::string&) {
        ingest_receipt receipt;
        for (size_t i = 0; i < batch.size(); ++i)
          if (batch[i].metric_id == "late")
            receipt.rejected.push_back({i, "late"});
          else
            ++receipt.accepted;
        return receipt;
      },
      [=](atom::recommend, const recommend_request& r) -> caf::result<recommendation, std::string> {
        return make_error(errc::invalid_input, "not from a peer: " + r.service);
      },
      [=](atom::reward, const reward_report&) -> caf::result<experience, std::string> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::recommend, const recommend_request& r,
          const std::string&) -> caf::result<recommendation, std::string> {
        recommendation out;
        out.event_id = "rl-1-2-s7";
        out.service = r.service;
        out.diagnosis = r.diagnosis;
        out.chosen = r.candidates.empty() ? "" : r.candidates.front();
        out.propensity = 1.0;
        return {out, std::string("mars-node")};
      },
      // A metric's snapshots from the owner's storage; "unknown" is refused.
      [=](atom::query, const snapshot_query&) -> caf::result<std::vector<snapshot>, std::string> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::query, const snapshot_query& q,
          const std::string&) -> caf::result<std::vector<snapshot>, std::string> {
        if (q.metric_id == "unknown")
          return make_error(errc::not_found, "unknown metric 'unknown'");
        std::vector<snapshot> rows(2);
        for (size_t i = 0; i < rows.size(); ++i) {
          rows[i].metric_id = q.metric_id;
          rows[i].window_start = q.since + static_cast<int64_t>(i) * 1000;
          rows[i].window_end = rows[i].window_start + 1000;
          rows[i].p95 = 0.5 + static_cast<double>(i);
        }
        return {rows, std::string("mars-node")};
      },
      [=](atom::accuracy) -> caf::result<cluster_dashboard_accuracy> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::accuracy, const std::string&) -> caf::result<dashboard_accuracy, std::string> {
        dashboard_accuracy share;
        share.definition = "absolute errors";
        share.week.overall.points = 30;
        share.week.metrics = {{"db.cpu", {}, {{60, {}}}}};
        share.week.metrics[0].overall.points = 30;
        share.week.metrics[0].by_horizon[0].figures.smape = 12.5;
        return {share, std::string("mars-node")};
      },
      [=](atom::learning) -> caf::result<cluster_dashboard_learning> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::learning, const std::string&) -> caf::result<dashboard_learning, std::string> {
        dashboard_learning share;
        share.experiences = 9;
        share.days = {{"2026-12-07", 9, 0.25}};
        share.has_agent = true;
        share.agent.experiences = 9;
        share.has_policies = true;
        share.policies = {{"api", "latency", 9, {}}};
        return {share, std::string("mars-node")};
      },
      [=](atom::training) -> caf::result<cluster_dashboard_training> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::training, const std::string&) -> caf::result<dashboard_training, std::string> {
        dashboard_training share;
        share.cycles = {{4, 1000, 61000, 60.0, 500, 14, "v4", 0.75}};
        share.count = 1;
        share.last_finished_at = 61000;
        return {share, std::string("mars-node")};
      },
      [=](atom::forecasts) -> caf::result<cluster_dashboard_forecasts> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::forecasts, const std::string&) -> caf::result<dashboard_forecasts, std::string> {
        dashboard_forecasts share;
        share.forecasts.resize(1);
        share.forecasts[0].metric_id = "db.cpu";
        share.forecasts[0].generated_at = 5000;
        share.forecasts[0].points = {{1000, 1.5, 1.0, 2.0, 0.5, 2.5}};
        return {share, std::string("mars-node")};
      },
      [=](atom::executions, const std::string&) -> caf::result<cluster_executions> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      // The runs in the state asked for ("" all): one succeeded, one refused.
      [=](atom::executions, const std::string& filter,
          const std::string&) -> caf::result<std::vector<execution>, std::string> {
        std::vector<execution> all(2);
        all[0].id = "exec-2";
        all[0].state = execution_state::refused;
        all[1].id = "exec-1";
        all[1].state = execution_state::succeeded;
        all[1].kpi_deltas = {{"latency", -0.25}};
        std::vector<execution> out;
        for (auto& e : all)
          if (filter.empty() || to_string(e.state) == filter)
            out.push_back(e);
        return {out, std::string("mars-node")};
      },
      [=](atom::approve, const std::string&, bool) -> caf::result<cluster_executions> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      // Holds one run waiting for approval: decided when asked for it.
      [=](atom::approve, const std::string& id, bool approved,
          const std::string&) -> caf::result<std::vector<execution>, std::string> {
        std::vector<execution> decided;
        if (id == "ex-mars-node-1-60") {
          decided.resize(1);
          decided[0].id = id;
          decided[0].state = approved ? execution_state::running : execution_state::rejected;
        }
        return {decided, std::string("mars-node")};
      },
      [=](atom::kill, bool, const std::string&) -> caf::result<governance_status> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::evaluate) -> caf::result<cluster_rl_evaluation> {
        return make_error(errc::invalid_input, "not from a peer");
      },
      [=](atom::evaluate, const std::string&) -> caf::result<rl_evaluation, std::string> {
        rl_evaluation share;
        share.experiences = 9;
        share.policy = "hierarchical_thompson";
        share.current.dr = {0.5, 0.1, 0.3, 0.7};
        return {share, std::string("mars-node")};
      },
      [=](atom::reward, const reward_report& r,
          const std::string& from) -> caf::result<experience, std::string> {
        if (r.reward == 0.5)
          return make_error(errc::conflict, "event '" + r.event_id + "' was already rewarded");
        self->state.rewarded_by.push_back(from);
        experience e;
        e.event_id = r.event_id;
        e.reward = r.reward;
        e.kpi_deltas = r.kpi_deltas;
        e.playbook = "restart";
        return {e, std::string("mars-node")};
      },
  };
}

// Mars serves the fake cluster behind a peer endpoint on port 8080 and
// Earth connects to it: Mars' cluster and endpoint (for the test to stop)
// and Earth's handle of that endpoint.
auto connect_earth_to_mars(planets& f) {
  auto cluster = f.mars.sys.spawn(fake_cluster);
  auto endpoint = f.mars.sys.spawn(cluster_peer_component, cluster);
  f.prepare_connection(f.mars, f.earth, "mars", 8080);
  f.mars.publish(endpoint, 8080);
  auto peer = f.earth.remote_actor<cluster_peer_actor>("mars", 8080);
  CAF_REQUIRE(peer);
  return std::make_tuple(cluster, endpoint, peer);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_protocol_tests, planets)

CAF_TEST(a hello crosses the wire and reaches the cluster component) {
  auto cluster = mars.sys.spawn(fake_cluster);
  auto endpoint = mars.sys.spawn(cluster_peer_component, cluster);
  prepare_connection(mars, earth, "mars", 8080);
  CAF_CHECK_EQUAL(mars.publish(endpoint, 8080), 8080);
  auto peer = earth.remote_actor<cluster_peer_actor>("mars", 8080);
  CAF_REQUIRE(peer);
  auto earth_endpoint = caf::actor_cast<caf::actor>(earth.sys.spawn(fake_cluster));
  earth.self->send(peer, atom::hello_v, peer_hello{cluster_protocol_version, "earth-node", 3},
                   earth_endpoint);
  exec_all();
  // The request crossed as a plain send; the answer goes back to earth.self.
  bool answered = false;
  earth.self->receive([&](const peer_hello& theirs) {
    answered = true;
    CAF_CHECK_EQUAL(theirs.node_id, "mars-node");
    CAF_CHECK_EQUAL(theirs.incarnation, 7);
    CAF_CHECK_EQUAL(theirs.protocol_version, cluster_protocol_version);
  });
  CAF_CHECK(answered);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  anon_send_exit(earth_endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

CAF_TEST(a refused hello comes back as an error) {
  auto cluster = mars.sys.spawn(fake_cluster);
  auto endpoint = mars.sys.spawn(cluster_peer_component, cluster);
  prepare_connection(mars, earth, "mars", 8080);
  mars.publish(endpoint, 8080);
  auto peer = earth.remote_actor<cluster_peer_actor>("mars", 8080);
  auto earth_endpoint = caf::actor_cast<caf::actor>(earth.sys.spawn(fake_cluster));
  earth.self->send(peer, atom::hello_v, peer_hello{cluster_protocol_version, "intruder", 3},
                   earth_endpoint);
  exec_all();
  bool refused = false;
  earth.self->receive([&](const peer_hello&) { CAF_FAIL("an intruder was greeted"); },
                      [&](const caf::error& e) {
                        refused = true;
                        CAF_CHECK_EQUAL(describe(e), "peer 'intruder' is not a member in etcd");
                      });
  CAF_CHECK(refused);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  anon_send_exit(earth_endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

CAF_TEST(a forwarded recommendation and reward cross the wire with their types) {
  auto [cluster, endpoint, peer] = connect_earth_to_mars(*this);
  earth.self->send(peer, atom::recommend_v, recommend_request{"api", "latency", {"restart"}},
                   std::string("earth-node"));
  exec_all();
  bool recommended = false;
  earth.self->receive([&](const recommendation& r, const std::string& node) {
    recommended = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_CHECK_EQUAL(r.event_id, "rl-1-2-s7");
    CAF_CHECK_EQUAL(r.service, "api");
    CAF_CHECK_EQUAL(r.chosen, "restart");
  });
  CAF_CHECK(recommended);
  earth.self->send(peer, atom::reward_v, reward_report{"rl-1-2-s7", 1.0, {{"latency", -0.4}}},
                   std::string("earth-node"));
  exec_all();
  bool learned = false;
  earth.self->receive([&](const experience& e, const std::string& node) {
    learned = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_CHECK_EQUAL(e.event_id, "rl-1-2-s7");
    CAF_CHECK_EQUAL(e.playbook, "restart");
    CAF_CHECK_EQUAL(e.kpi_deltas.at("latency"), -0.4);
  });
  CAF_CHECK(learned);
  // The owner's refusal comes back as the error it gave.
  earth.self->send(peer, atom::reward_v, reward_report{"rl-1-2-s7", 0.5, {}},
                   std::string("earth-node"));
  exec_all();
  bool refused = false;
  earth.self->receive(
      [&](const experience&, const std::string&) { CAF_FAIL("a refused reward was learned"); },
      [&](const caf::error& e) {
        refused = true;
        CAF_CHECK_EQUAL(describe(e), "event 'rl-1-2-s7' was already rewarded");
      });
  CAF_CHECK(refused);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

CAF_TEST(the share of a member in the statistics and policies crosses the wire with its node id) {
  auto [cluster, endpoint, peer] = connect_earth_to_mars(*this);
  earth.self->send(peer, atom::statistics_v, std::string("earth-node"));
  exec_all();
  bool answered = false;
  earth.self->receive([&](const rl_statistics& share, const std::string& node) {
    answered = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_CHECK_EQUAL(share.policy, "hierarchical_thompson");
    CAF_CHECK_EQUAL(share.contexts, 3u);
    CAF_CHECK_EQUAL(share.experiences, 41u);
    CAF_CHECK_EQUAL(share.average_reward, 0.25);
  });
  CAF_CHECK(answered);
  earth.self->send(peer, atom::policies_v, std::string("earth-node"));
  exec_all();
  bool listed = false;
  earth.self->receive([&](const rl_policies& share, const std::string& node) {
    listed = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(share.policies.size(), 1u);
    CAF_CHECK_EQUAL(share.policies[0].diagnosis, "latency");
    CAF_CHECK_EQUAL(share.policies[0].playbooks.at(0).pulls, 2u);
  });
  CAF_CHECK(listed);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

CAF_TEST(forwarded samples cross the wire and their receipt comes back) {
  auto [cluster, endpoint, peer] = connect_earth_to_mars(*this);
  sample_batch batch(3);
  batch[0].metric_id = "api.latency_p95";
  batch[0].value = 120.5;
  batch[0].labels = {{"pod", "a"}};
  batch[1].metric_id = "late";
  batch[2].metric_id = "api.error_rate";
  earth.self->send(peer, atom::ingest_v, batch, std::string("earth-node"));
  exec_all();
  bool received = false;
  earth.self->receive([&](const ingest_receipt& r) {
    received = true;
    CAF_CHECK_EQUAL(r.accepted, 2u);
    CAF_REQUIRE_EQUAL(r.rejected.size(), 1u);
    CAF_CHECK_EQUAL(r.rejected[0].index, 1u);
    CAF_CHECK_EQUAL(r.rejected[0].reason, "late");
  });
  CAF_CHECK(received);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

CAF_TEST(
    forwarded forecasts and warnings and overview shares and a snapshot handover cross the wire) {
  auto [cluster, endpoint, peer] = connect_earth_to_mars(*this);
  earth.self->send(peer, atom::forecast_v, forecast_request{{"api.latency_p95", "db.cpu"}, 60000},
                   std::string("earth-node"));
  exec_all();
  bool received = false;
  earth.self->receive([&](const std::vector<forecast>& out, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(out.size(), 2u);
    CAF_CHECK_EQUAL(out[1].metric_id, "db.cpu");
    CAF_CHECK_EQUAL(out[1].step, 60000);
    CAF_REQUIRE_EQUAL(out[1].points.size(), 1u);
    CAF_CHECK_EQUAL(out[1].points[0].hi95, 2.5);
  });
  CAF_CHECK(received);
  // An owner's refusal comes back as its error.
  earth.self->send(peer, atom::forecast_v, forecast_request{{"unknown"}, 60000},
                   std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive(
      [&](const std::vector<forecast>&, const std::string&) { CAF_FAIL("not refused"); },
      [&](const caf::error& e) {
        received = true;
        CAF_CHECK_EQUAL(e.category(), error_category());
        CAF_CHECK_EQUAL(static_cast<errc>(e.code()), errc::not_found);
      });
  CAF_CHECK(received);
  earth.self->send(peer, atom::warnings_v, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const warnings_view& share, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(share.open.size(), 1u);
    CAF_CHECK_EQUAL(share.open[0].id, "w-1");
    CAF_CHECK_EQUAL(share.statistics.raised, 3u);
  });
  CAF_CHECK(received);
  earth.self->send(peer, atom::overview_v, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const dashboard_overview& share, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_CHECK_EQUAL(share.warnings.raised, 5u);
    CAF_CHECK(share.has_learning);
    CAF_CHECK_EQUAL(share.learning.experiences, 12u);
    CAF_REQUIRE_EQUAL(share.health.parts.size(), 1u);
    CAF_CHECK_EQUAL(share.health.parts[0].value.value, 80.0);
    CAF_CHECK_EQUAL(share.unavailable, std::vector<std::string>{"trainer: request_timeout"});
  });
  CAF_CHECK(received);
  earth.self->send(peer, atom::playbooks_v, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const dashboard_playbooks& share, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(share.playbooks.size(), 1u);
    CAF_CHECK_EQUAL(share.playbooks[0].counts.runs, 2u);
    CAF_CHECK_EQUAL(share.playbooks[0].counts.not_run.at("refused"), 1u);
    CAF_REQUIRE_EQUAL(share.playbooks[0].contexts.size(), 1u);
    CAF_CHECK_EQUAL(share.playbooks[0].contexts[0].diagnosis, "api.latency_p95");
  });
  CAF_CHECK(received);
  snapshot_handover handover{"earth-node", 5, std::vector<snapshot>(2), {}};
  handover.snapshots[0].metric_id = "api.latency_p95";
  handover.snapshots[0].window_start = 300000;
  handover.snapshots[1].metric_id = "api.latency_p95";
  handover.snapshots[1].p95 = 0.75;
  // With the stored forecasts of its metrics (a live handover, or the next
  // owner's): they cross the wire too.
  handover.forecasts.resize(1);
  handover.forecasts[0].metric_id = "api.latency_p95";
  handover.forecasts[0].points = {{600000, 1.5, 1.0, 2.0, 0.5, 2.5}};
  earth.self->send(peer, atom::store_v, handover);
  exec_all();
  received = false;
  earth.self->receive([&](uint64_t added) {
    received = true;
    CAF_CHECK_EQUAL(added, 3u);
  });
  CAF_CHECK(received);
  // A withdrawal forwarded to the owner of its event's shard.
  earth.self->send(peer, atom::withdraw_v, std::string("rl-x-1-s3"), std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](bool withdrawn) {
    received = true;
    CAF_CHECK(withdrawn);
  });
  CAF_CHECK(received);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

CAF_TEST(snapshots of a metric and the reports and executions and evaluation cross the wire) {
  auto [cluster, endpoint, peer] = connect_earth_to_mars(*this);
  snapshot_query q;
  q.metric_id = "db.cpu";
  q.since = 60000;
  q.until = 120000;
  q.limit = 10;
  earth.self->send(peer, atom::query_v, q, std::string("earth-node"));
  exec_all();
  bool received = false;
  earth.self->receive([&](const std::vector<snapshot>& rows, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(rows.size(), 2u);
    CAF_CHECK_EQUAL(rows[1].metric_id, "db.cpu");
    CAF_CHECK_EQUAL(rows[1].window_start, 61000);
    CAF_CHECK_EQUAL(rows[1].p95, 1.5);
  });
  CAF_CHECK(received);
  // The owner's refusal comes back as its error.
  q.metric_id = "unknown";
  earth.self->send(peer, atom::query_v, q, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive(
      [&](const std::vector<snapshot>&, const std::string&) { CAF_FAIL("not refused"); },
      [&](const caf::error& e) {
        received = true;
        CAF_CHECK_EQUAL(e.category(), error_category());
        CAF_CHECK_EQUAL(static_cast<errc>(e.code()), errc::not_found);
      });
  CAF_CHECK(received);
  earth.self->send(peer, atom::accuracy_v, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const dashboard_accuracy& share, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_CHECK_EQUAL(share.definition, "absolute errors");
    CAF_REQUIRE_EQUAL(share.week.metrics.size(), 1u);
    CAF_CHECK_EQUAL(share.week.metrics[0].overall.points, 30u);
    CAF_REQUIRE_EQUAL(share.week.metrics[0].by_horizon.size(), 1u);
    CAF_CHECK_EQUAL(share.week.metrics[0].by_horizon[0].horizon_minutes, 60);
    CAF_CHECK_EQUAL(share.week.metrics[0].by_horizon[0].figures.smape.value, 12.5);
  });
  CAF_CHECK(received);
  earth.self->send(peer, atom::learning_v, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const dashboard_learning& share, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_CHECK_EQUAL(share.experiences, 9u);
    CAF_REQUIRE_EQUAL(share.days.size(), 1u);
    CAF_CHECK_EQUAL(share.days[0].day, "2026-12-07");
    CAF_CHECK(share.has_agent);
    CAF_CHECK_EQUAL(share.agent.experiences, 9u);
    CAF_REQUIRE_EQUAL(share.policies.size(), 1u);
    CAF_CHECK_EQUAL(share.policies[0].updates, 9u);
  });
  CAF_CHECK(received);
  earth.self->send(peer, atom::training_v, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const dashboard_training& share, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(share.cycles.size(), 1u);
    CAF_CHECK_EQUAL(share.cycles[0].model_version, "v4");
    CAF_CHECK_EQUAL(share.cycles[0].validation_mase.value, 0.75);
    CAF_CHECK_EQUAL(share.last_finished_at, 61000);
  });
  CAF_CHECK(received);
  earth.self->send(peer, atom::forecasts_v, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const dashboard_forecasts& share, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(share.forecasts.size(), 1u);
    CAF_CHECK_EQUAL(share.forecasts[0].metric_id, "db.cpu");
    CAF_CHECK_EQUAL(share.forecasts[0].generated_at, 5000);
    CAF_REQUIRE_EQUAL(share.forecasts[0].points.size(), 1u);
    CAF_CHECK_EQUAL(share.forecasts[0].points[0].hi95, 2.5);
  });
  CAF_CHECK(received);
  // The state filter crosses the wire with the question.
  earth.self->send(peer, atom::executions_v, std::string("succeeded"), std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const std::vector<execution>& runs, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(runs.size(), 1u);
    CAF_CHECK_EQUAL(runs[0].id, "exec-1");
    CAF_CHECK_EQUAL(runs[0].kpi_deltas.at("latency"), -0.25);
  });
  CAF_CHECK(received);
  earth.self->send(peer, atom::executions_v, std::string(), std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const std::vector<execution>& runs, const std::string&) {
    received = true;
    CAF_CHECK_EQUAL(runs.size(), 2u);
  });
  CAF_CHECK(received);
  earth.self->send(peer, atom::evaluate_v, std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const rl_evaluation& share, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_CHECK_EQUAL(share.experiences, 9u);
    CAF_CHECK_EQUAL(share.current.dr.high, 0.7);
  });
  CAF_CHECK(received);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

// A typed reply crosses the wire field by field: what arrives prints like
// what was sent (every inspected field, in order).
template <class T>
std::pair<std::string, std::string> wire_round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(x))
    return {"serialize failed", sys.render(err)};
  T y;
  caf::binary_deserializer source{sys, buf};
  if (auto err = source(y))
    return {"deserialize failed", sys.render(err)};
  return {caf::deep_to_string(x), caf::deep_to_string(y)};
}

#define CHECK_WIRE_ROUND_TRIP(sys, x)                                                              \
  do {                                                                                             \
    auto both = wire_round_trip(sys, x);                                                           \
    CAF_CHECK_EQUAL(both.first, both.second);                                                      \
  } while (false)

CAF_TEST(a forwarded history crosses the wire and its owner answers how many were new) {
  auto [cluster, endpoint, peer] = connect_earth_to_mars(*this);
  closed_windows history;
  history.closed_before = -1;
  for (const char* id : {"db.cpu", "api.errors", "db.disk"}) {
    snapshot x;
    x.metric_id = id;
    x.window_start = 60000;
    x.window_end = 120000;
    x.count = 3;
    history.snapshots.push_back(x);
  }
  earth.self->send(peer, atom::store_v, history, std::string("earth-node"));
  exec_all();
  bool received = false;
  earth.self->receive([&](uint64_t added) {
    received = true;
    CAF_CHECK_EQUAL(added, 2u);
  });
  CAF_CHECK(received);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

CAF_TEST(an approval crosses the wire and the member holding the run decides it) {
  auto [cluster, endpoint, peer] = connect_earth_to_mars(*this);
  earth.self->send(peer, atom::approve_v, std::string("ex-mars-node-1-60"), false,
                   std::string("earth-node"));
  exec_all();
  bool received = false;
  earth.self->receive([&](const std::vector<execution>& decided, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_REQUIRE_EQUAL(decided.size(), 1u);
    CAF_CHECK_EQUAL(decided[0].id, "ex-mars-node-1-60");
    CAF_CHECK(decided[0].state == execution_state::rejected);
  });
  CAF_CHECK(received);
  // Another member's run: answered, with nothing decided.
  earth.self->send(peer, atom::approve_v, std::string("ex-earth-node-1-60"), true,
                   std::string("earth-node"));
  exec_all();
  received = false;
  earth.self->receive([&](const std::vector<execution>& decided, const std::string& node) {
    received = true;
    CAF_CHECK_EQUAL(node, "mars-node");
    CAF_CHECK(decided.empty());
  });
  CAF_CHECK(received);
  anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  anon_send_exit(endpoint, caf::exit_reason::user_shutdown);
  exec_all();
}

CAF_TEST(typed replies cross the wire with every field) {
  auto& sys = mars.sys;
  supervisor_status sup;
  sup.components = {{"catalog", true, 2}};
  CHECK_WIRE_ROUND_TRIP(sys, sup);
  aggregator_status agg;
  agg.snapshots_emitted = 7;
  agg.closed_before = std::numeric_limits<int64_t>::min();
  CHECK_WIRE_ROUND_TRIP(sys, agg);
  predictor_status pred;
  pred.anomaly_scores = {{"cpu", 0.25}};
  CHECK_WIRE_ROUND_TRIP(sys, pred);
  integration_status integ;
  integ.recent_escalations = {{"cpu", band::good, band::critical, 5, 0.9}};
  CHECK_WIRE_ROUND_TRIP(sys, integ);
  promql_status prom;
  prom.metrics.resize(1);
  prom.metrics[0].backfill.range_ms = 3600000;
  CHECK_WIRE_ROUND_TRIP(sys, prom);
  storage_status store;
  store.has_sample_log = true;
  store.sample_log.closed_before = 42;
  CHECK_WIRE_ROUND_TRIP(sys, store);
  scheduler_status sched_status;
  sched_status.last_cycle.without_data = {"db.cpu"};
  CHECK_WIRE_ROUND_TRIP(sys, sched_status);
  snapshot_handover handover{"n1", 9, std::vector<snapshot>(1), {}};
  handover.snapshots[0].metric_id = "db.cpu";
  handover.snapshots[0].window_end = 300000;
  handover.snapshots[0].level = band::critical;
  handover.forecasts.resize(1);
  handover.forecasts[0].metric_id = "db.cpu";
  handover.forecasts[0].generated_at = 120000;
  handover.forecasts[0].points = {{420000, 0.5, 0.4, 0.6, 0.3, 0.7}};
  CHECK_WIRE_ROUND_TRIP(sys, handover);
  const analytics_status analytics{1, 2, true, 88.5, "good"};
  CHECK_WIRE_ROUND_TRIP(sys, analytics);
  governance_report gov;
  gov.governance.breakers = {{"restart", "open", 2, true, 9, false}};
  gov.governance.runs_last_hour = {{"restart", 3}};
  gov.pending_approvals = {{"e1", "failover", "db", 1, 2, 1}};
  CHECK_WIRE_ROUND_TRIP(sys, gov);
  forecaster_statistics fs;
  fs.per_metric["cpu"] = {0.7, 1.1, 288, 0.25};
  fs.feature_importance = {{"lags", 0.6}};
  CHECK_WIRE_ROUND_TRIP(sys, fs);
  rl_policies policies;
  policies.policies = {{"api", "latency", 1, {{"a", 0.4, 0.1, 1, 0.3, false}}}};
  CHECK_WIRE_ROUND_TRIP(sys, policies);
  rl_evaluation eval;
  eval.current.dr = {0.5, 0.1, 0.3, 0.7};
  CHECK_WIRE_ROUND_TRIP(sys, eval);
  cluster_view view;
  view.members = {{"a", "http://a", "a:1", 3}};
  view.shards = {{0, "a", 17}, {1, "", 0}};
  view.serving = {0};
  CHECK_WIRE_ROUND_TRIP(sys, view);
  dashboard_overview overview;
  overview.health = {81.5,
                     "good",
                     "81.5/100 from 2 of 5 parts",
                     {{"a", 0.3, 90.0, "x"}, {"b", 0.2, {}, "no data"}}};
  overview.forecast_accuracy_7d.mase = 0.8;
  overview.playbooks.counts.not_run = {{"refused", 2}};
  overview.has_learning = true;
  overview.learning.experiences = 12;
  overview.unavailable = {"trainer: timeout"};
  CHECK_WIRE_ROUND_TRIP(sys, overview);
  dashboard_accuracy accuracy;
  accuracy.week.metrics = {{"cpu", {}, {{15, {3, 0.1, 0.9, {}, {}, 0.8, 0.95, -0.2}}}}};
  CHECK_WIRE_ROUND_TRIP(sys, accuracy);
  dashboard_forecasts forecasts;
  forecasts.forecasts = {
      {"cpu", "CPU", "%", "above", 70.0, {}, 5, 300000, "v1", {{1, 2, 3, 4, 5, 6}}}};
  CHECK_WIRE_ROUND_TRIP(sys, forecasts);
}

CAF_TEST_FIXTURE_SCOPE_END()
