#include "http/ml_routes.hpp"

#include "actors/storage/json_mapping.hpp"
#include "http/json_response.hpp"

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

} // namespace

std::optional<forecast_request> parse_predict_body(const std::string& body,
                                                   int64_t default_horizon_ms, std::string& error) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    error = std::string("body is not valid JSON: ") + e.what();
    return std::nullopt;
  }
  if (!doc.is_object()) {
    error = "body must be a JSON object, found " + type_name(doc);
    return std::nullopt;
  }
  static const std::set<std::string> known{"metric_ids", "horizon_minutes"};
  for (const auto& [key, value] : doc.items()) {
    (void)value;
    if (!known.count(key)) {
      error = "unknown field '" + key + "' (expected metric_ids, horizon_minutes)";
      return std::nullopt;
    }
  }
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

void install_ml_routes(httplib::Server& server, actor_gateway& gateway,
                       const ml_settings& settings) {
  server.Post("/api/ml/forecaster/predict",
              [&gateway, settings](const httplib::Request& req, httplib::Response& res) {
                std::string error;
                auto request = parse_predict_body(req.body, settings.default_horizon_ms, error);
                if (!request)
                  return send_error(res, 400, error);
                gateway_failure failure;
                auto forecasts = gateway.ask<std::vector<forecast>, forecaster_actor>(
                    "forecaster", failure, atom::forecast_v, *request);
                if (!forecasts)
                  return send_failure(res, failure);
                std::set<std::string> answered;
                nlohmann::json list = nlohmann::json::array();
                for (const auto& f : *forecasts) {
                  answered.insert(f.metric_id);
                  list.push_back(f);
                }
                nlohmann::json unavailable = nlohmann::json::array();
                for (const auto& id : request->metric_ids)
                  if (!answered.count(id))
                    unavailable.push_back({{"metric_id", id}, {"reason", "no snapshots yet"}});
                send_json(res, 200,
                          {{"forecasts", list},
                           {"horizon_minutes", static_cast<double>(request->horizon_ms) / 60000.0},
                           {"unavailable", unavailable}});
              });

  server.Get("/api/ml/forecaster/statistics", [&gateway](const httplib::Request&,
                                                         httplib::Response& res) {
    gateway_failure failure;
    auto model =
        gateway.ask<std::string, forecaster_actor>("forecaster", failure, atom::statistics_v);
    if (!model)
      return send_failure(res, failure);
    auto training = gateway.ask<std::string, trainer_actor>("trainer", failure, atom::statistics_v);
    if (!training)
      return send_failure(res, failure);
    auto body = nlohmann::json::parse(*model);
    body.update(nlohmann::json::parse(*training));
    send_json(res, 200, body);
  });

  post_without_body(
      server, "/api/ml/forecaster/train",
      [&gateway](const httplib::Request&, httplib::Response& res) { train(gateway, res); });
  post_without_body(
      server, "/api/ml/dashboard/trigger-training",
      [&gateway](const httplib::Request&, httplib::Response& res) { train(gateway, res); });
}

} // namespace grace::http
