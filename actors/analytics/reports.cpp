#include "actors/analytics/reports.hpp"

#include "common/utc_time.hpp"

#include <cmath>
#include <ctime>
#include <map>
#include <stdexcept>

namespace grace::analytics {

warning_counts warning_counts_from(const warnings_view& w, timestamp_ms since, timestamp_ms until) {
  warning_counts c;
  c.open = w.open.size();
  c.raised = w.statistics.raised;
  c.prevented = w.statistics.prevented;
  c.came_true = w.statistics.came_true;
  c.false_alarm = w.statistics.false_alarm;
  if (c.came_true > 0 && std::isfinite(w.statistics.mean_lead_minutes))
    c.mean_lead_minutes = w.statistics.mean_lead_minutes;
  for (const auto& r : w.recent)
    if (r.outcome == warning_outcome::came_true && r.breached_at >= since && r.breached_at <= until)
      ++c.came_true_recent;
  return c;
}

uint64_t breach_episodes(const std::vector<snapshot>& snapshots, timestamp_ms from,
                         timestamp_ms to) {
  uint64_t episodes = 0;
  bool in_breach = false;
  bool first = true;
  for (const auto& s : snapshots) {
    if (s.window_end < from || s.window_end > to)
      continue;
    const bool breach = s.level != band::good;
    if (breach && !in_breach && !first)
      ++episodes;
    in_breach = breach;
    first = false;
  }
  return episodes;
}

warnings_summary summarise_warnings(const warning_counts& c, uint64_t episodes) {
  warnings_summary out;
  out.open = c.open;
  out.raised = c.raised;
  out.prevented = c.prevented;
  out.came_true = c.came_true;
  out.false_alarm = c.false_alarm;
  out.resolved = c.prevented + c.came_true + c.false_alarm;
  if (out.resolved > 0)
    out.precision =
        static_cast<double>(c.prevented + c.came_true) / static_cast<double>(out.resolved);
  out.breach_episodes_7d = episodes;
  out.came_true_7d = c.came_true_recent;
  if (episodes > 0)
    out.recall =
        std::min(1.0, static_cast<double>(c.came_true_recent) / static_cast<double>(episodes));
  out.mean_lead_minutes = c.mean_lead_minutes;
  return out;
}

reward_stats reward_stats_of(const std::vector<double>& rewards) {
  reward_stats s;
  s.n = rewards.size();
  if (s.n == 0)
    return s;
  double sum = 0.0;
  for (double r : rewards)
    sum += r;
  s.mean = sum / static_cast<double>(s.n);
  double sq = 0.0;
  for (double r : rewards)
    sq += (r - s.mean) * (r - s.mean);
  s.stddev = std::sqrt(sq / static_cast<double>(s.n));
  return s;
}

namespace {

struct run_tally {
  uint64_t runs = 0, finished = 0, succeeded = 0, failed = 0;
  std::map<std::string, uint64_t> stopped; // by state: refused, rejected, expired, dry_run
  std::vector<double> rewards;

  void add(const execution& e) {
    switch (e.state) {
    case execution_state::running:
      ++runs;
      break;
    case execution_state::succeeded:
    case execution_state::evaluated:
      ++runs;
      ++finished;
      ++succeeded;
      if (e.state == execution_state::evaluated)
        rewards.push_back(e.reward);
      break;
    case execution_state::failed:
      ++runs;
      ++finished;
      ++failed;
      break;
    default:
      ++stopped[to_string(e.state)];
    }
  }

