#include "http/actor_gateway.hpp"

#include <caf/sec.hpp>

namespace grace::http {

gateway_failure to_failure(const caf::error& e) {
  if (e.category() == error_category()) {
    switch (static_cast<errc>(e.code())) {
    case errc::invalid_input:
      return {400, describe(e)};
    case errc::not_found:
      return {404, describe(e)};
    case errc::conflict:
      return {409, describe(e)};
    case errc::unavailable:
      return {503, describe(e)};
    default:
      return {500, describe(e)};
    }
  }
  if (e == caf::sec::request_timeout)
    return {504, "the component did not answer in time"};
  if (e == caf::sec::request_receiver_down)
    return {503, "the component is down (restarting)"};
  return {500, describe(e)};
}

std::optional<caf::actor> actor_gateway::lookup(const std::string& name, gateway_failure& failure) {
  std::optional<caf::actor> out;
  caf::scoped_actor self{*sys_};
  self->request(supervisor_, timeout_, atom::get_v, name)
      .receive([&](caf::actor& a) { out = std::move(a); },
               [&](caf::error& e) { failure = to_failure(e); });
  return out;
}

bool actor_gateway::ready(gateway_failure& failure) {
  bool out = false;
  caf::scoped_actor self{*sys_};
  self->request(supervisor_, timeout_, atom::ready_v)
      .receive([&](bool r) { out = r; }, [&](caf::error& e) { failure = to_failure(e); });
  return out;
}

std::optional<std::string> actor_gateway::supervisor_status(gateway_failure& failure) {
  std::optional<std::string> out;
  caf::scoped_actor self{*sys_};
  self->request(supervisor_, timeout_, atom::status_v)
      .receive([&](std::string& s) { out = std::move(s); },
               [&](caf::error& e) { failure = to_failure(e); });
  return out;
}

} // namespace grace::http
