// The dashboard's summaries of warnings, playbook runs, learning and training
// (pure, no CAF): each takes what storage and the components answered and
// returns its part of a report (messages/reports.hpp). docs/analytics.md
// defines every figure.
#pragma once

#include "messages/reports.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grace::analytics {

// --- warnings ---------------------------------------------------------------
struct warning_counts {
  uint64_t open = 0;
  uint64_t raised = 0;
  uint64_t prevented = 0;
  uint64_t came_true = 0;
  uint64_t false_alarm = 0;
  std::optional<double> mean_lead_minutes;
  // Warnings in the predictor's recent list (its newest 100 resolved) that
  // came true with the breach in [since, until]: the recall numerator.
  uint64_t came_true_recent = 0;
};

// Counts from the predictor's warnings. `since`/`until` bound
// came_true_recent (breached_at).
warning_counts warning_counts_from(const warnings_view& warnings, timestamp_ms since = 0,
                                   timestamp_ms until = 0);

// Times a metric entered warning or critical from good in [from, to]
// (snapshots oldest first; the first snapshot's state counts as the start).
uint64_t breach_episodes(const std::vector<snapshot>& snapshots, timestamp_ms from,
                         timestamp_ms to);

// precision = (prevented + came true) / resolved (since start); recall =
// warnings that came true in the last 7 days / breach episodes in the last 7
// days (share of breaches warned ahead), capped at 1.
warnings_summary summarise_warnings(const warning_counts& c, uint64_t episodes);

// --- playbooks --------------------------------------------------------------
struct reward_stats {
  uint64_t n = 0;
  double mean = 0.0;
  double stddev = 0.0; // population standard deviation
};
reward_stats reward_stats_of(const std::vector<double>& rewards);

// Per playbook: runs (ran at all: running, succeeded, failed, evaluated),
// success rate (succeeded or evaluated / finished), evaluated rewards (mean,
// spread), decisions that stopped it, and the same per context (service,
// metric). Also the totals the health score uses.
struct playbook_totals {
  uint64_t executions = 0;
  uint64_t evaluated = 0;
  std::optional<double> mean_reward;
  uint64_t pending_approvals = 0;
};
// The report's summary and playbooks; its unavailable and generated_at are
// the caller's.
dashboard_playbooks playbook_performance(const std::vector<execution>& executions,
                                         playbook_totals* totals = nullptr);

// --- learning ---------------------------------------------------------------
// From the stored experiences (oldest first): per virtual UTC day the count
// and mean reward, the reward trend (least-squares slope per 100
// experiences), experiences per day over the days seen, and policy changes:
// how often a context's best playbook (by the product description's EMA, rate 0.3) changed.
// The agent's statistics and policies are copied in when they came.
dashboard_learning learning_progress(const std::vector<experience>& experiences,
                                     const std::optional<rl_statistics>& agent_statistics,
                                     const std::optional<rl_policies>& agent_policies);

// --- training ---------------------------------------------------------------
// Records newest first; validation score = mean of the per-metric validation
// MASE (lower is better), null when the cycle has none. next_due_at is the
// trainer's own (null when the trainer did not answer or trains only on
// demand), never recomputed here.
dashboard_training training_history(const std::vector<training_record>& records,
                                    int64_t training_interval_ms, timestamp_ms now,
                                    const std::optional<training_status>& trainer);

// The trainer's next due time; 0 when unknown or not scheduled.
timestamp_ms next_training_due(const std::optional<training_status>& trainer);

} // namespace grace::analytics
