#include "node/node_system.hpp"

#include "actors/aggregator/aggregator_actor.hpp"
#include "actors/analytics/analytics_actor.hpp"
#include "actors/catalog/catalog_actor.hpp"
#include "actors/clock/clock_start.hpp"
#include "actors/cluster/cluster_actor.hpp"
#include "actors/executor/executor_actor.hpp"
#include "actors/forecaster/forecaster_actor.hpp"
#include "actors/ingest/ingest_actor.hpp"
#include "actors/ingest/replay_actor.hpp"
#include "actors/ingest/scrape_actor.hpp"
#include "actors/integration/integration_actor.hpp"
#include "actors/mesh/mesh_actor.hpp"
#include "actors/notifier/notifier_actor.hpp"
#include "actors/predictor/predictor_actor.hpp"
#include "actors/promql/promql_actor.hpp"
#include "actors/rl_agent/rl_agent_actor.hpp"
#include "actors/scheduler/scheduler_actor.hpp"
#include "actors/simulator/simulator_actor.hpp"
#include "actors/storage/storage_actor.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "actors/trainer/trainer_actor.hpp"
#include "common/utc_time.hpp"
#include "http/http_actor.hpp"
#include "messages/errors.hpp"
#include "messages/register_types.hpp"
#include "node/cluster_transport.hpp"

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <thread>
#include <unistd.h>

namespace grace::node {

namespace {

class node_config : public caf::actor_system_config {
public:
  explicit node_config(const cluster::cluster_settings& cluster) {
    register_types(*this);
    // CAF's own console output would interleave with ours.
    set("logger.console", caf::atom("none"));
    if (cluster.enabled())
      enable_cluster_transport(*this, cluster);
  }
};

template <class F, class... Ts> component_spec spec(std::string name, F behavior, Ts... args) {
  return {std::move(name), [=](caf::local_actor* self, const supervisor_actor&) {
            return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(behavior, args...));
          }};
}

// Components that talk to others get the supervisor to find them.
template <class F, class... Ts> component_spec peer_spec(std::string name, F behavior, Ts... args) {
  return {std::move(name), [=](caf::local_actor* self, const supervisor_actor& sup) {
            return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(behavior, sup, args...));
          }};
}

