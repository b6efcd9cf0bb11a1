#include "actors/predictor/breach_warner.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace grace::predictor {

void to_json(nlohmann::json& j, const breach_warner_settings& s) {
  j = {{"horizon_ms", s.horizon_ms},
       {"use_history", s.use_history},
       {"prior_weight", s.prior_weight},
       {"history_alpha", s.history_alpha},
       {"use_distance", s.use_distance},
       {"use_forecast_class", s.use_forecast_class},
       {"take_max", s.take_max},
       {"reanchor", s.reanchor},
       {"condition_on_newest", s.condition_on_newest},
       {"forecast_prior", s.forecast_prior},
       {"interpolate_classes", s.interpolate_classes},
       {"use_daily", s.use_daily},
       {"fine_forecast_classes", s.fine_forecast_classes},
       {"combined_prior", s.combined_prior},
       {"alarm_budget_per_day", s.alarm_budget_per_day},
       {"use_trend", s.use_trend},
       {"trend_values", s.trend_values},
       {"path_probability", s.path_probability},
       {"score_against_cut", s.score_against_cut},
       {"logistic_calibration", s.logistic_calibration},
       {"calibration_prior", s.calibration_prior},
       {"rise_weight", s.rise_weight},
       {"rise_take_max", s.rise_take_max},
       {"rise_window_ms", s.rise_window_ms},
       {"rise_learned_mix", s.rise_learned_mix},
       {"rise_mix_early_only", s.rise_mix_early_only},
       {"learned_damping", s.learned_damping},
       {"exclusive_threshold", s.exclusive_threshold},
       {"rise_prior_weight", s.rise_prior_weight},
       {"rise_band_gate", s.rise_band_gate},
       {"rise_cause_context", s.rise_cause_context},
       {"rise_rank_choice", s.rise_rank_choice},
       {"rise_rank_prior", s.rise_rank_prior}};
}

void from_json(const nlohmann::json& j, breach_warner_settings& s) {
  s.horizon_ms = j.value("horizon_ms", s.horizon_ms);
  s.use_history = j.value("use_history", s.use_history);
  s.prior_weight = j.value("prior_weight", s.prior_weight);
  s.history_alpha = j.value("history_alpha", s.history_alpha);
  s.use_distance = j.value("use_distance", s.use_distance);
  s.use_forecast_class = j.value("use_forecast_class", s.use_forecast_class);
  s.take_max = j.value("take_max", s.take_max);
  s.reanchor = j.value("reanchor", s.reanchor);
  s.condition_on_newest = j.value("condition_on_newest", s.condition_on_newest);
  s.forecast_prior = j.value("forecast_prior", s.forecast_prior);
  s.interpolate_classes = j.value("interpolate_classes", s.interpolate_classes);
  s.use_daily = j.value("use_daily", s.use_daily);
  s.fine_forecast_classes = j.value("fine_forecast_classes", s.fine_forecast_classes);
  s.combined_prior = j.value("combined_prior", s.combined_prior);
  s.alarm_budget_per_day = j.value("alarm_budget_per_day", s.alarm_budget_per_day);
  s.use_trend = j.value("use_trend", s.use_trend);
  s.trend_values = j.value("trend_values", s.trend_values);
  s.path_probability = j.value("path_probability", s.path_probability);
  s.score_against_cut = j.value("score_against_cut", s.score_against_cut);
  s.logistic_calibration = j.value("logistic_calibration", s.logistic_calibration);
  s.calibration_prior = j.value("calibration_prior", s.calibration_prior);
  s.rise_weight = j.value("rise_weight", s.rise_weight);
  s.rise_take_max = j.value("rise_take_max", s.rise_take_max);
  s.rise_window_ms = j.value("rise_window_ms", s.rise_window_ms);
  s.rise_learned_mix = j.value("rise_learned_mix", s.rise_learned_mix);
  s.rise_mix_early_only = j.value("rise_mix_early_only", s.rise_mix_early_only);
  s.learned_damping = j.value("learned_damping", s.learned_damping);
  s.exclusive_threshold = j.value("exclusive_threshold", s.exclusive_threshold);
  s.rise_prior_weight = j.value("rise_prior_weight", s.rise_prior_weight);
  s.rise_band_gate = j.value("rise_band_gate", s.rise_band_gate);
  s.rise_cause_context = j.value("rise_cause_context", s.rise_cause_context);
  s.rise_rank_choice = j.value("rise_rank_choice", s.rise_rank_choice);
  s.rise_rank_prior = j.value("rise_rank_prior", s.rise_rank_prior);
  if (!(s.rise_rank_prior >= 0.0 && std::isfinite(s.rise_rank_prior)))
    throw std::invalid_argument("breach warner: rise_rank_prior must be a number >= 0");
  if (!std::isfinite(s.rise_prior_weight))
    throw std::invalid_argument("breach warner: rise_prior_weight must be a number");
  if (!(s.rise_weight >= 0.0 && s.rise_weight <= 1.0))
    throw std::invalid_argument("breach warner: rise_weight must be in [0, 1]");
  if (s.rise_window_ms <= 0)
    throw std::invalid_argument("breach warner: rise_window_ms must be positive");
}

breach_warner::breach_warner(double threshold, bool higher_is_worse, breach_warner_settings s)
    : threshold_(threshold), given_threshold_(threshold), higher_is_worse_(higher_is_worse), s_(s) {
  s_.horizon_ms = std::max<int64_t>(s_.horizon_ms, 1);
  s_.prior_weight = std::max(s_.prior_weight, 0.0);
  s_.history_alpha = std::clamp(s_.history_alpha, 0.0, 1.0);
  s_.trend_values = std::max<size_t>(s_.trend_values, 3);
  if (!(s_.calibration_prior > 0.0))
    s_.calibration_prior = 1.0;
  if (!(s_.alarm_budget_per_day > 0.0))
    s_.alarm_budget_per_day = 0.0;
  s_.rise_weight = std::isfinite(s_.rise_weight) ? std::clamp(s_.rise_weight, 0.0, 1.0) : 0.0;
  s_.rise_window_ms = std::max<int64_t>(s_.rise_window_ms, 1);
  if (s_.exclusive_threshold)
    // The next representable value beyond it: "at or beyond" that is
    // "strictly beyond" the given one, for the values and the forecast alike.
    threshold_ =
        std::nextafter(threshold_, higher_is_worse_ ? std::numeric_limits<double>::infinity()
                                                    : -std::numeric_limits<double>::infinity());
  false_run_start_.fill(-1);
}

bool breach_warner::beyond(double v) const {
  return higher_is_worse_ ? v >= threshold_ : v <= threshold_;
}

int breach_warner::class_of(int64_t now) const {
  if (last_breach_ms_ < 0)
    return classes - 1;
  const int64_t hour = 3'600'000;
  const int64_t since = now - last_breach_ms_;
  int c = 0;
  for (int64_t limit = hour; c < classes - 2 && since >= limit; limit *= 2)
    ++c;
  return c;
}

bool breach_warner::trend_reaches() const {
  // Least squares through the recent values; times in hours from the newest.
  const size_t n = recent_values_.size();
  if (n < 3)
    return false;
  const double t_end = static_cast<double>(recent_values_.back().first);
  double st = 0.0, sv = 0.0;
  for (const auto& [t, v] : recent_values_) {
    st += (static_cast<double>(t) - t_end) / 3.6e6;
    sv += v;
  }
  const double mt = st / static_cast<double>(n), mv = sv / static_cast<double>(n);
  double stt = 0.0, stv = 0.0;
  for (const auto& [t, v] : recent_values_) {
    const double dt = (static_cast<double>(t) - t_end) / 3.6e6 - mt;
    stt += dt * dt;
    stv += dt * (v - mv);
  }
  if (!(stt > 0.0))
    return false;
  const double slope = stv / stt; // per hour
  const double ahead = mv + slope * (static_cast<double>(s_.horizon_ms) / 3.6e6 - mt);
  return std::isfinite(ahead) && beyond(ahead);
}

