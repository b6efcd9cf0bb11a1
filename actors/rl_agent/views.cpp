#include "actors/rl_agent/views.hpp"

#include "actors/rl_agent/off_policy_evaluation.hpp"

namespace grace::rl {

namespace {

interval_view view_of(const interval_estimate& e) {
  return {e.value, e.std_error, e.low, e.high};
}

policy_estimate view_of(const ope_result& r) {
  return {r.samples,      r.skipped,        r.logged_average, r.effective_sample_size,
          view_of(r.ips), view_of(r.snips), view_of(r.dr)};
}

rl_statistics view_of(const agent_statistics& s) {
  return {to_string(s.policy), s.contexts,         s.experiences,
          s.updates,           s.recommendations,  s.pending,
          s.average_reward,    s.exploration_rate, s.changes_detected};
}

} // namespace

rl_statistics statistics_view(const agent& a) {
  return view_of(a.statistics());
}

rl_statistics statistics_view(const agent& a, const std::function<bool(const context_key&)>& keep) {
  return view_of(a.statistics(keep));
}

rl_policies policies_view(const agent& a) {
  return policies_view(a, [](const context_key&) { return true; });
}

rl_policies policies_view(const agent& a, const std::function<bool(const context_key&)>& keep) {
  rl_policies out;
  for (const auto& c : a.policies()) {
    if (!keep(c.context))
      continue;
    context_policy_view v{c.context.service, c.context.diagnosis, c.updates, {}};
    for (const auto& arm : c.arms)
      v.playbooks.push_back(
          {arm.playbook, arm.value, arm.uncertainty, arm.pulls, arm.ema_value, arm.decoupled});
    out.policies.push_back(std::move(v));
  }
  return out;
}

rl_evaluation evaluation_view(const agent& a) {
  constexpr double confidence = 0.95;
  const auto log = a.experiences().to_vector();
  rl_evaluation out;
  out.experiences = log.size();
  out.confidence = confidence;
  out.policy = to_string(a.config().policy);
  out.current = view_of(evaluate_off_policy(log, agent_policy(a), nullptr, confidence));
  out.greedy_ema = view_of(evaluate_off_policy(log, greedy_ema_policy(a), nullptr, confidence));
  out.uniform = view_of(evaluate_off_policy(log, uniform_policy(), nullptr, confidence));
  return out;
}

} // namespace grace::rl
