#include "actors/executor/executor_actor.hpp"

#include "actors/catalog/catalog.hpp"
#include "actors/executor/command_runner.hpp"
#include "actors/executor/execution_history.hpp"
#include "actors/executor/measurement.hpp"
#include "actors/executor/webhook_client.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "common/utc_time.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

#include <algorithm>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_pointer = executor_actor::stateful_pointer<executor_state>;
using execution_promise = std::shared_ptr<caf::typed_response_promise<execution>>;

// Approvals wait for a person: their deadlines run on the wall clock, never
// sped up by the time scale (everything else here is virtual time).
int64_t wall_now(self_pointer self) {
  return self->state.settings.clock.actor_wall_ms(self);
}

execution* find(self_pointer self, const std::string& id) {
  for (auto& e : self->state.executions)
    if (e.id == id)
      return &e;
  return nullptr;
}

void save(self_pointer self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  // The requests of runs still to be evaluated carry the counterfactual
  // forecast: with them an evaluation due during a restart still happens.
  const auto text = executor::history_json(st.next_id, st.executions, st.requests,
                                           st.operator_switch ? &*st.operator_switch : nullptr)
                        .dump();
  store_state(self, supervisor, st.settings.state_key, text,
              "[PLAYBOOK-EXEC] ❌ Executions not saved");
}

// Saves the state and answers `rp` with the governance once the storage has
// it (a kill switch acknowledged survives a restart), or with why not.
void save_then_answer(self_pointer self, const supervisor_actor& supervisor,
                      std::shared_ptr<caf::typed_response_promise<governance_status>> rp) {
  auto& st = self->state;
  const auto text = executor::history_json(st.next_id, st.executions, st.requests,
                                           st.operator_switch ? &*st.operator_switch : nullptr)
                        .dump();
  const auto key = st.settings.state_key;
  with_component_or<storage_actor>(
      self, supervisor, "storage",
      [=](storage_actor storage) {
        self->request(storage, std::chrono::seconds(30), atom::state_v, key, text)
            .then([=](uint64_t) { rp->deliver(self->state.governor.status(virtual_now(self))); },
                  [=](caf::error& e) {
                    spdlog::error("[PLAYBOOK-EXEC] ❌ Kill switch not saved: {}", describe(e));
                    rp->deliver(
                        make_error(errc::unavailable,
                                   "the kill switch is set but not stored: " + describe(e)));
                  });
      },
      [=](const caf::error& e) {
        rp->deliver(
            make_error(errc::unavailable, "the kill switch is set but not stored: " + describe(e)));
      });
}

// grace_training/governance/: every decision, with the rule and its reason.
void record_decision(self_pointer self, const supervisor_actor& supervisor, const execution& e,
                     const std::string& decision) {
  nlohmann::json doc{{"type", "governance_decision"}, {"decision", decision}, {"execution", e}};
  const auto text = doc.dump();
  const auto id = e.id;
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::record_v, std::string("governance"),
                  std::string("decision"), id, text)
        .then([](const std::string&) {},
              [](caf::error& err) {
                spdlog::error("[PLAYBOOK-EXEC] ❌ Governance decision not recorded: {}",
                              describe(err));
              });
  });
}

void publish(self_pointer self, const supervisor_actor& supervisor, const execution& e) {
  const auto text = nlohmann::json(e).dump();
  with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
    self->send(mesh, atom::publish_v, std::string("executions"), text);
  });
}

void remember(self_pointer self, execution e) {
  auto& st = self->state;
  st.executions.push_back(std::move(e));
  while (st.executions.size() > st.settings.keep_executions) {
    st.requests.erase(st.executions.front().id);
    st.executions.pop_front();
  }
}

void finish_run(self_pointer self, const supervisor_actor& supervisor, const std::string& id,
                bool success, const std::string& message, execution_promise rp) {
  auto& st = self->state;
  auto* e = find(self, id);
  if (!e)
    return;
  const int64_t now = virtual_now(self);
  st.governor.finished(e->playbook, success, now);
  e->finished_at = now;
  e->message = message;
  e->state = success ? execution_state::succeeded : execution_state::failed;
  if (success) {
    e->evaluate_at = executor::evaluation_end(st.executions, *e, now, st.settings);
    spdlog::info("[PLAYBOOK-EXEC] 🔧 SELF-HEALING: Executed '{}' - {}", e->playbook, message);
    const auto metric = e->metric_id;
    const auto playbook = e->playbook;
    with_component<predictor_actor>(self, supervisor, "predictor", [=](predictor_actor p) {
      self->send(p, atom::action_v, metric, playbook, now);
    });
  } else {
    spdlog::error("[PLAYBOOK-EXEC] ❌ '{}' failed: {}", e->playbook, message);
  }
  const auto done = *e;
  const auto ledger = nlohmann::json(done).dump();
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::append_v,
                  std::string("playbook_execution"), ledger)
        .then([](uint64_t) {},
              [](caf::error& err) {
                spdlog::error("[PLAYBOOK-EXEC] ❌ Execution not in the ledger: {}", describe(err));
              });
  });
  publish(self, supervisor, done);
  save(self, supervisor);
  if (rp)
    rp->deliver(done);
}

