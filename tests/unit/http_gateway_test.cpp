// The gateway from HTTP worker threads into the actor system, on a real
// (threaded) actor system: an answer, a component's error as its HTTP status,
// and the request deadline, which the waiting thread keeps itself.
#include "http/actor_gateway.hpp"
#include "messages/errors.hpp"
#include "messages/register_types.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/typed_actor.hpp>
#include <chrono>
#include <gtest/gtest.h>
#include <map>

using namespace grace;

namespace {

// A component: doubles a number, fails on 0, never answers a negative one.
using doubler_actor = caf::typed_actor<caf::replies_to<int>::with<int>>;

caf::behavior doubler(caf::event_based_actor* self) {
  return {[=](int x) -> caf::result<int> {
    if (x == 0)
      return make_error(errc::not_found, "nothing to double");
    if (x < 0)
      return self->make_response_promise<int>(); // kept by nobody: no answer
    return 2 * x;
  }};
}

// The supervisor as far as the gateway uses it: component handles by name.
caf::behavior supervisor(caf::event_based_actor*, std::map<std::string, caf::actor> components) {
  return {[=](atom::get, const std::string& name) -> caf::result<caf::actor> {
    auto it = components.find(name);
    if (it == components.end())
      return make_error(errc::unavailable, "no component '" + name + "'");
    return it->second;
  }};
}

struct config : caf::actor_system_config {
  config() { register_types(*this); }
};

struct gateway_test : ::testing::Test {
  config cfg;
  caf::actor_system sys{cfg};
  http::actor_gateway gateway{
      sys,
      caf::actor_cast<supervisor_actor>(sys.spawn(
          supervisor, std::map<std::string, caf::actor>{{"doubler", sys.spawn(doubler)}})),
      std::chrono::milliseconds(300)};
};

} // namespace

TEST_F(gateway_test, AnswersWithTheComponentsResult) {
  http::gateway_failure failure;
  auto r = gateway.ask<int, doubler_actor>("doubler", failure, 21);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 42);
}

TEST_F(gateway_test, AComponentsErrorBecomesItsStatus) {
  http::gateway_failure failure;
  EXPECT_FALSE((gateway.ask<int, doubler_actor>("doubler", failure, 0)));
  EXPECT_EQ(failure.status, 404);
  EXPECT_NE(failure.message.find("nothing to double"), std::string::npos) << failure.message;
}

TEST_F(gateway_test, NoAnswerWithinTheDeadlineIs504AndTheNextRequestIsServed) {
  http::gateway_failure failure;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE((gateway.ask<int, doubler_actor>("doubler", failure, -1)));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(failure.status, 504);
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::seconds(5));
  http::gateway_failure next;
  auto r = gateway.ask<int, doubler_actor>("doubler", next, 5);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 10);
}

TEST_F(gateway_test, AnUnknownComponentIsUnavailable) {
  http::gateway_failure failure;
  EXPECT_FALSE((gateway.ask<int, doubler_actor>("nobody", failure, 1)));
  EXPECT_EQ(failure.status, 503);
}
