#include "actors/predictor/predictor_actor.hpp"

#include "actors/catalog/catalog.hpp"
#include "actors/predictor/breach.hpp"
#include "actors/supervisor/actor_lookup.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

#include <algorithm>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <cmath>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_pointer = predictor_actor::stateful_pointer<predictor_state>;

predictor::threshold_spec spec_of(const catalog::metric_definition& m) {
  predictor::threshold_spec t;
  t.metric_id = m.id;
  t.service = m.service;
  t.higher_is_worse = m.direction == catalog::direction::higher_is_worse;
  t.warning = m.warning;
  t.critical = m.critical;
  return t;
}

void publish(self_pointer self, const supervisor_actor& supervisor, const early_warning& w,
             const std::string& change) {
  nlohmann::json event = w;
  event["change"] = change;
  const auto text = event.dump();
  with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
    self->send(mesh, atom::publish_v, std::string("warnings"), text);
  });
  with_component<notifier_actor>(self, supervisor, "notifier",
                                 [=](notifier_actor n) { self->send(n, atom::notify_v, w); });
}

void log_resolved(const early_warning& w) {
  switch (w.outcome) {
  case warning_outcome::came_true:
    spdlog::info("[INCIDENT-PREDICT] 📌 {} warning came true: breach {} min after the warning",
                 w.metric_id, (w.breached_at - w.raised_at) / 60000);
    break;
  case warning_outcome::prevented:
    spdlog::info(
        "[INCIDENT-PREDICT] 🛡️ {} breach prevented ('{}' ran, the breach did not come)",
        w.metric_id, w.action_playbook);
    break;
  case warning_outcome::false_alarm:
    spdlog::info("[INCIDENT-PREDICT] 💤 {} warning was a false alarm (no action, no breach)",
                 w.metric_id);
    break;
  case warning_outcome::open:
    break;
  }
}

// The metric's breach warners, made afresh when its thresholds changed.
predictor::threshold_warners& warners_for(predictor_state& st, const predictor::threshold_spec& t) {
  auto it = st.warners.find(t.metric_id);
  if (it == st.warners.end() || !it->second.matches(t))
    it = st.warners
             .insert_or_assign(t.metric_id, predictor::threshold_warners(t, st.settings.warner))
             .first;
  return it->second;
}

// How `m`'s current excursion began (onset.hpp).
predictor::onset onset_of(const predictor_state& st, const catalog::metric_definition& m) {
  return st.onsets.classify(m.id, m.critical, m.direction == catalog::direction::higher_is_worse);
}

// The RL context's diagnosis for an incident on `m` that began so.
std::string diagnosis_for(const predictor_state& st, const catalog::metric_definition& m,
                          predictor::onset onset) {
  return st.settings.sudden_onset_context ? predictor::diagnosis_of(m.id, onset) : m.id;
}

// The cause (catalog symptom_of) that holds a remediation of `m` at `at`, if any.
std::optional<predictor::cause_watch::hold>
held_by(const predictor_state& st, const catalog::metric_definition& m, timestamp_ms at) {
  if (m.symptom_of.empty())
    return std::nullopt;
  std::set<std::string> warned; // with a playbook run against the warning
  for (const auto& w : st.book.open())
    if (!w.action_playbook.empty())
      warned.insert(w.metric_id);
  return st.causes.holding(m.symptom_of, at, warned);
}

// Refusals another playbook can get around (a kill switch refuses them all).
bool playbook_specific(const std::string& rule) {
  return rule == "cooldown" || rule == "rate_limit" || rule == "circuit_breaker";
}