int breach_warner::distance_class(int64_t now) const {
  if ((s_.use_daily || s_.use_trend) && !s_.use_distance) {
    int slot = 0;
    if (s_.use_daily) {
      // A breach in (now - 1 day, now - 1 day + horizon]: the hour ahead, yesterday.
      const int64_t day = 86'400'000, from = now - day, to = now - day + s_.horizon_ms;
      for (int64_t t : recent_breaches_)
        if (t > from && t <= to) {
          slot = 1;
          break;
        }
    }
    return slot + (s_.use_trend && trend_reaches() ? 2 : 0);
  }
  if (!s_.use_distance || observed_ == 0)
    return 0;
  const double gap = higher_is_worse_ ? threshold_ - last_value_ : last_value_ - threshold_;
  const double unit = std::max(spread_, 1e-9 * std::abs(threshold_) + 1e-300);
  const double d = gap / unit;
  int c = 0;
  for (double limit = 1.0; c < distances - 1 && d >= limit; limit *= 2.0)
    ++c;
  return c;
}

namespace {
// Lower edges of the forecast classes 1..6 (class 0 below the first); the
// coarse classes use the first four.
constexpr std::array<double, 6> forecast_class_edges{0.001, 0.01, 0.05, 0.2, 0.5, 0.8};
constexpr int coarse_edges = 4;
// Each class's centre in log10 P (class 0 spans 1e-4 .. 1e-3 for this, the top one .. 1).
double forecast_class_centre(int c, int top) {
  const double lo = c == 0 ? 1e-4 : forecast_class_edges[static_cast<size_t>(c - 1)];
  const double hi = c == top ? 1.0 : forecast_class_edges[static_cast<size_t>(c)];
  return 0.5 * (std::log10(lo) + std::log10(hi));
}
// The probabilities a metric's warning cut is chosen among (alarm_cut).
constexpr std::array<double, breach_warner::alarm_levels> alarm_level_values{
    0.01, 0.015, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
constexpr int64_t hour_ms = 3'600'000;
constexpr double day_ms = 86'400'000.0;
double logit(double p) {
  const double q = std::clamp(p, 1e-6, 1.0 - 1e-6);
  return std::log(q / (1.0 - q));
}
} // namespace

int breach_warner::forecast_class(double p) const {
  if (!s_.use_forecast_class)
    return 0;
  const int edges =
      s_.fine_forecast_classes ? static_cast<int>(forecast_class_edges.size()) : coarse_edges;
  int c = 0;
  for (int i = 0; i < edges; ++i)
    c += p >= forecast_class_edges[static_cast<size_t>(i)] ? 1 : 0;
  return c;
}

double breach_warner::class_prior(int fc, double p_cell, double overall) const {
  if (!s_.combined_prior)
    return p_cell;
  const size_t k = static_cast<size_t>(fc);
  const double p_class =
      (class_hits_[k] + s_.prior_weight * overall) / (class_trials_[k] + s_.prior_weight);
  // Two pieces of evidence about one rate, each measured against the overall
  // rate, taken as independent: their log-odds add.
  const double z = logit(p_class) + logit(p_cell) - logit(overall);
  return 1.0 / (1.0 + std::exp(-z));
}

double breach_warner::class_rate(size_t c, int fc, double prior) const {
  const size_t f = c * forecast_classes + static_cast<size_t>(fc);
  return (fine_hits_[f] + s_.prior_weight * prior) / (fine_trials_[f] + s_.prior_weight);
}

void breach_warner::note_forecast(const forecast& f) {
  latest_ = f;
  if (s_.learned_damping)
    note_damping(f);
}

namespace {
// The standard normal's 90% quantile: an 80% interval is +-1.2816 sd.
constexpr double z80 = 1.2815515655446004;
constexpr size_t damping_forecasts_kept = 16;
} // namespace

int breach_warner::damping_bin(int64_t lead_ms) const {
  // Leads in (0, h/12] -> 0, ..., (11h/12, h] -> 11, beyond -> 12.
  const int64_t h = s_.horizon_ms;
  const int64_t k = (lead_ms * 12 + h - 1) / h - 1;
  return static_cast<int>(std::clamp<int64_t>(k, 0, damping_bins - 1));
}

void breach_warner::note_damping(const forecast& f) {
  // Once per forecast (the node judges one forecast again on later values),
  // and only with a value to measure its predicted change from.
  if (f.generated_at == damping_noted_at_ || f.points.empty() || observed_ == 0)
    return;
  noted_forecast n;
  n.generated_at = f.generated_at;
  n.base = last_value_;
  n.step = std::max<int64_t>(f.step, 1);
  for (const auto& pt : f.points) {
    if (pt.ts <= f.generated_at || !std::isfinite(pt.mean))
      continue;
    const double sd = (pt.hi80 - pt.lo80) / (2.0 * z80);
    n.points.push_back({pt.ts, pt.mean, std::isfinite(sd) ? std::max(sd, 0.0) : 0.0});
  }
  std::stable_sort(n.points.begin(), n.points.end(),
                   [](const noted_point& a, const noted_point& b) { return a.ts < b.ts; });
  damping_noted_at_ = f.generated_at;
  damping_base_ = last_value_;
  if (n.points.empty())
    return;
  damping_pending_.push_back(std::move(n));
  while (damping_pending_.size() > damping_forecasts_kept)
    damping_pending_.pop_front();
}

void breach_warner::settle_damping(int64_t ts_ms, double value) {
  const double keep = 1.0 - s_.history_alpha;
  for (auto& n : damping_pending_) {
    while (n.next < n.points.size() && n.points[n.next].ts <= ts_ms) {
      const auto& pt = n.points[n.next++];
      if (ts_ms - pt.ts >= n.step)
        continue; // no value near the point's time (a gap): not settled
      const size_t k = static_cast<size_t>(damping_bin(pt.ts - n.generated_at));
      const double x = pt.mean - n.base, y = value - n.base;
      if (!std::isfinite(x) || !std::isfinite(y))
        continue;
      damp_n_[k] = damp_n_[k] * keep + 1.0;
      damp_xx_[k] = damp_xx_[k] * keep + x * x;
      damp_xy_[k] = damp_xy_[k] * keep + x * y;
      damp_yy_[k] = damp_yy_[k] * keep + y * y;
      damp_ss_[k] = damp_ss_[k] * keep + pt.sd * pt.sd;
    }
  }
  while (!damping_pending_.empty()
         && damping_pending_.front().next >= damping_pending_.front().points.size())
    damping_pending_.pop_front();
}

double breach_warner::damping(int bin) const {
  const size_t k = static_cast<size_t>(std::clamp(bin, 0, damping_bins - 1));
  const double n = damp_n_[k], xx = damp_xx_[k];
  if (!(n > 0.0) || !(xx > 0.0))
    return 1.0;
  // Least squares through the origin, shrunk towards 1 by prior_weight
  // pseudo-values of this bin's mean x^2.
  const double prior = s_.prior_weight * xx / n;
  const double beta = (damp_xy_[k] + prior) / (xx + prior);
  return std::isfinite(beta) ? std::clamp(beta, 0.0, 2.0) : 1.0;
}

double breach_warner::spread_scale(int bin) const {
  const size_t k = static_cast<size_t>(std::clamp(bin, 0, damping_bins - 1));
  const double n = damp_n_[k], ss = damp_ss_[k];
  if (!(n > 0.0) || !(ss > 0.0))
    return 1.0;
  const double beta = damping(bin);
  const double rss =
      std::max(damp_yy_[k] - 2.0 * beta * damp_xy_[k] + beta * beta * damp_xx_[k], 0.0);
  // The mean squared error against the mean nominal variance, shrunk towards 1.
  const double prior = s_.prior_weight * ss / n;
  const double ratio = (rss + prior) / (ss + prior);
  return std::isfinite(ratio) ? std::clamp(std::sqrt(ratio), 0.1, 10.0) : 1.0;
}

forecast breach_warner::damped(const forecast& f) const {
  if (!s_.learned_damping || f.points.empty())
    return f;
  const double base =
      f.generated_at == damping_noted_at_ ? damping_base_ : (observed_ > 0 ? last_value_ : 0.0);
  if (!std::isfinite(base))
    return f;
  forecast out = f;
  for (auto& pt : out.points) {
    if (pt.ts <= f.generated_at || !std::isfinite(pt.mean))
      continue;
    const int k = damping_bin(pt.ts - f.generated_at);
    const double beta = damping(k), r = spread_scale(k);
    const double mean = base + beta * (pt.mean - base);
    pt.lo95 = mean + r * (pt.lo95 - pt.mean);
    pt.lo80 = mean + r * (pt.lo80 - pt.mean);
    pt.hi80 = mean + r * (pt.hi80 - pt.mean);
    pt.hi95 = mean + r * (pt.hi95 - pt.mean);
    pt.mean = mean;
  }
  return out;
}

void breach_warner::count(int fine, bool hit) {
  const double keep = 1.0 - s_.history_alpha;
  for (double& x : fine_trials_)
    x *= keep;
  for (double& x : fine_hits_)
    x *= keep;
  for (double& x : cell_trials_)
    x *= keep;
  for (double& x : cell_hits_)
    x *= keep;
  for (double& x : trials_)
    x *= keep;
  for (double& x : hits_)
    x *= keep;
  for (double& x : class_trials_)
    x *= keep;
  for (double& x : class_hits_)
    x *= keep;
  all_trials_ = all_trials_ * keep + 1.0;
  all_hits_ = all_hits_ * keep + (hit ? 1.0 : 0.0);
  const size_t f = static_cast<size_t>(fine), c = f / forecast_classes, since = c / distances;
  const size_t fc = f % forecast_classes;
  fine_trials_[f] += 1.0;
  cell_trials_[c] += 1.0;
  trials_[since] += 1.0;
  class_trials_[fc] += 1.0;
  if (hit) {
    class_hits_[fc] += 1.0;
    fine_hits_[f] += 1.0;
    cell_hits_[c] += 1.0;
    hits_[since] += 1.0;
  }
}

void breach_warner::settle(int64_t now) {
  // Trials whose horizon has passed without a breach are misses.
  while (!pending_.empty() && pending_.front().at + s_.horizon_ms < now) {
    count(pending_.front().cell, false);
    note_outcome(pending_.front(), false);
    note_calibration(pending_.front(), false);
    note_mix(pending_.front(), -1);
    note_rank(pending_.front(), false);
    pending_.pop_front();
  }
}

void breach_warner::note_outcome(const trial& t, bool hit) {
  if (s_.alarm_budget_per_day <= 0.0)
    return;
  const double keep = 1.0 - s_.history_alpha;
  const double elapsed = last_settled_ms_ < 0 ? 0.0 : static_cast<double>(t.at - last_settled_ms_);
  exposure_days_ = exposure_days_ * keep + std::max(elapsed, 0.0) / day_ms;
  last_settled_ms_ = std::max(last_settled_ms_, t.at);
  for (size_t b = 0; b < alarm_level_values.size(); ++b) {
    false_episodes_[b] *= keep;
    if (hit || t.probability < alarm_level_values[b]) {
      false_run_start_[b] = -1;
    } else if (false_run_start_[b] < 0 || t.at - false_run_start_[b] >= hour_ms) {
      // A new false run, or one that re-asserts its claim after an hour.
      false_episodes_[b] += 1.0;
      false_run_start_[b] = t.at;
    }
  }
}

namespace {
// The calibration bins: logit(p) clamped to [-15, 7], one bin per unit.
constexpr double calibration_low = -15.0;
int calibration_bin(double logit_p, int bins) {
  return std::clamp(static_cast<int>(std::floor(logit_p - calibration_low)), 0, bins - 1);
}
} // namespace

void breach_warner::note_calibration(const trial& t, bool hit) {
  if (!s_.logistic_calibration)
    return;
  const double keep = 1.0 - s_.history_alpha;
  for (int b = 0; b < calibration_bins; ++b) {
    cal_trials_[static_cast<size_t>(b)] *= keep;
    cal_hits_[static_cast<size_t>(b)] *= keep;
    cal_logits_[static_cast<size_t>(b)] *= keep;
  }
  const double x = std::clamp(logit(t.forecast), calibration_low, 7.0);
  const size_t b = static_cast<size_t>(calibration_bin(x, calibration_bins));
  cal_trials_[b] += 1.0;
  cal_hits_[b] += hit ? 1.0 : 0.0;
  cal_logits_[b] += x;
  ++cal_updates_;
}

double breach_warner::calibrated(double forecast_p) const {
  if (cal_fitted_at_ != cal_updates_) {
    // Newton's method on the penalised log-likelihood, from the last fit.
    const double tau = s_.calibration_prior;
    double a = cal_a_, b = cal_b_;
    for (int iteration = 0; iteration < 4; ++iteration) {
      double ga = -tau * a, gb = -tau * (b - 1.0), haa = tau, hab = 0.0, hbb = tau;
      for (size_t k = 0; k < cal_trials_.size(); ++k) {
        const double n = cal_trials_[k];
        if (!(n > 1e-9))
          continue;
        const double x = cal_logits_[k] / n;
        const double q = 1.0 / (1.0 + std::exp(-(a + b * x)));
        const double r = cal_hits_[k] - n * q, w = n * q * (1.0 - q);
        ga += r;
        gb += r * x;
        haa += w;
        hab += w * x;
        hbb += w * x * x;
      }
      const double det = haa * hbb - hab * hab;
      if (!(det > 0.0))
        break;
      a += (hbb * ga - hab * gb) / det;
      b += (haa * gb - hab * ga) / det;
    }
    if (std::isfinite(a) && std::isfinite(b)) {
      cal_a_ = a;
      cal_b_ = b;
    }
    cal_fitted_at_ = cal_updates_;
  }
  const double x = std::clamp(logit(forecast_p), calibration_low, 7.0);
  return 1.0 / (1.0 + std::exp(-(cal_a_ + cal_b_ * x)));
}

void breach_warner::note_mix(const trial& t, int64_t breach_at) {
  if (!s_.rise_learned_mix)
    return;
  const bool hit = breach_at >= 0;
  if (s_.rise_mix_early_only) {
    const int since = t.cell / forecast_classes / distances;
    if (since == 0 || (hit && breach_at - t.at < s_.horizon_ms / 4))
      return; // inside a burst, or a breach too close to have been warned early
  }
  auto loss = [hit](double p) {
    p = std::clamp(p, 1e-6, 1.0 - 1e-6);
    return -std::log(hit ? p : 1.0 - p);
  };
  const double keep = 1.0 - s_.history_alpha;
  const double f = s_.logistic_calibration ? calibrated(t.forecast) : t.forecast;
  mix_loss_forecast_ = mix_loss_forecast_ * keep + loss(f);
  mix_loss_rise_ = mix_loss_rise_ * keep + loss(t.rise);
}

double breach_warner::rise_mix_weight() const {
  // exp(-L_rise) / (exp(-L_rise) + exp(-L_forecast)), written to stay finite.
  return 1.0 / (1.0 + std::exp(std::clamp(mix_loss_rise_ - mix_loss_forecast_, -700.0, 700.0)));
}

namespace {
int rank_bin(double p) {
  constexpr double lowest = -12.0, width = 0.5;
  const double x = std::clamp(logit(std::clamp(p, 1e-9, 1.0 - 1e-9)), lowest, -lowest);
  return std::clamp(static_cast<int>(std::floor((x - lowest) / width)), 0, 47);
}
} // namespace

void breach_warner::note_rank(const trial& t, bool positive) {
  if (!s_.rise_rank_choice)
    return;
  const double keep = 1.0 - s_.history_alpha;
  for (size_t part = 0; part < 2; ++part) {
    for (double& x : rank_pos_[part])
      x *= keep;
    for (double& x : rank_neg_[part])
      x *= keep;
    const auto b = static_cast<size_t>(rank_bin(part == 0 ? t.out_forecast : t.out_rise));
    (positive ? rank_pos_ : rank_neg_)[part][b] += 1.0;
  }
  ++rank_updates_;
}

double breach_warner::rank_positives() const {
  double n = 0.0;
  for (double x : rank_pos_[0])
    n += x;
  return n;
}

double breach_warner::rank_auc(bool rise) const {
  // P(a positive's bin above a negative's), ties counted half.
  const auto& pos = rank_pos_[rise ? 1 : 0];
  const auto& neg = rank_neg_[rise ? 1 : 0];
  double below = 0.0, sum = 0.0, n_pos = 0.0;
  for (size_t b = 0; b < pos.size(); ++b) {
    sum += pos[b] * (below + 0.5 * neg[b]);
    below += neg[b];
    n_pos += pos[b];
  }
  return n_pos > 0.0 && below > 0.0 ? sum / (n_pos * below) : 0.5;
}

bool breach_warner::rise_chosen() const {
  if (!s_.rise_rank_choice)
    return false;
  if (rank_chosen_at_ != rank_updates_) {
    // AUCs shrunk by rise_rank_prior pseudo-positives on which the forecast
    // part ranks perfectly and the rise part at chance.
    const double n = rank_positives(), k = s_.rise_rank_prior;
    rank_rise_ = n * (rank_auc(true) - rank_auc(false)) > 0.5 * k;
    rank_chosen_at_ = rank_updates_;
  }
  return rank_rise_;
}

double breach_warner::alarm_cut() const {
  if (s_.alarm_budget_per_day <= 0.0 || exposure_days_ < 1.0)
    return 0.0;
  for (size_t b = 0; b < alarm_level_values.size(); ++b)
    if (false_episodes_[b] / exposure_days_ <= s_.alarm_budget_per_day)
      return alarm_level_values[b];
  return alarm_level_values.back();
}

void breach_warner::observe(int64_t ts_ms, double value) {
  if (!std::isfinite(value))
    return;
  ts_ms = std::max(ts_ms, last_ts_ms_); // time never runs backwards here
  settle(ts_ms);
  if (s_.learned_damping)
    settle_damping(ts_ms, value);
  while (!recent_breaches_.empty()
         && recent_breaches_.front() <= ts_ms - 86'400'000 - s_.horizon_ms)
    recent_breaches_.pop_front();
  const double step = std::abs(value - last_value_);
  if (observed_ > 0 && std::isfinite(step))
    spread_ += (observed_ == 1 ? 1.0 : 0.01) * (step - spread_);
  last_value_ = value;
  ++observed_;
  if (rise_on())
    observe_rise(ts_ms, value);
  if (s_.condition_on_newest) {
    // A forecast spans one horizon; keep two, the forecast may be older.
    recent_observed_.emplace_back(ts_ms, value);
    while (recent_observed_.front().first < ts_ms - 2 * s_.horizon_ms)
      recent_observed_.pop_front();
  }
  if (s_.use_trend) {
    recent_values_.emplace_back(ts_ms, value);
    while (recent_values_.size() > s_.trend_values)
      recent_values_.pop_front();
  }
  if (beyond(value)) {
    // A fresh breach: none within the horizon before it.
    const bool fresh = last_breach_ms_ < 0 || ts_ms - last_breach_ms_ > s_.horizon_ms;
    // Every trial still pending saw a breach within its horizon.
    for (const auto& t : pending_) {
      count(t.cell, true);
      note_outcome(t, true);
      note_calibration(t, true);
      note_mix(t, ts_ms);
      if (fresh && ts_ms - t.at >= s_.horizon_ms / 4)
        note_rank(t, true); // early for it; later or not fresh: neither
    }
    pending_.clear();
    last_breach_ms_ = ts_ms;
    if (s_.use_daily && (recent_breaches_.empty() || recent_breaches_.back() < ts_ms))
      recent_breaches_.push_back(ts_ms);
  } else {
    const int cell = class_of(ts_ms) * distances + distance_class(ts_ms);
    const double p_forecast = forecast_probability(latest_, ts_ms);
    // What the warner says now, for the false-alarm budget (only needed with it).
    const double said = s_.alarm_budget_per_day > 0.0 ? probability(latest_, ts_ms) : 0.0;
    const double p_rise =
        s_.rise_learned_mix || s_.rise_rank_choice ? rise_probability(p_forecast) : 0.0;
    trial t{ts_ms, cell * forecast_classes + forecast_class(p_forecast), said, p_forecast, p_rise};
    if (s_.rise_rank_choice) {
      const double p_history = history_probability(ts_ms, p_forecast);
      const double calibrated_f = s_.logistic_calibration ? calibrated(p_forecast) : p_forecast;
      t.out_forecast = output_with(calibrated_f, p_history);
      t.out_rise = output_with(with_rise(calibrated_f, p_rise), p_history);
    }
    pending_.push_back(t);
  }
  last_ts_ms_ = ts_ms;
}

namespace {
// The rise ladder: climbs of at least 2^(k - 2) steps, k = 0 .. rise_distances - 1.
double rise_edge(int k) {
  return std::ldexp(1.0, k - 2);
}
} // namespace

void breach_warner::count_rise(int cell, double climbed, bool gated, bool caused) {
  const double keep = 1.0 - s_.history_alpha;
  for (double& x : rise_trials_)
    x *= keep;
  for (double& x : rise_hits_)
    x *= keep;
  rise_trials_[static_cast<size_t>(cell)] += 1.0;
  for (int k = 0; k < rise_distances && climbed >= rise_edge(k); ++k)
    rise_hits_[static_cast<size_t>(cell * rise_distances + k)] += 1.0;
  if (s_.rise_cause_context) {
    for (auto& a : rise_ctx_trials_)
      for (double& x : a)
        x *= keep;
    for (auto& a : rise_ctx_hits_)
      for (double& x : a)
        x *= keep;
    const size_t c = caused ? 1 : 0;
    rise_ctx_trials_[c][static_cast<size_t>(cell)] += 1.0;
    for (int k = 0; k < rise_distances && climbed >= rise_edge(k); ++k)
      rise_ctx_hits_[c][static_cast<size_t>(cell * rise_distances + k)] += 1.0;
  }
  if (!s_.rise_band_gate)
    return;
  for (double& x : rise_gate_trials_)
    x *= keep;
  for (double& x : rise_gate_hits_)
    x *= keep;
  if (!gated)
    return;
  rise_gate_trials_[static_cast<size_t>(cell)] += 1.0;
  for (int k = 0; k < rise_distances && climbed >= rise_edge(k); ++k)
    rise_gate_hits_[static_cast<size_t>(cell * rise_distances + k)] += 1.0;
}

void breach_warner::set_rise_gate(double level) {
  rise_gate_ = level;
}

bool breach_warner::gated(double value) const {
  if (!s_.rise_band_gate || !std::isfinite(rise_gate_))
    return false;
  return higher_is_worse_ ? value >= rise_gate_ : value <= rise_gate_;
}

double breach_warner::rise_evidence() const {
  const size_t cell = static_cast<size_t>(rise_cell_);
  return rise_trials_[cell] + rise_trials_[cell ^ 1u];
}

void breach_warner::observe_rise(int64_t ts_ms, double value) {
  const double u = towards(value);
  // Trials whose horizon has passed: how far the metric climbed within it.
  while (!rise_pending_.empty() && rise_pending_.front().at + s_.horizon_ms < ts_ms) {
    const auto& t = rise_pending_.front();
    count_rise(t.cell, (t.highest - t.value) / t.unit, t.gated, t.caused);
    rise_pending_.pop_front();
  }
  for (auto& t : rise_pending_)
    if (ts_ms > t.at)
      t.highest = std::max(t.highest, u);
  rise_window_.emplace_back(ts_ms, u);
  while (rise_window_.front().first < ts_ms - s_.rise_window_ms)
    rise_window_.pop_front();
  // The rise behind this value and whether it is still going, in steps.
  const double unit = std::max(spread_, 1e-9 * std::abs(threshold_) + 1e-12);
  double lowest = u, half_ago = u;
  bool half_found = false;
  for (const auto& [t, x] : rise_window_) {
    lowest = std::min(lowest, x);
    if (!half_found && t >= ts_ms - s_.rise_window_ms / 2) {
      half_ago = x;
      half_found = true;
    }
  }
  const double rise = (u - lowest) / unit;
  int c = 0;
  for (double limit = 1.0; c < rise_classes - 1 && rise >= limit; limit *= 2.0)
    ++c;
  const bool rising = (u - half_ago) / unit > 1.0;
  rise_cell_ = c * 2 + (rising ? 1 : 0);
  rise_gated_ = gated(value);
  rise_pending_.push_back({ts_ms, u, unit, rise_cell_, u, rise_gated_, rise_caused_});
}

double breach_warner::rise_probability(double forecast_p) const {
  if (observed_ == 0 || !std::isfinite(threshold_))
    return forecast_p;
  const double unit = std::max(spread_, 1e-9 * std::abs(threshold_) + 1e-12);
  const double d = (towards(threshold_) - towards(last_value_)) / unit;
  if (!(d > 0.0))
    return 1.0; // at or beyond the threshold already
  const size_t cell = static_cast<size_t>(rise_cell_);
  const size_t sibling = cell ^ 1u; // the same rise class, the other momentum
  const double w = rise_prior();
  const bool in_gate = s_.rise_band_gate && rise_gated_;
  // hits of n trials shrunk towards prior by w pseudo-trials (the prior
  // itself with neither, e.g. rise_prior_weight 0 on a new metric).
  auto shrunk = [w](double hits, double n, double prior) {
    return n + w > 0.0 ? (hits + w * prior) / (n + w) : prior;
  };
  auto rate = [&](int k) {
    const size_t i = cell * rise_distances + static_cast<size_t>(k);
    const size_t j = sibling * rise_distances + static_cast<size_t>(k);
    const double p_class = shrunk(rise_hits_[i] + rise_hits_[j],
                                  rise_trials_[cell] + rise_trials_[sibling], forecast_p);
    double p = shrunk(rise_hits_[i], rise_trials_[cell], p_class);
    if (in_gate) // from inside the band: this cell's band entries, shrunk towards all its values
      p = shrunk(rise_gate_hits_[i], rise_gate_trials_[cell], p);
    if (s_.rise_cause_context) { // the rises seen in the same context (a cause in trouble or not)
      const size_t c = rise_caused_ ? 1 : 0;
      p = shrunk(rise_ctx_hits_[c][i], rise_ctx_trials_[c][cell], p);
    }
    return p;
  };
  // Between two rungs of the ladder: linear in log distance, in log rate.
  const double x = std::log2(d) + 2.0;
  if (x <= 0.0)
    return rate(0);
  if (x >= rise_distances - 1)
    return rate(rise_distances - 1);
  const int k = static_cast<int>(std::floor(x));
  const double lo = std::max(rate(k), 1e-12), hi = std::max(rate(k + 1), 1e-12);
  return std::exp(std::log(lo) + (x - k) * (std::log(hi) - std::log(lo)));
}

double breach_warner::history_probability(int64_t now) const {
  return history_probability(now, forecast_probability(latest_, now));
}

double breach_warner::history_probability(int64_t now, double forecast_p) const {
  if (!s_.use_history)
    return 0.0;
  // Sceptical: no breach seen, no history risk (thresholds sit where breaches are rare).
  const double overall = all_hits_ / (all_trials_ + s_.prior_weight);
  const size_t since = static_cast<size_t>(class_of(now));
  const double p_since =
      (hits_[since] + s_.prior_weight * overall) / (trials_[since] + s_.prior_weight);
  const size_t c = since * distances + static_cast<size_t>(distance_class(now));
  const double p_cell =
      (cell_hits_[c] + s_.prior_weight * p_since) / (cell_trials_[c] + s_.prior_weight);
  if (!s_.use_forecast_class)
    return p_cell;
  const int fc = forecast_class(forecast_p);
  const double base = class_prior(fc, p_cell, overall);
  const double prior = s_.forecast_prior ? std::max(base, forecast_p) : base;
  const double rate = class_rate(c, fc, prior);
  if (!s_.interpolate_classes)
    return rate;
  const double x = std::log10(std::max(forecast_p, 1e-4));
  const int top = s_.fine_forecast_classes ? forecast_classes - 1 : coarse_edges;
  const double centre = forecast_class_centre(fc, top);
  const int other = x < centre ? fc - 1 : fc + 1;
  if (other < 0 || other > top)
    return rate;
  const double other_centre = forecast_class_centre(other, top);
  const double w = std::clamp((x - centre) / (other_centre - centre), 0.0, 1.0);
  return (1.0 - w) * rate + w * class_rate(c, other, prior);
}

forecast breach_warner::anchored(const forecast& f) const {
  if (s_.condition_on_newest) {
    std::vector<std::pair<timestamp_ms, double>> since;
    for (const auto& o : recent_observed_)
      if (o.first > f.generated_at)
        since.push_back(o);
    return condition_on_observed(f, since);
  }
  if (!s_.reanchor || observed_ == 0 || last_ts_ms_ <= f.generated_at || f.points.empty())
    return f;
  // The forecast's mean at the newest value's time (linear between points).
  const forecast_point* before = nullptr;
  double expected = std::nan("");
  for (const auto& pt : f.points) {
    if (pt.ts >= last_ts_ms_) {
      if (pt.ts == last_ts_ms_)
        expected = pt.mean;
      else if (before != nullptr)
        expected = before->mean
                   + (pt.mean - before->mean) * static_cast<double>(last_ts_ms_ - before->ts)
                         / static_cast<double>(pt.ts - before->ts);
      break;
    }
    before = &pt;
  }
  const double shift = last_value_ - expected;
  if (!std::isfinite(shift))
    return f;
  forecast moved = f;
  for (auto& pt : moved.points) {
    pt.mean += shift;
    pt.lo80 += shift;
    pt.hi80 += shift;
    pt.lo95 += shift;
    pt.hi95 += shift;
  }
  return moved;
}

double breach_warner::forecast_probability(const forecast& given, int64_t now) const {
  const forecast f = damped(anchored(given));
  if (s_.path_probability) {
    std::vector<forecast_point> ahead;
    for (const auto& pt : f.points)
      if (pt.ts > now && pt.ts <= now + s_.horizon_ms)
        ahead.push_back(pt);
    if (ahead.empty()) {
      // A horizon shorter than the forecast's step: the first point ahead speaks for it.
      for (const auto& pt : f.points)
        if (pt.ts > now && (ahead.empty() || pt.ts < ahead.front().ts))
          ahead.assign(1, pt);
      return ahead.empty() ? 0.0 : probability_beyond(ahead.front(), threshold_, higher_is_worse_);
    }
    std::stable_sort(ahead.begin(), ahead.end(),
                     [](const forecast_point& a, const forecast_point& b) { return a.ts < b.ts; });
    path_memo& m = path_memo_;
    const double first_spread = ahead.front().hi80 - ahead.front().lo80;
    if (m.generated_at != f.generated_at || m.first_ts != ahead.front().ts
        || m.last_ts != ahead.back().ts || m.first_mean != ahead.front().mean
        || m.first_spread != first_spread) {
      m = {f.generated_at,  ahead.front().ts,
           ahead.back().ts, ahead.front().mean,
           first_spread,    path_probability_beyond(ahead, threshold_, higher_is_worse_)};
    }
    return m.probability;
  }
  double p = 0.0;
  bool any = false;
  for (const auto& pt : f.points) {
    if (pt.ts <= now || pt.ts > now + s_.horizon_ms)
      continue;
    any = true;
    p = std::max(p, probability_beyond(pt, threshold_, higher_is_worse_));
  }
  if (!any) {
    // A horizon shorter than the forecast's step: the first point ahead speaks for it.
    for (const auto& pt : f.points)
      if (pt.ts > now)
        return probability_beyond(pt, threshold_, higher_is_worse_);
  }
  return p;
}

double breach_warner::combined_forecast(double raw) const {
  const double p_forecast = s_.logistic_calibration ? calibrated(raw) : raw;
  if (!rise_on())
    return p_forecast;
  if (s_.rise_rank_choice && !rise_chosen())
    return p_forecast; // the rise part is computed only when it speaks
  const double p_rise = rise_probability(raw);
  if (s_.rise_learned_mix) {
    const double w = rise_mix_weight();
    return w * p_rise + (1.0 - w) * p_forecast;
  }
  return with_rise(p_forecast, p_rise);
}

double breach_warner::with_rise(double p_forecast, double p_rise) const {
  if (s_.rise_take_max)
    return std::max(p_forecast, p_rise);
  if (s_.rise_weight >= 1.0 || (s_.rise_rank_choice && s_.rise_weight <= 0.0))
    return p_rise;
  return 1.0
         / (1.0
            + std::exp(
                -((1.0 - s_.rise_weight) * logit(p_forecast) + s_.rise_weight * logit(p_rise))));
}

double breach_warner::probability(const forecast& f, int64_t now) const {
  const double raw = forecast_probability(f, now);
  const double p_forecast = combined_forecast(raw);
  const double p_history = history_probability(now, raw);
  return s_.take_max ? std::max(p_forecast, p_history) : p_history;
}

double breach_warner::score(const forecast& f, int64_t now) const {
  const double p = probability(f, now);
  const double cut = s_.score_against_cut ? alarm_cut() : 0.0;
  if (!(cut > 0.0))
    return p;
  return 1.0 / (1.0 + std::exp(-(logit(p) - logit(cut))));
}

breach_assessment breach_warner::assess(const forecast& f, int64_t now, band severity) const {
  breach_assessment a =
      assess_threshold(damped(anchored(f)), threshold_, higher_is_worse_, severity);
  const double p = probability(f, now);
  if (a.expected_breach_at == 0 && p >= meaningful_probability) {
    a.expected_breach_at = now + s_.horizon_ms / 2;
    a.predicted_value = threshold_;
  }
  a.probability = p;
  a.min_probability = alarm_cut();
  return a;
}

threshold_warners::threshold_warners(const threshold_spec& t, breach_warner_settings s)
    : warning(t.warning, t.higher_is_worse, s), critical(t.critical, t.higher_is_worse, s) {
  if (s.rise_band_gate)
    critical.set_rise_gate(t.warning); // from the warning band towards the critical one
}

bool threshold_warners::matches(const threshold_spec& t) const {
  auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  return same(warning.threshold(), t.warning) && same(critical.threshold(), t.critical)
         && warning.higher_is_worse() == t.higher_is_worse;
}

void threshold_warners::set_rise_context(bool caused) {
  warning.set_rise_context(caused);
  critical.set_rise_context(caused);
}

void threshold_warners::observe(int64_t ts_ms, double value) {
  warning.observe(ts_ms, value);
  critical.observe(ts_ms, value);
}

breach_outlook threshold_warners::outlook(const forecast& f, int64_t now) {
  warning.note_forecast(f);
  critical.note_forecast(f);
  return {warning.assess(f, now, band::warning), critical.assess(f, now, band::critical)};
}

nlohmann::json breach_warner::to_json() const {
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& t : pending_)
    pending.push_back(
        {t.at, t.cell, t.probability, t.forecast, t.rise, t.out_forecast, t.out_rise});
  nlohmann::json rise_pending = nlohmann::json::array();
  for (const auto& t : rise_pending_)
    rise_pending.push_back({t.at, t.value, t.unit, t.cell, t.highest, t.gated, t.caused});
  nlohmann::json damping_pending = nlohmann::json::array();
  for (const auto& n : damping_pending_) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& pt : n.points)
      points.push_back({pt.ts, pt.mean, pt.sd});
    damping_pending.push_back({n.generated_at, n.base, n.step, n.next, points});
  }
  auto vec = [](const auto& a) { return std::vector<double>(a.begin(), a.end()); };
  const nlohmann::json damping = {{"pending", damping_pending}, {"noted_at", damping_noted_at_},
                                  {"base", damping_base_},      {"n", vec(damp_n_)},
                                  {"xx", vec(damp_xx_)},        {"xy", vec(damp_xy_)},
                                  {"yy", vec(damp_yy_)},        {"ss", vec(damp_ss_)}};
  return {
      {"version", 2},
      {"threshold", given_threshold_},
      {"higher_is_worse", higher_is_worse_},
      {"settings", s_},
      {"last_breach", last_breach_ms_},
      {"last_ts", last_ts_ms_},
      {"last_value", last_value_},
      {"spread", spread_},
      {"observed", observed_},
      {"fine_trials", std::vector<double>(fine_trials_.begin(), fine_trials_.end())},
      {"fine_hits", std::vector<double>(fine_hits_.begin(), fine_hits_.end())},
      {"cell_trials", std::vector<double>(cell_trials_.begin(), cell_trials_.end())},
      {"cell_hits", std::vector<double>(cell_hits_.begin(), cell_hits_.end())},
      {"pending", pending},
      {"trials", std::vector<double>(trials_.begin(), trials_.end())},
      {"hits", std::vector<double>(hits_.begin(), hits_.end())},
      {"all", {all_trials_, all_hits_}},
      {"class_trials", std::vector<double>(class_trials_.begin(), class_trials_.end())},
      {"class_hits", std::vector<double>(class_hits_.begin(), class_hits_.end())},
      {"false_episodes", std::vector<double>(false_episodes_.begin(), false_episodes_.end())},
      {"false_run_start", std::vector<int64_t>(false_run_start_.begin(), false_run_start_.end())},
      {"exposure_days", exposure_days_},
      {"last_settled", last_settled_ms_},
      {"recent_values", recent_values_},
      {"recent_breaches", recent_breaches_},
      {"recent_observed", recent_observed_},
      {"calibration",
       {{"trials", std::vector<double>(cal_trials_.begin(), cal_trials_.end())},
        {"hits", std::vector<double>(cal_hits_.begin(), cal_hits_.end())},
        {"logits", std::vector<double>(cal_logits_.begin(), cal_logits_.end())},
        {"updates", cal_updates_},
        {"fit", {cal_a_, cal_b_}},
        {"fit_current", cal_fitted_at_ == cal_updates_}}},
      {"rise",
       {{"window", rise_window_},
        {"pending", rise_pending},
        {"trials", std::vector<double>(rise_trials_.begin(), rise_trials_.end())},
        {"hits", std::vector<double>(rise_hits_.begin(), rise_hits_.end())},
        {"cell", rise_cell_},
        {"mix_loss", {mix_loss_forecast_, mix_loss_rise_}},
        {"gate",
         {{"level", std::isfinite(rise_gate_) ? nlohmann::json(rise_gate_) : nlohmann::json()},
          {"trials", vec(rise_gate_trials_)},
          {"hits", vec(rise_gate_hits_)},
          {"now", rise_gated_}}},
        {"context",
         {{"trials", {vec(rise_ctx_trials_[0]), vec(rise_ctx_trials_[1])}},
          {"hits", {vec(rise_ctx_hits_[0]), vec(rise_ctx_hits_[1])}},
          {"now", rise_caused_}}}}},
      {"damping", damping},
      {"rank",
       {{"positives", {vec(rank_pos_[0]), vec(rank_pos_[1])}},
        {"negatives", {vec(rank_neg_[0]), vec(rank_neg_[1])}}}}};
}

