#pragma once
// The playbook executor component: every run request passes the governor
// (kill switch, circuit breaker, cooldown, rate limit, mode); approved runs
// act (simulator, noop inline; webhook and command in a detached worker so a
// slow endpoint or process never blocks a shared thread); each decision is
// recorded under grace_training/governance/; after the evaluation window the
// outcome is measured against the forecast made before acting and reported
// to the RL agent, recorded under errors_fixed/ and in the ledger.
#include "actors/clock/node_clock.hpp"
#include "actors/executor/execution_settings.hpp"
#include "messages/actors.hpp"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace grace {

// grace.yaml's execution settings (execution_settings.hpp) and the shell's own.
struct executor_settings : executor::execution_settings {
  node_clock clock;
  int64_t check_interval_ms = 60000; // virtual: approval expiry and due evaluations
  size_t keep_executions = 500;
  std::string state_key = "executor";
  // Outcomes are learned by the owner of their event's shard, acknowledged
  // once it committed them to etcd under its fencing token.
  bool cluster = false;
  // Names this node in its execution ids ("ex-<node>-<n>-<s>") in a cluster,
  // so that an id is unique among the members and an approval finds its run.
  std::string node_id;
};

struct executor_state {
  static inline const char* name = "executor";
  executor_settings settings;
  executor::governor governor;
  executor::approval_queue approvals;
  std::deque<execution> executions;                  // newest last
  std::map<std::string, execution_request> requests; // by execution id, until evaluated
  uint64_t next_id = 1;
  std::set<std::string> evaluating; // executions whose outcome is being measured
  // The kill switch as an operator last set it through the API (stored, so
  // that it survives a restart; grace.yaml's is not stored).
  std::optional<kill_switch_status> operator_switch;
};

executor_actor::behavior_type
executor_component(executor_actor::stateful_pointer<executor_state> self,
                   supervisor_actor supervisor, executor_settings settings);

// The detached worker behind webhook and command actions.
action_worker_actor::behavior_type action_worker_component(action_worker_actor::pointer self);

} // namespace grace
