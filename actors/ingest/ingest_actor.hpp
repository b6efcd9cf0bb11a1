#pragma once
// Ingest: the one entry for samples from every source (HTTP push, scrape,
// replay, simulator). Hands each batch to the aggregator, which writes the
// samples it takes to the sample log before answering, and counts them.
#include "messages/actors.hpp"

#include <map>
#include <string>

namespace grace {

struct ingest_state {
  static inline const char* name = "ingest";
  aggregator_actor aggregator; // cached; looked up again after a failed request
  uint64_t batches = 0;
  uint64_t samples = 0;                              // taken (durable)
  uint64_t rejected = 0;                             // refused by the aggregator (late, not finite)
  uint64_t failed = 0;                               // in batches that could not be written
  std::map<std::string, uint64_t> samples_by_source; // the "source" label
};

ingest_actor::behavior_type ingest_component(ingest_actor::stateful_pointer<ingest_state> self,
                                             supervisor_actor supervisor);

} // namespace grace
