// What a pick the executor did not run means for the next ask (pure; the
// predictor actor sends the messages).
//
// A recommendation the executor refused (cooldown, rate limit, breaker), only
// described (dry run) or that nobody approved was never acted on: its reward
// would say nothing about the playbook, so the agent's event is withdrawn
// rather than left pending until it expires. While the incident matters the
// agent is asked again, among the metric's playbooks the executor would run
// on the service now only, so the next pick is not refused too; that ask has
// its own event, with a propensity exact for the reduced candidates.
#pragma once

#include "messages/types.hpp"

#include <string>
#include <vector>

namespace grace::predictor {

/// True for the states of a pick that was not acted on and never will be:
/// its event is withdrawn (pending_approval is not one: it may still run).
bool pick_not_acted_on(execution_state state);

/// The playbooks to leave out of the next ask: those left out so far (the
/// refused pick among them) and every one of the metric's that the executor
/// would not run now (`runnable`: those it would). Keeps `left_out`'s order,
/// then the metric's; no duplicates.
std::vector<std::string> left_out_after_refusal(const std::vector<std::string>& metric_playbooks,
                                                const std::vector<std::string>& runnable,
                                                std::vector<std::string> left_out);

} // namespace grace::predictor
