// The agent as an external executor sees it: a scenario_learner that asks a
// running grace-node for each choice (GET /api/ml/causal-rl/recommend) and
// posts each reward (POST /api/ml/causal-rl/reward). Used by
// `rl-scenario --via URL` (docs/evaluation/learning.md, "Through the REST API").
#pragma once

#include "bench/rl_agent/scenario_runner.hpp"

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace grace::rl {

/// A request that failed: no connection, a status other than 200, or an
/// answer that does not fit the candidates. The scenario cannot go on.
class rest_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class rest_learner : public scenario_learner {
public:
  /// `url`: "http://host:port". `token`: http.token of the node, sent as
  /// "Authorization: Bearer <token>" when not empty.
  rest_learner(const std::string& url, const std::string& token);
  ~rest_learner() override;

  /// GET recommend?service=&diagnosis=&candidates=; the diagnosis is the
  /// context's catalog metric (scenario_metric_id). Ticket = event_id.
  std::size_t choose(int context, const context_key& key, const std::vector<candidate>& candidates,
                     std::string& ticket) override;
  /// POST reward {"event_id", "reward"}.
  void learn(const std::string& ticket, double reward) override;

  /// GET /api/ml/causal-rl/statistics (policy, recommendations, ...).
  nlohmann::json statistics();

  std::size_t requests() const { return requests_; }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  /// Request latencies since the last progress line.
  struct latency {
    std::size_t n = 0;
    double total_ms = 0.0, max_ms = 0.0;
    void add(std::chrono::steady_clock::duration d) {
      const double ms = std::chrono::duration<double, std::milli>(d).count();
      ++n;
      total_ms += ms;
      max_ms = ms > max_ms ? ms : max_ms;
    }
    double mean_ms() const { return n ? total_ms / static_cast<double>(n) : 0.0; }
  };
  /// Every 500 recommendations, a line on stderr: how fast the node answers.
  void report_progress();

  std::size_t requests_ = 0;
  std::size_t recommendations_ = 0;
  latency recommend_time_, reward_time_;
  std::chrono::steady_clock::time_point last_report_ = std::chrono::steady_clock::now();
};

} // namespace grace::rl
