#include "actors/ingest/replay_actor.hpp"

#include "actors/supervisor/supervisor_actor_lookup.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

replay_actor::behavior_type replay_component(replay_actor::stateful_pointer<replay_state> self,
                                             supervisor_actor supervisor, node_clock clock,
                                             std::string path, std::string metric_id,
                                             std::string sink) {
  try {
    self->state.cursor =
        std::make_unique<ingest::replay_cursor>(metric_id, ingest::read_csv_series_file(path).rows);
  } catch (const std::exception& e) {
    self->quit(make_error(errc::startup_failed, std::string("cannot replay: ") + e.what()));
    return replay_actor::behavior_type::make_empty_behavior();
  }
  self->state.path = path;
  spdlog::info("[REPLAY] ▶️ Replaying {} rows of {} as {}", self->state.cursor->total(), path,
               metric_id);
  constexpr int64_t tick_ms = 60000;
  self->delayed_send(self, clock.real_delay(tick_ms), atom::tick_v);
  return {
      [=](atom::tick) {
        auto& cursor = *self->state.cursor;
        auto now = clock.actor_now_ms(self);
        auto batch = cursor.take_until(now);
        if (!batch.empty())
          with_component<sample_sink_actor>(
              self, supervisor, sink, [=, b = std::move(batch)](sample_sink_actor i) {
                self->request(i, std::chrono::seconds(10), atom::ingest_v, b)
                    .then([](const ingest_receipt&) {}, [](caf::error&) {});
              });
        if (cursor.finished()) {
          spdlog::info("[REPLAY] ✅ Finished: {} samples replayed", cursor.replayed());
          return;
        }
        self->delayed_send(self, clock.real_delay(tick_ms), atom::tick_v);
      },
      [=](atom::status) -> replay_status {
        const auto& c = *self->state.cursor;
        return {self->state.path, c.metric_id(), c.replayed(), c.total(), c.finished()};
      },
  };
}

} // namespace grace
