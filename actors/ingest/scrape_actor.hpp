#pragma once
// Scraping Prometheus endpoints. Runs detached (on its own thread), because an
// HTTP GET blocks: a target that is slow or down never stalls other actors.
// A target that is down or serves garbage is logged and counted; the node
// goes on.
#include "actors/clock/node_clock.hpp"
#include "actors/ingest/scrape_target.hpp"
#include "messages/actors.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace grace {

struct scrape_target_state {
  ingest::scrape_target spec;
  ingest::series_mapper mapper;
  int64_t next_due_ms = 0; // virtual
  uint64_t scrapes = 0;
  uint64_t failures = 0;
  uint64_t consecutive_failures = 0;
  uint64_t samples = 0;
  uint64_t unmatched = 0;
  std::string last_error;
};

struct scrape_state {
  static inline const char* name = "scrape";
  std::vector<scrape_target_state> targets;
  std::string sink = "ingest"; // the component the samples go to
};

// The samples go to the component named `sink` (a sample_sink_actor:
// "ingest", or "cluster" on a cluster node).
scrape_actor::behavior_type scrape_component(scrape_actor::stateful_pointer<scrape_state> self,
                                             supervisor_actor supervisor, node_clock clock,
                                             std::vector<ingest::scrape_target> targets,
                                             std::string sink = "ingest");

} // namespace grace
