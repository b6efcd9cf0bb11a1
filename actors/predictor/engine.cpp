#include "actors/predictor/engine.hpp"

#include "actors/predictor/refusal.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <limits>
#include <set>

namespace grace::predictor {

namespace {

threshold_spec spec_of(const catalog::metric_definition& m) {
  threshold_spec t;
  t.metric_id = m.id;
  t.service = m.service;
  t.higher_is_worse = m.direction == catalog::direction::higher_is_worse;
  t.warning = m.warning;
  t.critical = m.critical;
  return t;
}

// Refusals another playbook can get around (a kill switch refuses them all).
// Why no playbook is left, naming only what applies: "already tried: a, b;
// not runnable now: c".
std::string left_out_reasons(const std::vector<std::string>& tried,
                             const std::vector<std::string>& excluded) {
  std::vector<std::string> parts;
  if (!tried.empty())
    parts.push_back(fmt::format("already tried: {}", fmt::join(tried, ", ")));
  if (!excluded.empty())
    parts.push_back(fmt::format("refused or not runnable now: {}", fmt::join(excluded, ", ")));
  if (parts.empty())
    parts.push_back("the metric has no playbook");
  return fmt::format("{}", fmt::join(parts, "; "));
}

bool playbook_specific(const std::string& rule) {
  return rule == "cooldown" || rule == "rate_limit" || rule == "circuit_breaker";
}

void info(effects& out, std::string text) {
  out.push_back(log_line{log_level::info, std::move(text)});
}

void warn(effects& out, std::string text) {
  out.push_back(log_line{log_level::warn, std::move(text)});
}

} // namespace

engine::engine(engine_settings s)
    : book(static_cast<const warning_policy&>(s)), settings_(std::move(s)),
      reactions_(static_cast<const reaction_policy&>(settings_)),
      // A symptom lags its cause; the cause's fix is given escalate_after to show.
      causes_(settings_.escalate_after_ms) {}

void engine::set_catalog(std::shared_ptr<const catalog::metrics_catalog> catalog) {
  catalog_ = std::move(catalog);
}

void engine::restore(const nlohmann::json& stored) {
  book = warning_book::from_json(stored, settings_);
}

bool engine::take_dirty() {
  const bool was = dirty_;
  dirty_ = false;
  return was;
}

warnings_view engine::warnings() const {
  const auto stats = book.stats();
  warnings_view out;
  out.open = book.open();
  out.recent = book.recent(100);
  out.statistics = {stats.raised, stats.prevented, stats.came_true, stats.false_alarm,
                    stats.mean_lead_minutes};
  return out;
}

// The metric's breach warners, made afresh when its thresholds changed.
threshold_warners& engine::warners_for(const threshold_spec& t) {
  auto it = warners_.find(t.metric_id);
  if (it == warners_.end() || !it->second.matches(t))
    it = warners_.insert_or_assign(t.metric_id, threshold_warners(t, settings_.warner)).first;
  return it->second;
}

// How `m`'s current excursion began (onset.hpp).
onset engine::onset_of(const catalog::metric_definition& m) const {
  return onsets_.classify(m.id, m.critical, m.direction == catalog::direction::higher_is_worse);
}

// The RL context's diagnosis for an incident on `m` that began so.
std::string engine::diagnosis_for(const catalog::metric_definition& m, onset o) const {
  return settings_.sudden_onset_context ? diagnosis_of(m.id, o) : m.id;
}

// The cause (catalog symptom_of) that holds a remediation of `m` at `at`, if any.
// `stepped`: a breach of `m` that began with a step (with
// steps_not_held_by_climbs, the causes whose excursion climbed do not hold it).
std::optional<cause_watch::hold> engine::held_by(const catalog::metric_definition& m,
                                                 timestamp_ms at, bool stepped) const {
  if (m.symptom_of.empty())
    return std::nullopt;
  std::set<std::string> warned; // with a playbook run against the warning
  for (const auto& w : book.open())
    if (!w.action_playbook.empty())
      warned.insert(w.metric_id);
  std::set<std::string> climbing;
  if (stepped && settings_.steps_not_held_by_climbs && catalog_)
    for (const auto& cause : m.symptom_of)
      if (const auto* c = catalog_->find_metric(cause); c && onset_of(*c) != onset::sudden)
        climbing.insert(cause);
  return causes_.holding(m.symptom_of, at, warned, climbing);
}

// Is the trigger still worth acting on: its warning still open, or (a
// reaction) the metric still out of the good band?
bool engine::still_relevant(const action_trigger& trigger) const {
  if (trigger.reaction) {
    const auto it = bands_.find(trigger.metric_id);
    return it != bands_.end() && it->second != band::good;
  }
  for (const auto& w : book.open())
    if (w.id == trigger.warning_id)
      return true;
  return false;
}

void engine::resolved(effects& out, const early_warning& w) {
  dirty_ = true;
  switch (w.outcome) {
  case warning_outcome::came_true:
    info(out,
         fmt::format("[INCIDENT-PREDICT] 📌 {} warning came true: breach {} min after the warning",
                     w.metric_id, (w.breached_at - w.raised_at) / 60000));
    break;
  case warning_outcome::prevented:
    info(out,
         fmt::format(
             "[INCIDENT-PREDICT] 🛡️ {} breach prevented ('{}' ran, the breach did not come)",
             w.metric_id, w.action_playbook));
    break;
  case warning_outcome::false_alarm:
    info(out,
         fmt::format("[INCIDENT-PREDICT] 💤 {} warning was a false alarm (no action, no breach)",
                     w.metric_id));
    break;
  case warning_outcome::open:
    break;
  }
  out.push_back(publish_warning{w, "resolved"});
}

// Recommendation and (policy permitting) execution. `excluded`: playbooks the
// executor refused for this trigger; the agent is asked again without them
// (a refused run teaches the agent nothing and leaves the incident alone).
void engine::act(effects& out, const action_trigger& trigger, const forecast& counterfactual,
                 const std::vector<std::string>& excluded, timestamp_ms now) {
  recommend_request request{trigger.service, trigger.diagnosis, {}};
  auto left_out = trigger.tried;
  left_out.insert(left_out.end(), excluded.begin(), excluded.end());
  const bool unattended_first = trigger.reaction && settings_.react_unattended_first;
  if (!left_out.empty() || unattended_first) {
    const auto* metric = catalog_ ? catalog_->find_metric(trigger.metric_id) : nullptr;
    if (!metric)
      return;
    // Unattended: runs without an operator, within the metric's risk cap
    // (the agent never chooses above it).
    std::vector<std::string> unattended;
    for (const auto& p : metric->playbooks)
      if (std::find(left_out.begin(), left_out.end(), p) == left_out.end()) {
        request.candidates.push_back(p);
        const auto* playbook = catalog_->find_playbook(p);
        if (playbook && playbook->mode == catalog::playbook_mode::auto_run
            && (!metric->max_risk_tier || playbook->risk_tier <= *metric->max_risk_tier))
          unattended.push_back(p);
      }
    if (unattended_first && !unattended.empty())
      request.candidates = std::move(unattended);
    if (request.candidates.empty()) {
      warn(out, fmt::format("[INCIDENT-PREDICT] ⚠️ No playbook for {} left to run now ({})",
                            trigger.metric_id, left_out_reasons(trigger.tried, excluded)));
      return;
    }
  }
  if (excluded.empty()) // a retry after a refusal is the same action
    reactions_.acted(trigger.metric_id, trigger.service, now, trigger.reaction);
  if (const auto ep = episodes_.find(trigger.metric_id); ep != episodes_.end())
    ++ep->second.asked;
  out.push_back(request_playbook{trigger, std::move(request), counterfactual, excluded});
}

effects engine::expire(timestamp_ms now) {
  effects out;
  for (const auto& w : book.expire(now))
    resolved(out, w);
  return out;
}

effects engine::on_forecasts(const std::vector<forecast>& forecasts, timestamp_ms now) {
  effects out;
  if (!catalog_)
    return out;
  // Warnings past their breach time resolve before new forecasts are judged.
  for (const auto& w : book.expire(now))
    resolved(out, w);
  for (const auto& f : forecasts) {
    const auto* metric = catalog_->find_metric(f.metric_id);
    if (!metric || f.points.empty())
      continue;
    ++forecasts_seen;
    latest_forecasts_[f.metric_id] = f;
    judge(out, *metric, f, now);
  }
  return out;
}

void engine::judge(effects& out, const catalog::metric_definition& metric, const forecast& f,
                   timestamp_ms now) {
  const auto spec = spec_of(metric);
  const auto it = bands_.find(f.metric_id);
  const band current = it == bands_.end() ? band::good : it->second;
  const auto outlook = warners_for(spec).outlook(f, now);
  breach_probability[f.metric_id] = outlook.warning.probability;
  if (settings_.hold_symptom_warnings && !metric.symptom_of.empty()) {
    bool open = false;
    for (const auto& w : book.open())
      open = open || w.metric_id == metric.id;
    if (!open && held_by(metric, now)) {
      ++warnings_held; // nothing new on a symptom while its cause is in trouble
      return;
    }
  }
  auto event = book.observe_outlook(outlook, spec, current, now);
  if (event.change != warning_change::raised) {
    // A warning that waited for a run on its service acts once that run's
    // first windows are in, if it is still open.
    const auto waiting = waiting_.find(metric.id);
    if (waiting != waiting_.end() && now >= waiting->second.until) {
      const auto open = book.open();
      const auto it = std::find_if(open.begin(), open.end(), [&](const early_warning& o) {
        return o.id == waiting->second.warning_id;
      });
      // Or the breach it warned of came meanwhile (the warning resolved): it
      // is acted on now, not left to a reaction that waits the evaluation
      // window after the run it waited for.
      const auto band_now = bands_.find(metric.id);
      const bool in_breach = band_now != bands_.end() && band_now->second != band::good;
      early_warning came;
      came.id = waiting->second.warning_id;
      came.metric_id = metric.id;
      came.service = metric.service;
      waiting_.erase(waiting);
      if (settings_.act) {
        if (it != open.end() && it->action_playbook.empty())
          act_on_warning(out, metric, *it, f, now);
        else if (it == open.end() && in_breach)
          act_on_warning(out, metric, came, f, now);
      }
    }
  }
  if (event.change == warning_change::none)
    return;
  dirty_ = true;
  const auto& w = event.warning;
  if (event.change != warning_change::raised && event.change != warning_change::escalated) {
    out.push_back(publish_warning{w, to_string(event.change)});
    return;
  }
  info(out, fmt::format("[INCIDENT-PREDICT] 🚨 EARLY WARNING: {} {} in {}min (conf: {:.0f}%)",
                        w.metric_id, w.severity == band::critical ? "critical breach" : "breach",
                        std::max<int64_t>(0, (w.expected_breach_at - now) / 60000),
                        100.0 * w.probability));
  info(out, fmt::format("[INCIDENT-PREDICT] 💡 Predicted value: {:.2f} (threshold {:.2f}, 80%: "
                        "{:.2f}..{:.2f})",
                        w.predicted_value, w.threshold, w.lo80, w.hi80));
  out.push_back(publish_warning{w, to_string(event.change)});
  if (!settings_.act || event.change != warning_change::raised)
    return;
  act_on_warning(out, metric, w, f, now);
}

void engine::act_on_warning(effects& out, const catalog::metric_definition& metric,
                            const early_warning& w, const forecast& f, timestamp_ms now) {
  if (const auto hold = held_by(metric, now)) {
    ++actions_held;
    info(out, fmt::format("[INCIDENT-PREDICT] ⏸️ Not remediating {}: a symptom of {} ({})",
                          w.metric_id, hold->cause, hold->state));
    return;
  }
  const auto decision = reactions_.warning_action(metric.id, metric.service, now);
  if (decision.gate == warning_gate::superseded) {
    waiting_.erase(metric.id);
    info(out, fmt::format("[INCIDENT-PREDICT] ⏸️ Not remediating the {} warning: its breach is "
                          "under way and has had its reaction (escalation follows)",
                          w.metric_id));
    return;
  }
  if (decision.gate == warning_gate::wait) {
    if (waiting_.count(metric.id) == 0 || waiting_[metric.id].warning_id != w.id)
      info(out,
           fmt::format("[INCIDENT-PREDICT] ⏳ The {} warning waits {} min for the run on {} "
                       "to show its effect",
                       w.metric_id, std::max<int64_t>(0, (decision.until - now + 59999) / 60000),
                       metric.service));
    waiting_[metric.id] = {w.id, decision.until};
    return;
  }
  waiting_.erase(metric.id);
  auto diagnosis = diagnosis_for(metric, onset_of(metric));
  act(out, action_trigger{w.id, w.metric_id, w.service, false, std::move(diagnosis), {}}, f, {},
      now);
}

effects engine::on_snapshots(const std::vector<snapshot>& snapshots, timestamp_ms now) {
  effects out;
  // Every cause's state in this batch first: a symptom's window may come
  // before its cause's of the same time.
  // And every metric's onset: a cause's step is known before its symptom's
  // breach is judged.
  for (const auto& s : snapshots) {
    causes_.observe(s.metric_id, s.level, s.window_end);
    if (const auto* metric = catalog_ ? catalog_->find_metric(s.metric_id) : nullptr)
      onsets_.observe(s.metric_id, s.window_end, catalog::statistic_of(s, metric->aggregation));
  }
  for (const auto& s : snapshots) {
    bands_[s.metric_id] = s.level;
    if (s.level == band::good) {
      held_.erase(s.metric_id);
      end_episode(out, s.metric_id);
    }
    for (const auto& w : book.observe_band(s.metric_id, s.level, s.window_end))
      resolved(out, w);
    if (!catalog_)
      continue;
    const auto* metric = catalog_->find_metric(s.metric_id);
    if (!metric)
      continue;
    const double value = catalog::statistic_of(s, metric->aggregation);
    auto& warners = warners_for(spec_of(*metric));
    if (settings_.warner.rise_cause_context)
      warners.set_rise_context(held_by(*metric, s.window_end).has_value());
    warners.observe(s.window_end, value);
    const auto onset = onset_of(*metric);
    const auto verdict = reactions_.observe(
        {s.metric_id, metric->service, s.level, value,
         metric->direction == catalog::direction::higher_is_worse, s.window_end,
         onset == onset::sudden, catalog_->symptoms_of(s.metric_id),
         onsets_.normal_level(s.metric_id, metric->direction == catalog::direction::higher_is_worse)
             .value_or(std::numeric_limits<double>::quiet_NaN())});
    const bool due = verdict.due();
    const bool react = due && settings_.act && settings_.react_to_breaches;
    const auto hold = react ? held_by(*metric, s.window_end, onset == onset::sudden) : std::nullopt;
    if (s.level != band::good && verdict.reason != reaction_reason::stale) {
      auto& ep = episodes_[s.metric_id];
      ++ep.windows;
      if (s.level == band::critical)
        ++ep.critical;
    }
    if (s.level == band::critical && verdict.reason != reaction_reason::stale && !hold && !react)
      explain_no_reaction(out, *metric, verdict, s.window_end);
    if (hold) {
      ++actions_held;
      if (held_[s.metric_id] != hold->cause) // once per cause and episode
        info(out, fmt::format("[INCIDENT-PREDICT] ⏸️ {} in the {} band, not remediating: a "
                              "symptom of {} ({})",
                              s.metric_id, to_string(s.level), hold->cause, hold->state));
      held_[s.metric_id] = hold->cause;
      if (s.level == band::critical)
        episodes_[s.metric_id].no_run_why["a symptom of " + hold->cause + " (catalog)"]++;
    } else if (react) {
      held_.erase(s.metric_id);
      const auto diagnosis = diagnosis_for(*metric, onset);
      auto tried = reactions_.tried(s.metric_id);
      if (tried.empty())
        info(out,
             fmt::format("[INCIDENT-PREDICT] 🔥 {} in the {} band for {} windows{}, no action "
                         "running: remediating now",
                         s.metric_id, to_string(s.level), reactions_.episode_windows(s.metric_id),
                         diagnosis == s.metric_id ? "" : " after a sudden onset"));
      else
        info(out, fmt::format("[INCIDENT-PREDICT] 🔥 {} still in the {} band after {}: escalating "
                              "to another playbook",
                              s.metric_id, to_string(s.level), fmt::join(tried, ", ")));
      const auto it = latest_forecasts_.find(s.metric_id);
      act(out,
          action_trigger{"breach-" + s.metric_id + "-" + std::to_string(s.window_end), s.metric_id,
                         metric->service, true, diagnosis, std::move(tried)},
          it == latest_forecasts_.end() ? forecast{} : it->second, {}, now);
    }
    if (!std::isfinite(value))
      continue;
    auto& scorer = scorers_[s.metric_id];
    const double score = scorer.update(s.window_end, value);
    anomaly[s.metric_id] = score;
    if (score >= settings_.anomaly_alert && s.level == band::good) {
      // Surprising although no threshold is near: worth a look.
      ++anomalies_flagged;
      info(out,
           fmt::format("[INCIDENT-PREDICT] 🔎 Anomaly on {}: score {:.2f} ({:.2f}, expected {:.2f})",
                       s.metric_id, score, value, scorer.last().expected));
      out.push_back(
          publish_anomaly{s.metric_id, score, value, scorer.last().expected, s.window_end});
    }
  }
  rejudge(out, snapshots, now);
  return out;
}

void engine::rejudge(effects& out, const std::vector<snapshot>& snapshots, timestamp_ms now) {
  if (!catalog_)
    return;
  std::set<std::string> metrics;
  for (const auto& s : snapshots)
    metrics.insert(s.metric_id);
  bool expired = false;
  for (const auto& id : metrics) {
    const auto* metric = catalog_->find_metric(id);
    const auto latest = latest_forecasts_.find(id);
    if (!metric || latest == latest_forecasts_.end()
        || !warners_for(spec_of(*metric)).warning.judges_every_value())
      continue;
    if (!expired) { // as before a forecast: warnings past their breach time first
      for (const auto& w : book.expire(now))
        resolved(out, w);
      expired = true;
    }
    judge(out, *metric, latest->second, now);
  }
}

// A critical window of `metric` whose breach reaction was not due (verdict),
// or due with reactions switched off: say why, once per reason and episode.
void engine::explain_no_reaction(effects& out, const catalog::metric_definition& metric,
                                 const reaction_verdict& verdict, timestamp_ms at) {
  const auto& id = metric.id;
  switch (verdict.reason) {
  case reaction_reason::due:
    no_run(out, id, "reactions off",
           fmt::format("{} in the critical band, not remediating: breach reactions are off "
                       "(prediction.act / prediction.react_to_breaches)",
                       id));
    return;
  case reaction_reason::confirming: // not logged: a one-window spike; summed up at the end
    episodes_[id].no_run_why["not yet confirmed"]++;
    return;
  case reaction_reason::exhausted:
    no_run(out, id, "exhausted",
           fmt::format("{} in the critical band, not remediating: its breach has had its {} "
                       "reactions ({})",
                       id, settings_.max_reactions, fmt::join(reactions_.tried(id), ", ")));
    return;
  case reaction_reason::recovering:
    no_run(
        out, id, "recovering",
        fmt::format("{} in the critical band, not remediating: better than the window before", id));
    return;
  case reaction_reason::symptom:
    no_run(out, id, "a symptom of " + verdict.other + " (same service)",
           fmt::format("{} in the critical band, not remediating: taken as a symptom of {} (its "
                       "breach on {} began earlier)",
                       id, verdict.other, metric.service));
    return;
  case reaction_reason::spacing:
    no_run(out, id, "spacing after a run for " + verdict.other,
           fmt::format("{} in the critical band, not remediating before {} min: the run for {} "
                       "on {} started {} min ago",
                       id, std::max<int64_t>(0, (verdict.until - at + 59999) / 60000),
                       verdict.other, metric.service,
                       std::max<int64_t>(0, (at - verdict.last_action) / 60000)));
    return;
  case reaction_reason::stale:
  case reaction_reason::good:
    return;
  }
}

void engine::no_run(effects& out, const std::string& metric_id, const std::string& why,
                    const std::string& detail) {
  auto& ep = episodes_[metric_id];
  ep.no_run_why[why]++;
  if (ep.logged.insert(why).second)
    info(out, "[INCIDENT-PREDICT] ⏸️ " + detail);
}

// `metric_id` back in the good band: an episode with critical windows and no
// run is summed up (how long, and why each critical window got none).
void engine::end_episode(effects& out, const std::string& metric_id) {
  const auto it = episodes_.find(metric_id);
  if (it == episodes_.end())
    return;
  const auto ep = std::move(it->second);
  episodes_.erase(it);
  if (ep.ran || ep.critical == 0)
    return;
  std::vector<std::string> why;
  for (const auto& [reason, windows] : ep.no_run_why)
    why.push_back(fmt::format("{} {}", reason, windows));
  info(out,
       fmt::format("[INCIDENT-PREDICT] 🕳️ {} breach over after {} windows ({} critical) "
                   "with no run{}: {}",
                   metric_id, ep.windows, ep.critical,
                   ep.asked > 0 ? fmt::format(" ({} asked, none run)", ep.asked) : "",
                   why.empty() ? "no reason recorded" : fmt::format("{}", fmt::join(why, ", "))));
}

void engine::action_taken(const std::string& metric_id, const std::string& playbook,
                          timestamp_ms at) {
  if (const auto ep = episodes_.find(metric_id); ep != episodes_.end())
    ep->second.ran = true;
  book.action_taken(metric_id, playbook, at);
  reactions_.ran(metric_id, playbook);
  dirty_ = true;
}

effects engine::recommended(const request_playbook& asked, const std::string& chosen) {
  effects out;
  if (!asked.trigger.reaction) {
    // Alertmanager and /api/events learn the recommendation too.
    if (auto w = book.recommend(asked.trigger.metric_id, chosen))
      out.push_back(publish_warning{*w, "updated"});
    dirty_ = true;
  }
  info(out, fmt::format("[INCIDENT-PREDICT] 🎯 PROACTIVE ACTION: Recommending '{}'", chosen));
  info(out, fmt::format("[PROACTIVE-INTEL] 🧠 ML recommended: {} (learned from past incidents)",
                        chosen));
  return out;
}

effects engine::ran(const request_playbook& asked, const execution& e, int64_t wall_now) {
  effects out;
  auto next = asked.excluded;
  next.push_back(e.playbook);
  if (e.state == execution_state::pending_approval) {
    // The executor's approval deadline is wall-clock time.
    approval_watches_.push_back(
        {e.id, asked.trigger, next, wall_now + settings_.approval_timeout_ms});
    return out;
  }
  if (pick_not_acted_on(e.state) && !e.event_id.empty())
    out.push_back(withdraw_event{e.event_id});
  if (e.state != execution_state::refused || !playbook_specific(e.rule))
    return out;
  info(out, fmt::format("[INCIDENT-PREDICT] 🔁 '{}' refused for {} ({}): asking for another "
                        "playbook",
                        e.playbook, asked.trigger.metric_id, e.rule));
  ask_among_runnable(out, asked.trigger, asked.counterfactual, std::move(next));
  return out;
}

void engine::ask_among_runnable(effects& out, const action_trigger& trigger,
                                const forecast& counterfactual, std::vector<std::string> excluded) {
  const auto* metric = catalog_ ? catalog_->find_metric(trigger.metric_id) : nullptr;
  if (!metric)
    return;
  out.push_back(ask_again{trigger, counterfactual, std::move(excluded), metric->playbooks});
}

effects engine::asked_again(const ask_again& again, const std::vector<std::string>& runnable,
                            timestamp_ms now) {
  effects out;
  act(out, again.trigger, again.counterfactual,
      left_out_after_refusal(again.playbooks, runnable, again.excluded), now);
  return out;
}

bool engine::approvals_due(int64_t wall_now) const {
  return std::any_of(approval_watches_.begin(), approval_watches_.end(),
                     [&](const approval_watch& w) { return w.check_at <= wall_now; });
}

// Runs waiting for approval past the timeout: once the executor has expired
// (or an operator rejected) one, the next-best playbook is asked for while the
// trigger still matters; one that ran after approval needs nothing more.
effects engine::approvals_checked(const std::vector<execution>& executions, int64_t wall_now) {
  effects out;
  std::vector<approval_watch> keep;
  for (auto& w : approval_watches_) {
    const auto e = std::find_if(executions.begin(), executions.end(),
                                [&](const execution& x) { return x.id == w.execution_id; });
    if (w.check_at > wall_now
        || (e != executions.end() && e->state == execution_state::pending_approval)) {
      keep.push_back(std::move(w));
      continue;
    }
    if (e == executions.end()
        || (e->state != execution_state::expired && e->state != execution_state::rejected))
      continue;
    if (!e->event_id.empty())
      out.push_back(withdraw_event{e->event_id});
    if (!still_relevant(w.trigger))
      continue;
    info(out, fmt::format("[INCIDENT-PREDICT] 🔁 '{}' for {} was not approved ({}): asking for "
                          "another playbook",
                          e->playbook, w.trigger.metric_id, to_string(e->state)));
    const auto f = latest_forecasts_.find(w.trigger.metric_id);
    ask_among_runnable(out, w.trigger, f == latest_forecasts_.end() ? forecast{} : f->second,
                       w.excluded);
  }
  approval_watches_ = std::move(keep);
  return out;
}

} // namespace grace::predictor
