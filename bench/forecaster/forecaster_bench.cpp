// Forecaster performance goals (issue 4): fit+forecast of one 2016-point
// series <= 0.5 ms; training 10,000 such series on 2 cores <= 10 s.
#include "actors/forecaster/temporal_forecaster.hpp"

#include <benchmark/benchmark.h>
#include <cmath>
#include <random>

namespace gf = grace::forecaster;

namespace {

// A week of 5-minute samples: daily pattern, noise, occasional spikes and a
// level shift, like an operational metric.
gf::series_input ops_series(int seed, size_t rows = 2016) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  gf::series_input s;
  s.id = "metric" + std::to_string(seed);
  s.start_ms = 1'700'000'000'000;
  s.step_ms = 300'000;
  const double level = 20.0 + 10.0 * u(rng), amp = 5.0 * u(rng);
  for (size_t i = 0; i < rows; ++i) {
    double v = level + amp * std::sin(2.0 * M_PI * static_cast<double>(i) / 288.0) + noise(rng);
    if (u(rng) < 0.01) {
      v += 30.0;
    }
    if (i > rows * 3 / 4) {
      v += 5.0;
    }
    s.values.push_back(v);
  }
  return s;
}

// The node's scheduler path: per-series fit with the trained global model,
// then forecast. The argument is combination_half_life (72, the default;
// 0: plain candidate errors, to see what the age-weighted ones cost).
void BM_FitForecastSeries(benchmark::State& state) {
  std::vector<gf::series_input> train;
  for (int k = 0; k < 50; ++k) {
    train.push_back(ops_series(k));
  }
  gf::forecaster_config config;
  config.combination_half_life = static_cast<double>(state.range(0));
  gf::temporal_forecaster model(config);
  model.fit(train);
  const gf::series_input s = ops_series(1000);
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.forecast(s, 12));
  }
}
BENCHMARK(BM_FitForecastSeries)->Arg(72)->Arg(0)->Unit(benchmark::kMillisecond);

// The backtest path: everything fitted from one window alone (global model included).
void BM_FitAloneAndForecast(benchmark::State& state) {
  const gf::series_input s = ops_series(7);
  gf::forecaster_config config;
  config.threads = 1;
  for (auto _ : state) {
    gf::temporal_forecaster model(config);
    model.fit(s);
    benchmark::DoNotOptimize(model.forecast(s.id, 12));
  }
}
BENCHMARK(BM_FitAloneAndForecast)->Unit(benchmark::kMillisecond);

// The trainer: 10,000 series, global model and per-series parameters, 2 threads.
void BM_Train10kSeries(benchmark::State& state) {
  std::vector<gf::series_input> series;
  for (int k = 0; k < 10'000; ++k) {
    series.push_back(ops_series(k));
  }
  gf::forecaster_config config;
  config.threads = 2;
  for (auto _ : state) {
    gf::temporal_forecaster model(config);
    model.fit(series);
    benchmark::DoNotOptimize(model.series().size());
  }
}
BENCHMARK(BM_Train10kSeries)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
