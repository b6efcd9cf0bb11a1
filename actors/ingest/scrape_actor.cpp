#include "actors/ingest/scrape_actor.hpp"

#include "actors/supervisor/supervisor_actor_lookup.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_ptr = scrape_actor::stateful_pointer<scrape_state>;

// Splits "http://host:port/path?q" into "http://host:port" and "/path?q".
std::pair<std::string, std::string> split_url(const std::string& url) {
  auto scheme_end = url.find("://");
  auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos)
    return {url, "/metrics"};
  return {url.substr(0, path_start), url.substr(path_start)};
}

// One scrape; returns the error in plain words, empty on success.
std::string scrape_once(self_ptr self, const supervisor_actor& supervisor,
                        scrape_target_state& target, int64_t now_ms) {
  auto [base, path] = split_url(target.spec.url);
  httplib::Client client(base);
  const auto timeout = std::chrono::milliseconds(target.spec.timeout_ms);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  auto res = client.Get(path.c_str());
  if (!res)
    return "cannot reach " + target.spec.url + ": " + httplib::to_string(res.error());
  if (res->status != 200)
    return target.spec.url + " answered HTTP " + std::to_string(res->status);
  ingest::exposition page;
  try {
    page = ingest::parse_prometheus_text(res->body);
  } catch (const std::exception& e) {
    return target.spec.url + " served an invalid exposition: " + e.what();
  }
  auto mapped = target.mapper.map(page.samples, now_ms);
  target.unmatched += mapped.unmatched;
  target.samples += mapped.samples.size();
  for (auto& s : mapped.samples)
    s.labels["source"] = "scrape";
  if (!mapped.samples.empty())
    with_component<sample_sink_actor>(self, supervisor, self->state.sink,
                                      [=, b = std::move(mapped.samples)](sample_sink_actor i) {
                                        self->request(i, std::chrono::seconds(10), atom::ingest_v,
                                                      b)
                                            .then([](const ingest_receipt&) {}, [](caf::error&) {});
                                      });
  return {};
}

} // namespace

scrape_actor::behavior_type scrape_component(scrape_actor::stateful_pointer<scrape_state> self,
                                             supervisor_actor supervisor, node_clock clock,
                                             std::vector<ingest::scrape_target> targets,
                                             std::string sink) {
  self->state.sink = std::move(sink);
  for (auto& t : targets) {
    ingest::series_mapper mapper(t.mappings);
    scrape_target_state target{std::move(t), std::move(mapper), 0, 0, 0, 0, 0, 0, {}};
    self->state.targets.push_back(std::move(target));
  }
  spdlog::info("[SCRAPE] 🔭 Scraping {} target(s)", self->state.targets.size());
  constexpr int64_t tick_ms = 1000; // virtual; each target keeps its own interval
  self->send(self, atom::tick_v);
  return {
      [=](atom::tick) {
        const int64_t now = clock.actor_now_ms(self);
        for (auto& target : self->state.targets) {
          if (now < target.next_due_ms)
            continue;
          target.next_due_ms = now + target.spec.interval_ms;
          ++target.scrapes;
          auto error = scrape_once(self, supervisor, target, now);
          if (error.empty()) {
            if (target.consecutive_failures > 0)
              spdlog::info("[SCRAPE] ✅ {} is back after {} failed scrapes", target.spec.name,
                           target.consecutive_failures);
            target.consecutive_failures = 0;
            continue;
          }
          ++target.failures;
          // Log the first failure of a streak and then every 10th, not every one.
          if (target.consecutive_failures++ % 10 == 0)
            spdlog::warn("[SCRAPE] ⚠️ {}: {}", target.spec.name, error);
          target.last_error = error;
        }
        self->delayed_send(self, clock.real_delay(tick_ms), atom::tick_v);
      },
      [=](atom::status) -> scrape_status {
        scrape_status out;
        for (const auto& t : self->state.targets)
          out.targets.push_back({t.spec.name, t.spec.url, t.scrapes, t.failures, t.samples,
                                 t.unmatched, t.last_error});
        return out;
      },
  };
}

} // namespace grace