// Runs the action of an execution the governor let through.
void start_run(self_pointer self, const supervisor_actor& supervisor, const catalog_ref& cat,
               const std::string& id, execution_promise rp) {
  auto& st = self->state;
  auto* e = find(self, id);
  const auto* pb = cat->find_playbook(e->playbook);
  const int64_t now = virtual_now(self);
  st.governor.started(e->playbook, e->service, now);
  e->state = execution_state::running;
  e->started_at = now;
  // An earlier run on the service still being measured is judged on the
  // windows before this one: from here on the metric shows both, and the
  // agent must not credit either with the other's effect.
  for (const auto& cut : executor::cut_by_start(st.executions, *e, now, st.evaluating)) {
    auto* other = find(self, cut);
    other->evaluate_at = now;
    spdlog::info("[PLAYBOOK-EXEC] ✂️ Outcome of '{}' measured until now: '{}' starts on {}",
                 other->playbook, e->playbook, e->service);
  }
  switch (pb->action.kind) {
  case catalog::action_kind::noop:
    finish_run(self, supervisor, id, true, "no action (noop playbook)", rp);
    return;
  case catalog::action_kind::simulator: {
    const auto playbook = e->playbook;
    self->request(supervisor, std::chrono::seconds(5), atom::get_v, std::string("simulator"))
        .then(
            [=](caf::actor& a) {
              self->request(caf::actor_cast<simulator_actor>(a), std::chrono::seconds(10),
                            atom::apply_v, playbook)
                  .then(
                      [=](const simulated_action& r) {
                        finish_run(self, supervisor, id, true, r.action_message, rp);
                      },
                      [=](caf::error& err) {
                        finish_run(self, supervisor, id, false, describe(err), rp);
                      });
            },
            [=](caf::error&) {
              finish_run(self, supervisor, id, false,
                         "the simulator is not running (start with --simulate)", rp);
            });
    return;
  }
  case catalog::action_kind::webhook:
  case catalog::action_kind::command: {
    nlohmann::json payload{{"execution_id", e->id},       {"playbook", e->playbook},
                           {"metric_id", e->metric_id},   {"service", e->service},
                           {"warning_id", e->warning_id}, {"requested_at", e->requested_at}};
    auto worker = self->spawn<caf::detached>(action_worker_component);
    const auto timeout =
        std::chrono::milliseconds(pb->action.timeout_ms * (pb->action.retries + 2) + 5000);
    self->request(worker, timeout, atom::run_v, cat, e->playbook, payload.dump())
        .then(
            [=](bool ok, const std::string& message) {
              caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
              finish_run(self, supervisor, id, ok, message, rp);
            },
            [=](caf::error& err) {
              caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
              finish_run(self, supervisor, id, false, describe(err), rp);
            });
    return;
  }
  }
}

void apply_decision(self_pointer self, const supervisor_actor& supervisor, const catalog_ref& cat,
                    const std::string& id, const executor::decision& d, execution_promise rp) {
  auto& st = self->state;
  auto* e = find(self, id);
  e->rule = d.rule;
  e->reason = d.reason;
  record_decision(self, supervisor, *e, executor::to_string(d.kind));
  switch (d.kind) {
  case executor::verdict::run:
    start_run(self, supervisor, cat, id, rp);
    return;
  case executor::verdict::dry_run:
    e->state = execution_state::dry_run;
    spdlog::info("[PLAYBOOK-EXEC] 🧪 DRY-RUN: would execute '{}' for {} ({})", e->playbook,
                 e->metric_id, d.reason);
    break;
  case executor::verdict::await_approval: {
    e->state = execution_state::pending_approval;
    const int64_t now = wall_now(self);
    const int64_t timeout = st.settings.approval_timeout_ms;
    st.approvals.add({e->id, e->playbook, e->service, now, now + timeout});
    e->approval_expires_at = iso_time(now + timeout);
    // Expired on time however slowly the periodic tick runs at this scale.
    self->delayed_send(self, std::chrono::milliseconds(timeout), atom::tick_v, atom::approve_v);
    spdlog::info("[PLAYBOOK-EXEC] ⏸️ '{}' waits for approval ({}): POST "
                 "/api/playbooks/executions/{}/approve",
                 e->playbook, d.reason, e->id);
    break;
  }
  case executor::verdict::refused:
    e->state = execution_state::refused;
    spdlog::warn("[PLAYBOOK-EXEC] ⛔ '{}' refused: {}", e->playbook, d.reason);
    break;
  }
  publish(self, supervisor, *e);
  save(self, supervisor);
  if (rp)
    rp->deliver(*e);
}

