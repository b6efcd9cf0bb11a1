#include "http/ml_routes.hpp"

#include "http/api_routes.hpp"
#include "http/json_response.hpp"
#include "messages/json.hpp"

#include <cmath>
#include <set>

namespace grace::http {

namespace {

std::string type_name(const nlohmann::json& v) {
  return v.type_name();
}

// Runs a training cycle and answers its record (both trigger routes).
void train(actor_gateway& gateway, httplib::Response& res) {
  gateway_failure failure;
  auto record = gateway.ask<training_record, trainer_actor>("trainer", failure, atom::train_v);
  if (!record)
    return send_failure(res, failure);
  send_json(res, 200, {{"trained", true}, {"training", nlohmann::json(*record)}});
}

// Splits "a,b" into its non-empty parts.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t end = comma == std::string::npos ? text.size() : comma;
    if (end > start)
      out.push_back(text.substr(start, end - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return out;
}

// Serves a component's typed answer in its JSON form (messages/json.hpp).
template <class Result, class Handle, class... Ts>
void json_view(actor_gateway& gateway, httplib::Response& res, const std::string& component,
               Ts... xs) {
  gateway_failure failure;
  auto body = gateway.ask<Result, Handle>(component, failure, xs...);
  if (!body)
    return send_failure(res, failure);
  send_json(res, 200, nlohmann::json(*body));
}

} // namespace

std::optional<reward_report> parse_reward_body(const std::string& body, std::string& error) {
  auto parsed = parse_json_object(body, {"event_id", "reward", "kpi_deltas"}, error);
  if (!parsed)
    return std::nullopt;
  const nlohmann::json& doc = *parsed;

  reward_report report;
  auto id = doc.find("event_id");
  if (id == doc.end() || !id->is_string() || id->get<std::string>().empty()) {
    error = id == doc.end() ? "field 'event_id' is missing"
                            : "field 'event_id' must be a non-empty string";
    return std::nullopt;
  }
  report.event_id = id->get<std::string>();
  auto reward = doc.find("reward");
  if (reward == doc.end()) {
    error = "field 'reward' is missing";
    return std::nullopt;
  }
  if (!reward->is_number()) {
    error = "field 'reward' must be a number, found " + type_name(*reward);
    return std::nullopt;
  }
  report.reward = reward->get<double>();
  if (!std::isfinite(report.reward) || report.reward < -1.0 || report.reward > 1.0) {
    error = "field 'reward' must be between -1 and 1";
    return std::nullopt;
  }
  auto kpis = doc.find("kpi_deltas");
  if (kpis != doc.end()) {
    if (!kpis->is_object()) {
      error = "field 'kpi_deltas' must be an object of numbers, found " + type_name(*kpis);
      return std::nullopt;
    }
    for (const auto& [key, value] : kpis->items()) {
      if (!value.is_number()) {
        error = "kpi_deltas['" + key + "'] must be a number, found " + type_name(value);
        return std::nullopt;
      }
      report.kpi_deltas[key] = value.get<double>();
    }
  }
  return report;
}

std::optional<forecast_request> parse_predict_body(const std::string& body,
                                                   int64_t default_horizon_ms, std::string& error) {
  auto parsed = parse_json_object(body, {"metric_ids", "horizon_minutes"}, error);
  if (!parsed)
    return std::nullopt;
  const nlohmann::json& doc = *parsed;

  forecast_request request;
  request.horizon_ms = default_horizon_ms;
  auto ids = doc.find("metric_ids");
  if (ids == doc.end()) {
    error = "field 'metric_ids' is missing";
    return std::nullopt;
  }
  if (!ids->is_array()) {
    error = "field 'metric_ids' must be an array of strings, found " + type_name(*ids);
    return std::nullopt;
  }
  for (size_t i = 0; i < ids->size(); ++i) {
    const auto& id = (*ids)[i];
    if (!id.is_string()) {
      error = "metric_ids[" + std::to_string(i) + "] must be a string, found " + type_name(id);
      return std::nullopt;
    }
    request.metric_ids.push_back(id.get<std::string>());
  }
  auto horizon = doc.find("horizon_minutes");
  if (horizon != doc.end()) {
    if (!horizon->is_number()) {
      error = "field 'horizon_minutes' must be a number, found " + type_name(*horizon);
      return std::nullopt;
    }
    const double minutes = horizon->get<double>();
    if (!std::isfinite(minutes) || minutes <= 0.0 || minutes > 1e6) {
      error = "field 'horizon_minutes' must be a positive number of minutes";
      return std::nullopt;
    }
    request.horizon_ms = static_cast<int64_t>(std::llround(minutes * 60000.0));
  }
  return request;
}

void install_ml_routes(router& server, actor_gateway& gateway, const ml_settings& settings) {
  server.Post("/api/ml/forecaster/predict", [&gateway, settings](const httplib::Request& req,
                                                                 httplib::Response& res) {
    std::string error;
    auto request = parse_predict_body(req.body, settings.default_horizon_ms, error);
    if (!request)
      return send_error(res, 400, error);
    gateway_failure failure;
    // A cluster node asks each metric's owner (docs/cluster.md).
    std::optional<cluster_forecasts> answer;
    if (settings.cluster) {
      answer = gateway.ask<cluster_forecasts, cluster_actor>("cluster", failure, atom::forecast_v,
                                                             *request);
    } else if (auto local = gateway.ask<std::vector<forecast>, forecaster_actor>(
                   "forecaster", failure, atom::forecast_v, *request)) {
      answer.emplace();
      answer->forecasts = std::move(*local);
    }
    if (!answer)
      return send_failure(res, failure);
    std::set<std::string> answered;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : answer->forecasts) {
      answered.insert(f.metric_id);
      list.push_back(f);
    }
    nlohmann::json unavailable = nlohmann::json::array();
    for (const auto& id : request->metric_ids) {
      if (answered.count(id))
        continue;
      auto why = answer->unanswered_metrics.find(id);
      unavailable.push_back(
          {{"metric_id", id},
           {"reason", why == answer->unanswered_metrics.end() ? "no snapshots yet" : why->second}});
    }
    nlohmann::json body{{"forecasts", list},
                        {"horizon_minutes", static_cast<double>(request->horizon_ms) / 60000.0},
                        {"unavailable", unavailable}};
    if (settings.cluster) {
      body["answered_by"] = answer->answered_by;
      body["unanswered"] = answer->unanswered;
    }
    send_json(res, 200, body);
  });