std::vector<component_spec> components(const node_settings& s, const node_clock& clock,
                                       const std::optional<simulator::simulator_config>& sim) {
  std::vector<component_spec> out;
  storage_settings st;
  st.retention_ms = s.retention_ms;
  st.sync_interval_ms = s.sync_interval_ms;
  out.push_back(spec("storage", storage_component, std::filesystem::path(s.data_dir), clock, st));
  out.back().flush_on_stop = true; // stopped last: syncs the sample log
  out.push_back(spec("catalog", catalog_component, s.catalog_path));
  out.push_back(spec("mesh", mesh_component));
  aggregator_settings agg;
  agg.snapshot_interval_ms = s.snapshot_interval_ms;
  // Samples reach the aggregator a few milliseconds of real time after their
  // event time; at a high time scale that is minutes of virtual time. Allow a
  // quarter of a real second of it, and at least one collection interval.
  agg.allowed_lateness_ms = std::max<int64_t>(60000, static_cast<int64_t>(250.0 * clock.scale));
  // Windows shorter than the tick would close up to a minute late.
  agg.tick_ms = std::min<int64_t>(agg.tick_ms, s.snapshot_interval_ms);
  out.push_back(peer_spec("aggregator", aggregator_component, clock, agg));
  out.back().flush_on_stop = true; // stores the windows due, waits for the writes under way
  out.push_back(peer_spec("ingest", ingest_component));
  out.push_back(peer_spec("integration", integration_component, s.forecast_horizon_ms));
  forecaster_settings fs;
  fs.clock = clock;
  fs.limits.step_ms = s.snapshot_interval_ms;
  fs.limits.min_horizon_ms = s.snapshot_interval_ms;
  fs.history_ms = s.training_history_ms;
  fs.horizon_steps = forecaster::horizon_steps(s.forecast_horizon_ms, s.snapshot_interval_ms);
  out.push_back(peer_spec("forecaster", forecaster_component, fs));
  trainer_settings ts;
  ts.clock = clock;
  ts.training.interval_ms = s.training_interval_ms;
  ts.training.window_ms = s.training_window_ms;
  ts.training.history_ms = s.training_history_ms;
  ts.training.step_ms = s.snapshot_interval_ms;
  ts.training.horizon_steps = fs.horizon_steps;
  // Detached: a fit takes a thread of its own for its duration, never one of
  // the workers the responsive components share.
  out.push_back({"trainer", [=](caf::local_actor* self, const supervisor_actor& sup) {
                   return caf::actor_cast<caf::actor>(
                       self->spawn<caf::linked + caf::detached>(trainer_component, sup, ts));
                 }});
  scheduler_settings ss;
  ss.clock = clock;
  ss.interval_ms = s.forecast_interval_ms;
  ss.horizon_ms = s.forecast_horizon_ms;
  ss.cluster = s.cluster.enabled();
  out.push_back(peer_spec("scheduler", scheduler_component, ss));
  rl_agent_settings rs;
  rs.clock = clock;
  rs.agent.learning_rate = s.rl_learning_rate;
  rs.agent.policy = rl::parse_policy_kind(s.rl_policy);
  if (!s.rl_exploration_rule.empty()) {
    const auto parsed = rl::config_from_json({{"exploration_rule", s.rl_exploration_rule}});
    rs.agent.exploration = parsed.exploration;
    // Thompson draws keep the node's tempering; the other rules are meant
    // with untempered draws (information_directed; knowledge_gradient does
    // not draw).
    if (parsed.exploration != rl::exploration_rule::thompson)
      rs.agent.sampling_scale = 1.0;
  }
  rs.agent.seed = static_cast<uint64_t>(s.rl_seed);
  rs.agent.max_pending = static_cast<size_t>(s.rl_max_pending);
  rs.agent.pending_ttl_ms = s.rl_pending_ttl_ms;
  rs.shard_event_ids = s.cluster.enabled();
  out.push_back(peer_spec("rl_agent", rl_agent_component, rs));
  predictor_settings ps;
  static_cast<predictor::engine_settings&>(ps) = s.prediction;
  ps.clock = clock;
  // One outcome at a time per metric: the next reaction waits for the
  // previous action's evaluation window (unless the breach goes on after
  // this episode's own reaction, or began with a step: escalate_after).
  ps.min_gap_ms = s.execution.evaluation_window_ms;
  ps.approval_timeout_ms = s.execution.approval_timeout_ms;
  ps.cluster = s.cluster.enabled();
  out.push_back(peer_spec("predictor", predictor_component, ps));
  executor_settings es;
  static_cast<executor::execution_settings&>(es) = s.execution;
  // A reaction's recovery must begin within the time the predictor gives it
  // before escalating (reward.hpp): a later one is not credited to it.
  es.attribution_window_ms = s.prediction.escalate_after_ms;
  es.clock = clock;
  es.cluster = s.cluster.enabled();
  if (s.cluster.enabled())
    es.node_id = s.cluster.node_id;
  out.push_back(peer_spec("executor", executor_component, es));
  analytics_settings an;
  an.clock = clock;
  an.reports.training_interval_ms = s.training_interval_ms;
  an.reports.snapshot_interval_ms = s.snapshot_interval_ms;
  an.horizon_ms = s.forecast_horizon_ms;
  an.has_promql = !s.prometheus.url.empty();
  out.push_back(peer_spec("analytics", analytics_component, an));
  notifier_settings ns = s.alerting;
  ns.generator_url =
      "http://" + s.http.bind + ":" + std::to_string(s.http.port) + "/api/predictions/warnings";
  // Detached: a POST to Alertmanager or a webhook blocks for up to its timeout.
  out.push_back({"notifier", [=](caf::local_actor* self, const supervisor_actor&) {
                   return caf::actor_cast<caf::actor>(
                       self->spawn<caf::linked + caf::detached>(notifier_component, ns));
                 }});
  const std::string sample_sink = s.cluster.enabled() ? "cluster" : "ingest";
  if (sim) {
    const uint64_t seed =
        s.simulator_seed >= 0 ? static_cast<uint64_t>(s.simulator_seed) : sim->seed;
    // In a cluster each sample goes to its metric's owner (docs/cluster.md).
    out.push_back(peer_spec("simulator", simulator_component, clock, *sim, seed, sample_sink));
  }
  if (!s.scrape_targets.empty()) {
    const auto targets = s.scrape_targets;
    // Detached: a scrape blocks on the network, never a shared worker thread.
    out.push_back({"scrape", [=](caf::local_actor* self, const supervisor_actor& sup) {
                     return caf::actor_cast<caf::actor>(self->spawn<caf::linked + caf::detached>(
                         scrape_component, sup, clock, targets, sample_sink));
                   }});
  }
  if (!s.prometheus.url.empty()) {
    promql_settings pq;
    pq.clock = clock;
    pq.source = s.prometheus;
    pq.snapshot_interval_ms = s.snapshot_interval_ms;
    pq.forecast_horizon_ms = s.forecast_horizon_ms;
    pq.sink = sample_sink; // polled samples go to their metric's owner in a cluster
    pq.history_sink = s.cluster.enabled() ? "cluster" : "storage"; // and the backfill
    pq.cluster = s.cluster.enabled(); // each node reads the metrics of the shards it serves
    // Detached: a query blocks on the network, never a shared worker thread.
    out.push_back({"promql", [=](caf::local_actor* self, const supervisor_actor& sup) {
                     return caf::actor_cast<caf::actor>(
                         self->spawn<caf::linked + caf::detached>(promql_component, sup, pq));
                   }});
  }
  if (!s.replay_path.empty())
    out.push_back(
        peer_spec("replay", replay_component, clock, s.replay_path, s.replay_metric, sample_sink));
  http_settings_view hv;
  static_cast<http::server_settings&>(hv) = s.http;
  hv.telemetry.clock = clock;
  hv.telemetry.max_future_ms = s.max_future_ms;
  hv.ml.default_horizon_ms = s.forecast_horizon_ms;
  hv.ml.cluster = s.cluster.enabled();
  hv.telemetry.cluster = s.cluster.enabled();
  if (s.cluster.enabled()) {
    const auto cs = s.cluster;
    const auto http_url = "http://" + s.http.bind + ":" + std::to_string(s.http.port);
    const auto request_timeout_ms = s.http.request_timeout_ms;
    // On the shared scheduler: it never blocks (its etcd workers and peer
    // dialers are detached).
    out.push_back({"cluster", [=](caf::local_actor* self, const supervisor_actor& sup) {
                     return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(
                         cluster_component, cs, http_url, sup, request_timeout_ms));
                   }});
  }
  out.push_back(peer_spec("http", http_component, hv));
  return out;
}