// --- outcome evaluation ------------------------------------------------------

struct evaluation {
  std::string execution_id;
  execution_request request;
  catalog_ref catalog;
  std::vector<std::string> metrics; // [0] is the diagnosed metric, then the service's others
  std::vector<std::vector<snapshot>> rows;
  size_t causes_from = 0; // metrics[causes_from..] are the metric's declared causes
  size_t remaining = 0;
};

void conclude(self_pointer self, const supervisor_actor& supervisor,
              std::shared_ptr<evaluation> ev) {
  auto& st = self->state;
  st.evaluating.erase(ev->execution_id);
  st.requests.erase(ev->execution_id);
  auto* e = find(self, ev->execution_id);
  if (!e)
    return;
  const auto* metric = ev->catalog->find_metric(e->metric_id);
  if (!metric)
    return;
  std::vector<executor::other_metric_rows> others;
  for (size_t i = 1; i < ev->metrics.size(); ++i)
    others.push_back(
        {ev->catalog->find_metric(ev->metrics[i]), std::move(ev->rows[i]), i >= ev->causes_from});
  const auto measured = executor::measure_outcome(*metric, ev->rows[0], ev->request.counterfactual,
                                                  others, *e, st.settings);
  const auto& in = measured.inputs;
  const auto& result = measured.result;
  e->reward = result.reward;
  e->kpi_deltas = result.kpi_deltas;
  e->outcome_summary = result.summary;
  e->state = execution_state::evaluated;
  spdlog::info("[PLAYBOOK-EXEC] 📏 Outcome of '{}' on {}: {}", e->playbook, e->metric_id,
               result.summary);
  const auto id = e->id;
  const auto event_id = e->event_id;
  auto finish = [=](double trust_delta) {
    auto* ex = find(self, id);
    if (!ex)
      return;
    ex->trust_delta = trust_delta;
    const auto done = *ex;
    nlohmann::json doc{{"type", "incident"},
                       {"execution", done},
                       {"before", in.before},
                       {"after", in.after},
                       {"counterfactual", in.counterfactual},
                       {"basis", result.basis},
                       {"breach_came", result.breach_came},
                       {"effect", result.effect}};
    const auto text = doc.dump();
    with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
      self->request(storage, std::chrono::seconds(30), atom::record_v, std::string("errors_fixed"),
                    std::string("incident"), id, text)
          .then([](const std::string&) {},
                [](caf::error& err) {
                  spdlog::error("[PLAYBOOK-EXEC] ❌ Incident record not saved: {}", describe(err));
                });
      self->request(storage, std::chrono::seconds(30), atom::append_v,
                    std::string("playbook_outcome"), text)
          .then([](uint64_t) {},
                [](caf::error& err) {
                  spdlog::error("[PLAYBOOK-EXEC] ❌ Outcome not in the ledger: {}", describe(err));
                });
    });
    publish(self, supervisor, done);
    save(self, supervisor);
  };
  // Nothing judged (no window after the run, e.g. the next run on the
  // service started within the same snapshot), nothing to learn: the
  // agent's event expires unrewarded rather than count as a 0.
  if (event_id.empty() || result.basis == "none") {
    finish(0.0);
    return;
  }
  reward_report report{event_id, result.reward, result.kpi_deltas,
                       executor::report_incident_seen(result, st.settings)};
  if (st.settings.cluster) {
    // The owner of the event's shard commits the outcome to etcd (once per
    // event, under its fencing token) before it learns and answers; a new
    // owner restores it from there.
    const auto not_learned = [=](const caf::error& err) {
      spdlog::warn("[PLAYBOOK-EXEC] ⚠️ Outcome not acknowledged by its shard's owner: {}",
                   describe(err));
      finish(0.0);
    };
    with_component_or<cluster_actor>(
        self, supervisor, "cluster",
        [=](cluster_actor cluster) {
          self->request(cluster, std::chrono::seconds(30), atom::reward_v, report)
              .then(
                  [=](const experience& learned, const std::string& owner) {
                    spdlog::info("[PLAYBOOK-EXEC] Outcome of event {} committed to etcd and "
                                 "learned by {}",
                                 learned.event_id, owner);
                    finish(learned.trust_delta);
                  },
                  [=](caf::error& err) { not_learned(err); });
        },
        not_learned);
    return;
  }
  with_component<rl_agent_actor>(self, supervisor, "rl_agent", [=](rl_agent_actor agent) {
    self->request(agent, std::chrono::seconds(30), atom::reward_v, report)
        .then([=](const experience& learned) { finish(learned.trust_delta); },
              [=](caf::error& err) {
                spdlog::warn("[PLAYBOOK-EXEC] ⚠️ Outcome not learned: {}", describe(err));
                finish(0.0);
              });
  });
}

