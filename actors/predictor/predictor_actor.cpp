#include "actors/predictor/predictor_actor.hpp"

#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <type_traits>
#include <variant>

namespace grace {

namespace {

using self_pointer = predictor_actor::stateful_pointer<predictor_state>;

void carry_out(self_pointer self, const supervisor_actor& supervisor,
               const predictor::effects& effects);

void publish(self_pointer self, const supervisor_actor& supervisor,
             const predictor::publish_warning& p) {
  nlohmann::json event = p.warning;
  event["change"] = p.change;
  const auto text = event.dump();
  with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
    self->send(mesh, atom::publish_v, std::string("warnings"), text);
  });
  const auto w = p.warning;
  with_component<notifier_actor>(self, supervisor, "notifier",
                                 [=](notifier_actor n) { self->send(n, atom::notify_v, w); });
}

void publish(self_pointer self, const supervisor_actor& supervisor,
             const predictor::publish_anomaly& a) {
  const auto text = nlohmann::json{
      {"metric_id", a.metric_id},
      {"score", a.score},
      {"value", a.value},
      {"expected", a.expected},
      {"at", a.at}}.dump();
  with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
    self->send(mesh, atom::publish_v, std::string("anomalies"), text);
  });
}

// Asks the RL agent for a playbook and the executor to run it; the engine
// hears both answers. In a cluster the agent asked is the owner of the
// context's shard (through the cluster component), so that the outcome's
// reward reaches the learner that holds the event.
void request_playbook(self_pointer self, const supervisor_actor& supervisor,
                      const predictor::request_playbook& asked) {
  const auto chosen = [=](const recommendation& r) {
    carry_out(self, supervisor, self->state.recommended(asked, r.chosen));
    const auto& t = asked.trigger;
    execution_request run{t.warning_id, t.metric_id,  t.service,           r.chosen,
                          r.event_id,   r.propensity, asked.counterfactual};
    with_component<executor_actor>(self, supervisor, "executor", [=](executor_actor ex) {
      self->request(ex, std::chrono::seconds(60), atom::run_v, run)
          .then(
              [=](const execution& e) {
                carry_out(
                    self, supervisor,
                    self->state.ran(asked, e, self->state.settings.clock.actor_wall_ms(self)));
              },
              [=](caf::error& err) {
                spdlog::warn("[INCIDENT-PREDICT] ⚠️ '{}' not run: {}", run.playbook,
                             describe(err));
              });
    });
  };
  const auto refused = [=](const caf::error& e) {
    spdlog::warn("[INCIDENT-PREDICT] ⚠️ No recommendation for {}: {}", asked.trigger.metric_id,
                 describe(e));
  };
  if (self->state.settings.cluster) {
    with_component_or<cluster_actor>(
        self, supervisor, "cluster",
        [=](cluster_actor cluster) {
          self->request(cluster, std::chrono::seconds(10), atom::recommend_v, asked.request)
              .then([=](const recommendation& r, const std::string&) { chosen(r); },
                    [=](caf::error& e) { refused(e); });
        },
        refused);
    return;
  }
  with_component<rl_agent_actor>(self, supervisor, "rl_agent", [=](rl_agent_actor agent) {
    self->request(agent, std::chrono::seconds(10), atom::recommend_v, asked.request)
        .then([=](const recommendation& r) { chosen(r); }, [=](caf::error& e) { refused(e); });
  });
}

// The RL agent forgets a pick that was not acted on: in a cluster the
// learner of the owner of the event's shard (the cluster component routes it
// like a reward), else the local one.
void withdraw(self_pointer self, const supervisor_actor& supervisor,
              const predictor::withdraw_event& w) {
  const auto failed = [=](const caf::error& err) {
    spdlog::warn("[INCIDENT-PREDICT] ⚠️ Event {} not withdrawn: {}", w.event_id, describe(err));
  };
  if (self->state.settings.cluster) {
    with_component_or<cluster_actor>(
        self, supervisor, "cluster",
        [=](cluster_actor cluster) {
          self->request(cluster, std::chrono::seconds(10), atom::withdraw_v, w.event_id)
              .then([](bool) {}, [=](caf::error& e) { failed(e); });
        },
        failed);
    return;
  }
  with_component<rl_agent_actor>(self, supervisor, "rl_agent", [=](rl_agent_actor agent) {
    self->request(agent, std::chrono::seconds(10), atom::withdraw_v, w.event_id)
        .then([](bool) {},
              [=](caf::error& err) {
                spdlog::warn("[INCIDENT-PREDICT] ⚠️ Event {} not withdrawn: {}", w.event_id,
                             describe(err));
              });
  });
}

// Asks the executor which playbooks it would run now; the engine asks the
// agent among those.
void ask_again(self_pointer self, const supervisor_actor& supervisor,
               const predictor::ask_again& again) {
  auto cat = self->state.catalog();
  if (!cat)
    return;
  with_component<executor_actor>(self, supervisor, "executor", [=](executor_actor ex) {
    self->request(ex, std::chrono::seconds(10), atom::runnable_v, cat, again.trigger.service,
                  again.playbooks)
        .then(
            [=](const std::vector<std::string>& runnable) {
              carry_out(self, supervisor,
                        self->state.asked_again(again, runnable, virtual_now(self)));
            },
            [=](caf::error& err) {
              spdlog::warn("[INCIDENT-PREDICT] ⚠️ Not asking again for {}: {}",
                           again.trigger.metric_id, describe(err));
            });
  });
}