// Recommendation and (policy permitting) execution. `excluded`: playbooks the
// executor refused for this trigger; the agent is asked again without them
// (a refused run teaches the agent nothing and leaves the incident alone).
void act_on(self_pointer self, const supervisor_actor& supervisor, const action_trigger& trigger,
            const forecast& counterfactual, const std::vector<std::string>& excluded = {}) {
  recommend_request request{trigger.service, trigger.diagnosis, {}};
  auto left_out = trigger.tried;
  left_out.insert(left_out.end(), excluded.begin(), excluded.end());
  const auto& cat = self->state.catalog;
  const bool unattended_first = trigger.reaction && self->state.settings.react_unattended_first;
  if (!left_out.empty() || unattended_first) {
    const auto* metric = cat ? cat->find_metric(trigger.metric_id) : nullptr;
    if (!metric)
      return;
    // Unattended: runs without an operator, within the metric's risk cap
    // (the agent never chooses above it).
    std::vector<std::string> unattended;
    for (const auto& p : metric->playbooks)
      if (std::find(left_out.begin(), left_out.end(), p) == left_out.end()) {
        request.candidates.push_back(p);
        const auto* playbook = cat->find_playbook(p);
        if (playbook && playbook->mode == catalog::playbook_mode::auto_run
            && (!metric->max_risk_tier || playbook->risk_tier <= *metric->max_risk_tier))
          unattended.push_back(p);
      }
    if (unattended_first && !unattended.empty())
      request.candidates = std::move(unattended);
    if (request.candidates.empty()) {
      spdlog::warn("[INCIDENT-PREDICT] ⚠️ No playbook for {} left to run now (tried: {}; "
                   "refused: {})",
                   trigger.metric_id, fmt::join(trigger.tried, ", "), fmt::join(excluded, ", "));
      return;
    }
  }
  if (excluded.empty()) // a retry after a refusal is the same action
    self->state.reactions.acted(trigger.metric_id, trigger.service, virtual_now(self),
                                trigger.reaction);
  with_component<rl_agent_actor>(self, supervisor, "rl_agent", [=](rl_agent_actor agent) {
    self->request(agent, std::chrono::seconds(10), atom::recommend_v, request)
        .then(
            [=](const recommendation& r) {
              if (!trigger.reaction) {
                // Alertmanager and /api/events learn the recommendation too.
                if (auto w = self->state.book.recommend(trigger.metric_id, r.chosen))
                  publish(self, supervisor, *w, "updated");
                self->state.dirty = true;
              }
              spdlog::info("[INCIDENT-PREDICT] 🎯 PROACTIVE ACTION: Recommending '{}'", r.chosen);
              spdlog::info(
                  "[PROACTIVE-INTEL] 🧠 ML recommended: {} (learned from past incidents)",
                  r.chosen);
              execution_request run{trigger.warning_id, trigger.metric_id, trigger.service,
                                    r.chosen,           r.event_id,        r.propensity,
                                    counterfactual};
              with_component<executor_actor>(self, supervisor, "executor", [=](executor_actor ex) {
                self->request(ex, std::chrono::seconds(60), atom::run_v, run)
                    .then(
                        [=](const execution& e) {
                          auto next = excluded;
                          next.push_back(e.playbook);
                          if (e.state == execution_state::pending_approval) {
                            // The executor's approval deadline is wall-clock time.
                            self->state.approval_watches.push_back(
                                {e.id, trigger, next,
                                 self->state.settings.clock.actor_wall_ms(self)
                                     + self->state.settings.approval_timeout_ms});
                            return;
                          }
                          if (e.state != execution_state::refused || !playbook_specific(e.rule))
                            return;
                          spdlog::info("[INCIDENT-PREDICT] 🔁 '{}' refused for {} ({}): asking "
                                       "for another playbook",
                                       e.playbook, trigger.metric_id, e.rule);
                          act_on(self, supervisor, trigger, counterfactual, next);
                        },
                        [=](caf::error& err) {
                          spdlog::warn("[INCIDENT-PREDICT] ⚠️ '{}' not run: {}", run.playbook,
                                       describe(err));
                        });
              });
            },
            [=](caf::error& e) {
              spdlog::warn("[INCIDENT-PREDICT] ⚠️ No recommendation for {}: {}",
                           trigger.metric_id, describe(e));
            });
  });
}