// Freed heap memory is handed back to the system (malloc_trim) when the
// resident size grew by memory_trim_growth since the last trim (checked every
// second), and at least every memory_trim_interval. Not every second
// regardless: a trim walks every arena holding its lock, 2-65 ms under a
// recommend burst, and every thread allocating meanwhile waits.
constexpr auto memory_check_interval = std::chrono::seconds(1);
constexpr auto memory_trim_interval = std::chrono::seconds(30);
constexpr long memory_trim_growth = 8L << 20; // bytes

// The resident size in bytes (/proc/self/statm), 0 if unreadable.
long resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  long size = 0;
  long resident = 0;
  const int read = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return read == 2 ? resident * sysconf(_SC_PAGESIZE) : 0;
}

int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// What storage holds about where virtual time stopped: read by a storage
// component of its own that stops (releasing the data directory) before the
// tree starts, since every component gets the clock at its spawn. Sets
// `problem` when storage cannot be read.
clock_start_inputs read_clock_start(caf::actor_system& sys, const node_settings& s,
                                    std::string& problem) {
  clock_start_inputs in;
  in.time_scale = s.time_scale;
  in.configured_origin_ms = s.virtual_origin_ms;
  // Its start-up lines would repeat the real storage component's.
  const auto level = spdlog::get_level();
  spdlog::set_level(std::max(level, spdlog::level::warn));
  auto probe = sys.spawn(storage_component, std::filesystem::path(s.data_dir), node_clock{},
                         storage_settings{});
  caf::scoped_actor self{sys};
  self->monitor(probe);
  const auto timeout = std::chrono::seconds(30);
  self->request(probe, timeout, atom::state_v, std::string(clock_state_key))
      .receive(
          [&](const std::string& text) {
            if (text.empty())
              return;
            std::string why;
            in.saved = parse_clock_position(text, why);
            if (!in.saved)
              spdlog::warn("[NODE] ⚠️ Saved clock position unusable ({}); resuming from the "
                           "stored data",
                           why);
          },
          [&](caf::error& e) { problem = describe(e); });
  if (problem.empty())
    self->request(probe, timeout, atom::latest_v, atom::history_v)
        .receive([&](timestamp_ms newest) { in.newest_stored_ms = newest; },
                 [&](caf::error& e) { problem = describe(e); });
  caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
  self->receive(
      [&](caf::down_msg& down) {
        // A storage that could not start says why (an unusable data directory).
        if (!problem.empty() && down.reason && down.reason != caf::exit_reason::user_shutdown)
          problem = describe(down.reason);
      },
      caf::after(timeout) >> [&] { problem = "the storage probe did not stop"; });
  spdlog::set_level(level);
  in.wall_now_ms = wall_clock_ms();
  return in;
}

