#include "actors/ingest/ingest_actor.hpp"

#include "actors/supervisor/supervisor_actor_lookup.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>

namespace grace {

namespace {

using self_ptr = ingest_actor::stateful_pointer<ingest_state>;

// Longer than the aggregator's own wait for the sample log.
constexpr auto aggregator_timeout = std::chrono::seconds(15);

} // namespace

ingest_actor::behavior_type ingest_component(ingest_actor::stateful_pointer<ingest_state> self,
                                             supervisor_actor supervisor) {
  return {
      [=](atom::ingest, sample_batch& batch) -> caf::result<ingest_receipt> {
        auto& st = self->state;
        ++st.batches;
        std::string source = "push";
        if (!batch.empty()) {
          auto it = batch.front().labels.find("source");
          if (it != batch.front().labels.end())
            source = it->second;
        }
        const auto size = static_cast<uint64_t>(batch.size());
        auto promise = std::make_shared<caf::typed_response_promise<ingest_receipt>>(
            self->make_response_promise<ingest_receipt>());
        auto shared = std::make_shared<sample_batch>(std::move(batch));
        auto failed = [=](const caf::error& e) {
          self->state.aggregator = nullptr;
          self->state.failed += size;
          promise->deliver(e);
        };
        auto send = [=](aggregator_actor a) {
          self->request(a, aggregator_timeout, atom::ingest_v, std::move(*shared))
              .then(
                  [=](ingest_receipt& r) {
                    auto& st = self->state;
                    st.samples += r.accepted;
                    st.rejected += r.rejected.size();
                    st.samples_by_source[source] += r.accepted;
                    promise->deliver(std::move(r));
                  },
                  [=](caf::error& e) { failed(e); });
        };
        if (st.aggregator)
          send(st.aggregator);
        else
          with_component_or<aggregator_actor>(
              self, supervisor, "aggregator",
              [=](aggregator_actor a) {
                self->state.aggregator = a;
                send(a);
              },
              failed);
        return *promise;
      },
      [=](atom::status) -> ingest_status {
        const auto& st = self->state;
        return {st.batches, st.samples, st.rejected, st.failed, st.samples_by_source};
      },
  };
}

} // namespace grace
