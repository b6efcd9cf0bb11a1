#pragma once
// The notifier component: sends early warnings to Alertmanager (API v2) and
// to generic webhooks, re-sends open ones every resend interval (real time:
// Alertmanager's clock), and sends the resolution. Spawned detached: a POST
// blocks for up to its timeout.
#include "messages/actors.hpp"

#include <map>
#include <string>
#include <vector>

namespace grace {

struct notifier_settings {
  std::vector<std::string> alertmanagers; // base URLs, e.g. http://127.0.0.1:9093
  std::vector<std::string> webhooks;      // URLs receiving a JSON POST per change
  int64_t resend_interval_ms = 60000;     // real time
  int64_t timeout_ms = 5000;
  int retries = 2;
  std::string generator_url; // link back, e.g. http://127.0.0.1:8000/api/predictions/warnings
};

struct notifier_state {
  static inline const char* name = "notifier";
  notifier_settings settings;
  std::map<std::string, early_warning> open; // by warning id
  std::map<std::string, int64_t> first_sent; // wall ms, by warning id
  uint64_t sent = 0;
  uint64_t failures = 0;
  std::string last_error;
};

notifier_actor::behavior_type
notifier_component(notifier_actor::stateful_pointer<notifier_state> self,
                   notifier_settings settings);

} // namespace grace
