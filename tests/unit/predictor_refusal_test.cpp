// After a refusal: which picks are withdrawn, and which playbooks the next ask
// leaves out.
#include "actors/predictor/refusal.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

using grace::execution_state;
using grace::predictor::left_out_after_refusal;
using grace::predictor::pick_not_acted_on;

using list = std::vector<std::string>;

TEST(PredictorRefusal, PicksNeverActedOnAreWithdrawnOthersWait) {
  for (auto s : {execution_state::refused, execution_state::dry_run, execution_state::rejected,
                 execution_state::expired})
    EXPECT_TRUE(pick_not_acted_on(s)) << grace::to_string(s);
  // Still to run or ran: their reward comes (or may come) from the outcome.
  for (auto s : {execution_state::pending_approval, execution_state::running,
                 execution_state::succeeded, execution_state::failed, execution_state::evaluated})
    EXPECT_FALSE(pick_not_acted_on(s)) << grace::to_string(s);
}

TEST(PredictorRefusal, TheNextAskLeavesOutWhatTheExecutorWouldNotRun) {
  const list metric{"restart", "scale-out", "rollback", "page"};
  // "restart" was refused; "rollback" is on cooldown too; "scale-out" and
  // "page" would run.
  EXPECT_EQ(left_out_after_refusal(metric, {"scale-out", "page"}, {"restart"}),
            (list{"restart", "rollback"}));
  // Nothing runnable: every playbook is left out (the caller asks no more).
  EXPECT_EQ(left_out_after_refusal(metric, {}, {"restart"}),
            (list{"restart", "scale-out", "rollback", "page"}));
  // A playbook left out before stays out even if it could run now (it was
  // tried in this episode, or nobody approved it).
  EXPECT_EQ(
      left_out_after_refusal(metric, {"restart", "scale-out", "rollback", "page"}, {"restart"}),
      (list{"restart"}));
}
