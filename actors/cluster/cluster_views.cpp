#include "actors/cluster/cluster_views.hpp"

#include "actors/analytics/health_score.hpp"
#include "actors/cluster/shard_map.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace grace::cluster {

namespace {

// Every merged view names who answered and who did not, each sorted.
template <class View> void name_members(View& out, std::vector<std::string> unanswered) {
  std::sort(out.answered_by.begin(), out.answered_by.end());
  std::sort(unanswered.begin(), unanswered.end());
  out.unanswered = std::move(unanswered);
}

} // namespace

cluster_rl_statistics merge_statistics(std::vector<member_statistics> answers,
                                       std::vector<std::string> unanswered) {
  cluster_rl_statistics out;
  auto& m = out.merged;
  if (!answers.empty())
    m.policy = answers.front().share.policy;
  double reward_sum = 0.0;
  double explorations = 0.0;
  for (const auto& a : answers) {
    const auto& s = a.share;
    m.contexts += s.contexts;
    m.experiences += s.experiences;
    m.updates += s.updates;
    m.recommendations += s.recommendations;
    m.pending += s.pending;
    m.changes_detected += s.changes_detected;
    reward_sum += s.average_reward * static_cast<double>(s.experiences);
    explorations += s.exploration_rate * static_cast<double>(s.recommendations);
    out.answered_by.push_back(a.node);
  }
  m.average_reward = m.experiences ? reward_sum / static_cast<double>(m.experiences) : 0.0;
  m.exploration_rate =
      m.recommendations ? explorations / static_cast<double>(m.recommendations) : 0.0;
  name_members(out, std::move(unanswered));
  return out;
}

cluster_rl_policies merge_policies(std::vector<member_policies> answers,
                                   std::vector<std::string> unanswered) {
  cluster_rl_policies out;
  std::map<std::pair<std::string, std::string>, context_policy_view> by_context;
  for (auto& a : answers) {
    for (auto& p : a.share.policies) {
      auto key = std::make_pair(p.service, p.diagnosis);
      auto it = by_context.find(key);
      if (it == by_context.end())
        by_context.emplace(std::move(key), std::move(p));
      else if (p.updates > it->second.updates)
        it->second = std::move(p);
    }
    out.answered_by.push_back(a.node);
  }
  for (auto& [key, p] : by_context)
    out.merged.policies.push_back(std::move(p));
  name_members(out, std::move(unanswered));
  return out;
}

namespace {

constexpr size_t recent_warnings = 100; // as the predictor keeps

template <class Keep> void keep_if(std::vector<early_warning>& list, Keep keep) {
  list.erase(
      std::remove_if(list.begin(), list.end(), [&](const early_warning& w) { return !keep(w); }),
      list.end());
}

// The most recently updated copy of each warning id, in `better` order.
template <class Order>
std::vector<early_warning> unique_sorted(std::vector<early_warning> list, Order better) {
  std::map<std::string, early_warning> by_id;
  for (auto& w : list) {
    auto [it, fresh] = by_id.try_emplace(w.id, w);
    if (!fresh && w.updated_at > it->second.updated_at)
      it->second = std::move(w);
  }
  std::vector<early_warning> out;
  for (auto& [id, w] : by_id)
    out.push_back(std::move(w));
  std::sort(out.begin(), out.end(), better);
  return out;
}

} // namespace

warnings_view warnings_of_shards(warnings_view view, const std::vector<int>& shards) {
  const std::set<int> served(shards.begin(), shards.end());
  const auto ours = [&](const early_warning& w) {
    return served.count(shard_of_metric(w.metric_id)) > 0;
  };
  keep_if(view.open, ours);
  keep_if(view.recent, ours);
  return view;
}