void evaluate(self_pointer self, const supervisor_actor& supervisor, const catalog_ref& cat,
              const execution& e) {
  auto it = self->state.requests.find(e.id);
  if (it == self->state.requests.end()) {
    self->state.evaluating.erase(e.id);
    return;
  }
  auto ev = std::make_shared<evaluation>();
  ev->execution_id = e.id;
  ev->request = it->second;
  ev->catalog = cat;
  ev->metrics = executor::evaluation_metrics(*cat, e.metric_id, e.service, ev->causes_from);
  ev->rows.resize(ev->metrics.size());
  ev->remaining = ev->metrics.size();
  const int64_t since = executor::measurement_since(e, self->state.settings);
  const int64_t until = e.evaluate_at + 1;
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    for (size_t i = 0; i < ev->metrics.size(); ++i) {
      self->request(storage, std::chrono::seconds(30), atom::query_v,
                    snapshot_query{ev->metrics[i], since, until, 0})
          .then(
              [=](std::vector<snapshot>& rows) {
                ev->rows[i] = std::move(rows);
                if (--ev->remaining == 0)
                  conclude(self, supervisor, ev);
              },
              [=](caf::error& err) {
                if (ev->remaining == 0)
                  return;
                ev->remaining = 0;
                self->state.evaluating.erase(ev->execution_id);
                spdlog::error("[PLAYBOOK-EXEC] ❌ Cannot evaluate {}: {}", ev->execution_id,
                              describe(err));
              });
    }
  });
}

// Expires the approvals whose wall-clock deadline passed; true if any did.
bool expire_approvals(self_pointer self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  const int64_t now = virtual_now(self);
  bool changed = false;
  for (const auto& p : st.approvals.expire(wall_now(self))) {
    if (auto* e = find(self, p.execution_id)) {
      e->state = execution_state::expired;
      e->finished_at = now;
      e->reason =
          "approval expired after " + executor::format_duration(st.settings.approval_timeout_ms);
      spdlog::warn("[PLAYBOOK-EXEC] ⌛ Approval of '{}' expired ({})", e->playbook, e->id);
      record_decision(self, supervisor, *e, "expired");
      publish(self, supervisor, *e);
      changed = true;
    }
  }
  return changed;
}

void on_tick(self_pointer self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  const int64_t now = virtual_now(self);
  const bool changed = expire_approvals(self, supervisor);
  const auto due = executor::due_for_evaluation(st.executions, st.requests, st.evaluating, now);
  st.evaluating.insert(due.begin(), due.end()); // not picked again while it runs
  if (!due.empty())
    with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor catalog) {
      self->request(catalog, std::chrono::seconds(5), atom::get_v)
          .then(
              [=](catalog_ref cat) {
                for (const auto& id : due)
                  if (auto* live = find(self, id))
                    evaluate(self, supervisor, cat, *live);
              },
              [=](caf::error& err) {
                for (const auto& id : due)
                  self->state.evaluating.erase(id);
                spdlog::warn("[PLAYBOOK-EXEC] ⚠️ No catalog: {}", describe(err));
              });
    });
  if (changed)
    save(self, supervisor);
}

