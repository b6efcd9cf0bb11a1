#include "actors/rl_agent/off_policy_evaluation.hpp"

#include "actors/rl_agent/agent.hpp"

#include <cmath>
#include <stdexcept>

namespace grace::rl {

std::vector<std::string> allowed_playbooks(const experience& e) {
  std::vector<std::string> out;
  for (const auto& c : e.candidates)
    if (!e.max_risk_tier || c.risk_tier <= *e.max_risk_tier)
      out.push_back(c.playbook);
  return out;
}

double normal_quantile(double p) {
  // Acklam's rational approximation (relative error below 1.2e-9).
  if (!(p > 0.0 && p < 1.0))
    throw std::invalid_argument("normal_quantile: p must be in (0, 1)");
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double low = 0.02425;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
           / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low)
    return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
         / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

namespace {

interval_estimate mean_interval(const std::vector<double>& terms, double z) {
  interval_estimate out;
  if (terms.empty())
    return out;
  const double n = static_cast<double>(terms.size());
  double sum = 0.0;
  for (double t : terms)
    sum += t;
  out.value = sum / n;
  double ss = 0.0;
  for (double t : terms)
    ss += (t - out.value) * (t - out.value);
  out.std_error = terms.size() > 1 ? std::sqrt(ss / (n - 1.0) / n) : 0.0;
  out.low = out.value - z * out.std_error;
  out.high = out.value + z * out.std_error;
  return out;
}

} // namespace

ope_result evaluate_off_policy(const std::vector<experience>& log, const target_policy& target,
                               const reward_model& model, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    throw rl_error(error_code::invalid_argument, "OPE confidence must be in (0, 1)");
  const reward_model q = model ? model : fit_reward_model(log);
  const double z = normal_quantile(0.5 + confidence / 2.0);
  ope_result out;
  std::vector<double> ips_terms, dr_terms, weights, rewards;
  double logged = 0.0;
  for (const auto& e : log) {
    if (!(e.propensity > 0.0 && e.propensity <= 1.0)) {
      ++out.skipped;
      continue;
    }
    const auto pi = target(e);
    const auto chosen = pi.find(e.chosen);
    const double w = (chosen == pi.end() ? 0.0 : chosen->second) / e.propensity;
    double direct = 0.0;
    for (const auto& playbook : allowed_playbooks(e)) {
      const auto p = pi.find(playbook);
      if (p != pi.end())
        direct += p->second * q(e.context, playbook);
    }
    weights.push_back(w);
    rewards.push_back(e.reward);
    ips_terms.push_back(w * e.reward);
    dr_terms.push_back(direct + w * (e.reward - q(e.context, e.chosen)));
    logged += e.reward;
  }
  out.samples = weights.size();
  if (out.samples == 0)
    return out;
  out.logged_average = logged / static_cast<double>(out.samples);
  out.ips = mean_interval(ips_terms, z);
  out.dr = mean_interval(dr_terms, z);

  double sw = 0.0, sw2 = 0.0, swr = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    sw += weights[i];
    sw2 += weights[i] * weights[i];
    swr += weights[i] * rewards[i];
  }
  out.effective_sample_size = sw2 > 0.0 ? sw * sw / sw2 : 0.0;
  if (sw > 0.0) {
    // Delta method for a ratio estimator.
    out.snips.value = swr / sw;
    double var = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const double r = weights[i] * (rewards[i] - out.snips.value);
      var += r * r;
    }
    out.snips.std_error = std::sqrt(var) / sw;
    out.snips.low = out.snips.value - z * out.snips.std_error;
    out.snips.high = out.snips.value + z * out.snips.std_error;
  }
  return out;
}

reward_model fit_reward_model(const std::vector<experience>& log, double prior_weight) {
  struct acc {
    double sum = 0.0;
    double n = 0.0;
  };
  std::map<std::pair<context_key, std::string>, acc> per_pair;
  std::map<std::string, acc> per_playbook;
  acc overall;
  for (const auto& e : log) {
    per_pair[{e.context, e.chosen}].sum += e.reward;
    per_pair[{e.context, e.chosen}].n += 1.0;
    per_playbook[e.chosen].sum += e.reward;
    per_playbook[e.chosen].n += 1.0;
    overall.sum += e.reward;
    overall.n += 1.0;
  }
  const double global = overall.n > 0.0 ? overall.sum / overall.n : 0.0;
  return [per_pair, per_playbook, global, prior_weight](const context_key& c,
                                                        const std::string& playbook) {
    double playbook_mean = global;
    if (auto it = per_playbook.find(playbook); it != per_playbook.end())
      playbook_mean = (it->second.sum + prior_weight * global) / (it->second.n + prior_weight);
    if (auto it = per_pair.find({c, playbook}); it != per_pair.end())
      return (it->second.sum + prior_weight * playbook_mean) / (it->second.n + prior_weight);
    return playbook_mean;
  };
}

target_policy greedy_policy(std::map<context_key, std::map<std::string, double>> values) {
  return [values = std::move(values)](const experience& e) {
    std::map<std::string, double> out;
    const auto allowed = allowed_playbooks(e);
    if (allowed.empty())
      return out;
    const auto ctx = values.find(e.context);
    auto value_of = [&](const std::string& p) {
      if (ctx == values.end())
        return 0.0;
      const auto it = ctx->second.find(p);
      return it == ctx->second.end() ? 0.0 : it->second;
    };
    std::size_t best = 0;
    for (std::size_t i = 1; i < allowed.size(); ++i)
      if (value_of(allowed[i]) > value_of(allowed[best]))
        best = i;
    out[allowed[best]] = 1.0;
    return out;
  };
}

target_policy agent_policy(const agent& a, std::uint64_t seed) {
  return [&a, seed](const experience& e) {
    std::map<std::string, double> out;
    for (const auto& r : a.action_probabilities(e.context, e.candidates, e.max_risk_tier, seed))
      out[r.playbook] = r.probability;
    return out;
  };
}

target_policy greedy_ema_policy(const agent& a) {
  std::map<context_key, std::map<std::string, double>> values;
  for (const auto& c : a.policies())
    for (const auto& arm : c.arms)
      values[c.context][arm.playbook] = arm.ema_value;
  return greedy_policy(std::move(values));
}

target_policy uniform_policy() {
  return [](const experience& e) {
    std::map<std::string, double> out;
    const auto allowed = allowed_playbooks(e);
    for (const auto& p : allowed)
      out[p] = 1.0 / static_cast<double>(allowed.size());
    return out;
  };
}

} // namespace grace::rl
