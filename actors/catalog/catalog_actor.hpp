#pragma once
// The catalog component: owns the live catalog and swaps in a new one on
// reload only when the new file validates completely.
#include "actors/catalog/catalog.hpp"
#include "messages/actors.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace grace {

struct catalog_state {
  static inline const char* name = "catalog";
  std::string path;
  catalog_ref current;
  uint64_t generation = 0;
  uint64_t refused_reloads = 0;
  std::vector<std::string> last_errors; // of the last refused reload
};

// Loads `path` at start; a catalog that does not validate stops the actor with
// errc::startup_failed (the node checks the file before it spawns this).
catalog_actor::behavior_type catalog_component(catalog_actor::stateful_pointer<catalog_state> self,
                                               std::string path);

} // namespace grace
