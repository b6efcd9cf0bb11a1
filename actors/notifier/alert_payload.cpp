#include "actors/notifier/alert_payload.hpp"

#include "messages/json.hpp"

#include <cstdio>
#include <ctime>

namespace grace::notifier {

namespace {

std::string iso(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96]; // room for any int the fields could hold
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return text;
}

std::string number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

} // namespace

nlohmann::json alertmanager_alert(const early_warning& w, const alert_context& ctx) {
  const bool resolved = w.outcome != warning_outcome::open;
  nlohmann::json labels{{"alertname", "GracePredictedBreach"},
                        {"metric", w.metric_id},
                        {"service", w.service},
                        {"severity", to_string(w.severity)},
                        {"source", "grace"}};
  nlohmann::json annotations{
      {"summary", w.metric_id + " is predicted to breach its " + to_string(w.severity)
                      + " threshold (" + number(w.threshold) + ") at " + iso(w.expected_breach_at)},
      {"warning_id", w.id},
      {"predicted_value", number(w.predicted_value)},
      {"threshold", number(w.threshold)},
      {"breach_time", iso(w.expected_breach_at)},
      {"probability", number(w.probability)},
      {"lower_80", number(w.lo80)},
      {"upper_80", number(w.hi80)},
      {"raised_at", iso(w.raised_at)}};
  // Annotations are strings: no recommendation yet is no annotation, not "".
  if (!w.recommended_playbook.empty())
    annotations["recommended_playbook"] = w.recommended_playbook;
  if (resolved)
    annotations["outcome"] = to_string(w.outcome);
  nlohmann::json alert{
      {"labels", labels},
      {"annotations", annotations},
      {"startsAt", iso(ctx.first_sent_ms ? ctx.first_sent_ms : ctx.wall_now_ms)},
      {"endsAt", iso(resolved ? ctx.wall_now_ms : ctx.wall_now_ms + 3 * ctx.resend_interval_ms)}};
  if (!ctx.generator_url.empty())
    alert["generatorURL"] = ctx.generator_url;
  return alert;
}

nlohmann::json webhook_body(const early_warning& w) {
  // The warning in its one JSON form (messages/json.hpp).
  return {{"kind", "early_warning"},
          {"status", w.outcome == warning_outcome::open ? "firing" : "resolved"},
          {"warning", nlohmann::json(w)}};
}

std::string alerts_endpoint(const std::string& base_url) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base + "/api/v2/alerts";
}

} // namespace grace::notifier
