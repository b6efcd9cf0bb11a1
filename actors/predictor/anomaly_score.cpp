#include "actors/predictor/anomaly_score.hpp"

#include <algorithm>
#include <cmath>

namespace grace::predictor {

namespace {

// Smallest spread of a surprise average we trust: keeps a perfectly
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

nlohmann::json pairs_to_json(const std::deque<std::pair<int64_t, double>>& q) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& [t, s] : q)
    a.push_back({t, s});
  return a;
}

} // namespace

double surprise_baseline::evidence(double x) const {
  if (n == 0)
    return 0.0;
  const double sd = std::max(std::sqrt(var), min_base_std);
  // Evidence only for more surprise than usual; none (0) at or below it.
  const double z = (x - mean) / sd;
  const double nl = z > 0.0 ? neg_log10_upper_tail(z) - std::log10(2.0) : 0.0;
  // Unbounded evidence -> [0,1) without saturating, so big events stay
  // ordered by how unlikely they are (10 = a one-in-1e10 average).
  return nl / (nl + 10.0);
}

void surprise_baseline::add(double x, double alpha) {
  ++n;
  const double a = std::max(alpha, 1.0 / static_cast<double>(n));
  const double delta = x - mean;
  mean += a * delta;
  var = (1.0 - a) * (var + a * delta * delta);
}

void to_json(nlohmann::json& j, const surprise_baseline& b) {
  j = {{"mean", b.mean}, {"var", b.var}, {"n", b.n}};
}

void from_json(const nlohmann::json& j, surprise_baseline& b) {
  b.mean = j.at("mean").get<double>();
  b.var = j.at("var").get<double>();
  b.n = j.at("n").get<size_t>();
}

void to_json(nlohmann::json& j, const anomaly_score_params& p) {
  j = {{"model", p.model},
       {"surprise_cap", p.surprise_cap},
       {"short_window", p.short_window},
       {"long_alpha", p.long_alpha},
       {"warmup_samples", p.warmup_samples},
       {"hold_ms", p.hold_ms},
       {"repeat_factor", p.repeat_factor},
       {"new_high_margin", p.new_high_margin},
       {"use_direction", p.use_direction},
       {"recurrence_tol_ms", p.recurrence_tol_ms},
       {"peak_delay", p.peak_delay},
       {"quiet_min_ms", p.quiet_min_ms}};
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
  p.new_high_margin = j.value("new_high_margin", p.new_high_margin);
  p.use_direction = j.value("use_direction", p.use_direction);
  p.recurrence_tol_ms = j.value("recurrence_tol_ms", p.recurrence_tol_ms);
  p.peak_delay = j.value("peak_delay", p.peak_delay);
  p.quiet_min_ms = j.value("quiet_min_ms", p.quiet_min_ms);
}

anomaly_scorer::anomaly_scorer(anomaly_score_params p) : p_(p), model_(p.model) {
  p_.short_window = std::max(1, p_.short_window);
  p_.peak_delay = std::max(0, p_.peak_delay);
}

double anomaly_scorer::scale_floor(double mean) const {
  // A scale of zero (flat series) would make any change infinitely surprising;
  // floor it by a small share of the series' typical step and its magnitude.
  return 0.05 * spread_ + 1e-9 * std::abs(mean) + 1e-300;
}

double anomaly_scorer::surprise_of(double value, const predictive_distribution& d) const {
  // -log of the Laplace two-sided tail exp(-r/b); capped (see surprise_cap).
  const double r = std::abs(value - d.mean);
  if (r == 0.0)
    return 0.0;
  const double z = r / std::max(d.scale, scale_floor(d.mean));
  // NaN/inf only come from overflow at extreme magnitudes: treat as maximal.
  return z <= p_.surprise_cap ? z : p_.surprise_cap;
}