// Is the trigger still worth acting on: its warning still open, or (a
// reaction) the metric still out of the good band?
bool still_relevant(const predictor_state& st, const action_trigger& trigger) {
  if (trigger.reaction) {
    const auto it = st.bands.find(trigger.metric_id);
    return it != st.bands.end() && it->second != band::good;
  }
  for (const auto& w : st.book.open())
    if (w.id == trigger.warning_id)
      return true;
  return false;
}

// Runs waiting for approval past the timeout: once the executor has expired
// (or an operator rejected) one, the next-best playbook is asked for while the
// trigger still matters; one that ran after approval needs nothing more.
void check_approvals(self_pointer self, const supervisor_actor& supervisor) {
  const int64_t now = self->state.settings.clock.actor_wall_ms(self);
  const auto& watches = self->state.approval_watches;
  if (std::none_of(watches.begin(), watches.end(),
                   [&](const approval_watch& w) { return w.check_at <= now; }))
    return;
  with_component<executor_actor>(self, supervisor, "executor", [=](executor_actor ex) {
    self->request(ex, std::chrono::seconds(30), atom::get_v, std::string())
        .then(
            [=](const std::vector<execution>& executions) {
              auto& st = self->state;
              std::vector<approval_watch> keep;
              for (auto& w : st.approval_watches) {
                const auto e =
                    std::find_if(executions.begin(), executions.end(),
                                 [&](const execution& x) { return x.id == w.execution_id; });
                if (w.check_at > now
                    || (e != executions.end() && e->state == execution_state::pending_approval)) {
                  keep.push_back(std::move(w));
                  continue;
                }
                if (e == executions.end()
                    || (e->state != execution_state::expired
                        && e->state != execution_state::rejected)
                    || !still_relevant(st, w.trigger))
                  continue;
                spdlog::info("[INCIDENT-PREDICT] 🔁 '{}' for {} was not approved ({}): asking for "
                             "another playbook",
                             e->playbook, w.trigger.metric_id, to_string(e->state));
                const auto f = st.latest_forecasts.find(w.trigger.metric_id);
                act_on(self, supervisor, w.trigger,
                       f == st.latest_forecasts.end() ? forecast{} : f->second, w.excluded);
              }
              st.approval_watches = std::move(keep);
            },
            [](caf::error& e) {
              spdlog::warn("[INCIDENT-PREDICT] ⚠️ Cannot check approvals: {}", describe(e));
            });
  });
}

