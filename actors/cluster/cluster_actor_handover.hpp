#pragma once
// Snapshot handover (the cluster component's CAF shell for it, beside
// cluster_actor.cpp): the owner of a shard sends its metrics' snapshots to
// the shard's next owner, which stores them through its storage component.
// What is due to whom is decided by snapshot_handover.hpp.
#include "actors/cluster/cluster_actor_routing.hpp"

namespace grace {

// Sends the snapshots due to the next owners of the shards this node serves
// (a few metrics per call; one round at a time).
void hand_over_snapshots(cluster_self self);

// Checks and stores a handover received from a shard's owner; answers how
// many snapshots were new here.
void receive_handover(cluster_self self, snapshot_handover handover, shared_promise<uint64_t> rp);

// Handover from a live owner: sends the history of the shards this node
// releases (a member now preferred for them) to that member, and releases
// each once its history is in there or the bounded wait has passed
// (release_handover in snapshot_handover.hpp decides).
void advance_releases(cluster_self self);

} // namespace grace
