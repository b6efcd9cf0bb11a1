#include "actors/predictor/refusal.hpp"

#include <algorithm>

namespace grace::predictor {

bool pick_not_acted_on(execution_state state) {
  return state == execution_state::refused || state == execution_state::dry_run
         || state == execution_state::rejected || state == execution_state::expired;
}

std::vector<std::string> left_out_after_refusal(const std::vector<std::string>& metric_playbooks,
                                                const std::vector<std::string>& runnable,
                                                std::vector<std::string> left_out) {
  const auto has = [](const std::vector<std::string>& list, const std::string& p) {
    return std::find(list.begin(), list.end(), p) != list.end();
  };
  for (const auto& p : metric_playbooks)
    if (!has(runnable, p) && !has(left_out, p))
      left_out.push_back(p);
  return left_out;
}

} // namespace grace::predictor
