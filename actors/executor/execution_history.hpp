#pragma once
// The executor's stored executions: the document saved after every change and
// read at start. A restart replays the history into the governor (cooldowns,
// rates and breakers survive it), expires what was waiting or running (a
// decision made then is not valid now) and resumes the outcome evaluations
// still due, whose requests carry the counterfactual forecast.
#include "actors/executor/governance.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace grace::executor {

struct execution_history {
  uint64_t next_id = 1;
  std::deque<execution> executions;                  // newest last
  std::map<std::string, execution_request> awaiting; // by execution id, until evaluated
  std::optional<kill_switch_status> kill_switch;     // the operator's, when stored
};

// The stored document of the executor's state; with `kill_switch` (the last
// an operator set through the API, not grace.yaml's) when one is given.
nlohmann::json history_json(uint64_t next_id, const std::deque<execution>& executions,
                            const std::map<std::string, execution_request>& awaiting,
                            const kill_switch_status* kill_switch = nullptr);

// Reads a stored document, replaying it into `governor`; throws on a
// document it cannot read. A kill switch stored engaged is engaged again
// (with its reason and since): an operator's stop survives a restart. One
// stored released leaves the governor as it is (grace.yaml may engage it).
execution_history restore_history(const nlohmann::json& doc, governor& governor);

// The succeeded runs whose measurement ended by `now`, with their request
// still kept (`awaiting`) and not being evaluated already.
std::vector<std::string>
due_for_evaluation(const std::deque<execution>& executions,
                   const std::map<std::string, execution_request>& awaiting,
                   const std::set<std::string>& evaluating, timestamp_ms now);

} // namespace grace::executor