cluster_warnings merge_warnings(std::vector<member_warnings> answers,
                                std::vector<std::string> unanswered) {
  cluster_warnings out;
  auto& m = out.merged;
  std::vector<early_warning> open;
  std::vector<early_warning> recent;
  double lead_sum = 0.0;
  for (auto& a : answers) {
    auto& s = a.share;
    open.insert(open.end(), s.open.begin(), s.open.end());
    recent.insert(recent.end(), s.recent.begin(), s.recent.end());
    m.statistics.raised += s.statistics.raised;
    m.statistics.prevented += s.statistics.prevented;
    m.statistics.came_true += s.statistics.came_true;
    m.statistics.false_alarm += s.statistics.false_alarm;
    lead_sum += s.statistics.mean_lead_minutes * static_cast<double>(s.statistics.came_true);
    out.answered_by.push_back(std::move(a.node));
  }
  m.statistics.mean_lead_minutes =
      m.statistics.came_true > 0 ? lead_sum / static_cast<double>(m.statistics.came_true) : 0.0;
  m.open = unique_sorted(std::move(open), [](const early_warning& a, const early_warning& b) {
    return a.raised_at != b.raised_at ? a.raised_at < b.raised_at : a.id < b.id;
  });
  m.recent = unique_sorted(std::move(recent), [](const early_warning& a, const early_warning& b) {
    return a.resolved_at != b.resolved_at ? a.resolved_at > b.resolved_at : a.id < b.id;
  });
  if (m.recent.size() > recent_warnings)
    m.recent.resize(recent_warnings);
  name_members(out, std::move(unanswered));
  return out;
}

namespace {

// A mean over the members that have the figure, each weighted by what the
// figure is a mean over; unknown when no member with weight has it.
struct weighted_mean {
  double sum = 0.0;
  double weights = 0.0;

