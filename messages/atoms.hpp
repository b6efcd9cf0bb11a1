#pragma once
// Every atom of the node, in one namespace (at most 10 characters of text).
#include <caf/atom.hpp>

#define GRACE_ATOM(name, text)                                                                     \
  namespace grace::atom {                                                                          \
  using name = caf::atom_constant<caf::atom(text)>;                                                \
  constexpr name name##_v = name{};                                                                \
  }

GRACE_ATOM(get, "get")
GRACE_ATOM(reload, "reload")
GRACE_ATOM(status, "status")
GRACE_ATOM(ready, "ready")
GRACE_ATOM(record, "record")
GRACE_ATOM(append, "append")
GRACE_ATOM(verify, "verify")
GRACE_ATOM(restart, "restart")
GRACE_ATOM(ingest, "ingest")
GRACE_ATOM(tick, "tick")
GRACE_ATOM(store, "store")
GRACE_ATOM(query, "query")
GRACE_ATOM(latest, "latest")
GRACE_ATOM(publish, "publish")
GRACE_ATOM(subscribe, "subscribe")
GRACE_ATOM(event, "event")
GRACE_ATOM(apply, "apply")
GRACE_ATOM(history, "history")
GRACE_ATOM(train, "train")
GRACE_ATOM(forecast, "forecast")
GRACE_ATOM(save, "save")
GRACE_ATOM(load, "load")
GRACE_ATOM(model, "model")
GRACE_ATOM(statistics, "statistics")
GRACE_ATOM(recommend, "recommend")
GRACE_ATOM(reward, "reward")
GRACE_ATOM(run, "run")
GRACE_ATOM(approve, "approve")
GRACE_ATOM(evaluate, "evaluate")
GRACE_ATOM(state, "state")
GRACE_ATOM(warnings, "warnings")
GRACE_ATOM(kill, "kill")
GRACE_ATOM(action, "action")
GRACE_ATOM(notify, "notify")
GRACE_ATOM(metrics, "metrics")
GRACE_ATOM(replay, "replay")
GRACE_ATOM(flush, "flush")
GRACE_ATOM(sync, "sync")
GRACE_ATOM(shutdown, "shutdown")
GRACE_ATOM(refresh, "refresh")
GRACE_ATOM(hello, "hello")
GRACE_ATOM(check, "check")
GRACE_ATOM(restore, "restore")
GRACE_ATOM(fold, "fold")
GRACE_ATOM(call, "call")
GRACE_ATOM(connect, "connect")
GRACE_ATOM(policies, "policies")
GRACE_ATOM(withdraw, "withdraw")
GRACE_ATOM(runnable, "runnable")
// The dashboard reports, one atom each (analytics_actor).
GRACE_ATOM(overview, "overview")
GRACE_ATOM(health, "health")
GRACE_ATOM(accuracy, "accuracy")
GRACE_ATOM(playbooks, "playbooks")
GRACE_ATOM(learning, "learning")
GRACE_ATOM(training, "training")
GRACE_ATOM(forecasts, "forecasts")
// Playbook executions over a cluster (cluster_actor, cluster_peer_actor).
GRACE_ATOM(executions, "executions")

#undef GRACE_ATOM