bool anomaly_scorer::recurs_daily(int64_t ts_ms, double raw) {
  if (p_.recurrence_tol_ms <= 0)
    return false;
  constexpr int64_t day_ms = 86'400'000, bucket_ms = 1'800'000;
  // Buckets (not samples) keep the state small: 50-odd entries a day.
  const int64_t lo = (ts_ms - day_ms - p_.recurrence_tol_ms) / bucket_ms;
  const int64_t hi = (ts_ms - day_ms + p_.recurrence_tol_ms) / bucket_ms;
  while (!daily_.empty() && daily_.front().first < lo)
    daily_.pop_front();
  double yesterday = 0.0;
  for (const auto& [b, s] : daily_) {
    if (b > hi)
      break;
    yesterday = std::max(yesterday, s);
  }
  const int64_t now_b = ts_ms / bucket_ms;
  if (!daily_.empty() && daily_.back().first == now_b)
    daily_.back().second = std::max(daily_.back().second, raw);
  else
    daily_.emplace_back(now_b, raw);
  return yesterday > 0.0 && yesterday * (1.0 + p_.new_high_margin) >= raw;
}

double anomaly_scorer::quiet_evidence(int64_t ts_ms, double value) {
  if (n_ == 0) {
    run_start_ms_ = ts_ms;
    return 0.0;
  }
  if (value != last_value_) {
    longest_run_ms_ = std::max(longest_run_ms_, last_ts_ms_ - run_start_ms_);
    run_start_ms_ = ts_ms;
    run_from_start_ = false;
    run_reported_ = false;
    run_steps_ = 0;
    return 0.0;
  }
  ++repeat_steps_;
  ++run_steps_;
  const int64_t len = ts_ms - run_start_ms_;
  if (p_.quiet_min_ms <= 0 || run_from_start_ || run_reported_
      || len <= std::max(p_.quiet_min_ms, longest_run_ms_))
    return 0.0;
  run_reported_ = true;
  // Chance of this many repeats in a row if each step repeats the value as
  // often as it has so far (independently): -log10 of it is the evidence.
  const double p_rep = (static_cast<double>(repeat_steps_) + 1.0) / (static_cast<double>(n_) + 2.0);
  const double nl = -static_cast<double>(run_steps_) * std::log10(p_rep);
  return nl / (nl + 10.0);
}

double anomaly_scorer::update(int64_t ts_ms, double value) {
  anomaly_detail d;
  const predictive_distribution pd = model_.predict();
  d.expected = pd.mean;
  d.scale = pd.scale;
  double raw = 0.0;
  if (pd.ready) {
    d.surprise = surprise_of(value, pd);
    double signed_z = (value - pd.mean) / std::max(pd.scale, scale_floor(pd.mean));
    signed_z = std::isnan(signed_z) ? (value > pd.mean ? 1.0 : -1.0) * p_.surprise_cap
                                    : std::clamp(signed_z, -p_.surprise_cap, p_.surprise_cap);
    recent_.emplace_back(d.surprise, signed_z);
    const size_t w = static_cast<size_t>(p_.short_window);
    if (recent_.size() > w)
      recent_.pop_front();
    // Sums recomputed each time (at most a few dozen terms): nothing to drift.
    auto mean_of_last = [&](size_t k, bool signed_part) {
      double sum = 0.0;
      for (size_t i = recent_.size() - k; i < recent_.size(); ++i)
        sum += signed_part ? recent_[i].second : recent_[i].first;
      return sum / static_cast<double>(k);
    };
    if (recent_.size() == w) {
      // Memory of recent surprise (as HTM's anomaly likelihood): the average
      // over the short window against its own long-run distribution.
      const double avg = mean_of_last(w, false);
      d.likelihood = memory_.evidence(avg);
      memory_.add(avg, p_.long_alpha);
      raw = d.likelihood;
    }
    if (p_.use_direction && recent_.size() == w) {
      // Residuals that keep the same sign: a level shift the rolling
      // forecast is still catching up with, even when each is small.
      const double drift = std::abs(mean_of_last(w, true));
      raw = std::max(raw, direction_.evidence(drift));
      direction_.add(drift, p_.long_alpha);
    }
  }
  // A metric stuck at one value for unusually long: nothing surprising for
  // the forecaster (it predicts the recent median), so a channel of its own.
  raw = std::max(raw, quiet_evidence(ts_ms, value));
  last_ts_ms_ = ts_ms;
  const double step = std::abs(value - last_value_);
  if (n_ > 0 && std::isfinite(step))
    spread_ += (n_ == 1 ? 1.0 : 0.01) * (step - spread_);
  last_value_ = value;
  model_.observe(ts_ms, value);
  ++n_;

  // Report an episode once: only a clear new high within hold_ms counts in full.
  while (!peaks_.empty() && peaks_.front().first + p_.hold_ms <= ts_ms)
    peaks_.pop_front();
  const bool repeat = !peaks_.empty() && peaks_.front().second * (1.0 + p_.new_high_margin) >= raw;
  while (!peaks_.empty() && peaks_.back().second <= raw)
    peaks_.pop_back();
  peaks_.emplace_back(ts_ms, raw);

  const bool recurring = recurs_daily(ts_ms, raw);
  const bool fresh = !repeat && !recurring;
  double score = fresh ? raw : raw * p_.repeat_factor;
  // A rising run of fresh highs is reported once, at its peak (see peak_delay).
  if (pending_ >= 0.0 && fresh && pending_age_ < p_.peak_delay) {
    pending_ = raw; // still rising
    ++pending_age_;
    score = raw * p_.repeat_factor;
  } else if (pending_ >= 0.0) {
    score = fresh ? raw : std::max(pending_, score); // the run's peak, once
    pending_ = -1.0;
  } else if (fresh && p_.peak_delay > 0) {
    pending_ = raw;
    pending_age_ = 1;
    score = raw * p_.repeat_factor;
  }
  if (n_ <= static_cast<size_t>(p_.warmup_samples))
    score = 0.0;
  d.score = std::clamp(score, 0.0, 1.0);
  last_ = d;
  return d.score;
}

