#pragma once
// Operations routes: early warnings, playbooks, executions, approvals and the
// kill switch.
#include "http/actor_gateway.hpp"
#include "http/router.hpp"

#include <httplib.h>
#include <optional>
#include <string>

namespace grace::http {

struct kill_switch_request {
  bool engaged = false;
  std::string reason;
};

// {"engaged": true, "reason": "..."}; the reason is required (it is recorded).
std::optional<kill_switch_request> parse_kill_switch_body(const std::string& body,
                                                          std::string& error);

// `cluster`: the warnings view merges every member's (docs/cluster.md).
void install_operations_routes(router& server, actor_gateway& gateway, bool cluster = false);

} // namespace grace::http
