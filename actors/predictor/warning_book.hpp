#pragma once
// The book of early warnings: raises a warning when a forecast makes a
// threshold breach likely within a lead window, folds later forecasts into
// the open warning of the metric, and resolves it as came_true (the band was
// reached), prevented (an action ran and the breach did not come) or
// false_alarm. Pure core: no CAF, no clock (callers pass `now`), deterministic.
#include "actors/predictor/breach.hpp"
#include "messages/types.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace grace::predictor {

struct warning_policy {
  double min_probability = 0.7;     // raise when P >= this
  int64_t min_lead_ms = 15 * 60000; // breach must be at least this far away (from now) ...
  int64_t max_lead_ms = 60 * 60000; // ... and at most this far
  // An open warning whose expected breach time + grace passed without a
  // breach is resolved (prevented if an action ran, else false_alarm).
  int64_t grace_ms = 30 * 60000;
  size_t keep_recent = 200; // resolved warnings kept for the API
  // Lead times (of came_true warnings) kept in statistics::lead_minutes, the
  // latest ones; the mean is over all of them regardless.
  size_t keep_lead_samples = 1000;
};

enum class warning_change { none, raised, updated, escalated };

struct warning_event {
  warning_change change = warning_change::none;
  early_warning warning; // the warning as it is after the change (empty if none)
};

class warning_book {
public:
  explicit warning_book(warning_policy policy = {});

  // A new forecast for a metric at `now`. The metric is t.metric_id (the
  // forecast's if that is empty). Uses assess(); the critical assessment wins
  // if it qualifies, else the warning one. Qualifies: probability >=
  // min_probability, a breach time exists and expected_breach_at - now is
  // within [min_lead_ms, max_lead_ms], and current_band is below that
  // severity (a metric already in the band is an incident, not a prediction).
  //
  // One open warning per metric: a qualifying forecast while one is open
  // updates it (updated_at, probability, expected_breach_at, threshold,
  // predicted value, bounds) - change `updated`, or `escalated` when the
  // severity rises warning -> critical. Severity never falls: while a
  // critical warning is open, a forecast where only the warning threshold
  // qualifies changes nothing (the critical one runs to its own outcome).
  // A forecast that does not qualify changes nothing either; the open
  // warning keeps its last qualifying state until it resolves.
  //
  // Ids are "ew-<metric_id>-<raised_at>" (with "-2", "-3", ... if the same
  // metric raised more than once in the same millisecond): unique, and stable
  // across updates and persistence.
  //
  // Does not expire anything: callers call expire(now) first.
  warning_event observe_forecast(const forecast& f, const threshold_spec& t, band current_band,
                                 timestamp_ms now);
  // The same with the assessments already made (breach_warner::assess: the
  // node's predictor and grace-lead-time); observe_forecast is this with
  // assess(f, t). The metric is t.metric_id. An assessment that carries its
  // metric's own min_probability (the warner's learned cut) is judged by it
  // instead of the policy's.
  warning_event observe_outlook(const breach_outlook& o, const threshold_spec& t, band current_band,
                                timestamp_ms now);

  // Records the playbook recommended / run for the open warning of a metric
  // (no-op if none is open). The latest call wins. recommend returns the
  // warning as it is now, to be published again with its recommendation.
  std::optional<early_warning> recommend(const std::string& metric_id, const std::string& playbook);
  void action_taken(const std::string& metric_id, const std::string& playbook, timestamp_ms at);

  // A closed snapshot's band for the metric: if the open warning's severity
  // (or worse) is reached, it resolves came_true with breached_at = at,
  // resolved_at = at. A band from before the warning was raised (late data)
  // is not evidence for it and is ignored. Returns the resolved warnings.
  std::vector<early_warning> observe_band(const std::string& metric_id, band level,
                                          timestamp_ms at);

  // Resolves open warnings whose expected_breach_at + grace_ms < now:
  // prevented if action_playbook is set, else false_alarm; resolved_at = now.
  // Returns them by raised_at.
  std::vector<early_warning> expire(timestamp_ms now);

  std::vector<early_warning> open() const; // by raised_at
  std::optional<early_warning> open_for(const std::string& metric_id) const;
  std::vector<early_warning> recent(size_t n) const; // resolved, newest first

  struct statistics {
    uint64_t raised = 0, prevented = 0, came_true = 0, false_alarm = 0;
    double mean_lead_minutes = 0.0;   // over came_true: breached_at - raised_at
    std::vector<double> lead_minutes; // the latest keep_lead_samples, oldest first
  };
  statistics stats() const;

  const warning_policy& policy() const { return policy_; }

  // The whole state, for persistence (the policy is not part of it).
  nlohmann::json to_json() const;
  // Throws std::runtime_error naming the bad field, e.g.
  // "warning_book: open[1]: field 'probability' must be a number".
  static warning_book from_json(const nlohmann::json& j, warning_policy policy);

private:
  void resolve(early_warning w);
  std::string new_id(const std::string& metric_id, timestamp_ms now);

  warning_policy policy_;
  std::map<std::string, early_warning> open_; // by metric_id
  std::deque<early_warning> recent_;          // resolved, newest first
  uint64_t raised_ = 0, prevented_ = 0, came_true_ = 0, false_alarm_ = 0;
  double lead_sum_minutes_ = 0.0;
  std::deque<double> lead_minutes_;
  // Per metric: the raised_at of its latest warning and how many were raised
  // in that millisecond (for unique ids).
  std::map<std::string, std::pair<timestamp_ms, uint64_t>> last_raise_;
};

std::string to_string(warning_change c);

} // namespace grace::predictor
