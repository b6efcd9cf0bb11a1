#pragma once
#include <caf/fwd.hpp>

namespace grace {

// Registers every message type, handle type and the error category. The node
// and every test configuration call this, so that all agree on the names.
void register_types(caf::actor_system_config& cfg);

} // namespace grace
