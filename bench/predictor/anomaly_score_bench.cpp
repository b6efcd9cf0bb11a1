// Cost of one anomaly_scorer::update on a noisy daily-seasonal series (the
// node calls it once per metric per sample) and of persisting its state.
#include "actors/predictor/anomaly_score.hpp"

#include <benchmark/benchmark.h>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

std::vector<double> series(size_t n) {
  std::vector<double> v(n);
  uint64_t x = 88172645463325252ULL; // xorshift: deterministic noise
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const double noise = static_cast<double>(x % 1000) / 1000.0 - 0.5;
    v[i] = 50.0 + 20.0 * std::sin(2.0 * M_PI * static_cast<double>(i) / 288.0) + 3.0 * noise;
  }
  return v;
}

void BM_update(benchmark::State& state) {
  const auto v = series(8192);
  grace::predictor::anomaly_scorer s;
  size_t i = 0;
  int64_t ts = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.update(ts, v[i]));
    ts += 300'000;
    i = (i + 1) % v.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_update);

void BM_state_roundtrip(benchmark::State& state) {
  const auto v = series(4000);
  grace::predictor::anomaly_scorer s;
  for (size_t i = 0; i < v.size(); ++i)
    s.update(static_cast<int64_t>(i) * 300'000, v[i]);
  for (auto _ : state) {
    const std::string text = s.to_json().dump();
    auto back = grace::predictor::anomaly_scorer::from_json(nlohmann::json::parse(text));
    benchmark::DoNotOptimize(back);
    state.counters["state_bytes"] = static_cast<double>(text.size());
  }
}
BENCHMARK(BM_state_roundtrip);

} // namespace

BENCHMARK_MAIN();