breach_warner breach_warner::from_json(const nlohmann::json& j) {
  // Version 1 had 5 forecast classes; its cells are spread onto the 7 of version 2.
  const int version = j.value("version", 0);
  if (version != 1 && version != 2)
    throw std::runtime_error("breach_warner: state version must be 1 or 2");
  const size_t stored_classes = version == 1 ? 5 : forecast_classes;
  auto widened = [&](size_t f) {
    return f / stored_classes * forecast_classes + f % stored_classes;
  };
  breach_warner w(j.at("threshold").get<double>(), j.at("higher_is_worse").get<bool>(),
                  j.at("settings").get<breach_warner_settings>());
  w.last_breach_ms_ = j.at("last_breach").get<int64_t>();
  w.last_ts_ms_ = j.at("last_ts").get<int64_t>();
  w.last_value_ = j.at("last_value").get<double>();
  w.spread_ = j.at("spread").get<double>();
  w.observed_ = j.at("observed").get<size_t>();
  const auto cell_trials = j.at("cell_trials").get<std::vector<double>>();
  const auto cell_hits = j.at("cell_hits").get<std::vector<double>>();
  if (cell_trials.size() != w.cell_trials_.size() || cell_hits.size() != w.cell_hits_.size())
    throw std::runtime_error("breach_warner: 'cell_trials' and 'cell_hits' must hold 48 counts");
  std::copy(cell_trials.begin(), cell_trials.end(), w.cell_trials_.begin());
  std::copy(cell_hits.begin(), cell_hits.end(), w.cell_hits_.begin());
  const auto fine_trials = j.at("fine_trials").get<std::vector<double>>();
  const auto fine_hits = j.at("fine_hits").get<std::vector<double>>();
  const size_t fine_cells = static_cast<size_t>(classes * distances) * stored_classes;
  if (fine_trials.size() != fine_cells || fine_hits.size() != fine_cells)
    throw std::runtime_error("breach_warner: 'fine_trials' and 'fine_hits' must hold "
                             + std::to_string(fine_cells) + " counts");
  for (size_t f = 0; f < fine_cells; ++f) {
    w.fine_trials_[widened(f)] = fine_trials[f];
    w.fine_hits_[widened(f)] = fine_hits[f];
  }
  for (const auto& p : j.at("pending")) {
    const int c = p.at(1).get<int>();
    if (c < 0 || static_cast<size_t>(c) >= fine_cells)
      throw std::runtime_error("breach_warner: pending class out of range");
    w.pending_.push_back(
        {p.at(0).get<int64_t>(), static_cast<int>(widened(static_cast<size_t>(c))),
         p.size() > 2 ? p.at(2).get<double>() : 0.0, p.size() > 3 ? p.at(3).get<double>() : 0.0,
         p.size() > 4 ? p.at(4).get<double>() : 0.0, p.size() > 6 ? p.at(5).get<double>() : 0.0,
         p.size() > 6 ? p.at(6).get<double>() : 0.0});
  }
  if (version == 2) {
    const auto class_trials = j.at("class_trials").get<std::vector<double>>();
    const auto class_hits = j.at("class_hits").get<std::vector<double>>();
    if (class_trials.size() != w.class_trials_.size() || class_hits.size() != class_trials.size())
      throw std::runtime_error("breach_warner: 'class_trials' and 'class_hits' must hold 7 counts");
    std::copy(class_trials.begin(), class_trials.end(), w.class_trials_.begin());
    std::copy(class_hits.begin(), class_hits.end(), w.class_hits_.begin());
    const auto episodes = j.at("false_episodes").get<std::vector<double>>();
    const auto starts = j.at("false_run_start").get<std::vector<int64_t>>();
    if (episodes.size() != w.false_episodes_.size() || starts.size() != episodes.size())
      throw std::runtime_error("breach_warner: 'false_episodes' and 'false_run_start' must hold "
                               + std::to_string(alarm_levels) + " values");
    std::copy(episodes.begin(), episodes.end(), w.false_episodes_.begin());
    std::copy(starts.begin(), starts.end(), w.false_run_start_.begin());
    w.exposure_days_ = j.at("exposure_days").get<double>();
    w.last_settled_ms_ = j.at("last_settled").get<int64_t>();
  }
  const auto trials = j.at("trials").get<std::vector<double>>();
  const auto hits = j.at("hits").get<std::vector<double>>();
  if (trials.size() != static_cast<size_t>(classes) || hits.size() != trials.size())
    throw std::runtime_error("breach_warner: 'trials' and 'hits' must hold 8 counts");
  std::copy(trials.begin(), trials.end(), w.trials_.begin());
  std::copy(hits.begin(), hits.end(), w.hits_.begin());
  w.all_trials_ = j.at("all").at(0).get<double>();
  w.all_hits_ = j.at("all").at(1).get<double>();
  for (const auto& [t, v] : j.value("recent_values", std::vector<std::pair<int64_t, double>>{}))
    w.recent_values_.emplace_back(t, v);
  // Absent in states written before use_daily existed.
  for (int64_t t : j.value("recent_breaches", std::vector<int64_t>{}))
    w.recent_breaches_.push_back(t);
  // Absent in states written before condition_on_newest.
  for (const auto& [t, v] : j.value("recent_observed", std::vector<std::pair<int64_t, double>>{}))
    w.recent_observed_.emplace_back(t, v);
  if (j.contains("calibration")) { // absent in states written before logistic_calibration
    const auto& c = j.at("calibration");
    const auto trials = c.at("trials").get<std::vector<double>>();
    const auto hits = c.at("hits").get<std::vector<double>>();
    const auto logits = c.at("logits").get<std::vector<double>>();
    if (trials.size() != w.cal_trials_.size() || hits.size() != trials.size()
        || logits.size() != trials.size())
      throw std::runtime_error("breach_warner: 'calibration' must hold "
                               + std::to_string(calibration_bins) + " bins");
    std::copy(trials.begin(), trials.end(), w.cal_trials_.begin());
    std::copy(hits.begin(), hits.end(), w.cal_hits_.begin());
    std::copy(logits.begin(), logits.end(), w.cal_logits_.begin());
    w.cal_updates_ = c.at("updates").get<size_t>();
    w.cal_a_ = c.at("fit").at(0).get<double>();
    w.cal_b_ = c.at("fit").at(1).get<double>();
    if (c.at("fit_current").get<bool>())
      w.cal_fitted_at_ = w.cal_updates_;
  }
  if (j.contains("rise")) { // absent in states written before rise persistence
    const auto& r = j.at("rise");
    for (const auto& [t, v] : r.at("window").get<std::vector<std::pair<int64_t, double>>>())
      w.rise_window_.emplace_back(t, v);
    const auto trials = r.at("trials").get<std::vector<double>>();
    const auto hits = r.at("hits").get<std::vector<double>>();
    if (trials.size() != w.rise_trials_.size() || hits.size() != w.rise_hits_.size())
      throw std::runtime_error("breach_warner: 'rise' must hold " + std::to_string(rise_cells)
                               + " trials and " + std::to_string(rise_cells * rise_distances)
                               + " hits");
    std::copy(trials.begin(), trials.end(), w.rise_trials_.begin());
    std::copy(hits.begin(), hits.end(), w.rise_hits_.begin());
    auto cell_ok = [](int c) { return c >= 0 && c < rise_cells; };
    w.rise_cell_ = r.at("cell").get<int>();
    if (r.contains("mix_loss")) { // absent in states written before rise_learned_mix
      w.mix_loss_forecast_ = r.at("mix_loss").at(0).get<double>();
      w.mix_loss_rise_ = r.at("mix_loss").at(1).get<double>();
    }
    if (!cell_ok(w.rise_cell_))
      throw std::runtime_error("breach_warner: rise cell out of range");
    if (r.contains("gate")) { // absent in states written before rise_band_gate
      const auto& g = r.at("gate");
      if (!g.at("level").is_null())
        w.rise_gate_ = g.at("level").get<double>();
      const auto gt = g.at("trials").get<std::vector<double>>();
      const auto gh = g.at("hits").get<std::vector<double>>();
      if (gt.size() != w.rise_gate_trials_.size() || gh.size() != w.rise_gate_hits_.size())
        throw std::runtime_error("breach_warner: 'rise.gate' must hold "
                                 + std::to_string(rise_cells) + " trials and "
                                 + std::to_string(rise_cells * rise_distances) + " hits");
      std::copy(gt.begin(), gt.end(), w.rise_gate_trials_.begin());
      std::copy(gh.begin(), gh.end(), w.rise_gate_hits_.begin());
      w.rise_gated_ = g.at("now").get<bool>();
    }
    if (r.contains("context")) { // absent in states written before rise_cause_context
      const auto& x = r.at("context");
      for (size_t c = 0; c < 2; ++c) {
        const auto ct = x.at("trials").at(c).get<std::vector<double>>();
        const auto ch = x.at("hits").at(c).get<std::vector<double>>();
        if (ct.size() != w.rise_ctx_trials_[c].size() || ch.size() != w.rise_ctx_hits_[c].size())
          throw std::runtime_error("breach_warner: 'rise.context' must hold "
                                   + std::to_string(rise_cells) + " trials and "
                                   + std::to_string(rise_cells * rise_distances) + " hits each");
        std::copy(ct.begin(), ct.end(), w.rise_ctx_trials_[c].begin());
        std::copy(ch.begin(), ch.end(), w.rise_ctx_hits_[c].begin());
      }
      w.rise_caused_ = x.at("now").get<bool>();
    }
    for (const auto& p : r.at("pending")) {
      rise_trial t{p.at(0).get<int64_t>(),
                   p.at(1).get<double>(),
                   p.at(2).get<double>(),
                   p.at(3).get<int>(),
                   p.at(4).get<double>(),
                   p.size() > 5 && p.at(5).get<bool>(),
                   p.size() > 6 && p.at(6).get<bool>()};
      if (!cell_ok(t.cell) || !(t.unit > 0.0))
        throw std::runtime_error("breach_warner: bad rise trial");
      w.rise_pending_.push_back(t);
    }
  }
  if (j.contains("rank")) { // absent in states written before rise_rank_choice
    const auto& r = j.at("rank");
    for (size_t part = 0; part < 2; ++part) {
      const auto pos = r.at("positives").at(part).get<std::vector<double>>();
      const auto neg = r.at("negatives").at(part).get<std::vector<double>>();
      if (pos.size() != w.rank_pos_[part].size() || neg.size() != w.rank_neg_[part].size())
        throw std::runtime_error("breach_warner: 'rank' must hold " + std::to_string(rank_bins)
                                 + " bins per part");
      std::copy(pos.begin(), pos.end(), w.rank_pos_[part].begin());
      std::copy(neg.begin(), neg.end(), w.rank_neg_[part].begin());
    }
  }
  if (j.contains("damping")) { // absent in states written before learned_damping
    const auto& d = j.at("damping");
    auto load = [&](const char* key, std::array<double, damping_bins>& out) {
      const auto v = d.at(key).get<std::vector<double>>();
      if (v.size() != out.size())
        throw std::runtime_error(std::string("breach_warner: 'damping.") + key + "' must hold "
                                 + std::to_string(damping_bins) + " values");
      std::copy(v.begin(), v.end(), out.begin());
    };
    load("n", w.damp_n_);
    load("xx", w.damp_xx_);
    load("xy", w.damp_xy_);
    load("yy", w.damp_yy_);
    load("ss", w.damp_ss_);
    w.damping_noted_at_ = d.at("noted_at").get<int64_t>();
    w.damping_base_ = d.at("base").get<double>();
    for (const auto& p : d.at("pending")) {
      noted_forecast n;
      n.generated_at = p.at(0).get<int64_t>();
      n.base = p.at(1).get<double>();
      n.step = std::max<int64_t>(p.at(2).get<int64_t>(), 1);
      n.next = p.at(3).get<size_t>();
      for (const auto& pt : p.at(4))
        n.points.push_back(
            {pt.at(0).get<int64_t>(), pt.at(1).get<double>(), pt.at(2).get<double>()});
      n.next = std::min(n.next, n.points.size());
      w.damping_pending_.push_back(std::move(n));
    }
  }
  return w;
}

} // namespace grace::predictor
