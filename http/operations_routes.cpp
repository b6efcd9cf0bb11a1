#include "http/operations_routes.hpp"

#include "http/catalog_json.hpp"
#include "http/json_response.hpp"
#include "messages/json.hpp"

#include <nlohmann/json.hpp>

namespace grace::http {

namespace {

const char* execution_states =
    "pending_approval, running, succeeded, failed, dry_run, refused, rejected, expired, evaluated";

bool known_state(const std::string& name) {
  try {
    execution_state_from_string(name);
    return true;
  } catch (const json_mapping_error&) {
    return false;
  }
}

void decide(actor_gateway& gateway, const httplib::Request& req, httplib::Response& res,
            bool approve, bool cluster) {
  gateway_failure failure;
  const std::string id = req.matches[1];
  if (cluster) {
    // Asked of every member: the one whose executor holds the run decides.
    auto d = gateway.ask<cluster_executions, cluster_actor>("cluster", failure, atom::approve_v, id,
                                                            approve);
    if (!d)
      return send_failure(res, failure);
    if (d->executions.empty()) {
      if (d->unanswered.empty())
        return send_error(res, 404,
                          "no member holds an execution '" + id
                              + "' waiting for approval (unknown, already decided or expired)");
      std::string missing;
      for (const auto& u : d->unanswered)
        missing += (missing.empty() ? "" : "; ") + u;
      return send_error(res, 503,
                        "no member that answered holds an execution '" + id
                            + "' waiting for approval; not answered: " + missing);
    }
    auto body = nlohmann::json(d->executions.front());
    body["answered_by"] = d->executions.front().node;
    return send_json(res, 200, body);
  }
  auto e =
      gateway.ask<execution, executor_actor>("executor", failure, atom::approve_v, id, approve);
  if (!e)
    return send_failure(res, failure);
  send_json(res, 200, nlohmann::json(*e));
}

} // namespace

std::optional<kill_switch_request> parse_kill_switch_body(const std::string& body,
                                                          std::string& error) {
  auto parsed = parse_json_object(body, {"engaged", "reason"}, error);
  if (!parsed)
    return std::nullopt;
  const nlohmann::json& doc = *parsed;

  kill_switch_request r;
  auto engaged = doc.find("engaged");
  if (engaged == doc.end() || !engaged->is_boolean()) {
    error = "field 'engaged' must be true or false";
    return std::nullopt;
  }
  r.engaged = engaged->get<bool>();
  auto reason = doc.find("reason");
  if (reason == doc.end() || !reason->is_string() || reason->get<std::string>().empty()) {
    error = "field 'reason' must be a non-empty string (it is recorded)";
    return std::nullopt;
  }
  r.reason = reason->get<std::string>();
  if (r.reason.size() > 500) {
    error = "field 'reason' must be at most 500 characters";
    return std::nullopt;
  }
  return r;
}

void install_operations_routes(router& server, actor_gateway& gateway, bool cluster) {
  server.Get("/api/predictions/warnings", [&gateway, cluster](const httplib::Request&,
                                                              httplib::Response& res) {
    gateway_failure failure;
    if (cluster) {
      auto merged =
          gateway.ask<cluster_warnings, cluster_actor>("cluster", failure, atom::warnings_v);
      if (!merged)
        return send_failure(res, failure);
      return send_json(res, 200, nlohmann::json(*merged));
    }
    auto body = gateway.ask<warnings_view, predictor_actor>("predictor", failure, atom::warnings_v);
    if (!body)
      return send_failure(res, failure);
    send_json(res, 200, nlohmann::json(*body));
  });

  server.Get("/api/playbooks", [&gateway](const httplib::Request&, httplib::Response& res) {
    gateway_failure failure;
    auto cat = gateway.recent_catalog(failure);
    if (!cat)
      return send_failure(res, failure);
    auto governance =
        gateway.ask<governance_report, executor_actor>("executor", failure, atom::statistics_v);
    if (!governance)
      return send_failure(res, failure);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& pb : (*cat)->playbooks()) {
      auto j = http::to_json(pb);
      j["used_by"] = (*cat)->metrics_using_playbook(pb.id);
      list.push_back(j);
    }
    send_json(res, 200, {{"playbooks", list}, {"governance", nlohmann::json(*governance)}});
  });

  server.Get("/api/playbooks/executions", [&gateway, cluster](const httplib::Request& req,
                                                              httplib::Response& res) {
    std::string filter = req.get_param_value("state");
    if (!filter.empty() && !known_state(filter))
      return send_error(res, 400,
                        "query parameter 'state' must be one of " + std::string(execution_states)
                            + ", found '" + filter + "'");
    gateway_failure failure;
    if (cluster) {
      // Every member's executor's runs in one list (docs/cluster.md).
      auto merged = gateway.ask<cluster_executions, cluster_actor>("cluster", failure,
                                                                   atom::executions_v, filter);
      if (!merged)
        return send_failure(res, failure);
      return send_json(res, 200, nlohmann::json(*merged));
    }
    auto list = gateway.ask<std::vector<execution>, executor_actor>("executor", failure,
                                                                    atom::get_v, filter);
    if (!list)
      return send_failure(res, failure);
    send_json(res, 200, {{"executions", nlohmann::json(*list)}});
  });

  post_without_body(server, R"(/api/playbooks/executions/([A-Za-z0-9_.-]+)/approve)",
                    [&gateway, cluster](const httplib::Request& req, httplib::Response& res) {
                      decide(gateway, req, res, true, cluster);
                    });
  post_without_body(server, R"(/api/playbooks/executions/([A-Za-z0-9_.-]+)/reject)",
                    [&gateway, cluster](const httplib::Request& req, httplib::Response& res) {
                      decide(gateway, req, res, false, cluster);
                    });

  // Acknowledged once stored: by this node's executor alone, or in a cluster
  // in etcd (every member applies it) and by this node's executor.
  server.Post("/api/playbooks/kill-switch",
              [&gateway, cluster](const httplib::Request& req, httplib::Response& res) {
                std::string error;
                auto r = parse_kill_switch_body(req.body, error);
                if (!r)
                  return send_error(res, 400, error);
                gateway_failure failure;
                auto status = cluster ? gateway.ask<governance_status, cluster_actor>(
                                  "cluster", failure, atom::kill_v, r->engaged, r->reason)
                                      : gateway.ask<governance_status, executor_actor>(
                                          "executor", failure, atom::kill_v, r->engaged, r->reason);
                if (!status)
                  return send_failure(res, failure);
                send_json(res, 200, nlohmann::json(*status));
              });
}

} // namespace grace::http
