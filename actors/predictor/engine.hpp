#pragma once
// The incident predictor's decisions, without actors: turns forecasts into
// early warnings, follows each warning to its outcome from the closed
// snapshots, decides whether to remediate (an early warning, or a breach no
// warning covered in time), holds a symptom while its cause is in trouble,
// escalates a breach the last playbook did not end, chooses the candidate
// playbooks (unattended first for a breach under way), asks for another one
// when the executor refused a run or its approval lapsed, and scores every
// snapshot for anomalies.
//
// Every call returns the effects, in order, that the actor shell carries out
// as messages (publish, ask the RL agent, log): the engine sends nothing.
#include "actors/catalog/catalog.hpp"
#include "actors/predictor/anomaly_score.hpp"
#include "actors/predictor/breach_reaction.hpp"
#include "actors/predictor/breach_warner.hpp"
#include "actors/predictor/engine_settings.hpp"
#include "actors/predictor/onset.hpp"
#include "actors/predictor/symptom_hold.hpp"
#include "actors/predictor/warning_book.hpp"
#include "messages/types.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace grace::predictor {

// What an action is for: an early warning's predicted breach, or a breach
// under way that no warning covered in time (a reaction).
struct action_trigger {
  std::string warning_id; // the warning's id, or "breach-<metric>-<time>" for a reaction
  std::string metric_id;
  std::string service;
  bool reaction = false;
  std::string diagnosis; // the RL context's: the metric id, or `<metric>:sudden`
  // A reaction's episode has already run these: the agent chooses among the others.
  std::vector<std::string> tried;
};

// A run waiting for an operator. If the approval expires or is rejected while
// the breach is still ahead (warning open) or under way, the agent is asked
// again without the playbooks already tried for this trigger.
struct approval_watch {
  std::string execution_id;
  action_trigger trigger;
  std::vector<std::string> excluded; // includes the playbook waiting for approval
  int64_t check_at = 0;              // wall clock, like the approval deadline
};

// --- effects -----------------------------------------------------------------

// A warning raised, updated, escalated or resolved: to the mesh and the notifier.
struct publish_warning {
  early_warning warning;
  std::string change; // "raised", "updated", "escalated", "resolved"
};

// Ask the RL agent to choose among `request.candidates` (empty: the metric's
// playbooks) and the executor to run its choice; report the recommendation
// (recommended()) and the executor's answer (ran()).
struct request_playbook {
  action_trigger trigger;
  recommend_request request;
  forecast counterfactual;           // the forecast made before acting
  std::vector<std::string> excluded; // playbooks the executor refused for this trigger
};

// A snapshot far from what its recent history predicts although no threshold is near.
struct publish_anomaly {
  std::string metric_id;
  double score = 0.0;
  double value = 0.0;
  double expected = 0.0;
  timestamp_ms at = 0;
};

enum class log_level { info, warn };

struct log_line {
  log_level level = log_level::info;
  std::string text;
};

// The RL agent forgets a pick that was not acted on (refusal.hpp): nothing is
// learned from it and it leaves the pending events.
struct withdraw_event {
  std::string event_id;
};

// After a pick that did not run: ask the executor which of `playbooks` (the
// metric's) it would run now on the trigger's service, then hand its answer to
// asked_again(), which asks the agent among those only.
struct ask_again {
  action_trigger trigger;
  forecast counterfactual;
  std::vector<std::string> excluded; // left out so far, the pick that did not run among them
  std::vector<std::string> playbooks;
};

using effect = std::variant<publish_warning, request_playbook, publish_anomaly, log_line,
                            withdraw_event, ask_again>;
using effects = std::vector<effect>;

class engine {
public:
  explicit engine(engine_settings s = {});

  const engine_settings& decision_settings() const { return settings_; }

  // The catalog decisions are made with (fetched per forecast batch so that
  // reloads take effect). Without one, forecasts and reactions wait.
  void set_catalog(std::shared_ptr<const catalog::metrics_catalog> catalog);
  std::shared_ptr<const catalog::metrics_catalog> catalog() const { return catalog_; }

  // The stored book (warning_book::to_json); throws on a document it cannot read.
  void restore(const nlohmann::json& stored);
  nlohmann::json to_json() const { return book.to_json(); }

  // A batch of forecasts at virtual time `now`: warnings past their breach
  // time resolve first, then each forecast raises, updates or escalates its
  // metric's warning, and a new warning is acted on unless held.
  effects on_forecasts(const std::vector<forecast>& forecasts, timestamp_ms now);

  // A batch of closed snapshots: bands, warning outcomes, causes and onsets,
  // reactions to breaches under way (held, first or escalated), anomalies;
  // when the warner asks for it (breach_warner::judges_every_value), each
  // metric's latest forecast is judged again with the new values, as a
  // forecast's arrival is. `now`: virtual time, when an action taken is
  // counted from.
  effects on_snapshots(const std::vector<snapshot>& snapshots, timestamp_ms now);

  // Resolves the warnings past their breach time.
  effects expire(timestamp_ms now);

