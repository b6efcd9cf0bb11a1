// Acknowledged ingest through the real components, without HTTP: clients
// send batches to `ingest` and wait for each receipt, which comes once the
// aggregator has written the batch to the storage's sample log (one encoded
// record, one write(2)) and added it to its windows. The sample log is
// fsynced every second, as storage.sync_interval does by default.
//
// Usage: durable_ingest_bench [seconds per run = 5] [clients = 4]
//                             [samples per batch = 1000] [runs = 3]
// Prints samples/s acknowledged per run and their median. The goal is
// >= 1M samples/s (issue 17).
#include "actors/aggregator/aggregator_actor.hpp"
#include "actors/ingest/ingest_actor.hpp"
#include "actors/storage/storage_actor.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "messages/register_types.hpp"

#include <algorithm>
#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <spdlog/spdlog.h>
#include <string>
#include <thread>
#include <vector>

using namespace grace;

namespace {

class bench_config : public caf::actor_system_config {
public:
  bench_config() {
    register_types(*this);
    set("logger.console", caf::atom("none"));
  }
};

template <class F, class... Ts> component_spec peer(std::string name, F behavior, Ts... args) {
  return {std::move(name), [=](caf::local_actor* self, const supervisor_actor& sup) {
            return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(behavior, sup, args...));
          }};
}

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

sample_batch make_batch(size_t n, int client) {
  const char* ids[] = {"api.latency_p95", "api.error_rate", "executor.queue_depth",
                       "infra.cpu_utilization", "infra.memory_utilization"};
  sample_batch batch;
  batch.reserve(n);
  const int64_t ts = wall_ms();
  for (size_t i = 0; i < n; ++i)
    batch.push_back({ids[i % 5],
                     ts + static_cast<int64_t>(i % 1000),
                     100.0 + static_cast<double>((i * 7919 + client) % 1000) * 0.1,
                     {{"pod", "p" + std::to_string(i % 7)}}});
  return batch;
}

} // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  const int clients = argc > 2 ? std::atoi(argv[2]) : 4;
  const size_t batch_size = argc > 3 ? static_cast<size_t>(std::atol(argv[3])) : 1000;
  const int runs = argc > 4 ? std::atoi(argv[4]) : 3;
  spdlog::set_level(spdlog::level::warn);
  std::string pattern = (std::filesystem::temp_directory_path() / "grace-ingest-XXXXXX").string();
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  std::vector<double> rates;
  {
    bench_config cfg;
    caf::actor_system sys{cfg};
    node_clock clock;
    clock.real_origin_ns = sys.clock().now().time_since_epoch().count();
    clock.virtual_origin_ms = wall_ms();
    storage_settings storage;
    storage.sync_interval_ms = 1000;
    std::vector<component_spec> specs;
    specs.push_back({"storage", [=](caf::local_actor* self, const supervisor_actor&) {
                       return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(
                           storage_component, dir / "data", clock, storage));
                     }});
    specs.push_back(peer("aggregator", aggregator_component, clock, aggregator_settings{}));
    specs.push_back(peer("ingest", ingest_component));
    auto sup = sys.spawn(supervisor, specs, supervision::restart_limits{});
    caf::scoped_actor self{sys};
    caf::actor ingest_handle;
    self->request(sup, std::chrono::seconds(5), atom::get_v, std::string("ingest"))
        .receive([&](caf::actor& a) { ingest_handle = a; },
                 [&](caf::error& e) {
                   std::fprintf(stderr, "ingest not found: %s\n", sys.render(e).c_str());
                 });
    if (!ingest_handle)
      return 1;
    const auto ingest = caf::actor_cast<ingest_actor>(ingest_handle);
    std::printf("%d clients, %zu samples per batch, %.1f s per run\n", clients, batch_size,
                seconds);
    for (int run = 0; run < runs; ++run) {
      std::atomic<uint64_t> acknowledged{0}, failures{0};
      const auto start = std::chrono::steady_clock::now();
      const auto end = start + std::chrono::duration<double>(seconds);
      std::vector<std::thread> threads;
      for (int c = 0; c < clients; ++c)
        threads.emplace_back([&, c] {
          caf::scoped_actor client{sys};
          const auto batch = make_batch(batch_size, c);
          while (std::chrono::steady_clock::now() < end)
            client->request(ingest, std::chrono::seconds(30), atom::ingest_v, batch)
                .receive([&](ingest_receipt& r) { acknowledged += r.accepted; },
                         [&](caf::error&) { ++failures; });
        });
      for (auto& t : threads)
        t.join();
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double rate = static_cast<double>(acknowledged.load()) / elapsed;
      rates.push_back(rate);
      std::printf("run %d: %llu samples acknowledged in %.2f s: %.0f samples/s (%llu failed "
                  "batches)\n",
                  run + 1, static_cast<unsigned long long>(acknowledged.load()), elapsed, rate,
                  static_cast<unsigned long long>(failures.load()));
    }
    // The ordered shutdown with the log full of unsynced samples.
    const auto stop = std::chrono::steady_clock::now();
    bool in_time = false;
    self->request(sup, std::chrono::seconds(10), atom::shutdown_v, int64_t{5000})
        .receive([&](bool b) { in_time = b; }, [](caf::error&) {});
    std::printf("shutdown: %.0f ms%s\n",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - stop)
                    .count(),
                in_time ? "" : " (a component did not stop in its time)");
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::sort(rates.begin(), rates.end());
  if (!rates.empty())
    std::printf("median: %.0f samples/s acknowledged\n", rates[rates.size() / 2]);
  return 0;
}
