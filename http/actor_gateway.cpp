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
    case errc::gone:
      return {410, describe(e)};
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

namespace {
constexpr auto cache_ttl = std::chrono::seconds(1);
} // namespace

std::optional<caf::actor> actor_gateway::lookup(const std::string& name, gateway_failure& failure) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> guard{cache_mutex_};
    auto it = handles_.find(name);
    if (it != handles_.end() && now - it->second.at < cache_ttl)
      return it->second.handle;
  }
  std::optional<caf::actor> out;
  caf::scoped_actor self{*sys_};
  self->request(supervisor_, timeout_, atom::get_v, name)
      .receive([&](caf::actor& a) { out = std::move(a); },
               [&](caf::error& e) { failure = to_failure(e); });
  if (out) {
    std::lock_guard<std::mutex> guard{cache_mutex_};
    handles_[name] = {*out, now};
  }
  return out;
}

void actor_gateway::forget(const std::string& name) {
  std::lock_guard<std::mutex> guard{cache_mutex_};
  handles_.erase(name);
}

std::optional<catalog_ref> actor_gateway::recent_catalog(gateway_failure& failure) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> guard{cache_mutex_};
    if (catalog_ && now - catalog_at_ < cache_ttl)
      return catalog_;
  }
  auto fresh = ask<catalog_ref, catalog_actor>("catalog", failure, atom::get_v);
  if (fresh) {
    std::lock_guard<std::mutex> guard{cache_mutex_};
    catalog_ = *fresh;
    catalog_at_ = now;
  }
  return fresh;
}

std::optional<std::shared_ptr<const std::string>>
actor_gateway::latest_snapshots_body(gateway_failure& failure) {
  return latest_.get(failure, [this](gateway_failure& f) {
    std::optional<std::shared_ptr<const std::string>> body;
    if (auto rows = ask<std::vector<snapshot>, storage_actor>("storage", f, atom::latest_v))
      body = latest_body_.body_for(std::move(*rows));
    return body;
  });
}

bool actor_gateway::ready(gateway_failure& failure) {
  bool out = false;
  caf::scoped_actor self{*sys_};
  self->request(supervisor_, timeout_, atom::ready_v)
      .receive([&](bool r) { out = r; }, [&](caf::error& e) { failure = to_failure(e); });
  return out;
}

std::optional<supervisor_status> actor_gateway::components(gateway_failure& failure) {
  std::optional<supervisor_status> out;
  caf::scoped_actor self{*sys_};
  self->request(supervisor_, timeout_, atom::status_v)
      .receive([&](supervisor_status& s) { out = std::move(s); },
               [&](caf::error& e) { failure = to_failure(e); });
  return out;
}

} // namespace grace::http
