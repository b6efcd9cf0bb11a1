#pragma once
// The notifier's settings: grace.yaml `alerting:` (see docs/configuration.md)
// fills the receivers and the resend interval; the node sets the link back.
#include <cstdint>
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

} // namespace grace