// The node's clock, its virtual time starting where choose_clock_start says.
node_clock start_clock(caf::actor_system& sys, const node_settings& s,
                       const clock_start_inputs& in) {
  const auto start = choose_clock_start(in);
  node_clock clock;
  clock.scale = s.time_scale;
  clock.real_origin_ns = sys.clock().now().time_since_epoch().count();
  clock.wall_origin_ms = wall_clock_ms();
  clock.virtual_origin_ms = start.virtual_origin_ms;
  if (start.source == clock_start_source::saved_position
      || start.source == clock_start_source::stored_data) {
    const auto when = [](int64_t ms) { return ms > 0 ? iso_time(ms) : std::string("none"); };
    spdlog::info("[NODE] ⏱️ Virtual time resumes at {}, the later of the saved clock ({}) and "
                 "the newest stored time ({})",
                 iso_time(start.virtual_origin_ms), when(in.saved ? in.saved->virtual_ms : 0),
                 when(in.newest_stored_ms));
  }
  if (start.stored_ahead_ms > 60000)
    spdlog::warn(
        "[NODE] ⚠️ Stored data reaches {} ahead of the wall clock (written under a time "
        "scale?): its ages read negative until then",
        config::format_duration(start.stored_ahead_ms));
  return clock;
}

// Saves where virtual time is through the storage component (a sped-up clock
// resumes there after a restart); waits for storage's answer when `wait`.
void save_clock_position(caf::scoped_actor& self, const supervisor_actor& sup,
                         const node_clock& clock, bool wait) {
  std::optional<storage_actor> storage;
  self->request(sup, std::chrono::seconds(1), atom::get_v, std::string("storage"))
      .receive([&](caf::actor& a) { storage = caf::actor_cast<storage_actor>(a); },
               [](caf::error&) {});
  if (!storage)
    return;
  const int64_t real_now = self->clock().now().time_since_epoch().count();
  const auto text =
      to_json_text({clock.virtual_now_ms(real_now), clock.scale, clock.wall_now_ms(real_now)});
  if (!wait) {
    caf::anon_send(*storage, atom::state_v, std::string(clock_state_key), text);
    return;
  }
  self->request(*storage, std::chrono::seconds(2), atom::state_v, std::string(clock_state_key),
                text)
      .receive([](uint64_t) {},
               [](caf::error& e) {
                 spdlog::warn("[NODE] ⚠️ Clock position not saved: {}", describe(e));
               });
}

// Waits up to `ms` for one of the node's signals; 0 when none came.
int wait_for_signal(const sigset_t& set, long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

} // namespace

