// Value types shared by the RL agent's pure core: what is asked, what is
// answered, and the one error type. No CAF here; the actor shell maps these
// onto messages and the HTTP layer onto JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace grace::rl {

/// Where a playbook is chosen: the seed learns one policy per (service, diagnosis).
struct context_key {
  std::string service;
  std::string diagnosis;

  /// One string form, used as a JSON object key and for logging.
  std::string to_string() const { return service + "|" + diagnosis; }
  friend bool operator<(const context_key& a, const context_key& b) {
    return a.service != b.service ? a.service < b.service : a.diagnosis < b.diagnosis;
  }
  friend bool operator==(const context_key& a, const context_key& b) {
    return a.service == b.service && a.diagnosis == b.diagnosis;
  }
};

/// A playbook the executor could run now, with its catalog risk tier
/// (1 = harmless ... 4 = disruptive).
struct candidate {
  std::string playbook;
  int risk_tier = 1;
};

/// One line of a recommendation: the learned score (posterior mean, or the
/// EMA value under greedy_ema) and the probability this playbook had of being
/// chosen.
struct ranked_playbook {
  std::string playbook;
  double score = 0.0;
  double probability = 0.0;
};

struct recommendation {
  std::string event_id;
  std::string chosen;
  double propensity = 0.0;             ///< probability `chosen` had of being chosen
  std::vector<ranked_playbook> ranked; ///< allowed candidates, best score first
  std::vector<std::string> excluded;   ///< candidates above the context's risk cap
};

/// What one learning step did, enough for the product description's log line
/// `[CAUSAL-RL] 📊 Learned: <playbook> → reward=… (trust_delta=…)`.
struct learn_result {
  context_key context;
  std::string playbook;
  double reward = 0.0;
  /// How far this outcome moved the agent's estimate of this playbook in this
  /// context (new estimate - old estimate).
  double trust_delta = 0.0;
  double value = 0.0; ///< the estimate after the step
  bool change_detected = false;
};

enum class error_code {
  invalid_argument,     ///< empty candidates, bad names, duplicate playbooks
  no_allowed_candidate, ///< every candidate is above the risk cap
  unknown_event,        ///< never issued here (or expired too long ago to remember)
  expired_event,        ///< issued, but expired unrewarded (pending_ttl or max_pending)
  already_rewarded,
  reward_out_of_range, ///< reward outside [-1, 1] or not finite
  corrupt_state,       ///< JSON snapshot that cannot be loaded
};

const char* to_string(error_code code);

/// Every rejection of the core; `code` lets the HTTP layer pick a status.
class rl_error : public std::runtime_error {
public:
  rl_error(error_code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  error_code code() const noexcept { return code_; }

private:
  error_code code_;
};

} // namespace grace::rl
