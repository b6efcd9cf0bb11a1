#pragma once
// The RL agent component: owns the learner (actors/rl_agent/agent.hpp),
// resolves candidates and risk caps from the catalog, and logs and ledgers
// every learning step. Persistence: each reward is acknowledged once its
// experience row is stored; the snapshot (policies, replay buffer, counters)
// is written at most once per snapshot_delay. Pending events and expired ids
// are stored apart, as rows of their own (<state_key>.pending,
// <state_key>.expired) written as they change, at most once per
// event_rows_delay. At start the stored
// experiences the snapshot missed are learned again (agent::recover).
#include "actors/clock/node_clock.hpp"
#include "actors/rl_agent/agent.hpp"
#include "messages/actors.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace grace {

struct rl_agent_settings {
  node_clock clock;
  rl::agent_config agent;
  std::string state_key = "rl_agent"; // storage key of the snapshot
  // Real time from a change to the snapshot that holds it; changes within it
  // share one write (a snapshot is ~1 MB with a full replay buffer).
  std::chrono::milliseconds snapshot_delay{2000};
  // Real time from a change of the pending events (every recommendation) to
  // their rows being written: short, so that each write is small and a crash
  // loses little.
  std::chrono::milliseconds event_rows_delay{100};
  // In a cluster: event ids end with their context's shard ("-s<shard>"),
  // so that a reward finds the owner (actors/cluster/reward_ledger.hpp).
  bool shard_event_ids = false;
};

struct rl_agent_state {
  static inline const char* name = "rl_agent";
  rl_agent_settings settings;
  std::unique_ptr<rl::agent> agent;
  bool restored = false;       // started from a stored snapshot
  std::string restore_problem; // why a stored snapshot was not used
  uint64_t snapshots_saved = 0;
  uint64_t recovered = 0;      // stored outcomes learned again at start
  bool dirty = false;          // changed since the last snapshot was taken
  bool save_scheduled = false; // an atom::save is on its way
  bool rows_scheduled = false; // an atom::flush (event rows) is on its way
  // Saves wait for the stored state to be read: a fresh agent never
  // overwrites it.
  bool saving = false;
  uint64_t event_rows_saved = 0; // writes of pending-event rows
  // Stored pending-event rows restore_events() could not use: erased with
  // the next save.
  std::vector<std::string> unusable_event_rows;
  // The stored rows are unknown (a write failed, or the snapshot held the
  // events): the next save replaces them all.
  bool rewrite_event_rows = false;
  // The live catalog as last read, and when (real time): recommend checks
  // against it for a second instead of asking the catalog every request.
  catalog_ref catalog;
  std::chrono::steady_clock::time_point catalog_read_at;
};

rl_agent_actor::behavior_type
rl_agent_component(rl_agent_actor::stateful_pointer<rl_agent_state> self,
                   supervisor_actor supervisor, rl_agent_settings settings);

} // namespace grace