  run_counts counts() const {
    const auto r = reward_stats_of(rewards);
    run_counts c;
    c.runs = runs;
    c.succeeded = succeeded;
    c.failed = failed;
    if (finished > 0)
      c.success_rate = static_cast<double>(succeeded) / static_cast<double>(finished);
    c.evaluated = r.n;
    if (r.n > 0) {
      c.mean_reward = r.mean;
      c.reward_stddev = r.stddev;
    }
    c.not_run = stopped;
    return c;
  }
};

} // namespace

dashboard_playbooks playbook_performance(const std::vector<execution>& executions,
                                         playbook_totals* totals) {
  std::map<std::string, run_tally> by_playbook;
  std::map<std::string, std::map<std::pair<std::string, std::string>, run_tally>> by_context;
  run_tally all;
  uint64_t pending = 0;
  for (const auto& e : executions) {
    by_playbook[e.playbook].add(e);
    by_context[e.playbook][{e.service, e.metric_id}].add(e);
    all.add(e);
    if (e.state == execution_state::pending_approval)
      ++pending;
  }
  dashboard_playbooks out;
  for (const auto& [playbook, tally] : by_playbook) {
    playbook_runs runs{playbook, tally.counts(), {}};
    for (const auto& [ctx, t] : by_context[playbook])
      runs.contexts.push_back({ctx.first, ctx.second, t.counts()});
    out.playbooks.push_back(std::move(runs));
  }
  const auto overall = reward_stats_of(all.rewards);
  if (totals) {
    totals->executions = executions.size();
    totals->evaluated = overall.n;
    totals->mean_reward = overall.n > 0 ? std::optional<double>(overall.mean) : std::nullopt;
    totals->pending_approvals = pending;
  }
  out.summary = {all.counts(), executions.size(), pending};
  return out;
}

dashboard_learning learning_progress(const std::vector<experience>& experiences,
                                     const std::optional<rl_statistics>& agent_statistics,
                                     const std::optional<rl_policies>& agent_policies) {
  dashboard_learning out;
  // Per UTC day.
  std::map<std::string, std::vector<double>> per_day;
  for (const auto& e : experiences)
    per_day[format_utc(e.ts, "%Y-%m-%d")].push_back(e.reward);
  for (const auto& [day, rewards] : per_day) {
    const auto s = reward_stats_of(rewards);
    out.days.push_back({day, s.n, s.mean});
  }
  // Least-squares slope of reward against experience index.
  std::optional<double> slope;
  const size_t n = experiences.size();
  if (n >= 2) {
    const double mean_x = static_cast<double>(n - 1) / 2.0;
    double mean_y = 0.0;
    for (const auto& e : experiences)
      mean_y += e.reward;
    mean_y /= static_cast<double>(n);
    double sxy = 0.0, sxx = 0.0;
    for (size_t i = 0; i < n; ++i) {
      const double dx = static_cast<double>(i) - mean_x;
      sxy += dx * (experiences[i].reward - mean_y);
      sxx += dx * dx;
    }
    slope = 100.0 * sxy / sxx;
  }
  // Policy changes: the product description's EMA per (context, playbook); a change is the
  // context's best playbook differing from the one before this experience.
  std::map<std::pair<std::string, std::string>, std::map<std::string, double>> ema;
  std::map<std::pair<std::string, std::string>, std::string> best;
  uint64_t changes = 0;
  for (const auto& e : experiences) {
    const auto ctx = std::make_pair(e.service, e.diagnosis);
    auto& values = ema[ctx];
    auto [it, fresh] = values.try_emplace(e.playbook, e.reward);
    if (!fresh)
      it->second = 0.7 * it->second + 0.3 * e.reward;
    std::string leader;
    double top = -2.0;
    for (const auto& [pb, v] : values)
      if (v > top) {
        top = v;
        leader = pb;
      }
    auto& previous = best[ctx];
    if (!previous.empty() && previous != leader)
      ++changes;
    previous = leader;
  }
  out.experiences = n;
  if (!per_day.empty())
    out.experiences_per_day = static_cast<double>(n) / static_cast<double>(per_day.size());
  out.reward_trend_per_100 = slope;
  out.policy_changes = changes;
  out.contexts = best.size();
  if (agent_statistics) {
    out.has_agent = true;
    out.agent = *agent_statistics;
  }
  if (agent_policies) {
    out.has_policies = true;
    out.policies = agent_policies->policies;
  }
  return out;
}

timestamp_ms next_training_due(const std::optional<training_status>& trainer) {
  return trainer ? trainer->next_due_at : 0;
}

dashboard_training training_history(const std::vector<training_record>& records,
                                    int64_t training_interval_ms, timestamp_ms now,
                                    const std::optional<training_status>& trainer) {
  dashboard_training out;
  for (const auto& r : records) {
    std::optional<double> score;
    if (!r.validation_scores.empty()) {
      double sum = 0.0;
      int k = 0;
      for (const auto& [metric, v] : r.validation_scores)
        if (std::isfinite(v)) {
          sum += v;
          ++k;
        }
      if (k > 0)
        score = sum / k;
    }
    out.cycles.push_back({r.cycle, r.started_at, r.finished_at,
                          static_cast<double>(r.finished_at - r.started_at) / 1000.0, r.samples,
                          r.metrics, r.model_version, score});
  }
  out.count = records.size();
  out.interval_seconds = training_interval_ms / 1000;
  out.next_due_at = next_training_due(trainer);
  if (!records.empty()) {
    out.last_finished_at = records.front().finished_at;
    out.since_last_seconds = (now - records.front().finished_at) / 1000;
  }
  return out;
}

} // namespace grace::analytics
