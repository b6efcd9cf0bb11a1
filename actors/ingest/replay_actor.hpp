#pragma once
// CSV replay as a source (grace-node run --replay FILE --metric ID): every
// virtual minute it sends the rows virtual time has reached to ingest (in a
// cluster to the cluster component, `sink`, which sends them to the metric's
// owner). The node's virtual clock starts at the file's first timestamp.
#include "actors/clock/node_clock.hpp"
#include "actors/ingest/replay_cursor.hpp"
#include "messages/actors.hpp"

#include <memory>

namespace grace {

struct replay_state {
  static inline const char* name = "replay";
  std::unique_ptr<ingest::replay_cursor> cursor;
  std::string path;
};

replay_actor::behavior_type replay_component(replay_actor::stateful_pointer<replay_state> self,
                                             supervisor_actor supervisor, node_clock clock,
                                             std::string path, std::string metric_id,
                                             std::string sink = "ingest");

} // namespace grace
