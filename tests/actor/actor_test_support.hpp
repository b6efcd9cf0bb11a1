#pragma once
// Shared pieces of the actor protocol tests, on CAF's test coordinator
// fixture (caf/test/dsl.hpp, included here with the FAIL it needs).
#ifndef FAIL
// dsl.hpp in 0.17.6 uses a one-argument FAIL it never defines.
#define FAIL(...) CAF_FAIL(__VA_ARGS__)
#endif
// clang-format off
#include <caf/test/dsl.hpp>
// clang-format on
#include "actors/clock/node_clock.hpp"
#include "actors/supervisor/supervisor_actor.hpp"
#include "messages/register_types.hpp"

#include <caf/actor_system_config.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace grace::testing {

struct test_config : caf::actor_system_config {
  test_config() { register_types(*this); }
};

inline std::string source_dir() {
  const char* dir = std::getenv("GRACE_SOURCE_DIR");
  return dir ? dir : ".";
}

// A component spawned linked to the supervisor.
template <class F, class... Ts> component_spec spec(std::string name, F behavior, Ts... args) {
  return {std::move(name), [=](caf::local_actor* self, const supervisor_actor&) {
            return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(behavior, args...));
          }};
}

// A component that finds its peers through the supervisor.
template <class F, class... Ts> component_spec peer_spec(std::string name, F behavior, Ts... args) {
  return {std::move(name), [=](caf::local_actor* self, const supervisor_actor& sup) {
            return caf::actor_cast<caf::actor>(self->spawn<caf::linked>(behavior, sup, args...));
          }};
}

// A temporary data directory, a node clock over CAF's test clock (one virtual
// minute per real second from 2025-11-09T00:00:00Z) and request helpers. The
// periodic ticks re-arm themselves, so run() would never return: requests
// only process messages (sched.run()), and time moves by pass_virtual().
struct virtual_time_fixture : test_coordinator_fixture<test_config> {
  std::filesystem::path temp;
  node_clock clock;
  supervisor_actor sup;

  explicit virtual_time_fixture(const char* name) {
    std::string pattern = std::string("/tmp/grace-") + name + "-XXXXXX";
    temp = mkdtemp(pattern.data());
    clock.scale = 60;
    clock.virtual_origin_ms = 1'762'646'400'000;
    clock.real_origin_ns = sys.clock().now().time_since_epoch().count();
    clock.wall_origin_ms = 1'762'650'000'000; // another time than virtual: never mixed up
  }

  ~virtual_time_fixture() {
    if (sup) {
      caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
      sched.run();
    }
    std::error_code ec;
    std::filesystem::remove_all(temp, ec);
  }

  int64_t now() { return clock.virtual_now_ms(sys.clock().now().time_since_epoch().count()); }
  int64_t wall_now() { return clock.wall_now_ms(sys.clock().now().time_since_epoch().count()); }

  template <class T, class Handle, class... Ts> T ask(Handle h, Ts... xs) {
    auto answer = self->request(h, caf::infinite, xs...);
    sched.run();
    T out{};
    answer.receive([&](T& x) { out = std::move(x); },
                   [&](caf::error& e) { CAF_FAIL("request failed: " << sys.render(e)); });
    return out;
  }

  template <class T, class Handle, class... Ts> caf::error ask_error(Handle h, Ts... xs) {
    auto answer = self->request(h, caf::infinite, xs...);
    sched.run();
    caf::error out;
    answer.receive([&](T&) { CAF_FAIL("request should have failed"); },
                   [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  // The live handle of a component of `sup`.
  template <class Handle> Handle component(const std::string& name) {
    return caf::actor_cast<Handle>(ask<caf::actor>(sup, atom::get_v, name));
  }

  // Real (wall-clock) time, in steps of a virtual hour.
  void pass_real(std::chrono::milliseconds real) {
    const auto step = clock.real_delay(3600000);
    for (std::chrono::nanoseconds done{0}; done < real; done += step) {
      advance_time(step);
      sched.run();
    }
  }

  // In steps, so each tick's follow-up messages are delivered in turn.
  void pass_virtual(int64_t virtual_ms, int64_t step_ms = 60000) {
    for (int64_t done = 0; done < virtual_ms; done += step_ms) {
      advance_time(clock.real_delay(step_ms));
      sched.run();
    }
  }
};

} // namespace grace::testing
