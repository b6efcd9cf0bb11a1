#include "bench/rl_agent/rest_learner.hpp"

#include "bench/rl_agent/scenario_catalog.hpp"

#include <chrono>
#include <cstdio>
#include <httplib.h>

namespace grace::rl {

namespace {

constexpr const char* recommend_path = "/api/ml/causal-rl/recommend";
constexpr const char* reward_path = "/api/ml/causal-rl/reward";
constexpr const char* statistics_path = "/api/ml/causal-rl/statistics";

// The answer's JSON body, or a rest_error naming the request and what came back.
nlohmann::json body_of(const httplib::Result& res, const std::string& what) {
  if (!res)
    throw rest_error(what + ": no answer (" + httplib::to_string(res.error()) + ")");
  if (res->status != 200)
    throw rest_error(what + ": HTTP " + std::to_string(res->status) + ": " + res->body);
  try {
    return nlohmann::json::parse(res->body);
  } catch (const nlohmann::json::exception& e) {
    throw rest_error(what + ": answer is not JSON (" + e.what() + "): " + res->body);
  }
}

} // namespace

struct rest_learner::impl {
  impl(const std::string& url, const std::string& token) : client(url) {
    if (!client.is_valid())
      throw rest_error("'" + url + "' is not a usable http://host:port address");
    client.set_keep_alive(true);
    client.set_connection_timeout(5);
    client.set_read_timeout(30);
    if (!token.empty())
      headers.emplace("Authorization", "Bearer " + token);
  }
  httplib::Client client;
  httplib::Headers headers;
};

rest_learner::rest_learner(const std::string& url, const std::string& token)
    : impl_(std::make_unique<impl>(url, token)) {}

rest_learner::~rest_learner() = default;

std::size_t rest_learner::choose(int, const context_key& key,
                                 const std::vector<candidate>& candidates, std::string& ticket) {
  std::string names;
  for (const auto& c : candidates)
    names += (names.empty() ? "" : ",") + c.playbook;
  const httplib::Params params{
      {"service", key.service}, {"diagnosis", scenario_metric_id(key)}, {"candidates", names}};
  const std::string what = std::string("GET ") + recommend_path + " (" + key.service + ", "
                           + scenario_metric_id(key) + ", [" + names + "])";
  ++requests_;
  if (++recommendations_ % 500 == 0)
    report_progress();
  const auto start = std::chrono::steady_clock::now();
  const auto j = body_of(impl_->client.Get(recommend_path, params, impl_->headers), what);
  recommend_time_.add(std::chrono::steady_clock::now() - start);
  const auto id = j.find("event_id");
  const auto chosen = j.find("chosen");
  if (id == j.end() || !id->is_string() || chosen == j.end() || !chosen->is_string())
    throw rest_error(what + ": answer lacks a string event_id or chosen: " + j.dump());
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].playbook == chosen->get<std::string>()) {
      ticket = id->get<std::string>();
      return i;
    }
  throw rest_error(what + ": chose '" + chosen->get<std::string>() + "', which is not a candidate");
}

void rest_learner::learn(const std::string& ticket, double reward) {
  const nlohmann::json body{{"event_id", ticket}, {"reward", reward}};
  ++requests_;
  const auto start = std::chrono::steady_clock::now();
  body_of(impl_->client.Post(reward_path, impl_->headers, body.dump(), "application/json"),
          std::string("POST ") + reward_path + " " + body.dump());
  reward_time_.add(std::chrono::steady_clock::now() - start);
}

void rest_learner::report_progress() {
  const auto now = std::chrono::steady_clock::now();
  std::fprintf(stderr,
               "[rest] %zu recommendations; last %zu in %.1f s; recommend mean %.1f ms, max %.0f "
               "ms; reward mean %.1f ms, max %.0f ms\n",
               recommendations_, recommend_time_.n,
               std::chrono::duration<double>(now - last_report_).count(), recommend_time_.mean_ms(),
               recommend_time_.max_ms, reward_time_.mean_ms(), reward_time_.max_ms);
  last_report_ = now;
  recommend_time_ = {};
  reward_time_ = {};
}

nlohmann::json rest_learner::statistics() {
  ++requests_;
  return body_of(impl_->client.Get(statistics_path, impl_->headers),
                 std::string("GET ") + statistics_path);
}

} // namespace grace::rl
