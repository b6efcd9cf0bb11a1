#include "actors/rl_agent/posterior.hpp"

#include <algorithm>

namespace grace::rl {

gaussian posterior_of_mean(const gaussian& prior, double weight, double sum, double noise_var) {
  const double precision = 1.0 / prior.var + weight / noise_var;
  const double mean = (prior.mean / prior.var + sum / noise_var) / precision;
  return {mean, 1.0 / precision};
}

bool arm_statistics::detect_change(double z, double k, double h) {
  cusum_up = std::max(0.0, cusum_up + z - k);
  cusum_down = std::max(0.0, cusum_down - z - k);
  return cusum_up > h || cusum_down > h;
}

void to_json(nlohmann::json& j, const arm_statistics& a) {
  j = nlohmann::json{{"weight", a.weight},
                     {"sum", a.sum},
                     {"sum_sq", a.sum_sq},
                     {"pulls", a.pulls},
                     {"ema_value", a.ema_value},
                     {"cusum_up", a.cusum_up},
                     {"cusum_down", a.cusum_down},
                     {"decoupled", a.decoupled},
                     {"last_step", a.last_step},
                     {"changed", a.changed},
                     {"since_weight", a.since_weight},
                     {"since_sum", a.since_sum},
                     {"since_sum_sq", a.since_sum_sq}};
}

void from_json(const nlohmann::json& j, arm_statistics& a) {
  a.weight = j.at("weight").get<double>();
  a.sum = j.at("sum").get<double>();
  a.sum_sq = j.at("sum_sq").get<double>();
  a.pulls = j.at("pulls").get<std::uint64_t>();
  a.ema_value = j.at("ema_value").get<double>();
  a.cusum_up = j.at("cusum_up").get<double>();
  a.cusum_down = j.at("cusum_down").get<double>();
  a.decoupled = j.at("decoupled").get<bool>();
  // Absent in older snapshots.
  a.last_step = j.value("last_step", std::uint64_t{0});
  a.changed = j.value("changed", 0.0);
  a.since_weight = j.value("since_weight", 0.0);
  a.since_sum = j.value("since_sum", 0.0);
  a.since_sum_sq = j.value("since_sum_sq", 0.0);
}

} // namespace grace::rl
