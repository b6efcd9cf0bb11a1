#include "actors/analytics/reports.hpp"

#include "actors/analytics/json_null.hpp"
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

nlohmann::json warnings_summary(const warning_counts& c, uint64_t episodes) {
  const uint64_t resolved = c.prevented + c.came_true + c.false_alarm;
  std::optional<double> precision;
  if (resolved > 0)
    precision = static_cast<double>(c.prevented + c.came_true) / static_cast<double>(resolved);
  std::optional<double> recall;
  if (episodes > 0)
    recall = std::min(1.0, static_cast<double>(c.came_true_recent) / static_cast<double>(episodes));
  return {{"open", c.open},
          {"raised", c.raised},
          {"prevented", c.prevented},
          {"came_true", c.came_true},
          {"false_alarm", c.false_alarm},
          {"resolved", resolved},
          {"precision", or_null(precision)},
          {"breach_episodes_7d", episodes},
          {"came_true_7d", c.came_true_recent},
          {"recall", or_null(recall)},
          {"mean_lead_minutes", or_null(c.mean_lead_minutes)}};
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

  nlohmann::json to_json() const {
    const auto r = reward_stats_of(rewards);
    return {{"runs", runs},
            {"succeeded", succeeded},
            {"failed", failed},
            {"success_rate", finished > 0 ? nlohmann::json(static_cast<double>(succeeded)
                                                           / static_cast<double>(finished))
                                          : nlohmann::json(nullptr)},
            {"evaluated", r.n},
            {"mean_reward", r.n > 0 ? nlohmann::json(r.mean) : nlohmann::json(nullptr)},
            {"reward_stddev", r.n > 0 ? nlohmann::json(r.stddev) : nlohmann::json(nullptr)},
            {"not_run", stopped}};
  }
};

} // namespace

nlohmann::json playbook_performance(const std::vector<execution>& executions,
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
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [playbook, tally] : by_playbook) {
    auto j = tally.to_json();
    j["playbook"] = playbook;
    nlohmann::json contexts = nlohmann::json::array();
    for (const auto& [ctx, t] : by_context[playbook]) {
      auto c = t.to_json();
      c["service"] = ctx.first;
      c["diagnosis"] = ctx.second;
      contexts.push_back(c);
    }
    j["contexts"] = contexts;
    list.push_back(j);
  }
  const auto overall = reward_stats_of(all.rewards);
  if (totals) {
    totals->executions = executions.size();
    totals->evaluated = overall.n;
    totals->mean_reward = overall.n > 0 ? std::optional<double>(overall.mean) : std::nullopt;
    totals->pending_approvals = pending;
  }
  auto summary = all.to_json();
  summary["executions"] = executions.size();
  summary["pending_approvals"] = pending;
  return {{"summary", summary}, {"playbooks", list}};
}

nlohmann::json learning_progress(const std::vector<experience>& experiences,
                                 const nlohmann::json& agent_statistics,
                                 const nlohmann::json& agent_policies) {
  // Per UTC day.
  std::map<std::string, std::vector<double>> per_day;
  for (const auto& e : experiences)
    per_day[format_utc(e.ts, "%Y-%m-%d")].push_back(e.reward);
  nlohmann::json days = nlohmann::json::array();
  for (const auto& [day, rewards] : per_day) {
    const auto s = reward_stats_of(rewards);
    days.push_back({{"day", day}, {"experiences", s.n}, {"mean_reward", s.mean}});
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
  std::optional<double> per_day_rate;
  if (!per_day.empty())
    per_day_rate = static_cast<double>(n) / static_cast<double>(per_day.size());
  return {{"experiences", n},
          {"days", days},
          {"experiences_per_day", or_null(per_day_rate)},
          {"reward_trend_per_100", or_null(slope)},
          {"policy_changes", changes},
          {"contexts", best.size()},
          {"agent", agent_statistics},
          {"policies", agent_policies}};
}

nlohmann::json next_training_due(const std::optional<training_status>& trainer) {
  return trainer && trainer->next_due_at ? nlohmann::json(iso_time_ms(trainer->next_due_at))
                                         : nlohmann::json(nullptr);
}

nlohmann::json training_history(const std::vector<training_record>& records,
                                int64_t training_interval_ms, timestamp_ms now,
                                const std::optional<training_status>& trainer) {
  nlohmann::json cycles = nlohmann::json::array();
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
    cycles.push_back(
        {{"cycle", r.cycle},
         {"started_at", iso_time_ms(r.started_at)},
         {"finished_at", iso_time_ms(r.finished_at)},
         {"duration_seconds", static_cast<double>(r.finished_at - r.started_at) / 1000.0},
         {"samples", r.samples},
         {"metrics", r.metrics},
         {"model_version", r.model_version},
         {"validation_mase", or_null(score)}});
  }
  nlohmann::json out{{"cycles", cycles},
                     {"count", records.size()},
                     {"interval_seconds", training_interval_ms / 1000}};
  out["next_due_at"] = next_training_due(trainer);
  if (!records.empty()) {
    out["last_finished_at"] = iso_time_ms(records.front().finished_at);
    out["since_last_seconds"] = (now - records.front().finished_at) / 1000;
  } else {
    out["last_finished_at"] = nullptr;
    out["since_last_seconds"] = nullptr;
  }
  return out;
}

} // namespace grace::analytics