void on_forecasts(self_pointer self, const supervisor_actor& supervisor,
                  const std::vector<forecast>& forecasts) {
  auto& st = self->state;
  if (!st.catalog)
    return;
  const int64_t now = virtual_now(self);
  // Warnings past their breach time resolve before new forecasts are judged.
  for (const auto& w : st.book.expire(now)) {
    st.dirty = true;
    log_resolved(w);
    publish(self, supervisor, w, "resolved");
  }
  for (const auto& f : forecasts) {
    const auto* metric = st.catalog->find_metric(f.metric_id);
    if (!metric || f.points.empty())
      continue;
    ++st.forecasts_seen;
    st.latest_forecasts[f.metric_id] = f;
    const auto spec = spec_of(*metric);
    const auto it = st.bands.find(f.metric_id);
    const band current = it == st.bands.end() ? band::good : it->second;
    const auto outlook = warners_for(st, spec).outlook(f, now);
    st.breach_probability[f.metric_id] = outlook.warning.probability;
    auto event = st.book.observe_outlook(outlook, spec, current, now);
    if (event.change == predictor::warning_change::none)
      continue;
    st.dirty = true;
    const auto& w = event.warning;
    if (event.change == predictor::warning_change::raised
        || event.change == predictor::warning_change::escalated) {
      spdlog::info("[INCIDENT-PREDICT] 🚨 EARLY WARNING: {} {} in {}min (conf: {:.0f}%)",
                   w.metric_id, w.severity == band::critical ? "critical breach" : "breach",
                   std::max<int64_t>(0, (w.expected_breach_at - now) / 60000),
                   100.0 * w.probability);
      spdlog::info("[INCIDENT-PREDICT] 💡 Predicted value: {:.2f} (threshold {:.2f}, 80%: "
                   "{:.2f}..{:.2f})",
                   w.predicted_value, w.threshold, w.lo80, w.hi80);
      publish(self, supervisor, w, predictor::to_string(event.change));
      if (st.settings.act && event.change == predictor::warning_change::raised) {
        if (const auto hold = held_by(st, *metric, now)) {
          ++st.actions_held;
          spdlog::info("[INCIDENT-PREDICT] ⏸️ Not remediating {}: a symptom of {} ({})",
                       w.metric_id, hold->cause, hold->state);
          continue;
        }
        auto diagnosis = diagnosis_for(st, *metric, onset_of(st, *metric));
        act_on(self, supervisor,
               action_trigger{w.id, w.metric_id, w.service, false, std::move(diagnosis), {}}, f);
      }
    } else {
      publish(self, supervisor, w, predictor::to_string(event.change));
    }
  }
}

void on_snapshots(self_pointer self, const supervisor_actor& supervisor,
                  const std::vector<snapshot>& snapshots) {
  auto& st = self->state;
  // Every cause's state in this batch first: a symptom's window may come
  // before its cause's of the same time.
  for (const auto& s : snapshots)
    st.causes.observe(s.metric_id, s.level, s.window_end);
  for (const auto& s : snapshots) {
    st.bands[s.metric_id] = s.level;
    if (s.level == band::good)
      st.held.erase(s.metric_id);
    for (const auto& w : st.book.observe_band(s.metric_id, s.level, s.window_end)) {
      st.dirty = true;
      log_resolved(w);
      publish(self, supervisor, w, "resolved");
    }
    if (!st.catalog)
      continue;
    const auto* metric = st.catalog->find_metric(s.metric_id);
    if (!metric)
      continue;
    const double value = catalog::statistic_of(s, metric->aggregation);
    st.onsets.observe(s.metric_id, s.window_end, value);
    warners_for(st, spec_of(*metric)).observe(s.window_end, value);
    const auto onset = onset_of(st, *metric);
    const bool due = st.reactions.observe({s.metric_id, metric->service, s.level, value,
                                           metric->direction == catalog::direction::higher_is_worse,
                                           s.window_end, onset == predictor::onset::sudden,
                                           st.catalog->symptoms_of(s.metric_id)});
    const auto hold = due && st.settings.act && st.settings.react_to_breaches
                          ? held_by(st, *metric, s.window_end)
                          : std::nullopt;
    if (hold) {
      ++st.actions_held;
      if (st.held[s.metric_id] != hold->cause) // once per cause and episode
        spdlog::info(
            "[INCIDENT-PREDICT] ⏸️ {} in the {} band, not remediating: a symptom of {} "
            "({})",
            s.metric_id, to_string(s.level), hold->cause, hold->state);
      st.held[s.metric_id] = hold->cause;
    } else if (due && st.settings.act && st.settings.react_to_breaches) {
      st.held.erase(s.metric_id);
      const auto diagnosis = diagnosis_for(st, *metric, onset);
      auto tried = st.reactions.tried(s.metric_id);
      if (tried.empty())
        spdlog::info("[INCIDENT-PREDICT] 🔥 {} in the {} band for {} windows{}, no action "
                     "running: remediating now",
                     s.metric_id, to_string(s.level), st.reactions.episode_windows(s.metric_id),
                     diagnosis == s.metric_id ? "" : " after a sudden onset");
      else
        spdlog::info("[INCIDENT-PREDICT] 🔥 {} still in the {} band after {}: escalating to "
                     "another playbook",
                     s.metric_id, to_string(s.level), fmt::join(tried, ", "));
      const auto it = st.latest_forecasts.find(s.metric_id);
      act_on(self, supervisor,
             action_trigger{"breach-" + s.metric_id + "-" + std::to_string(s.window_end),
                            s.metric_id, metric->service, true, diagnosis, std::move(tried)},
             it == st.latest_forecasts.end() ? forecast{} : it->second);
    }
    if (!std::isfinite(value))
      continue;
    auto& scorer = st.scorers[s.metric_id];
    const double score = scorer.update(s.window_end, value);
    st.anomaly[s.metric_id] = score;
    if (score >= st.settings.anomaly_alert && s.level == band::good) {
      // Surprising although no threshold is near: worth a look.
      ++st.anomalies_flagged;
      spdlog::info("[INCIDENT-PREDICT] 🔎 Anomaly on {}: score {:.2f} ({:.2f}, expected {:.2f})",
                   s.metric_id, score, value, scorer.last().expected);
      const auto text = nlohmann::json{
          {"metric_id", s.metric_id},
          {"score", score},
          {"value", value},
          {"expected", scorer.last().expected},
          {"at",
           s.window_end}}.dump();
      with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
        self->send(mesh, atom::publish_v, std::string("anomalies"), text);
      });
    }
  }
}

