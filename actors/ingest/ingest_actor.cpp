#include "actors/ingest/ingest_actor.hpp"

#include "actors/supervisor/actor_lookup.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

namespace grace {

ingest_actor::behavior_type ingest_component(ingest_actor::stateful_pointer<ingest_state> self,
                                             supervisor_actor supervisor) {
  return {
      [=](atom::ingest, sample_batch& batch) -> uint64_t {
        auto& st = self->state;
        const auto n = static_cast<uint64_t>(batch.size());
        ++st.batches;
        st.samples += n;
        if (!batch.empty()) {
          auto source = batch.front().labels.find("source");
          st.samples_by_source[source == batch.front().labels.end() ? "push" : source->second] += n;
        }
        with_component<aggregator_actor>(
            self, supervisor, "aggregator",
            [=, b = std::move(batch)](aggregator_actor a) { self->send(a, atom::ingest_v, b); });
        return n;
      },
      [=](atom::status) -> std::string {
        const auto& st = self->state;
        return nlohmann::json{{"batches", st.batches},
                              {"samples", st.samples},
                              {"samples_by_source", st.samples_by_source}}
            .dump();
      },
  };
}

} // namespace grace