  void add(const figure& f, double weight) {
    if (f.known && weight > 0.0 && std::isfinite(f.value)) {
      sum += f.value * weight;
      weights += weight;
    }
  }
  figure result() const { return weights > 0.0 ? figure(sum / weights) : figure(); }
};

double as_weight(uint64_t n) {
  return static_cast<double>(n);
}

accuracy_view merge_accuracy(const std::vector<member_overview>& answers) {
  accuracy_view out;
  weighted_mean mae, mase, smape, accuracy_pct, coverage80, coverage95, skill;
  for (const auto& a : answers) {
    const auto& x = a.share.forecast_accuracy_7d;
    const double w = as_weight(x.points);
    out.points += x.points;
    mae.add(x.mae, w);
    mase.add(x.mase, w);
    smape.add(x.smape, w);
    accuracy_pct.add(x.accuracy_pct, w);
    coverage80.add(x.coverage80, w);
    coverage95.add(x.coverage95, w);
    skill.add(x.skill, w);
  }
  out.mae = mae.result();
  out.mase = mase.result();
  out.smape = smape.result();
  out.accuracy_pct = accuracy_pct.result();
  out.coverage80 = coverage80.result();
  out.coverage95 = coverage95.result();
  out.skill = skill.result();
  return out;
}

warnings_summary merge_warning_counts(const std::vector<member_overview>& answers) {
  warnings_summary out;
  weighted_mean lead;
  for (const auto& a : answers) {
    const auto& x = a.share.warnings;
    out.open += x.open;
    out.raised += x.raised;
    out.prevented += x.prevented;
    out.came_true += x.came_true;
    out.false_alarm += x.false_alarm;
    out.resolved += x.resolved;
    out.breach_episodes_7d += x.breach_episodes_7d;
    out.came_true_7d += x.came_true_7d;
    lead.add(x.mean_lead_minutes, as_weight(x.came_true));
  }
  if (out.resolved > 0)
    out.precision = as_weight(out.prevented + out.came_true) / as_weight(out.resolved);
  if (out.breach_episodes_7d > 0)
    out.recall = std::min(1.0, as_weight(out.came_true_7d) / as_weight(out.breach_episodes_7d));
  out.mean_lead_minutes = lead.result();
  return out;
}

// Run counts of the same runs' kind on several members: counts summed,
// success_rate from the sums, mean_reward weighted by evaluated, and the
// population stddev of every member's rewards together (each member's
// variance plus its mean's distance from the pooled mean).
run_counts merge_counts(const std::vector<const run_counts*>& parts) {
  run_counts c;
  weighted_mean reward;
  for (const auto* x : parts) {
    c.runs += x->runs;
    c.succeeded += x->succeeded;
    c.failed += x->failed;
    c.evaluated += x->evaluated;
    for (const auto& [state, n] : x->not_run)
      c.not_run[state] += n;
    reward.add(x->mean_reward, as_weight(x->evaluated));
  }
  if (c.succeeded + c.failed > 0)
    c.success_rate = as_weight(c.succeeded) / as_weight(c.succeeded + c.failed);
  c.mean_reward = reward.result();
  if (c.mean_reward.known) {
    double squares = 0.0;
    double n = 0.0;
    for (const auto* x : parts) {
      if (!x->mean_reward.known || x->evaluated == 0)
        continue;
      const double sd = x->reward_stddev.known ? x->reward_stddev.value : 0.0;
      const double d = x->mean_reward.value - c.mean_reward.value;
      squares += as_weight(x->evaluated) * (sd * sd + d * d);
      n += as_weight(x->evaluated);
    }
    c.reward_stddev = std::sqrt(squares / n);
  }
  return c;
}

runs_summary merge_summaries(const std::vector<const runs_summary*>& parts) {
  runs_summary out;
  std::vector<const run_counts*> counts;
  for (const auto* x : parts) {
    counts.push_back(&x->counts);
    out.executions += x->executions;
    out.pending_approvals += x->pending_approvals;
  }
  out.counts = merge_counts(counts);
  return out;
}

runs_summary merge_runs(const std::vector<member_overview>& answers) {
  std::vector<const runs_summary*> parts;
  for (const auto& a : answers)
    parts.push_back(&a.share.playbooks);
  return merge_summaries(parts);
}

training_summary merge_training(const std::vector<member_overview>& answers) {
  training_summary out;
  for (const auto& a : answers) {
    const auto& x = a.share.training;
    out.cycles += x.cycles;
    out.last_finished_at = std::max(out.last_finished_at, x.last_finished_at);
    if (x.next_due_at > 0 && (out.next_due_at == 0 || x.next_due_at < out.next_due_at))
      out.next_due_at = x.next_due_at;
  }
  return out;
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// What a member's health part was graded on (its weight in the merge); none
// for a part graded per member (training_freshness, or one this code does
// not know), which takes the worst member's.
std::optional<double> part_weight(const std::string& part, const dashboard_overview& o) {
  if (part == "forecast_accuracy" || part == "forecast_skill" || part == "interval_calibration")
    return as_weight(o.forecast_accuracy_7d.points);
  if (part == "warning_precision")
    return as_weight(o.warnings.resolved);
  if (part == "playbook_effectiveness")
    return as_weight(o.playbooks.counts.evaluated);
  return std::nullopt;
}

health_part merge_part(const std::string& name, const std::vector<member_overview>& answers) {
  health_part out;
  out.name = name;
  weighted_mean mean;
  std::string detail;
  const health_part* worst = nullptr;
  const std::string* worst_node = nullptr;
  bool per_member = false;
  for (const auto& a : answers) {
    for (const auto& p : a.share.health.parts) {
      if (p.name != name)
        continue;
      out.weight = p.weight;
      if (!p.value.known) {
        if (out.detail.empty())
          out.detail = p.detail; // what a node alone says it lacks
        continue;
      }
      const auto w = part_weight(name, a.share);
      if (!w) {
        per_member = true;
        if (!worst || p.value.value < worst->value.value) {
          worst = &p;
          worst_node = &a.node;
        }
        continue;
      }
      mean.add(p.value, *w);
      detail += (detail.empty() ? "" : "; ") + a.node + ": " + fixed1(p.value.value) + " ("
                + p.detail + ")";
    }
  }
  if (per_member) {
    if (worst) {
      out.value = worst->value;
      out.detail = "the worst member's, " + *worst_node + ": " + worst->detail;
    }
    return out;
  }
  out.value = mean.result();
  if (out.value.known)
    out.detail = "weighted by the data each member graded; " + detail;
  else if (out.detail.empty())
    out.detail = "no member graded it on data yet";
  return out;
}

health_report merge_health(const std::vector<member_overview>& answers) {
  health_report out;
  std::vector<std::string> names; // in the members' order
  for (const auto& a : answers)
    for (const auto& p : a.share.health.parts)
      if (std::find(names.begin(), names.end(), p.name) == names.end())
        names.push_back(p.name);
  double weighted = 0.0;
  double weights = 0.0;
  size_t with_data = 0;
  for (const auto& name : names) {
    out.parts.push_back(merge_part(name, answers));
    const auto& p = out.parts.back();
    if (p.value.known) {
      weighted += p.weight * p.value.value;
      weights += p.weight;
      ++with_data;
    }
  }
  if (weights > 0.0) {
    out.score = weighted / weights;
    out.label = analytics::health_label(out.score.value);
    out.summary = fixed1(out.score.value) + "/100 from " + std::to_string(with_data) + " of "
                  + std::to_string(out.parts.size()) + " parts over "
                  + std::to_string(answers.size()) + " members";
  } else {
    out.summary = "no data yet: nothing forecast, warned, run or trained to grade";
  }
  return out;
}

} // namespace

cluster_dashboard_overview merge_overviews(std::vector<member_overview> answers,
                                           std::vector<std::string> unanswered) {
  cluster_dashboard_overview out;
  auto& m = out.merged;
  if (!answers.empty())
    m.generated_at = answers.front().share.generated_at;
  m.health = merge_health(answers);
  m.forecast_accuracy_7d = merge_accuracy(answers);
  m.warnings = merge_warning_counts(answers);
  m.playbooks = merge_runs(answers);
  m.training = merge_training(answers);
  std::vector<member_statistics> learning;
  for (const auto& a : answers) {
    if (a.share.has_learning)
      learning.push_back({a.node, a.share.learning});
    for (const auto& u : a.share.unavailable)
      m.unavailable.push_back(a.node + ": " + u);
    out.answered_by.push_back(a.node);
  }
  if (!learning.empty()) {
    m.has_learning = true;
    m.learning = merge_statistics(std::move(learning), {}).merged;
  }
  name_members(out, std::move(unanswered));
  return out;
}

cluster_dashboard_playbooks merge_playbooks(std::vector<member_playbooks> answers,
                                            std::vector<std::string> unanswered) {
  cluster_dashboard_playbooks out;
  auto& m = out.merged;
  if (!answers.empty())
    m.generated_at = answers.front().share.generated_at;
  std::vector<const runs_summary*> summaries;
  std::map<std::string, std::vector<const run_counts*>> by_playbook;
  std::map<std::string,
           std::map<std::pair<std::string, std::string>, std::vector<const run_counts*>>>
      by_context;
  for (const auto& a : answers) {
    summaries.push_back(&a.share.summary);
    for (const auto& p : a.share.playbooks) {
      by_playbook[p.playbook].push_back(&p.counts);
      auto& contexts = by_context[p.playbook];
      for (const auto& c : p.contexts)
        contexts[{c.service, c.diagnosis}].push_back(&c.counts);
    }
    for (const auto& u : a.share.unavailable)
      m.unavailable.push_back(a.node + ": " + u);
    out.answered_by.push_back(a.node);
  }
  m.summary = merge_summaries(summaries);
  for (const auto& [playbook, counts] : by_playbook) {
    playbook_runs runs{playbook, merge_counts(counts), {}};
    for (const auto& [context, parts] : by_context[playbook])
      runs.contexts.push_back({context.first, context.second, merge_counts(parts)});
    m.playbooks.push_back(std::move(runs));
  }
  name_members(out, std::move(unanswered));
  return out;
}

} // namespace grace::cluster

