#pragma once
// The cluster component's work on keyed requests (its CAF shell, beside
// cluster_actor.cpp): recommendations and rewards go to the owner of their
// shard, here or over the peer link; a reward is committed to etcd under the
// owner's fencing token before it is acknowledged; an owner restores a
// shard's contexts from etcd (snapshot, then the rewards committed since)
// before it answers for the shard, and folds the rewards into the snapshot
// from time to time. What to do when is decided by reward_ledger.hpp.
#include "actors/cluster/cluster_actor.hpp"

#include <caf/typed_response_promise.hpp>
#include <memory>

namespace grace {

using cluster_self = cluster_actor::stateful_pointer<cluster_state>;

template <class... Ts> using shared_promise = std::shared_ptr<caf::typed_response_promise<Ts...>>;
using recommend_promise = shared_promise<recommendation, std::string>;
using reward_promise = shared_promise<experience, std::string>;

// `forwarded_by` is the peer that sent it ("" from this node's HTTP API): a
// forwarded request is answered here or waited for here, never sent on. The
// answer comes with the id of the node that answered.
void route_recommend(cluster_self self, recommend_request request, std::string forwarded_by,
                     recommend_promise rp);
void route_reward(cluster_self self, reward_report report, std::string forwarded_by,
                  reward_promise rp);
// A recommendation the predictor withdraws: withdrawn by the learner of the
// owner of the shard its event id names; answers whether it was pending.
void route_withdraw(cluster_self self, std::string event_id, std::string forwarded_by,
                    shared_promise<bool> rp);
// Each sample goes to the ingest of its metric's owner (grouped by shard);
// the receipts are merged by position in `batch`.
void route_ingest(cluster_self self, sample_batch batch, std::string forwarded_by,
                  shared_promise<ingest_receipt> rp);
// Closed windows read from a source's history (PromQL's backfill): each
// stored by the storage of its metric's owner (grouped by shard); answers
// how many were new, or fails when a part was not stored.
void route_history(cluster_self self, closed_windows batch, std::string forwarded_by,
                   shared_promise<uint64_t> rp);

// This node's share of the RL statistics: its learner's, over the shards it
// serves now.
void share_statistics(cluster_self self, shared_promise<rl_statistics, std::string> rp);
// Every member's share (asked over the peer links, in parallel, within the
// request wait) merged; members that do not answer are listed with why.
void cluster_statistics(cluster_self self, shared_promise<cluster_rl_statistics> rp);

// The same for the learned policies.
void share_policies(cluster_self self, shared_promise<rl_policies, std::string> rp);
void cluster_policies(cluster_self self, shared_promise<cluster_rl_policies> rp);

// Forecasts: the request's metrics grouped by shard, each group asked of its
// owner's forecaster (here or over the peer link, waiting for an owner like
// a recommendation), merged with who answered.
void route_forecasts(cluster_self self, forecast_request request,
                     shared_promise<cluster_forecasts> rp);
// A forwarded forecast request: answered by this node's forecaster.
void forecast_here(cluster_self self, forecast_request request,
                   shared_promise<std::vector<forecast>, std::string> rp);

// This node's share of the early warnings (the metrics of the shards it
// serves), and every member's merged.
void share_warnings(cluster_self self, shared_promise<warnings_view, std::string> rp);
void cluster_warnings_view(cluster_self self, shared_promise<cluster_warnings> rp);

// This node's dashboard overview (the analytics component's, its learning
// part replaced by the learner's statistics over the shards it answers for),
// and every member's merged (cluster_views.hpp).
void share_overview(cluster_self self, shared_promise<dashboard_overview, std::string> rp);
void cluster_overview(cluster_self self, shared_promise<cluster_dashboard_overview> rp);

// This node's playbook performance (the analytics component's report of its
// executor's runs), and every member's merged.
void share_playbooks(cluster_self self, shared_promise<dashboard_playbooks, std::string> rp);
void cluster_playbooks(cluster_self self, shared_promise<cluster_dashboard_playbooks> rp);

// A metric's snapshots from the storage of its metric's owner (here or over
// the peer link, waiting for an owner like a recommendation), with the
// owner's id. `forwarded_by` as for route_recommend.
void route_snapshots(cluster_self self, snapshot_query query, std::string forwarded_by,
                     shared_promise<std::vector<snapshot>, std::string> rp);

// The remaining dashboard reports: this node's share (its analytics
// component's report; learning progress with the learner's statistics and
// policies over the shards it answers for) and every member's merged
// (cluster_views.hpp).
void share_accuracy(cluster_self self, shared_promise<dashboard_accuracy, std::string> rp);
void cluster_accuracy(cluster_self self, shared_promise<cluster_dashboard_accuracy> rp);
void share_learning(cluster_self self, shared_promise<dashboard_learning, std::string> rp);
void cluster_learning(cluster_self self, shared_promise<cluster_dashboard_learning> rp);
void share_training(cluster_self self, shared_promise<dashboard_training, std::string> rp);
void cluster_training(cluster_self self, shared_promise<cluster_dashboard_training> rp);
void share_latest_forecasts(cluster_self self, shared_promise<dashboard_forecasts, std::string> rp);
void cluster_latest_forecasts(cluster_self self, shared_promise<cluster_dashboard_forecasts> rp);

// This node's executions (its executor's, `filter` a state or ""), and every
// member's in one list.
void share_executions(cluster_self self, std::string filter,
                      shared_promise<std::vector<execution>, std::string> rp);
void cluster_executions_view(cluster_self self, std::string filter,
                             shared_promise<cluster_executions> rp);

// An approval or a rejection: asked of every member, decided by the one
// whose executor holds the run; and, asked by a peer, decided here (an
// empty answer when this node's executor does not hold it).
void route_decision(cluster_self self, std::string id, bool approved,
                    shared_promise<cluster_executions> rp);
void decide_here(cluster_self self, std::string id, bool approved,
                 shared_promise<std::vector<execution>, std::string> rp);

// This node's RL evaluation (its learner's), and every member's side by side.
void share_evaluation(cluster_self self, shared_promise<rl_evaluation, std::string> rp);
void cluster_evaluation(cluster_self self, shared_promise<cluster_rl_evaluation> rp);

// Tries the waiting requests again (after an ownership change, a restore, a
// new peer, or the retry timer); expires those past their deadline.
void retry_waiting(cluster_self self);

// Shards served and not restored yet: reads their history from etcd and has
// the learner restore them. Shards no longer served are forgotten.
void restore_shards(cluster_self self);

// Folds the unfolded rewards of one due shard into its snapshot in etcd.
void fold_due(cluster_self self);

} // namespace grace
