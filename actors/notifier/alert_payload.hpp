#pragma once
// Early warnings in Alertmanager's API v2 form (POST /api/v2/alerts) and as a
// generic webhook body. No CAF, no I/O.
#include "messages/types.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace grace::notifier {

struct alert_context {
  int64_t wall_now_ms = 0;   // Alertmanager judges startsAt/endsAt by its own (real) clock
  int64_t first_sent_ms = 0; // wall time the warning was first sent (startsAt)
  int64_t resend_interval_ms = 60000;
  std::string generator_url; // link back to the node's warnings
};

// One alert: labels alertname, metric, service, severity (and source="grace");
// annotations with the predicted value, breach time, probability, 80% bounds,
// threshold and the recommended playbook (virtual times, ISO 8601). An open
// warning's endsAt lies three resend intervals ahead (re-sent while open, it
// never lapses; if the node dies, it resolves itself); a resolved one ends now.
nlohmann::json alertmanager_alert(const early_warning& w, const alert_context& ctx);

// The body of a generic webhook: {"kind": "early_warning", "status":
// "firing"|"resolved", "warning": {...}}.
nlohmann::json webhook_body(const early_warning& w);

// "http://host:9093" + "/api/v2/alerts"; trailing slashes tolerated.
std::string alerts_endpoint(const std::string& base_url);

} // namespace grace::notifier