  // A playbook ran on the metric (the executor's report).
  void action_taken(const std::string& metric_id, const std::string& playbook, timestamp_ms at);

  // The RL agent chose `chosen` for the request.
  effects recommended(const request_playbook& asked, const std::string& chosen);

  // The executor's answer to running the chosen playbook: a run waiting for
  // approval is watched (wall clock `wall_now`); a pick that was not acted on
  // is withdrawn, and one refused by a rule another playbook can get around is
  // asked again among the playbooks the executor would run.
  effects ran(const request_playbook& asked, const execution& e, int64_t wall_now);

  // Whether a watched approval is due for a check at `wall_now`.
  bool approvals_due(int64_t wall_now) const;

  // The executor's executions at the check: an approval that expired or was
  // rejected is withdrawn and, while its trigger still matters, asked again.
  effects approvals_checked(const std::vector<execution>& executions, int64_t wall_now);

  // The executor would run `runnable` of `again.playbooks` now: the agent is
  // asked among them, less those left out so far (virtual time `now`).
  effects asked_again(const ask_again& again, const std::vector<std::string>& runnable,
                      timestamp_ms now);

  warnings_view warnings() const;

  // True once after the book changed (the shell then saves it).
  bool take_dirty();

  // Read by the shell's status.
  warning_book book;
  uint64_t forecasts_seen = 0;
  uint64_t anomalies_flagged = 0;
  uint64_t actions_held = 0;  // remediations held for a symptom's cause
  uint64_t warnings_held = 0; // judgements not raised for a symptom's cause (hold_symptom_warnings)
  std::map<std::string, double> anomaly;            // last score per metric
  std::map<std::string, double> breach_probability; // last warning-threshold P

private:
  threshold_warners& warners_for(const threshold_spec& t);
  onset onset_of(const catalog::metric_definition& m) const;
  std::string diagnosis_for(const catalog::metric_definition& m, onset o) const;
  std::optional<cause_watch::hold> held_by(const catalog::metric_definition& m, timestamp_ms at,
                                           bool stepped = false) const;
  bool still_relevant(const action_trigger& trigger) const;
  void resolved(effects& out, const early_warning& w);
  // One forecast of `metric` judged at `now`: raise, update or escalate its
  // warning and act on a new one unless held.
  void judge(effects& out, const catalog::metric_definition& metric, const forecast& f,
             timestamp_ms now);
  // The latest forecasts of the snapshots' metrics judged again, for the
  // warners that judge on every value.
  void rejudge(effects& out, const std::vector<snapshot>& snapshots, timestamp_ms now);
  void act(effects& out, const action_trigger& trigger, const forecast& counterfactual,
           const std::vector<std::string>& excluded, timestamp_ms now);
  // A playbook for the open warning `w` of `metric` unless held (symptom_of)
  // or told to wait for a run on its service (warning_action).
  void act_on_warning(effects& out, const catalog::metric_definition& metric,
                      const early_warning& w, const forecast& f, timestamp_ms now);
  void ask_among_runnable(effects& out, const action_trigger& trigger,
                          const forecast& counterfactual, std::vector<std::string> excluded);

  engine_settings settings_;
  std::shared_ptr<const catalog::metrics_catalog> catalog_;
  breach_reactions reactions_;
  onset_tracker onsets_;
  cause_watch causes_;                      // for the catalog's symptom_of
  std::map<std::string, std::string> held_; // metric -> the cause its reaction waits on
  // Per metric in breach: why its critical windows got no run (logged once
  // per reason and episode, and summed up when an episode with no run ends).
  struct breach_episode {
    int windows = 0;                       // at warning or worse
    int critical = 0;                      // of which critical
    int asked = 0;                         // playbooks asked for it (reactions or warnings)
    bool ran = false;                      // a playbook ran for it
    std::set<std::string> logged;          // reasons logged in this episode
    std::map<std::string, int> no_run_why; // critical windows per reason
  };
  std::map<std::string, breach_episode> episodes_;
  // A critical window of `metric_id` with no run for `why` (`detail`: the log
  // line's text, logged once per `why` and episode).
  void explain_no_reaction(effects& out, const catalog::metric_definition& metric,
                           const reaction_verdict& verdict, timestamp_ms at);
  void end_episode(effects& out, const std::string& metric_id);
  void no_run(effects& out, const std::string& metric_id, const std::string& why,
              const std::string& detail);
  struct waiting_warning {
    std::string warning_id;
    timestamp_ms until = 0;
  };
  std::map<std::string, waiting_warning> waiting_;   // metric -> its warning waiting for a run
  std::map<std::string, forecast> latest_forecasts_; // per metric: a reaction's counterfactual
  std::map<std::string, band> bands_;                // last closed snapshot's band
  std::map<std::string, anomaly_scorer> scorers_;    // per metric
  std::map<std::string, threshold_warners> warners_; // per metric, fed every snapshot
  std::vector<approval_watch> approval_watches_;
  bool dirty_ = false; // book changed since the last save
};

} // namespace grace::predictor
