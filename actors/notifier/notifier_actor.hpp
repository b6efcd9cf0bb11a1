#pragma once
// The notifier component: sends early warnings to Alertmanager (API v2) and
// to generic webhooks, re-sends open ones every resend interval (real time:
// Alertmanager's clock), and sends the resolution. Spawned detached: a POST
// blocks for up to its timeout.
#include "actors/notifier/notifier_settings.hpp"
#include "messages/actors.hpp"

#include <map>
#include <string>
#include <vector>

namespace grace {

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
