#pragma once
// What the simulator reports as it runs, for `[SIMULATOR] ...` log lines and
// the node's evaluation: incidents starting, peaking, recovering, resolving,
// and playbooks being applied.
#include <cstdint>
#include <string>

namespace grace::simulator {

enum class event_kind : uint8_t {
  incident_started = 0,
  incident_peaked = 1,
  incident_recovering = 2,
  incident_resolved = 3,
  playbook_applied = 4
};

inline std::string to_string(event_kind k) {
  switch (k) {
  case event_kind::incident_started:
    return "incident_started";
  case event_kind::incident_peaked:
    return "incident_peaked";
  case event_kind::incident_recovering:
    return "incident_recovering";
  case event_kind::incident_resolved:
    return "incident_resolved";
  case event_kind::playbook_applied:
    return "playbook_applied";
  }
  return "unknown";
}

struct simulator_event {
  int64_t ts = 0; // when it happened (simulated time, ms)
  event_kind kind = event_kind::incident_started;
  std::string incident_id; // empty for a playbook that met no incident
  std::string incident_type;
  std::string message; // one human-readable line, without the [SIMULATOR] tag
};

} // namespace grace::simulator
