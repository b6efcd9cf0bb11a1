#include "actors/executor/execution_history.hpp"

#include "messages/json.hpp"

namespace grace::executor {

nlohmann::json history_json(uint64_t next_id, const std::deque<execution>& executions,
                            const std::map<std::string, execution_request>& awaiting,
                            const kill_switch_status* kill_switch) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : executions)
    list.push_back(e);
  nlohmann::json requests = nlohmann::json::object();
  for (const auto& [id, request] : awaiting)
    requests[id] = request;
  nlohmann::json doc{{"next_id", next_id}, {"executions", list}, {"awaiting_evaluation", requests}};
  if (kill_switch)
    doc["kill_switch"] = {{"engaged", kill_switch->engaged},
                          {"reason", kill_switch->reason},
                          {"since", kill_switch->since}};
  return doc;
}

execution_history restore_history(const nlohmann::json& doc, governor& governor) {
  execution_history h;
  h.next_id = doc.at("next_id").get<uint64_t>();
  for (const auto& j : doc.at("executions")) {
    auto e = j.get<execution>();
    if (e.started_at > 0) {
      governor.started(e.playbook, e.service, e.started_at);
      if (e.state == execution_state::failed || e.state == execution_state::succeeded
          || e.state == execution_state::evaluated)
        governor.finished(e.playbook, e.state != execution_state::failed, e.finished_at);
    }
    if (e.state == execution_state::pending_approval || e.state == execution_state::running) {
      e.state = execution_state::expired;
      e.reason = "the node restarted before it was decided or finished";
    }
    h.executions.push_back(std::move(e));
  }
  if (doc.contains("awaiting_evaluation"))
    for (const auto& [id, j] : doc.at("awaiting_evaluation").items())
      for (const auto& e : h.executions)
        if (e.id == id) {
          if (e.state == execution_state::succeeded && e.evaluate_at > 0)
            h.awaiting[id] = j.get<execution_request>();
          break;
        }
  if (doc.contains("kill_switch")) {
    const auto& k = doc.at("kill_switch");
    h.kill_switch =
        kill_switch_status{k.at("engaged").get<bool>(), k.at("reason").get<std::string>(),
                           k.at("since").get<timestamp_ms>()};
    if (h.kill_switch->engaged && !governor.kill_switch())
      governor.set_kill_switch(true, h.kill_switch->reason, h.kill_switch->since);
  }
  return h;
}

std::vector<std::string>
due_for_evaluation(const std::deque<execution>& executions,
                   const std::map<std::string, execution_request>& awaiting,
                   const std::set<std::string>& evaluating, timestamp_ms now) {
  std::vector<std::string> due;
  for (const auto& e : executions)
    if (e.state == execution_state::succeeded && e.evaluate_at > 0 && e.evaluate_at <= now
        && awaiting.count(e.id) && !evaluating.count(e.id))
      due.push_back(e.id);
  return due;
}

} // namespace grace::executor
