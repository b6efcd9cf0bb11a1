#include "actors/notifier/notifier_actor.hpp"

#include "actors/executor/webhook_client.hpp"
#include "actors/notifier/alert_payload.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_pointer = notifier_actor::stateful_pointer<notifier_state>;

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void post(self_pointer self, const std::string& url, const std::string& body) {
  auto& st = self->state;
  auto r = executor::post_webhook(url, {}, body, st.settings.timeout_ms, st.settings.retries);
  if (r.ok) {
    ++st.sent;
    return;
  }
  ++st.failures;
  st.last_error = url + ": " + r.error;
  spdlog::warn("[INCIDENT-PREDICT] ⚠️ Alert not delivered to {}: {}", url, r.error);
}

void send_alerts(self_pointer self, const std::vector<early_warning>& warnings) {
  auto& st = self->state;
  if (warnings.empty() || st.settings.alertmanagers.empty())
    return;
  const int64_t now = wall_ms();
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& w : warnings) {
    auto& first = st.first_sent[w.id];
    if (first == 0)
      first = now;
    alerts.push_back(notifier::alertmanager_alert(
        w, {now, first, st.settings.resend_interval_ms, st.settings.generator_url}));
  }
  const auto body = alerts.dump();
  for (const auto& base : st.settings.alertmanagers)
    post(self, notifier::alerts_endpoint(base), body);
}

} // namespace

notifier_actor::behavior_type
notifier_component(notifier_actor::stateful_pointer<notifier_state> self,
                   notifier_settings settings) {
  self->state.settings = std::move(settings);
  self->delayed_send(self, std::chrono::milliseconds(self->state.settings.resend_interval_ms),
                     atom::tick_v);
  return {
      [=](atom::notify, const early_warning& w) {
        auto& st = self->state;
        send_alerts(self, {w});
        const auto body = notifier::webhook_body(w).dump();
        for (const auto& url : st.settings.webhooks)
          post(self, url, body);
        if (w.outcome == warning_outcome::open) {
          st.open[w.id] = w;
        } else {
          st.open.erase(w.id);
          st.first_sent.erase(w.id);
        }
      },
      [=](atom::tick) {
        std::vector<early_warning> open;
        for (const auto& [id, w] : self->state.open)
          open.push_back(w);
        send_alerts(self, open);
        self->delayed_send(self, std::chrono::milliseconds(self->state.settings.resend_interval_ms),
                           atom::tick_v);
      },
      [=](atom::status) -> notifier_status {
        const auto& st = self->state;
        return {st.settings.alertmanagers,
                st.settings.webhooks.size(),
                st.open.size(),
                st.sent,
                st.failures,
                st.last_error};
      },
  };
}

} // namespace grace
