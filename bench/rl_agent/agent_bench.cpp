// Cost of the RL agent's calls against the number of contexts it holds: every
// route must stay linear (a listing of 9,000 made-up contexts once took
// minutes: policies() rebuilt the pooled population per context). Run with
// --benchmark_repetitions=3 --benchmark_report_aggregates_only=true; the
// reported complexity should be O(N) at most (a reward changes the pooled
// population, which is rebuilt once: linear).
#include "actors/rl_agent/agent.hpp"
#include "actors/rl_agent/off_policy_evaluation.hpp"

#include <benchmark/benchmark.h>
#include <string>
#include <vector>

namespace {

using namespace grace::rl;

const std::vector<candidate> candidates = {
    {"restart-api-workers", 2}, {"scale-api-shard", 2}, {"enable-response-cache", 1}};

// `contexts` contexts (services of 2 diagnoses each), every one with 3
// rewarded recommendations.
agent trained(std::int64_t contexts) {
  agent_config cfg;
  cfg.replay_capacity = 100000;
  agent a(cfg);
  for (std::int64_t c = 0; c < contexts; ++c) {
    const context_key key{"svc-" + std::to_string(c / 2), c % 2 ? "m.x" : "m.x:sudden"};
    for (int i = 0; i < 3; ++i)
      a.reward(a.recommend(key, candidates).event_id, (c + i) % 3 == 0 ? 0.6 : -0.2);
  }
  return a;
}

void BM_policies(benchmark::State& state) {
  const agent a = trained(state.range(0));
  for (auto _ : state)
    benchmark::DoNotOptimize(a.policies());
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_policies)->RangeMultiplier(4)->Range(64, 4096)->Complexity();

// A recommendation and its reward, as the node sees them one incident at a time.
void BM_recommend_and_reward(benchmark::State& state) {
  agent a = trained(state.range(0));
  const context_key key{"svc-0", "m.x"};
  for (auto _ : state)
    a.reward(a.recommend(key, candidates).event_id, 0.1);
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_recommend_and_reward)->RangeMultiplier(4)->Range(64, 4096)->Complexity();

void BM_evaluation(benchmark::State& state) {
  const agent a = trained(state.range(0));
  const auto log = a.experiences().to_vector();
  for (auto _ : state)
    benchmark::DoNotOptimize(evaluate_off_policy(log, agent_policy(a)));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_evaluation)->RangeMultiplier(4)->Range(64, 1024)->Complexity();

} // namespace

BENCHMARK_MAIN();
