#pragma once
// Cluster-wide views: the members' answers merged into one with the fields a
// node alone answers. Pure (no CAF), tested on plain values.
#include "messages/reports.hpp"
#include "messages/statistics.hpp"

#include <string>
#include <vector>

namespace grace::cluster {

// One member's answer.
struct member_statistics {
  std::string node;
  rl_statistics share; // the contexts of the shards it serves
};

// Sums the counts (no context is in two shares: each is counted by the
// owner of its shard). average_reward is weighted by experiences (the mean
// over every share's experiences), exploration_rate by recommendations.
// policy is the first member's (`answers` start with the answering node;
// every node of a cluster should run the same policy). answered_by and
// unanswered come sorted.
cluster_rl_statistics merge_statistics(std::vector<member_statistics> answers,
                                       std::vector<std::string> unanswered);

struct member_policies {
  std::string node;
  rl_policies share; // the contexts of the shards it serves
};

// One list ordered by (service, diagnosis). A context in two shares (two
// members both believed they served its shard) is listed once: the one with
// more learning steps.
cluster_rl_policies merge_policies(std::vector<member_policies> answers,
                                   std::vector<std::string> unanswered);

// A member's warnings restricted to the metrics of `shards` (those it
// serves): a metric's warnings are answered by its owner only. The counts
// (statistics) stay the member's own.
warnings_view warnings_of_shards(warnings_view view, const std::vector<int>& shards);

struct member_warnings {
  std::string node;
  warnings_view share; // the metrics of the shards it serves
};

// One view with a node alone's fields: `open` ordered by raised_at (then
// id), `recent` newest resolved first, at most 100; the counts summed and
// mean_lead_minutes weighted by came_true. A warning in two shares (a
// handover) is listed once, the most recently updated.
cluster_warnings merge_warnings(std::vector<member_warnings> answers,
                                std::vector<std::string> unanswered);

struct member_overview {
  std::string node;
  dashboard_overview share; // its own figures; `learning` over the shards it serves
};

// One overview with a node alone's fields (docs/cluster.md, "Cluster-wide
// dashboard overview"): counts summed; ratios recomputed from the summed
// counts (precision, recall, success_rate); means weighted by what they are
// means over (accuracy figures by points, mean_reward by evaluated runs,
// mean_lead_minutes by came_true); the reward stddev pooled; the learning
// part merged as merge_statistics does. Each health part is the mean of the
// members' values weighted by the data it was graded on (forecast parts by
// points, warning_precision by resolved warnings, playbook_effectiveness by
// evaluated runs); training_freshness (each member trains its own model) is
// the worst member's, named; the score is the node's formula over the merged
// parts. `unavailable` lists each member's as "<id>: <entry>"; generated_at
// is the first member's (the answering node's).
cluster_dashboard_overview merge_overviews(std::vector<member_overview> answers,
                                           std::vector<std::string> unanswered);

struct member_playbooks {
  std::string node;
  dashboard_playbooks share; // the runs its executor made
};

// One playbook-performance report with a node alone's fields: the summary,
// each playbook's and each (service, context) of a playbook's run counts
// merged as the overview's (counts summed, success_rate from the sums,
// mean_reward weighted by evaluated, reward_stddev pooled); playbooks by id
// and contexts by (service, diagnosis), as a node alone orders them.
cluster_dashboard_playbooks merge_playbooks(std::vector<member_playbooks> answers,
                                            std::vector<std::string> unanswered);

} // namespace grace::cluster

namespace grace::cluster {

struct member_accuracy {
  std::string node;
  dashboard_accuracy share; // the forecasts its forecaster made and scored
};

// The forecast-accuracy report with a node alone's fields: for each window
// the members' per-metric lists concatenated by metric id (a metric two
// members scored, before and after a handover, once: its figures weighted
// by points, per horizon too); the pooled figures computed from the merged
// list as a node pools its metrics (points summed; smape, accuracy_pct and
// the coverages weighted by points; mase and skill the mean over metrics;
// mae unknown). `definition` and generated_at are the first member's,
// `unavailable` each member's as "<id>: <entry>".
cluster_dashboard_accuracy merge_accuracy_reports(std::vector<member_accuracy> answers,
                                                  std::vector<std::string> unanswered);

struct member_learning {
  std::string node;
  dashboard_learning share; // its learner's experiences; agent and policies over its shards
};

// Learning progress with a node alone's fields: the days summed per day
// (experiences summed, mean_reward weighted by experiences, ascending day),
// `experiences`, `policy_changes` and `contexts` summed, experiences_per_day
// the summed experiences over the distinct days, reward_trend_per_100 the
// members' slopes weighted by their experiences, `agent` merged as
// merge_statistics and `policies` as merge_policies (null when no member's
// came).
cluster_dashboard_learning merge_learning(std::vector<member_learning> answers,
                                          std::vector<std::string> unanswered);

struct member_training {
  std::string node;
  dashboard_training share; // its own trainer's cycles
};

// Training history with a node alone's fields: the members' cycles in one
// list, newest finished first; `count` summed; last_finished_at the latest
// member's (and since_last_seconds that member's); next_due_at the soonest
// known; interval_seconds the first member's.
cluster_dashboard_training merge_training_history(std::vector<member_training> answers,
                                                  std::vector<std::string> unanswered);

struct member_forecasts {
  std::string node;
  dashboard_forecasts share; // the latest forecast of each metric it forecast
};

// The latest forecasts of every member in one list by metric id; a metric
// two members forecast (before and after a handover) once: the newest.
cluster_dashboard_forecasts merge_latest_forecasts(std::vector<member_forecasts> answers,
                                                   std::vector<std::string> unanswered);

struct member_executions {
  std::string node;
  std::vector<execution> share; // its executor's runs
};

// Every member's executions in one list, newest requested first (then id),
// as a node lists its own. The answers to an approval merge the same way:
// each share is the run that member decided (none when its executor does
// not hold the id; ids name their node, so at most one member decides).
cluster_executions merge_executions(std::vector<member_executions> answers,
                                    std::vector<std::string> unanswered);

struct member_rl_evaluation {
  std::string node;
  rl_evaluation share;
};

// One evaluation per member, by node id, not merged (an off-policy estimate
// with its interval over one learner's log does not add up with another's);
// `experiences` summed.
cluster_rl_evaluation merge_evaluations(std::vector<member_rl_evaluation> answers,
                                        std::vector<std::string> unanswered);

} // namespace grace::cluster
