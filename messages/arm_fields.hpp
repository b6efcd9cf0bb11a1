#pragma once
// The stored fields of one playbook's statistics in a context, in one list:
// the agent's own export (rl::arm_statistics, actors/rl_agent/posterior.cpp)
// and the typed shard snapshot (playbook_arm_snapshot, messages/json.cpp)
// name their members alike and are written and read through this walker, so
// the two JSON forms cannot drift apart. `visit(name, member, required)`;
// the change-point and jump fields are absent from snapshots written before
// they existed (read as 0).
#include <cstdint>

namespace grace {

template <class Arm, class Visit> void arm_fields(Arm& a, Visit&& visit) {
  visit("weight", a.weight, true);
  visit("sum", a.sum, true);
  visit("sum_sq", a.sum_sq, true);
  visit("pulls", a.pulls, true);
  visit("ema_value", a.ema_value, true);
  visit("cusum_up", a.cusum_up, true);
  visit("cusum_down", a.cusum_down, true);
  visit("decoupled", a.decoupled, true);
  visit("last_step", a.last_step, false);
  visit("changed", a.changed, false);
  visit("since_weight", a.since_weight, false);
  visit("since_sum", a.since_sum, false);
  visit("since_sum_sq", a.since_sum_sq, false);
  visit("fired", a.fired, false);
  visit("fire_mean", a.fire_mean, false);
  visit("fire_se2", a.fire_se2, false);
  visit("jump_sq", a.jump_sq, false);
}

} // namespace grace