nlohmann::json anomaly_scorer::to_json() const {
  nlohmann::json recent = nlohmann::json::array();
  for (const auto& [s, z] : recent_)
    recent.push_back({s, z});
  return {{"version", 1},
          {"params", p_},
          {"model", model_.to_json()},
          {"recent", recent},
          {"memory", memory_},
          {"direction", direction_},
          {"n", n_},
          {"peaks", pairs_to_json(peaks_)},
          {"spread", spread_},
          {"daily", pairs_to_json(daily_)},
          {"pending", pending_},
          {"pending_age", pending_age_},
          {"last_value", last_value_},
          {"run",
           {run_start_ms_, last_ts_ms_, run_from_start_, run_reported_, longest_run_ms_,
            repeat_steps_, run_steps_}}};
}

anomaly_scorer anomaly_scorer::from_json(const nlohmann::json& j) {
  anomaly_scorer s(j.at("params").get<anomaly_score_params>());
  s.model_ = robust_seasonal_model::from_json(j.at("model"));
  for (const auto& r : j.at("recent"))
    s.recent_.emplace_back(r.at(0).get<double>(), r.at(1).get<double>());
  s.memory_ = j.at("memory").get<surprise_baseline>();
  s.direction_ = j.at("direction").get<surprise_baseline>();
  s.n_ = j.at("n").get<size_t>();
  for (const auto& p : j.at("peaks"))
    s.peaks_.emplace_back(p.at(0).get<int64_t>(), p.at(1).get<double>());
  s.spread_ = j.at("spread").get<double>();
  for (const auto& p : j.value("daily", nlohmann::json::array()))
    s.daily_.emplace_back(p.at(0).get<int64_t>(), p.at(1).get<double>());
  s.pending_ = j.value("pending", -1.0);
  s.pending_age_ = j.value("pending_age", 0);
  s.last_value_ = j.at("last_value").get<double>();
  if (j.contains("run")) {
    const auto& r = j.at("run");
    s.run_start_ms_ = r.at(0).get<int64_t>();
    s.last_ts_ms_ = r.at(1).get<int64_t>();
    s.run_from_start_ = r.at(2).get<bool>();
    s.run_reported_ = r.at(3).get<bool>();
    s.longest_run_ms_ = r.at(4).get<int64_t>();
    s.repeat_steps_ = r.at(5).get<size_t>();
    s.run_steps_ = r.at(6).get<size_t>();
  }
  return s;
}

} // namespace grace::predictor