int run_node(const node_settings& settings,
             const std::optional<simulator::simulator_config>& simulation) {
  // Signals are taken synchronously by this thread only: block them before
  // CAF starts its threads, which inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // glibc gives threads their own heap arenas (up to 8 per core) and keeps
  // what they free: bursts of short-lived allocations on many threads (HTTP
  // workers, CAF workers serializing large JSON) left the resident size at
  // several times the live data, never returned. Fewer arenas, and a trim
  // every second (below), keep it near what is in use.
  mallopt(M_ARENA_MAX, 4);

  node_config cfg(settings.cluster);
  caf::actor_system sys{cfg};
  std::string problem;
  const auto clock_inputs = read_clock_start(sys, settings, problem);
  if (!problem.empty()) {
    spdlog::critical("[NODE] ❌ Stopping: cannot read where virtual time stopped: {}", problem);
    return 1;
  }
  const node_clock clock = start_clock(sys, settings, clock_inputs);
  const bool save_clock = !follows_wall_clock(settings.time_scale, settings.virtual_origin_ms);
  constexpr auto clock_save_period = std::chrono::seconds(1); // real time
  auto last_clock_save = std::chrono::steady_clock::now();
  if (settings.time_scale != 1.0)
    spdlog::info("[NODE] ⏱️ Virtual time runs {}x real time", settings.time_scale);
  auto sup = sys.spawn(supervisor, components(settings, clock, simulation),
                       static_cast<const supervision::restart_limits&>(settings.supervisor));
  caf::scoped_actor self{sys};
  self->monitor(sup);

  bool announced = false;
  int exit_code = 0;
  bool supervisor_down = false;
  auto next_memory_check = std::chrono::steady_clock::now() + memory_check_interval;
  auto last_trim = std::chrono::steady_clock::now();
  long resident_after_trim = resident_bytes();
  for (;;) {
    int sig = wait_for_signal(signals, 200);
    if (const auto now = std::chrono::steady_clock::now(); now >= next_memory_check) {
      next_memory_check = now + memory_check_interval;
      if (resident_bytes() > resident_after_trim + memory_trim_growth
          || now - last_trim >= memory_trim_interval) {
        malloc_trim(0);
        last_trim = std::chrono::steady_clock::now();
        resident_after_trim = resident_bytes();
      }
    }
    if (sig == SIGHUP) {
      spdlog::info("[NODE] SIGHUP: reloading the catalog");
      self->request(sup, std::chrono::seconds(5), atom::get_v, std::string("catalog"))
          .receive(
              [&](caf::actor& c) {
                caf::anon_send(caf::actor_cast<catalog_actor>(c), atom::reload_v);
              },
              [&](caf::error& e) { spdlog::warn("[NODE] Cannot reload: {}", describe(e)); });
    } else if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("[NODE] 👋 {} received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    self->receive(
        [&](caf::down_msg& d) {
          supervisor_down = true;
          if (d.reason && d.reason != caf::exit_reason::user_shutdown) {
            spdlog::critical("[NODE] ❌ Stopping: {}", describe(d.reason));
            exit_code = 1;
          }
        },
        caf::after(std::chrono::milliseconds(0)) >> [] {});
    if (supervisor_down)
      break;
    if (save_clock && std::chrono::steady_clock::now() - last_clock_save >= clock_save_period) {
      last_clock_save = std::chrono::steady_clock::now();
      save_clock_position(self, sup, clock, false);
    }
    if (!announced) {
      self->request(sup, std::chrono::seconds(1), atom::ready_v)
          .receive(
              [&](bool ready) {
                if (ready) {
                  announced = true;
                  spdlog::info("[ML-SYSTEMS] 🧠 Advanced ML systems online");
                  spdlog::info("[ML-SYSTEMS] 🔗 Metrics → snapshots → integration active ({} "
                               "snapshots every {})",
                               simulation                         ? "simulated metrics,"
                               : !settings.replay_path.empty()    ? "replayed metrics,"
                               : !settings.prometheus.url.empty() ? "PromQL and pushed metrics,"
                                                                  : "pushed metrics,",
                               config::format_duration(settings.snapshot_interval_ms));
                }
              },
              [&](caf::error&) {});
    }
  }
  const auto grace = std::chrono::milliseconds(settings.supervisor.shutdown_grace_ms);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  if (!supervisor_down) {
    // The clock's position first (storage still runs), then the supervisor
    // stops the components in order: HTTP and the sources first (no new
    // samples), then the aggregator (flushed), ..., the storage (flushed)
    // last. A margin of the grace is kept for the rest of the exit.
    if (save_clock)
      save_clock_position(self, sup, clock, true);
    const auto left = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   deadline - std::chrono::steady_clock::now()));
    const auto margin = std::min(left / 10, std::chrono::milliseconds(500));
    self->request(sup, left, atom::shutdown_v, static_cast<int64_t>((left - margin).count()))
        .receive(
            [&](bool in_time) {
              if (!in_time)
                spdlog::warn("[NODE] Some components did not stop in their time");
            },
            [&](caf::error& e) {
              spdlog::warn("[NODE] Ordered shutdown failed: {}", describe(e));
            });
    bool stopped = false;
    self->receive([&](caf::down_msg&) { stopped = true; },
                  caf::after(std::max(std::chrono::milliseconds(0),
                                      std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())))
                      >> [] {});
    if (!stopped) {
      spdlog::warn("[NODE] Components did not stop within the grace period; killing them");
      caf::anon_send_exit(sup, caf::exit_reason::kill);
    }
  }
  // The actor system waits for every actor on destruction; one busy in a long
  // handler (a training fit on its own thread) must not hold the exit past
  // the grace period. Everything acknowledged is on disk by now.
  std::thread([deadline, exit_code] {
    std::this_thread::sleep_until(deadline);
    spdlog::warn("[NODE] Still busy at the end of the grace period; exiting now");
    spdlog::default_logger()->flush();
    std::_Exit(exit_code);
  }).detach();
  spdlog::info("[NODE] Stopped");
  return exit_code;
}

} // namespace grace::node
