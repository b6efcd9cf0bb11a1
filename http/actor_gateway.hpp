#pragma once
// Synchronous requests from HTTP worker threads into the actor system: look
// the owning component up at the supervisor (so a restarted component is found
// again), ask it with a timeout, and turn failures into HTTP status codes.
#include "http/coalesced_read.hpp"
#include "http/rendered_snapshots.hpp"
#include "messages/actors.hpp"
#include "messages/errors.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace grace::http {

struct gateway_failure {
  int status = 500;
  std::string message;
};

// 400 invalid_input, 404 not_found, 409 conflict, 503 unavailable or a
// component that is down, 504 request timeout, 500 anything else.
gateway_failure to_failure(const caf::error& e);

class actor_gateway {
public:
  actor_gateway(caf::actor_system& sys, supervisor_actor supervisor,
                std::chrono::milliseconds timeout)
      : sys_(&sys), supervisor_(std::move(supervisor)), timeout_(timeout) {}

  // Asks the component `name` (a Handle) and returns its one result, or the
  // failure to report.
  template <class Result, class Handle, class... Ts>
  std::optional<Result> ask(const std::string& name, gateway_failure& failure, Ts&&... xs) {
    auto handle = lookup(name, failure);
    if (!handle)
      return std::nullopt;
    std::optional<Result> out;
    caf::scoped_actor self{*sys_};
    // The deadline is this thread's own wait (after), not a timeout in CAF's
    // clock: that would wake the clock's thread once per request. An answer
    // after the deadline goes with the scoped actor.
    const auto id =
        self->request(caf::actor_cast<Handle>(*handle), caf::infinite, std::forward<Ts>(xs)...)
            .id();
    caf::blocking_actor::accept_one_cond one_answer;
    self->varargs_receive(
        one_answer, id, [&](Result& r) { out = std::move(r); },
        [&](caf::error& e) {
          failure = to_failure(e);
          if (e == caf::sec::request_receiver_down)
            forget(name);
        },
        caf::after(timeout_) >> [&] { failure = to_failure(caf::sec::request_timeout); });
    return out;
  }

  // As ask, for a component that answers two values (a cluster component
  // answers with the node that answered).
  template <class Result, class Extra, class Handle, class... Ts>
  std::optional<std::pair<Result, Extra>> ask_pair(const std::string& name,
                                                   gateway_failure& failure, Ts&&... xs) {
    auto handle = lookup(name, failure);
    if (!handle)
      return std::nullopt;
    std::optional<std::pair<Result, Extra>> out;
    caf::scoped_actor self{*sys_};
    self->request(caf::actor_cast<Handle>(*handle), timeout_, std::forward<Ts>(xs)...)
        .receive([&](Result& r, Extra& x) { out.emplace(std::move(r), std::move(x)); },
                 [&](caf::error& e) {
                   failure = to_failure(e);
                   if (e == caf::sec::request_receiver_down)
                     forget(name);
                 });
    return out;
  }

  // The live catalog, at most one second old: the hot push path validates
  // against it without asking the catalog component for every batch.
  std::optional<catalog_ref> recent_catalog(gateway_failure& failure);

  // The JSON body of GET /api/snapshots/latest: the latest snapshot of every
  // metric (storage), read once for all callers waiting at the same time
  // (coalesced_read) and rendered again only when the rows changed.
  std::optional<std::shared_ptr<const std::string>> latest_snapshots_body(gateway_failure& failure);

  // The component's handle; cached for a second (a handle found dead is
  // forgotten at once, so a restarted component is found again).
  std::optional<caf::actor> lookup(const std::string& name, gateway_failure& failure);
  void forget(const std::string& name);

  caf::actor_system& system() { return *sys_; }

  bool ready(gateway_failure& failure);

  // The supervisor's status: every component, up or not, and its restarts.
  std::optional<supervisor_status> components(gateway_failure& failure);

private:
  struct cached_handle {
    caf::actor handle;
    std::chrono::steady_clock::time_point at;
  };

  caf::actor_system* sys_;
  supervisor_actor supervisor_;
  std::chrono::milliseconds timeout_;
  std::mutex cache_mutex_;
  std::map<std::string, cached_handle> handles_;
  catalog_ref catalog_;
  std::chrono::steady_clock::time_point catalog_at_;
  coalesced_read<std::shared_ptr<const std::string>, gateway_failure> latest_;
  rendered_snapshots latest_body_; // used inside latest_'s read only (one at a time)
};

} // namespace grace::http
