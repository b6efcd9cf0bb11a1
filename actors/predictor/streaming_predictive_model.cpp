#include "actors/predictor/streaming_predictive_model.hpp"

#include <algorithm>
#include <cmath>

namespace grace::predictor {

namespace {

constexpr int64_t day_ms = 86'400'000;
constexpr size_t steps_to_infer_interval = 16;
// Seasonal candidate needs this many scored samples before it may be chosen,
// so one lucky early match does not switch the model.
constexpr size_t seasonal_trial = 48;

// Running mean that starts as a plain average and becomes an EWMA: early
// estimates are not biased towards the initial zero.
void fold(double& mean, size_t& count, double x, double alpha) {
  // Residuals of values near the limits of double can overflow; skip them
  // rather than poison the estimate for good.
  if (!std::isfinite(x))
    return;
  ++count;
  const double a = std::max(alpha, 1.0 / static_cast<double>(count));
  mean += a * (x - mean);
}

} // namespace

void to_json(nlohmann::json& j, const robust_seasonal_params& p) {
  j = {{"level_window", p.level_window},
       {"residual_alpha", p.residual_alpha},
       {"choice_alpha", p.choice_alpha},
       {"max_period", p.max_period},
       {"min_history", p.min_history}};
}

void from_json(const nlohmann::json& j, robust_seasonal_params& p) {
  p.level_window = j.value("level_window", p.level_window);
  p.residual_alpha = j.value("residual_alpha", p.residual_alpha);
  p.choice_alpha = j.value("choice_alpha", p.choice_alpha);
  p.max_period = j.value("max_period", p.max_period);
  p.min_history = j.value("min_history", p.min_history);
}

robust_seasonal_model::robust_seasonal_model(robust_seasonal_params p) : p_(p) {
  p_.level_window = std::max(1, p_.level_window);
  p_.min_history = std::max(p_.min_history, p_.level_window);
}

double robust_seasonal_model::median_of(size_t from_back, size_t count) const {
  // history_ back() is offset 0; the window covers offsets from_back .. from_back+count-1.
  double buf[64];
  std::vector<double> big;
  double* v = buf;
  if (count > 64) {
    big.resize(count);
    v = big.data();
  }
  const size_t end = history_.size() - from_back;
  for (size_t i = 0; i < count; ++i)
    v[i] = history_[end - count + i];
  std::nth_element(v, v + count / 2, v + count);
  double m = v[count / 2];
  if (count % 2 == 0) {
    m = 0.5 * (m + *std::max_element(v, v + count / 2));
  }
  return m;
}

double robust_seasonal_model::local_forecast() const {
  const size_t w = std::min<size_t>(static_cast<size_t>(p_.level_window), history_.size());
  return median_of(0, w);
}

bool robust_seasonal_model::has_seasonal() const {
  return period_ > 0 && history_.size() >= static_cast<size_t>(period_ + p_.level_window + 1);
}

double robust_seasonal_model::seasonal_forecast() const {
  const size_t P = static_cast<size_t>(period_), w = static_cast<size_t>(p_.level_window);
  // The sample one day before the next one sits at offset P-1; a median of it
  // and its neighbours keeps edges but drops yesterday's one-sample spikes.
  const double base = median_of(P - 2, 3);
  // Shift by how much the level moved since the same time yesterday.
  return base + (median_of(0, w) - median_of(P, w));
}

predictive_distribution robust_seasonal_model::predict() const {
  predictive_distribution d;
  if (n_ < static_cast<size_t>(p_.min_history) || history_.empty())
    return d;
  const bool seasonal =
      has_seasonal() && seasonal_scored_ >= seasonal_trial && seasonal_mae_ < local_mae_;
  d.mean = seasonal ? seasonal_forecast() : local_forecast();
  d.scale = mae_;
  d.ready = scored_ >= static_cast<size_t>(p_.min_history);
  return d;
}

namespace {

// A residual-scale update that one spike cannot inflate for long.
void fold_clipped(double& scale, size_t& count, double r, double alpha, size_t warm) {
  if (count >= warm && scale > 0.0)
    r = std::min(r, 6.0 * scale);
  fold(scale, count, r, alpha);
}

} // namespace

void robust_seasonal_model::observe(int64_t ts_ms, double value) {
  if (n_ >= static_cast<size_t>(p_.min_history)) {
    const size_t warm = static_cast<size_t>(p_.min_history);
    const double chosen = predict().mean;
    const double local_r = std::abs(value - local_forecast());
    fold(local_mae_, local_scored_, local_r, p_.choice_alpha);
    if (has_seasonal()) {
      const double seasonal_r = std::abs(value - seasonal_forecast());
      fold(seasonal_mae_, seasonal_scored_, seasonal_r, p_.choice_alpha);
    }
    // Clipped so that a lone spike stands out against the scale instead of
    // inflating it for the next hundred samples.
    fold_clipped(mae_, scored_, std::abs(value - chosen), p_.residual_alpha, warm);
  }
  // Infer the sampling interval from the first positive steps (median: robust
  // to gaps and repeated timestamps).
  if (n_ > 0 && step_ms_ == 0 && ts_ms > last_ts_) {
    steps_.push_back(ts_ms - last_ts_);
    if (steps_.size() >= steps_to_infer_interval) {
      std::vector<int64_t> s = steps_;
      std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
      step_ms_ = s[s.size() / 2];
      const int64_t per = (day_ms + step_ms_ / 2) / step_ms_;
      period_ = (per >= 4 && per <= p_.max_period) ? static_cast<int>(per) : 0;
      steps_.clear();
    }
  }
  if (n_ == 0 || ts_ms > last_ts_)
    last_ts_ = ts_ms;
  history_.push_back(value);
  const size_t cap = step_ms_ == 0
                         ? static_cast<size_t>(p_.max_period + p_.level_window + 2)
                         : static_cast<size_t>(std::max(period_, 0) + p_.level_window + 2);
  while (history_.size() > cap)
    history_.pop_front();
  ++n_;
}

nlohmann::json robust_seasonal_model::to_json() const {
  return {{"params", p_},
          {"history", std::vector<double>(history_.begin(), history_.end())},
          {"steps", steps_},
          {"last_ts", last_ts_},
          {"step_ms", step_ms_},
          {"period", period_},
          {"n", n_},
          {"local_mae", local_mae_},
          {"seasonal_mae", seasonal_mae_},
          {"local_scored", local_scored_},
          {"seasonal_scored", seasonal_scored_},
          {"mae", mae_},
          {"scored", scored_}};
}

robust_seasonal_model robust_seasonal_model::from_json(const nlohmann::json& j) {
  robust_seasonal_model m(j.at("params").get<robust_seasonal_params>());
  const auto h = j.at("history").get<std::vector<double>>();
  m.history_.assign(h.begin(), h.end());
  m.steps_ = j.at("steps").get<std::vector<int64_t>>();
  m.last_ts_ = j.at("last_ts").get<int64_t>();
  m.step_ms_ = j.at("step_ms").get<int64_t>();
  m.period_ = j.at("period").get<int>();
  m.n_ = j.at("n").get<size_t>();
  m.local_mae_ = j.at("local_mae").get<double>();
  m.seasonal_mae_ = j.at("seasonal_mae").get<double>();
  m.local_scored_ = j.at("local_scored").get<size_t>();
  m.seasonal_scored_ = j.at("seasonal_scored").get<size_t>();
  m.mae_ = j.at("mae").get<double>();
  m.scored_ = j.at("scored").get<size_t>();
  return m;
}

} // namespace grace::predictor
