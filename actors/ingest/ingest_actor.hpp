#pragma once
// Ingest: the one entry for samples from every source (HTTP push, scrape,
// replay, simulator); counts them and hands them to the aggregator.
#include "messages/actors.hpp"

#include <map>
#include <string>

namespace grace {

struct ingest_state {
  static inline const char* name = "ingest";
  uint64_t batches = 0;
  uint64_t samples = 0;
  std::map<std::string, uint64_t> samples_by_source; // the "source" label
};

ingest_actor::behavior_type ingest_component(ingest_actor::stateful_pointer<ingest_state> self,
                                             supervisor_actor supervisor);

} // namespace grace