void restore(self_pointer self, const std::string& text) {
  auto& st = self->state;
  try {
    auto stored = executor::restore_history(nlohmann::json::parse(text), st.governor);
    st.next_id = stored.next_id;
    st.executions = std::move(stored.executions);
    st.requests = std::move(stored.awaiting);
    if (st.operator_switch) {
      // Set in this run before the stored state arrived (a cluster's switch
      // applied at its first read of etcd): the newer one stands.
      const auto& now = *st.operator_switch;
      st.governor.set_kill_switch(now.engaged, now.reason, now.since);
    } else {
      st.operator_switch = stored.kill_switch;
      if (st.operator_switch && st.operator_switch->engaged)
        spdlog::warn("[PLAYBOOK-EXEC] 🛑 Kill switch still engaged from before the restart: {}",
                     st.operator_switch->reason);
    }
    if (!st.requests.empty())
      spdlog::info("[PLAYBOOK-EXEC] 🔁 {} outcome evaluation(s) resumed after the restart",
                   st.requests.size());
  } catch (const std::exception& ex) {
    spdlog::error("[PLAYBOOK-EXEC] ❌ Stored executions unusable, starting afresh: {}", ex.what());
    st.executions.clear();
    st.requests.clear();
  }
}

} // namespace

action_worker_actor::behavior_type action_worker_component(action_worker_actor::pointer) {
  return {
      [](atom::run, const catalog_ref& cat, const std::string& playbook,
         const std::string& payload) -> std::tuple<bool, std::string> {
        const auto* pb = cat->find_playbook(playbook);
        if (!pb)
          return {false, "unknown playbook '" + playbook + "'"};
        const auto& a = pb->action;
        if (a.kind == catalog::action_kind::webhook) {
          auto r = executor::post_webhook(a.url, a.headers, payload, a.timeout_ms, a.retries);
          if (r.ok)
            return {true, "webhook answered " + std::to_string(r.status) + " after "
                              + std::to_string(r.attempts) + " attempt(s)"};
          return {false,
                  "webhook failed after " + std::to_string(r.attempts) + " attempt(s): " + r.error};
        }
        if (a.kind == catalog::action_kind::command) {
          auto r = executor::run_command(a.argv, a.env, a.timeout_ms);
          return {r.ok(), executor::describe(r)};
        }
        return {false, "not a webhook or command playbook"};
      },
  };
}

