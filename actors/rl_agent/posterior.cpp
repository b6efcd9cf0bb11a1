#include "actors/rl_agent/posterior.hpp"

#include "messages/arm_fields.hpp"

#include <algorithm>
#include <type_traits>

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
  j = nlohmann::json::object();
  arm_fields(a, [&](const char* name, const auto& value, bool) { j[name] = value; });
}

void from_json(const nlohmann::json& j, arm_statistics& a) {
  arm_fields(a, [&](const char* name, auto& value, bool required) {
    using value_type = std::decay_t<decltype(value)>;
    value = required ? j.at(name).get<value_type>() : j.value(name, value_type{});
  });
}

} // namespace grace::rl
