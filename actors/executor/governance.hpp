#pragma once
// Playbook governance: every rule that can stop a playbook run, and the queue
// of runs waiting for an operator's approval. Pure and deterministic: the
// current time is always passed in, nothing reads a clock.
//
// The rules, in the order decide() applies them (the first that applies
// wins):
//   1. kill switch      - engaged: nothing runs, not even a dry run.
//   2. circuit breaker  - per playbook: `breaker_failures` consecutive failed
//                         runs open it for `breaker_open_ms`; then it is
//                         half-open and allows exactly one trial run; the
//                         trial's success closes it, its failure opens it
//                         again for another `breaker_open_ms`.
//   3. cooldown         - per playbook AND target: a run of the playbook on
//                         the same target less than `cooldown_ms` ago blocks
//                         it (another target is not blocked).
//   4. rate limit       - per playbook over all targets: at most
//                         `max_runs_per_hour` runs started in the sliding hour
//                         (now - 1 h, now].
//   5. mode             - dry-run playbooks get verdict::dry_run, approval
//                         playbooks verdict::await_approval, auto playbooks
//                         verdict::run.
// Dry runs go through the same rules as real runs (a dry run shows what the
// real mode would have done, and is spaced the same way when the caller
// records it with started()).
#include "actors/catalog/catalog.hpp"
#include "common/scalar_text.hpp"
#include "messages/statistics.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace grace::executor {

struct governance_settings {
  int breaker_failures = 3;             // consecutive failures that open a playbook's breaker
  int64_t breaker_open_ms = 30 * 60000; // then half-open: one trial run allowed
  int64_t approval_timeout_ms = 15 * 60000;
};

enum class verdict { run, dry_run, await_approval, refused };
std::string to_string(verdict v); // "run", "dry_run", "await_approval", "refused"

struct decision {
  verdict kind = verdict::refused;
  std::string rule;   // "", "kill_switch", "cooldown", "rate_limit", "circuit_breaker", "mode"
  std::string reason; // plain words naming playbook, target and numbers
};

enum class breaker_state { closed, open, half_open };
std::string to_string(breaker_state s); // "closed", "open", "half_open"

using common::format_duration;

class governor {
public:
  explicit governor(governance_settings s = {});

  const governance_settings& settings() const { return settings_; }

  // The verdict for running `pb` on `target` now (see the rule order above).
  // Every verdict other than `run` carries the rule and a reason; `run`
  // carries an empty rule and a short reason too.
  decision decide(const catalog::playbook_definition& pb, const std::string& target,
                  timestamp_ms now) const;
  // The same rules minus the mode: for a run an operator has just approved
  // (the kill switch, breaker, cooldown and rate limit are checked again, the
  // verdict is `run` or `refused`).
  decision decide_approved(const catalog::playbook_definition& pb, const std::string& target,
                           timestamp_ms now) const;

  // Of `playbooks`, in their order, those a run on `target` now would really
  // run, at once or once approved (verdict run or await_approval): not
  // refused, not only a dry run, and in the catalog. Whoever's pick was
  // refused asks again among these, so the next pick is not refused too.
  std::vector<std::string> runnable(const catalog::metrics_catalog& cat,
                                    const std::vector<std::string>& playbooks,
                                    const std::string& target, timestamp_ms now) const;

  // A run started: counts toward the cooldown of (playbook, target) and the
  // playbook's hourly rate; a run started on a half-open breaker is its trial
  // (a trial that has not finished after `breaker_open_ms` is taken as lost,
  // and another trial is allowed).
  void started(const std::string& playbook, const std::string& target, timestamp_ms now);
  // A run finished: success closes the playbook's breaker and resets its
  // failure count; failure counts toward opening it (and reopens a half-open
  // breaker at once).
  void finished(const std::string& playbook, bool success, timestamp_ms now);

  void set_kill_switch(bool engaged, const std::string& reason, timestamp_ms now);
  bool kill_switch() const { return kill_switch_; }
  const std::string& kill_switch_reason() const { return kill_reason_; }

  breaker_state breaker(const std::string& playbook, timestamp_ms now) const;
  int consecutive_failures(const std::string& playbook) const;
  // Runs of the playbook (any target) started in (now - 1 h, now].
  int runs_last_hour(const std::string& playbook, timestamp_ms now) const;

  // The kill switch, every breaker, runs per playbook and the settings.
  governance_status status(timestamp_ms now) const;

private:
  struct breaker_info {
    int failures = 0;            // consecutive
    bool opened = false;         // opened at least once since it last closed
    timestamp_ms open_until = 0; // end of the open period when `opened`
    bool trial_running = false;  // a half-open trial run has started
    timestamp_ms trial_started = 0;
  };

  decision check_rules(const catalog::playbook_definition& pb, const std::string& target,
                       timestamp_ms now) const;

  governance_settings settings_;
  bool kill_switch_ = false;
  std::string kill_reason_;
  timestamp_ms kill_since_ = 0;
  std::map<std::string, breaker_info> breakers_;
  std::map<std::pair<std::string, std::string>, timestamp_ms> last_start_; // (playbook, target)
  std::map<std::string, std::deque<timestamp_ms>> starts_; // per playbook, oldest first
};

// A run waiting for an operator's approval until `expires_at`. The executor
// passes wall-clock times here (a person's deadline is not sped up by the
// node's time scale).
struct pending_approval {
  std::string execution_id;
  std::string playbook;
  std::string target;
  timestamp_ms requested_at = 0;
  timestamp_ms expires_at = 0; // expired when now >= expires_at
};

class approval_queue {
public:
  // Adds a pending approval; one with the same execution id is replaced.
  void add(pending_approval p);
  // Removes and returns the approval; nullopt if unknown or expired (an
  // expired one is removed too).
  std::optional<pending_approval> take(const std::string& execution_id, timestamp_ms now);
  // Removes and returns the expired approvals, oldest request first.
  std::vector<pending_approval> expire(timestamp_ms now);
  // Everything still queued (expired or not), oldest request first.
  std::vector<pending_approval> pending() const;
  // Removes an approval without running it (rejected); false if unknown.
  bool remove(const std::string& execution_id);
  size_t size() const { return items_.size(); }

  // Every pending approval, oldest request first.
  std::vector<approval_status> status(timestamp_ms now) const;

private:
  std::map<std::string, pending_approval> items_;
};

} // namespace grace::executor