// The engine's effects as messages and log lines, in the engine's order.
void carry_out(self_pointer self, const supervisor_actor& supervisor,
               const predictor::effects& effects) {
  for (const auto& effect : effects)
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, predictor::log_line>) {
            if (e.level == predictor::log_level::warn)
              spdlog::warn("{}", e.text);
            else
              spdlog::info("{}", e.text);
          } else if constexpr (std::is_same_v<T, predictor::request_playbook>) {
            request_playbook(self, supervisor, e);
          } else if constexpr (std::is_same_v<T, predictor::withdraw_event>) {
            withdraw(self, supervisor, e);
          } else if constexpr (std::is_same_v<T, predictor::ask_again>) {
            ask_again(self, supervisor, e);
          } else {
            publish(self, supervisor, e);
          }
        },
        effect);
}

// Runs waiting for approval past the timeout: the executor's executions tell
// the engine which were decided.
void check_approvals(self_pointer self, const supervisor_actor& supervisor) {
  const int64_t now = self->state.settings.clock.actor_wall_ms(self);
  if (!self->state.approvals_due(now))
    return;
  with_component<executor_actor>(self, supervisor, "executor", [=](executor_actor ex) {
    self->request(ex, std::chrono::seconds(30), atom::get_v, std::string())
        .then(
            [=](const std::vector<execution>& executions) {
              carry_out(self, supervisor, self->state.approvals_checked(executions, now));
            },
            [](caf::error& e) {
              spdlog::warn("[INCIDENT-PREDICT] ⚠️ Cannot check approvals: {}", describe(e));
            });
  });
}

void save(self_pointer self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  if (!st.take_dirty())
    return;
  const auto text = st.to_json().dump();
  store_state(self, supervisor, st.settings.state_key, text,
              "[INCIDENT-PREDICT] ❌ Warnings not saved");
}

} // namespace

predictor_actor::behavior_type
predictor_component(predictor_actor::stateful_pointer<predictor_state> self,
                    supervisor_actor supervisor, predictor_settings settings) {
  self->state.settings = std::move(settings);
  static_cast<predictor::engine&>(self->state) = predictor::engine(self->state.settings);
  const auto key = self->state.settings.state_key;
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::state_v, key)
        .then(
            [=](const std::string& text) {
              if (text.empty())
                return;
              try {
                self->state.restore(nlohmann::json::parse(text));
              } catch (const std::exception& e) {
                spdlog::error("[INCIDENT-PREDICT] ❌ Stored warnings unusable, starting afresh: {}",
                              e.what());
              }
            },
            [](caf::error& e) {
              spdlog::warn("[INCIDENT-PREDICT] ⚠️ Cannot read stored warnings: {}",
                           describe(e));
            });
  });
  spdlog::info("[ML-SYSTEMS] 🚨 Incident prediction active");
  self->delayed_send(self,
                     self->state.settings.clock.real_delay(self->state.settings.check_interval_ms),
                     atom::tick_v);
  return {
      [=](atom::forecast, const std::vector<forecast>& forecasts) {
        // The catalog is fetched per batch so that reloads take effect.
        with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor catalog) {
          self->request(catalog, std::chrono::seconds(5), atom::get_v)
              .then(
                  [=](catalog_ref cat) {
                    self->state.set_catalog(std::move(cat));
                    carry_out(self, supervisor,
                              self->state.on_forecasts(forecasts, virtual_now(self)));
                  },
                  [](caf::error& e) {
                    spdlog::warn("[INCIDENT-PREDICT] ⚠️ No catalog: {}", describe(e));
                  });
        });
      },
      [=](atom::ingest, const std::vector<snapshot>& snapshots) {
        carry_out(self, supervisor, self->state.on_snapshots(snapshots, virtual_now(self)));
      },
      [=](atom::action, const std::string& metric_id, const std::string& playbook,
          timestamp_ms at) { self->state.action_taken(metric_id, playbook, at); },
      [=](atom::warnings) -> warnings_view { return self->state.warnings(); },
      [=](atom::tick) {
        check_approvals(self, supervisor);
        carry_out(self, supervisor, self->state.expire(virtual_now(self)));
        save(self, supervisor);
        self->delayed_send(
            self, self->state.settings.clock.real_delay(self->state.settings.check_interval_ms),
            atom::tick_v);
      },
      [=](atom::status) -> predictor_status {
        const auto& st = self->state;
        predictor_status out;
        out.open_warnings = st.book.open().size();
        out.forecasts_seen = st.forecasts_seen;
        out.anomalies_flagged = st.anomalies_flagged;
        out.actions_held = st.actions_held;
        out.anomaly_scores = {st.anomaly.begin(), st.anomaly.end()};
        out.breach_probability = {st.breach_probability.begin(), st.breach_probability.end()};
        return out;
      },
  };
}

} // namespace grace