namespace grace::cluster {

namespace {

template <class Member> void prefix_unavailable(const Member& a, std::vector<std::string>& out) {
  for (const auto& u : a.share.unavailable)
    out.push_back(a.node + ": " + u);
}

// Figures of the same forecasts scored on two members, weighted by points
// (exact for the means over points; mase and skill approximately).
accuracy_view combine(const std::vector<const accuracy_view*>& parts) {
  accuracy_view out;
  weighted_mean mae, mase, smape, accuracy_pct, coverage80, coverage95, skill;
  for (const auto* x : parts) {
    const double w = as_weight(x->points);
    out.points += x->points;
    mae.add(x->mae, w);
    mase.add(x->mase, w);
    smape.add(x->smape, w);
    accuracy_pct.add(x->accuracy_pct, w);
    coverage80.add(x->coverage80, w);
    coverage95.add(x->coverage95, w);
    skill.add(x->skill, w);
  }
  out.mae = mae.result();
  out.mase = mase.result();
  out.smape = smape.result();
  out.accuracy_pct = accuracy_pct.result();
  out.coverage80 = coverage80.result();
  out.coverage95 = coverage95.result();
  out.skill = skill.result();
  return out;
}

pooled_accuracy_view merge_window(const std::vector<const pooled_accuracy_view*>& windows) {
  std::map<std::string, std::vector<const metric_accuracy_view*>> by_metric;
  for (const auto* w : windows)
    for (const auto& m : w->metrics)
      by_metric[m.metric_id].push_back(&m);
  pooled_accuracy_view out;
  for (const auto& [id, parts] : by_metric) {
    if (parts.size() == 1) {
      out.metrics.push_back(*parts.front());
      continue;
    }
    metric_accuracy_view merged;
    merged.metric_id = id;
    std::vector<const accuracy_view*> overall;
    std::map<int32_t, std::vector<const accuracy_view*>> by_horizon;
    for (const auto* p : parts) {
      overall.push_back(&p->overall);
      for (const auto& h : p->by_horizon)
        by_horizon[h.horizon_minutes].push_back(&h.figures);
    }
    merged.overall = combine(overall);
    for (const auto& [minutes, figures] : by_horizon)
      merged.by_horizon.push_back({minutes, combine(figures)});
    out.metrics.push_back(std::move(merged));
  }
  // Pooled as a node pools its metrics: the means over points from the
  // metrics' figures weighted by points, mase and skill a mean over metrics,
  // no MAE (units differ).
  std::vector<const accuracy_view*> overall;
  double mase_sum = 0.0, skill_sum = 0.0;
  int mase_n = 0, skill_n = 0;
  for (const auto& m : out.metrics) {
    overall.push_back(&m.overall);
    if (m.overall.mase.known && std::isfinite(m.overall.mase.value)) {
      mase_sum += m.overall.mase.value;
      ++mase_n;
    }
    if (m.overall.skill.known && std::isfinite(m.overall.skill.value)) {
      skill_sum += m.overall.skill.value;
      ++skill_n;
    }
  }
  out.overall = combine(overall);
  out.overall.mae = figure();
  out.overall.mase = mase_n > 0 ? figure(mase_sum / mase_n) : figure();
  out.overall.skill = skill_n > 0 ? figure(skill_sum / skill_n) : figure();
  return out;
}

} // namespace

cluster_dashboard_accuracy merge_accuracy_reports(std::vector<member_accuracy> answers,
                                                  std::vector<std::string> unanswered) {
  cluster_dashboard_accuracy out;
  auto& m = out.merged;
  if (!answers.empty()) {
    m.definition = answers.front().share.definition;
    m.generated_at = answers.front().share.generated_at;
  }
  std::vector<const pooled_accuracy_view*> days, weeks;
  for (const auto& a : answers) {
    days.push_back(&a.share.day);
    weeks.push_back(&a.share.week);
    prefix_unavailable(a, m.unavailable);
    out.answered_by.push_back(a.node);
  }
  m.day = merge_window(days);
  m.week = merge_window(weeks);
  name_members(out, std::move(unanswered));
  return out;
}

cluster_dashboard_learning merge_learning(std::vector<member_learning> answers,
                                          std::vector<std::string> unanswered) {
  cluster_dashboard_learning out;
  auto& m = out.merged;
  if (!answers.empty())
    m.generated_at = answers.front().share.generated_at;
  struct day_sum {
    uint64_t experiences = 0;
    double reward_sum = 0.0;
  };
  std::map<std::string, day_sum> days;
  weighted_mean trend;
  std::vector<member_statistics> agents;
  std::vector<member_policies> policies;
  for (auto& a : answers) {
    const auto& s = a.share;
    m.experiences += s.experiences;
    m.policy_changes += s.policy_changes;
    m.contexts += s.contexts;
    for (const auto& d : s.days) {
      auto& sum = days[d.day];
      sum.experiences += d.experiences;
      sum.reward_sum += d.mean_reward * static_cast<double>(d.experiences);
    }
    trend.add(s.reward_trend_per_100, as_weight(s.experiences));
    if (s.has_agent)
      agents.push_back({a.node, s.agent});
    if (s.has_policies)
      policies.push_back({a.node, rl_policies{s.policies}});
    prefix_unavailable(a, m.unavailable);
    out.answered_by.push_back(a.node);
  }
  for (const auto& [day, sum] : days)
    m.days.push_back(
        {day, sum.experiences,
         sum.experiences ? sum.reward_sum / static_cast<double>(sum.experiences) : 0.0});
  if (!days.empty())
    m.experiences_per_day = static_cast<double>(m.experiences) / static_cast<double>(days.size());
  m.reward_trend_per_100 = trend.result();
  if (!agents.empty()) {
    m.has_agent = true;
    m.agent = merge_statistics(std::move(agents), {}).merged;
  }
  if (!policies.empty()) {
    m.has_policies = true;
    m.policies = merge_policies(std::move(policies), {}).merged.policies;
  }
  name_members(out, std::move(unanswered));
  return out;
}

cluster_dashboard_training merge_training_history(std::vector<member_training> answers,
                                                  std::vector<std::string> unanswered) {
  cluster_dashboard_training out;
  auto& m = out.merged;
  if (!answers.empty()) {
    m.generated_at = answers.front().share.generated_at;
    m.interval_seconds = answers.front().share.interval_seconds;
  }
  for (auto& a : answers) {
    auto& s = a.share;
    m.count += s.count;
    m.cycles.insert(m.cycles.end(), s.cycles.begin(), s.cycles.end());
    if (s.last_finished_at != 0 && s.last_finished_at > m.last_finished_at) {
      m.last_finished_at = s.last_finished_at;
      m.since_last_seconds = s.since_last_seconds;
    }
    if (s.next_due_at != 0 && (m.next_due_at == 0 || s.next_due_at < m.next_due_at))
      m.next_due_at = s.next_due_at;
    prefix_unavailable(a, m.unavailable);
    out.answered_by.push_back(a.node);
  }
  std::stable_sort(m.cycles.begin(), m.cycles.end(),
                   [](const training_cycle_view& a, const training_cycle_view& b) {
                     return a.finished_at > b.finished_at;
                   });
  name_members(out, std::move(unanswered));
  return out;
}

cluster_dashboard_forecasts merge_latest_forecasts(std::vector<member_forecasts> answers,
                                                   std::vector<std::string> unanswered) {
  cluster_dashboard_forecasts out;
  if (!answers.empty())
    out.merged.generated_at = answers.front().share.generated_at;
  std::map<std::string, latest_forecast> by_metric;
  for (auto& a : answers) {
    for (auto& f : a.share.forecasts) {
      auto [it, fresh] = by_metric.try_emplace(f.metric_id, f);
      if (!fresh && f.generated_at > it->second.generated_at)
        it->second = std::move(f);
    }
    out.answered_by.push_back(a.node);
  }
  for (auto& [id, f] : by_metric)
    out.merged.forecasts.push_back(std::move(f));
  name_members(out, std::move(unanswered));
  return out;
}

cluster_executions merge_executions(std::vector<member_executions> answers,
                                    std::vector<std::string> unanswered) {
  cluster_executions out;
  for (auto& a : answers) {
    for (auto& e : a.share)
      out.executions.push_back({a.node, std::move(e)});
    out.answered_by.push_back(a.node);
  }
  std::stable_sort(out.executions.begin(), out.executions.end(),
                   [](const located_execution& a, const located_execution& b) {
                     return a.run.requested_at != b.run.requested_at
                                ? a.run.requested_at > b.run.requested_at
                                : a.run.id < b.run.id;
                   });
  name_members(out, std::move(unanswered));
  return out;
}

cluster_rl_evaluation merge_evaluations(std::vector<member_rl_evaluation> answers,
                                        std::vector<std::string> unanswered) {
  cluster_rl_evaluation out;
  for (auto& a : answers) {
    out.experiences += a.share.experiences;
    out.members.push_back({a.node, std::move(a.share)});
    out.answered_by.push_back(std::move(a.node));
  }
  std::sort(out.members.begin(), out.members.end(),
            [](const member_evaluation& a, const member_evaluation& b) { return a.node < b.node; });
  name_members(out, std::move(unanswered));
  return out;
}

} // namespace grace::cluster