executor_actor::behavior_type
executor_component(executor_actor::stateful_pointer<executor_state> self,
                   supervisor_actor supervisor, executor_settings settings) {
  self->state.settings = std::move(settings);
  self->state.governor = executor::governor(self->state.settings);
  if (self->state.settings.kill_switch)
    self->state.governor.set_kill_switch(true, "engaged in grace.yaml (execution.kill_switch)",
                                         virtual_now(self));
  const auto key = self->state.settings.state_key;
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::state_v, key)
        .then(
            [=](const std::string& text) {
              if (!text.empty())
                restore(self, text);
            },
            [](caf::error& e) {
              spdlog::warn("[PLAYBOOK-EXEC] ⚠️ Cannot read stored executions: {}", describe(e));
            });
  });
  self->delayed_send(self,
                     self->state.settings.clock.real_delay(self->state.settings.check_interval_ms),
                     atom::tick_v);
  return {
      [=](atom::run, execution_request request) -> caf::result<execution> {
        auto rp = std::make_shared<caf::typed_response_promise<execution>>(
            self->make_response_promise<execution>());
        with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor catalog) {
          self->request(catalog, std::chrono::seconds(5), atom::get_v)
              .then(
                  [=](catalog_ref cat) {
                    auto& st = self->state;
                    const auto* pb = cat->find_playbook(request.playbook);
                    if (!pb) {
                      rp->deliver(make_error(errc::invalid_input,
                                             "unknown playbook '" + request.playbook + "'"));
                      return;
                    }
                    const int64_t now = virtual_now(self);
                    execution e;
                    e.id = "ex-" + (st.settings.node_id.empty() ? "" : st.settings.node_id + "-")
                           + std::to_string(st.next_id++) + "-" + std::to_string(now / 1000);
                    e.playbook = request.playbook;
                    e.metric_id = request.metric_id;
                    e.service = request.service;
                    e.warning_id = request.warning_id;
                    e.event_id = request.event_id;
                    e.requested_at = now;
                    st.requests[e.id] = request;
                    const auto id = e.id;
                    remember(self, std::move(e));
                    apply_decision(self, supervisor, cat, id,
                                   st.governor.decide(*pb, request.service, now), rp);
                  },
                  [=](caf::error& err) {
                    rp->deliver(make_error(errc::unavailable, "no catalog: " + describe(err)));
                  });
        });
        return *rp;
      },
      [=](atom::approve, const std::string& id, bool approved) -> caf::result<execution> {
        auto& st = self->state;
        const int64_t now = virtual_now(self);
        auto taken = st.approvals.take(id, wall_now(self));
        auto* e = find(self, id);
        if (!taken || !e)
          return make_error(errc::not_found, "no execution '" + id
                                                 + "' is waiting for approval (unknown, already "
                                                   "decided or expired)");
        if (!approved) {
          e->state = execution_state::rejected;
          e->finished_at = now;
          e->reason = "rejected by an operator";
          spdlog::info("[PLAYBOOK-EXEC] 🚫 '{}' rejected by an operator ({})", e->playbook, id);
          record_decision(self, supervisor, *e, "rejected");
          publish(self, supervisor, *e);
          save(self, supervisor);
          return *e;
        }
        auto rp = std::make_shared<caf::typed_response_promise<execution>>(
            self->make_response_promise<execution>());
        with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor catalog) {
          self->request(catalog, std::chrono::seconds(5), atom::get_v)
              .then(
                  [=](catalog_ref cat) {
                    auto* ex = find(self, id);
                    const auto* pb = cat->find_playbook(ex->playbook);
                    if (!pb) {
                      rp->deliver(make_error(errc::conflict,
                                             "playbook '" + ex->playbook + "' left the catalog"));
                      return;
                    }
                    spdlog::info("[PLAYBOOK-EXEC] ✅ '{}' approved by an operator ({})",
                                 ex->playbook, id);
                    apply_decision(
                        self, supervisor, cat, id,
                        self->state.governor.decide_approved(*pb, ex->service, virtual_now(self)),
                        rp);
                  },
                  [=](caf::error& err) {
                    rp->deliver(make_error(errc::unavailable, "no catalog: " + describe(err)));
                  });
        });
        return *rp;
      },
      [=](atom::runnable, const catalog_ref& cat, const std::string& target,
          const std::vector<std::string>& playbooks) -> std::vector<std::string> {
        if (!cat)
          return {};
        return self->state.governor.runnable(*cat, playbooks, target, virtual_now(self));
      },
      [=](atom::get, const std::string& filter) -> caf::result<std::vector<execution>> {
        std::vector<execution> out;
        for (auto it = self->state.executions.rbegin(); it != self->state.executions.rend(); ++it)
          if (filter.empty() || to_string(it->state) == filter)
            out.push_back(*it);
        return out;
      },
      [=](atom::kill, bool engaged, const std::string& reason) -> caf::result<governance_status> {
        auto& st = self->state;
        const int64_t now = virtual_now(self);
        st.governor.set_kill_switch(engaged, reason, now);
        st.operator_switch = st.governor.status(now).kill_switch;
        if (engaged)
          spdlog::warn("[PLAYBOOK-EXEC] 🛑 Kill switch engaged: {}", reason);
        else
          spdlog::info("[PLAYBOOK-EXEC] ▶️ Kill switch released: {}", reason);
        execution marker;
        marker.id = "kill-switch-" + std::to_string(now / 1000);
        marker.reason = reason;
        marker.rule = "kill_switch";
        marker.requested_at = now;
        record_decision(self, supervisor, marker,
                        engaged ? "kill_switch_engaged" : "kill_switch_released");
        auto rp = std::make_shared<caf::typed_response_promise<governance_status>>(
            self->make_response_promise<governance_status>());
        save_then_answer(self, supervisor, rp);
        return *rp;
      },
      [=](atom::statistics) -> governance_report {
        return {self->state.governor.status(virtual_now(self)),
                self->state.approvals.status(wall_now(self))};
      },
      [=](atom::tick) {
        on_tick(self, supervisor);
        self->delayed_send(
            self, self->state.settings.clock.real_delay(self->state.settings.check_interval_ms),
            atom::tick_v);
      },
      [=](atom::tick, atom::approve) {
        if (expire_approvals(self, supervisor))
          save(self, supervisor);
      },
      [=](atom::status) -> executor_status {
        const auto& st = self->state;
        executor_status out;
        for (const auto& e : st.executions)
          ++out.executions[to_string(e.state)];
        out.pending_approvals = st.approvals.size();
        out.kill_switch = st.governor.kill_switch();
        out.evaluations_running = st.evaluating.size();
        return out;
      },
  };
}

} // namespace grace
