#include "actors/predictor/anomaly_score.hpp"

#include <algorithm>
#include <cmath>

namespace grace::predictor {

namespace {

// Smallest spread of the recent-surprise average we trust: keeps a perfectly
// predictable series from turning rounding noise into alarms.
constexpr double min_base_std = 0.1;

// -log10 of the standard normal upper tail, accurate far into the tail
// (erfc underflows near x = 38; the asymptotic form takes over there).
double neg_log10_upper_tail(double x) {
  if (x < 30.0)
    return -std::log10(std::max(0.5 * std::erfc(x / std::sqrt(2.0)), 1e-300));
  const double ln_q = -0.5 * x * x - std::log(x * std::sqrt(2.0 * M_PI));
  return -ln_q / std::log(10.0);
}

} // namespace

void to_json(nlohmann::json& j, const anomaly_score_params& p) {
  j = {{"model", p.model},
       {"surprise_cap", p.surprise_cap},
       {"short_window", p.short_window},
       {"long_alpha", p.long_alpha},
       {"warmup_samples", p.warmup_samples},
       {"hold_ms", p.hold_ms},
       {"repeat_factor", p.repeat_factor}};
}

void from_json(const nlohmann::json& j, anomaly_score_params& p) {
  if (j.contains("model"))
    p.model = j.at("model").get<robust_seasonal_params>();
  p.surprise_cap = j.value("surprise_cap", p.surprise_cap);
  p.short_window = j.value("short_window", p.short_window);
  p.long_alpha = j.value("long_alpha", p.long_alpha);
  p.warmup_samples = j.value("warmup_samples", p.warmup_samples);
  p.hold_ms = j.value("hold_ms", p.hold_ms);
  p.repeat_factor = j.value("repeat_factor", p.repeat_factor);
}

anomaly_scorer::anomaly_scorer(anomaly_score_params p) : p_(p), model_(p.model) {
  p_.short_window = std::max(1, p_.short_window);
}

double anomaly_scorer::surprise_of(double value, const predictive_distribution& d) const {
  const double r = std::abs(value - d.mean);
  if (r == 0.0)
    return 0.0;
  // A scale of zero (flat series) would make any change infinitely surprising;
  // floor it by a small share of the series' typical step and its magnitude.
  const double floor = 0.05 * spread_ + 1e-9 * (std::abs(d.mean) + 1e-300);
  const double b = std::max(d.scale, floor);
  // Laplace two-sided tail: p = exp(-r/b), so -log p = r/b, capped: beyond
  // the cap a sample is simply "impossible", and one wild outlier must not
  // swamp the surprise baseline that later samples are judged against.
  return std::min(r / b, p_.surprise_cap);
}

double anomaly_scorer::update(int64_t ts_ms, double value) {
  anomaly_detail d;
  const predictive_distribution pd = model_.predict();
  d.expected = pd.mean;
  d.scale = pd.scale;
  double raw = 0.0;
  if (pd.ready) {
    d.surprise = surprise_of(value, pd);
    recent_.push_back(d.surprise);
    recent_sum_ += d.surprise;
    if (recent_.size() > static_cast<size_t>(p_.short_window)) {
      recent_sum_ -= recent_.front();
      recent_.pop_front();
    }
    if (recent_.size() == static_cast<size_t>(p_.short_window)) {
      // Recompute now and then so the running sum does not drift.
      if (n_ % 1024 == 0) {
        recent_sum_ = 0.0;
        for (double s : recent_)
          recent_sum_ += s;
      }
      const double avg = recent_sum_ / static_cast<double>(recent_.size());
      if (base_n_ > 0) {
        const double sd = std::max(std::sqrt(base_var_), min_base_std);
        // Evidence only for more surprise than usual; none (0) at or below it.
        const double x = (avg - base_mean_) / sd;
        const double nl = x > 0.0 ? neg_log10_upper_tail(x) - std::log10(2.0) : 0.0;
        // Unbounded evidence -> [0,1) without saturating, so big events stay
        // ordered by how unlikely they are.
        d.likelihood = nl / (nl + 10.0);
      }
      ++base_n_;
      const double a = std::max(p_.long_alpha, 1.0 / static_cast<double>(base_n_));
      const double delta = avg - base_mean_;
      base_mean_ += a * delta;
      base_var_ = (1.0 - a) * (base_var_ + a * delta * delta);
      raw = d.likelihood;
    }
  }
  if (n_ > 0)
    spread_ += (spread_ == 0.0 && n_ == 1 ? 1.0 : 0.01) * (std::abs(value - last_value_) - spread_);
  last_value_ = value;
  model_.observe(ts_ms, value);
  ++n_;

  // Report an episode once: only a new high within hold_ms counts in full.
  while (!peaks_.empty() && peaks_.front().first + p_.hold_ms <= ts_ms)
    peaks_.pop_front();
  const bool repeat = !peaks_.empty() && peaks_.front().second >= raw;
  while (!peaks_.empty() && peaks_.back().second <= raw)
    peaks_.pop_back();
  peaks_.emplace_back(ts_ms, raw);

  double score = repeat ? raw * p_.repeat_factor : raw;
  if (n_ <= static_cast<size_t>(p_.warmup_samples))
    score = 0.0;
  d.score = std::clamp(score, 0.0, 1.0);
  last_ = d;
  return d.score;
}

nlohmann::json anomaly_scorer::to_json() const {
  nlohmann::json peaks = nlohmann::json::array();
  for (const auto& [t, s] : peaks_)
    peaks.push_back({t, s});
  return {{"version", 1},
          {"params", p_},
          {"model", model_.to_json()},
          {"recent", std::vector<double>(recent_.begin(), recent_.end())},
          {"recent_sum", recent_sum_},
          {"base_mean", base_mean_},
          {"base_var", base_var_},
          {"base_n", base_n_},
          {"n", n_},
          {"peaks", peaks},
          {"spread", spread_},
          {"last_value", last_value_}};
}

anomaly_scorer anomaly_scorer::from_json(const nlohmann::json& j) {
  anomaly_scorer s(j.at("params").get<anomaly_score_params>());
  s.model_ = robust_seasonal_model::from_json(j.at("model"));
  const auto r = j.at("recent").get<std::vector<double>>();
  s.recent_.assign(r.begin(), r.end());
  s.recent_sum_ = j.at("recent_sum").get<double>();
  s.base_mean_ = j.at("base_mean").get<double>();
  s.base_var_ = j.at("base_var").get<double>();
  s.base_n_ = j.at("base_n").get<size_t>();
  s.n_ = j.at("n").get<size_t>();
  for (const auto& p : j.at("peaks"))
    s.peaks_.emplace_back(p.at(0).get<int64_t>(), p.at(1).get<double>());
  s.spread_ = j.at("spread").get<double>();
  s.last_value_ = j.at("last_value").get<double>();
  return s;
}

} // namespace grace::predictor
