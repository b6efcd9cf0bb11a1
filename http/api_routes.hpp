#pragma once
// The REST routes. Each handler asks the owning actor through the gateway and
// maps the answer to JSON; nothing here holds component state.
#include "http/actor_gateway.hpp"
#include "http/router.hpp"

#include <cstdint>
#include <httplib.h>
#include <string>

namespace grace::http {

// The node's own routes: health, readiness, status and the catalog.
void install_routes(router& server, actor_gateway& gateway);

// For a GET route that creates state: true when no token is configured or the
// request carries it; otherwise answers 401 and returns false.
bool require_token(const httplib::Request& req, httplib::Response& res, const std::string& token);

} // namespace grace::http
