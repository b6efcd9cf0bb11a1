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