  server.Get(
      "/api/ml/forecaster/statistics", [&gateway](const httplib::Request&, httplib::Response& res) {
        gateway_failure failure;
        auto model = gateway.ask<forecaster_statistics, forecaster_actor>("forecaster", failure,
                                                                          atom::statistics_v);
        if (!model)
          return send_failure(res, failure);
        auto training =
            gateway.ask<training_status, trainer_actor>("trainer", failure, atom::statistics_v);
        if (!training)
          return send_failure(res, failure);
        nlohmann::json body = *model;
        body.update(nlohmann::json(*training));
        send_json(res, 200, body);
      });

  server.Get("/api/ml/causal-rl/recommend", [&gateway, settings](const httplib::Request& req,
                                                                 httplib::Response& res) {
    if (!require_token(req, res, settings.token))
      return;
    recommend_request request;
    request.service = req.get_param_value("service");
    request.diagnosis = req.get_param_value("diagnosis");
    if (request.service.empty() || request.diagnosis.empty())
      return send_error(res, 400, "query parameters 'service' and 'diagnosis' are required");
    if (req.has_param("candidates")) {
      request.candidates = split_list(req.get_param_value("candidates"));
      if (request.candidates.empty())
        return send_error(res, 400, "query parameter 'candidates' names no playbook");
    }
    gateway_failure failure;
    if (settings.cluster) {
      auto r = gateway.ask_pair<recommendation, std::string, cluster_actor>(
          "cluster", failure, atom::recommend_v, request);
      if (!r)
        return send_failure(res, failure);
      nlohmann::json body = r->first;
      body["answered_by"] = r->second;
      return send_json(res, 200, body);
    }
    auto r = gateway.ask<recommendation, rl_agent_actor>("rl_agent", failure, atom::recommend_v,
                                                         request);
    if (!r)
      return send_failure(res, failure);
    send_json(res, 200, nlohmann::json(*r));
  });
  server.Post("/api/ml/causal-rl/reward", [&gateway, settings](const httplib::Request& req,
                                                               httplib::Response& res) {
    std::string error;
    auto report = parse_reward_body(req.body, error);
    if (!report)
      return send_error(res, 400, error);
    gateway_failure failure;
    if (settings.cluster) {
      auto e = gateway.ask_pair<experience, std::string, cluster_actor>("cluster", failure,
                                                                        atom::reward_v, *report);
      if (!e)
        return send_failure(res, failure);
      return send_json(res, 200,
                       {{"learned", true},
                        {"experience", nlohmann::json(e->first)},
                        {"answered_by", e->second}});
    }
    auto e = gateway.ask<experience, rl_agent_actor>("rl_agent", failure, atom::reward_v, *report);
    if (!e)
      return send_failure(res, failure);
    send_json(res, 200, {{"learned", true}, {"experience", nlohmann::json(*e)}});
  });
  server.Get("/api/ml/causal-rl/statistics", [&gateway, settings](const httplib::Request&,
                                                                  httplib::Response& res) {
    // A cluster node merges every member's share (docs/cluster.md).
    if (settings.cluster)
      json_view<cluster_rl_statistics, cluster_actor>(gateway, res, "cluster", atom::statistics_v);
    else
      json_view<rl_statistics, rl_agent_actor>(gateway, res, "rl_agent", atom::statistics_v);
  });
  server.Get("/api/ml/causal-rl/policies", [&gateway, settings](const httplib::Request&,
                                                                httplib::Response& res) {
    if (settings.cluster)
      json_view<cluster_rl_policies, cluster_actor>(gateway, res, "cluster", atom::policies_v);
    else
      json_view<rl_policies, rl_agent_actor>(gateway, res, "rl_agent", atom::get_v);
  });
  server.Get("/api/ml/causal-rl/evaluation", [&gateway, settings](const httplib::Request&,
                                                                  httplib::Response& res) {
    // A cluster node answers every member's evaluation side by side.
    if (settings.cluster)
      json_view<cluster_rl_evaluation, cluster_actor>(gateway, res, "cluster", atom::evaluate_v);
    else
      json_view<rl_evaluation, rl_agent_actor>(gateway, res, "rl_agent", atom::evaluate_v);
  });

  post_without_body(
      server, "/api/ml/forecaster/train",
      [&gateway](const httplib::Request&, httplib::Response& res) { train(gateway, res); });
  post_without_body(
      server, "/api/ml/dashboard/trigger-training",
      [&gateway](const httplib::Request&, httplib::Response& res) { train(gateway, res); });
}

} // namespace grace::http