void save(self_pointer self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  if (!st.dirty)
    return;
  st.dirty = false;
  const auto text = st.book.to_json().dump();
  store_state(self, supervisor, st.settings.state_key, text,
              "[INCIDENT-PREDICT] ❌ Warnings not saved");
}

warnings_view warnings_of(const predictor_state& st) {
  const auto stats = st.book.stats();
  warnings_view out;
  out.open = st.book.open();
  out.recent = st.book.recent(100);
  out.statistics = {stats.raised, stats.prevented, stats.came_true, stats.false_alarm,
                    stats.mean_lead_minutes};
  return out;
}

} // namespace

predictor_actor::behavior_type
predictor_component(predictor_actor::stateful_pointer<predictor_state> self,
                    supervisor_actor supervisor, predictor_settings settings) {
  self->state.settings = std::move(settings);
  self->state.book = predictor::warning_book(self->state.settings.policy);
  self->state.reactions = predictor::breach_reactions(self->state.settings.reaction);
  // A symptom lags its cause; the cause's fix is given escalate_after to show.
  self->state.causes = predictor::cause_watch(self->state.settings.reaction.escalate_after_ms);
  const auto key = self->state.settings.state_key;
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::state_v, key)
        .then(
            [=](const std::string& text) {
              if (text.empty())
                return;
              try {
                self->state.book = predictor::warning_book::from_json(nlohmann::json::parse(text),
                                                                      self->state.settings.policy);
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
                    self->state.catalog = std::move(cat);
                    on_forecasts(self, supervisor, forecasts);
                  },
                  [](caf::error& e) {
                    spdlog::warn("[INCIDENT-PREDICT] ⚠️ No catalog: {}", describe(e));
                  });
        });
      },
      [=](atom::ingest, const std::vector<snapshot>& snapshots) {
        on_snapshots(self, supervisor, snapshots);
      },
      [=](atom::action, const std::string& metric_id, const std::string& playbook,
          timestamp_ms at) {
        self->state.book.action_taken(metric_id, playbook, at);
        self->state.reactions.ran(metric_id, playbook);
        self->state.dirty = true;
      },
      [=](atom::warnings) -> warnings_view { return warnings_of(self->state); },
      [=](atom::tick) {
        check_approvals(self, supervisor);
        for (const auto& w : self->state.book.expire(virtual_now(self))) {
          self->state.dirty = true;
          log_resolved(w);
          publish(self, supervisor, w, "resolved");
        }
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
