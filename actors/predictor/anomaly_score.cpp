#include "actors/predictor/anomaly_score.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace grace::predictor {

namespace {

constexpr size_t spike = 0, level = 1, shift = 2, calm = 3, long_level = 4, long_shift = 5,
                 cusum = 6, horizon = 7, spread = 8;
// Largest value of the calm statistic -log(mean |z|): mean |z| of 1e-3.
constexpr double calm_max = 6.9;
// Longest window kept (a week at 5 minutes).
constexpr size_t max_window = 2016;

bool known_context_mode(const std::string& mode) {
  return mode == "off" || mode == "alone" || mode == "max" || mode == "mean" || mode == "blend"
         || mode == "channel";
}

// Longest list of spread windows.
constexpr int max_spread_scales = 16;

void check_spread_join(const std::string& join) {
  if (join != "bonferroni" && join != "simes")
    throw std::invalid_argument(
        "anomaly_score_params: 'spread_join' must be bonferroni or simes, not '" + join + "'");
}

void check_context_mode(const std::string& mode) {
  if (!known_context_mode(mode))
    throw std::invalid_argument("anomaly_score_params: 'context_mode' must be off, alone, max, "
                                "mean, blend or channel, not '"
                                + mode + "'");
}

nlohmann::json pairs_to_json(const std::deque<std::pair<int64_t, double>>& q) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& [t, s] : q)
    a.push_back({t, s});
  return a;
}

} // namespace

// --- tail_histogram --------------------------------------------------------

tail_histogram::tail_histogram(double max_value) : max_value_(std::max(max_value, 1e-9)) {}

double tail_histogram::u_of(double x) const {
  // log1p spacing: fine near 0, relative resolution of a few % at the top.
  const double u =
      static_cast<double>(bins) * std::log1p(std::max(x, 0.0)) / std::log1p(max_value_);
  return std::clamp(u, 0.0, static_cast<double>(bins));
}

double tail_histogram::x_of(double u) const {
  return std::expm1(u / static_cast<double>(bins) * std::log1p(max_value_));
}

double tail_histogram::mass_from(double u) const {
  const int b = std::min(static_cast<int>(u), bins - 1);
  double m = w_[static_cast<size_t>(b)] * (static_cast<double>(b + 1) - u);
  for (int i = b + 1; i < bins; ++i)
    m += w_[static_cast<size_t>(i)];
  return std::max(m, 0.0);
}

double tail_histogram::upper_tail(double x, double tail_share, bool pareto,
                                  double min_excess) const {
  if (n_ == 0)
    return 1.0;
  // Effective sample size of the decaying history; the +1 counts the value
  // being judged (an empirical p-value is never 0).
  const double n_eff = 1.0 / alpha_eff_;
  const double u = u_of(x);
  const double p_emp = (mass_from(u) * n_eff + 1.0) / (n_eff + 1.0);
  // The tail: the top tail_share of the mass, from its lower edge x_q.
  double above = 0.0;
  int b = bins - 1;
  for (; b >= 0; --b) {
    if (above + w_[static_cast<size_t>(b)] >= tail_share)
      break;
    above += w_[static_cast<size_t>(b)];
  }
  if (b < 0)
    return p_emp;
  // x_q inside bin b, so that the mass above it is tail_share.
  const double frac =
      w_[static_cast<size_t>(b)] > 0.0 ? (tail_share - above) / w_[static_cast<size_t>(b)] : 0.0;
  const double u_q = static_cast<double>(b + 1) - frac;
  const double x_q = x_of(u_q);
  if (x <= x_q)
    return p_emp;
  // Mean excess (or mean log excess) of the tail's mass over x_q, bin centres.
  double sum = 0.0, mass = 0.0;
  auto take = [&](double centre_u, double weight) {
    const double xc = x_of(centre_u);
    sum += weight * (pareto ? std::log(std::max(xc, 1e-300) / std::max(x_q, 1e-300)) : xc - x_q);
    mass += weight;
  };
  take(0.5 * (u_q + static_cast<double>(b + 1)), tail_share - above);
  for (int i = b + 1; i < bins; ++i)
    take(static_cast<double>(i) + 0.5, w_[static_cast<size_t>(i)]);
  const double excess = std::max(mass > 0.0 ? sum / mass : 0.0, pareto ? 0.0 : min_excess);
  double p_tail;
  if (excess <= 0.0)
    p_tail = 0.0; // the tail is a point: anything beyond it is new
  else if (pareto)
    p_tail = x_q > 0.0 ? tail_share * std::pow(x / x_q, -1.0 / excess) : tail_share;
  else
    p_tail = tail_share * std::exp(-(x - x_q) / excess);
  // Beyond the data the empirical value stalls at 1/(n+1); the tail goes on.
  return std::max(std::min(p_emp, p_tail), 1e-300);
}

void tail_histogram::add(double x, double alpha) {
  if (!std::isfinite(x))
    x = max_value_;
  ++n_;
  alpha_eff_ = std::max(alpha, 1.0 / static_cast<double>(n_));
  for (double& w : w_)
    w *= 1.0 - alpha_eff_;
  const double u = u_of(x);
  w_[static_cast<size_t>(std::min(static_cast<int>(u), bins - 1))] += alpha_eff_;
}

nlohmann::json tail_histogram::to_json() const {
  return {{"max", max_value_},
          {"w", std::vector<double>(w_.begin(), w_.end())},
          {"n", n_},
          {"alpha", alpha_eff_}};
}

tail_histogram tail_histogram::from_json(const nlohmann::json& j) {
  tail_histogram h(j.at("max").get<double>());
  const auto w = j.at("w").get<std::vector<double>>();
  if (w.size() != static_cast<size_t>(bins))
    throw std::runtime_error("tail_histogram: 'w' must have " + std::to_string(bins) + " weights");
  std::copy(w.begin(), w.end(), h.w_.begin());
  h.n_ = j.at("n").get<size_t>();
  h.alpha_eff_ = j.at("alpha").get<double>();
  return h;
}

// --- parameters -------------------------------------------------------------

void to_json(nlohmann::json& j, const anomaly_score_params& p) {
  j = {{"model", p.model},
       {"surprise_cap", p.surprise_cap},
       {"spike_cap", p.spike_cap},
       {"short_window", p.short_window},
       {"window_ms", p.window_ms},
       {"min_window", p.min_window},
       {"second_window_factor", p.second_window_factor},
       {"fisher", p.fisher},
       {"recalibrate", p.recalibrate},
       {"cusum_k", p.cusum_k},
       {"horizon_samples", p.horizon_samples},
       {"spread_window", p.spread_window},
       {"spread_sd_floor", p.spread_sd_floor},
       {"spread_scales", p.spread_scales},
       {"spread_scale_ratio", p.spread_scale_ratio},
       {"spread_join", p.spread_join},
       {"spread_log", p.spread_log},
       {"spread_clip", p.spread_clip},
       {"tail_alpha", p.tail_alpha},
       {"tail_share", p.tail_share},
       {"pareto_tail", p.pareto_tail},
       {"min_excess", p.min_excess},
       {"use_spike", p.use_spike},
       {"use_direction", p.use_direction},
       {"use_calm", p.use_calm},
       {"gaussian_memory", p.gaussian_memory},
       {"context_mode", p.context_mode},
       {"context", p.context},
       {"warmup_samples", p.warmup_samples},
       {"hold_ms", p.hold_ms},
       {"repeat_factor", p.repeat_factor},
       {"new_high_margin", p.new_high_margin},
       {"peak_delay", p.peak_delay},
       {"refractory_ms", p.refractory_ms},
       {"refractory_samples", p.refractory_samples},
       {"fire_level", p.fire_level},
       {"breakthrough", p.breakthrough}};
}

void from_json(const nlohmann::json& j, anomaly_score_params& p) {
  if (j.contains("model"))
    p.model = j.at("model").get<robust_seasonal_params>();
  p.surprise_cap = j.value("surprise_cap", p.surprise_cap);
  p.spike_cap = j.value("spike_cap", p.spike_cap);
  p.short_window = j.value("short_window", p.short_window);
  p.window_ms = j.value("window_ms", p.window_ms);
  p.min_window = j.value("min_window", p.min_window);
  p.second_window_factor = j.value("second_window_factor", p.second_window_factor);
  p.fisher = j.value("fisher", p.fisher);
  p.recalibrate = j.value("recalibrate", p.recalibrate);
  p.cusum_k = j.value("cusum_k", p.cusum_k);
  p.horizon_samples = j.value("horizon_samples", p.horizon_samples);
  if (p.horizon_samples < 0)
    throw std::invalid_argument("anomaly_score_params: 'horizon_samples' must be >= 0");
  p.spread_window = j.value("spread_window", p.spread_window);
  if (p.spread_window < 0)
    throw std::invalid_argument("anomaly_score_params: 'spread_window' must be >= 0");
  p.spread_sd_floor = j.value("spread_sd_floor", p.spread_sd_floor);
  if (!(p.spread_sd_floor > 0.0))
    throw std::invalid_argument("anomaly_score_params: 'spread_sd_floor' must be > 0");
  p.spread_scales = j.value("spread_scales", p.spread_scales);
  if (p.spread_scales < 1 || p.spread_scales > max_spread_scales)
    throw std::invalid_argument("anomaly_score_params: 'spread_scales' must be in [1, "
                                + std::to_string(max_spread_scales) + "]");
  p.spread_scale_ratio = j.value("spread_scale_ratio", p.spread_scale_ratio);
  if (!(p.spread_scale_ratio > 1.0 && std::isfinite(p.spread_scale_ratio)))
    throw std::invalid_argument("anomaly_score_params: 'spread_scale_ratio' must be > 1");
  p.spread_join = j.value("spread_join", p.spread_join);
  check_spread_join(p.spread_join);
  p.spread_log = j.value("spread_log", p.spread_log);
  p.spread_clip = j.value("spread_clip", p.spread_clip);
  if (!(p.spread_clip >= 0.0))
    throw std::invalid_argument("anomaly_score_params: 'spread_clip' must be >= 0");
  p.tail_alpha = j.value("tail_alpha", p.tail_alpha);
  p.tail_share = j.value("tail_share", p.tail_share);
  p.pareto_tail = j.value("pareto_tail", p.pareto_tail);
  p.min_excess = j.value("min_excess", p.min_excess);
  p.use_spike = j.value("use_spike", p.use_spike);
  p.use_direction = j.value("use_direction", p.use_direction);
  p.use_calm = j.value("use_calm", p.use_calm);
  p.gaussian_memory = j.value("gaussian_memory", p.gaussian_memory);
  p.context_mode = j.value("context_mode", p.context_mode);
  check_context_mode(p.context_mode);
  if (j.contains("context"))
    p.context = j.at("context").get<contextual_params>();
  p.warmup_samples = j.value("warmup_samples", p.warmup_samples);
  p.hold_ms = j.value("hold_ms", p.hold_ms);
  p.repeat_factor = j.value("repeat_factor", p.repeat_factor);
  p.new_high_margin = j.value("new_high_margin", p.new_high_margin);
  p.peak_delay = j.value("peak_delay", p.peak_delay);
  p.refractory_ms = j.value("refractory_ms", p.refractory_ms);
  p.refractory_samples = j.value("refractory_samples", p.refractory_samples);
  p.fire_level = j.value("fire_level", p.fire_level);
  p.breakthrough = j.value("breakthrough", p.breakthrough);
  if (p.refractory_ms < 0)
    throw std::invalid_argument("anomaly_score_params: 'refractory_ms' must be >= 0");
  if (p.refractory_samples < 0)
    throw std::invalid_argument("anomaly_score_params: 'refractory_samples' must be >= 0");
  if (!(p.fire_level > 0.0 && p.fire_level < 1.0))
    throw std::invalid_argument("anomaly_score_params: 'fire_level' must be in (0, 1)");
  if (!(p.breakthrough >= 0.0))
    throw std::invalid_argument("anomaly_score_params: 'breakthrough' must be >= 0");
}

// --- anomaly_scorer ---------------------------------------------------------

anomaly_scorer::anomaly_scorer(anomaly_score_params p)
    : p_(p),
      model_(p.model), tails_{tail_histogram(p.spike_cap > 0.0 ? p.spike_cap : p.surprise_cap),
                              tail_histogram(p.surprise_cap),
                              tail_histogram(p.surprise_cap),
                              tail_histogram(calm_max),
                              tail_histogram(p.surprise_cap),
                              tail_histogram(p.surprise_cap),
                              tail_histogram(1000.0),
                              tail_histogram(p.surprise_cap),
                              tail_histogram(p.surprise_cap)} {
  p_.short_window = std::clamp(p_.short_window, 1, static_cast<int>(max_window));
  p_.min_window = std::clamp(p_.min_window, 1, static_cast<int>(max_window));
  p_.window_ms = std::max<int64_t>(0, p_.window_ms);
  p_.second_window_factor = std::clamp(p_.second_window_factor, 0.0, 1000.0);
  p_.cusum_k = std::max(0.0, p_.cusum_k);
  p_.horizon_samples = std::clamp(p_.horizon_samples, 0, static_cast<int>(max_window));
  p_.spread_window = std::clamp(p_.spread_window, 0, static_cast<int>(max_window));
  if (!(p_.spread_clip >= 0.0))
    p_.spread_clip = 0.0;
  if (!(p_.spread_sd_floor > 0.0))
    p_.spread_sd_floor = 0.1;
  p_.spread_scales = std::clamp(p_.spread_scales, 1, max_spread_scales);
  if (!(p_.spread_scale_ratio > 1.0 && std::isfinite(p_.spread_scale_ratio)))
    p_.spread_scale_ratio = 2.0;
  check_spread_join(p_.spread_join);
  if (p_.spread_window > 0) {
    // spread_window * ratio^j, each at least one sample longer than the one
    // before; none beyond the longest window kept.
    double w = static_cast<double>(p_.spread_window);
    spread_windows_.push_back(static_cast<size_t>(p_.spread_window));
    for (int j = 1; j < p_.spread_scales && spread_windows_.back() < max_window; ++j) {
      w *= p_.spread_scale_ratio;
      const auto next = std::max(spread_windows_.back() + 1, static_cast<size_t>(std::llround(w)));
      spread_windows_.push_back(std::min(next, max_window));
    }
    if (spread_windows_.size() > 1) {
      scale_tails_.assign(spread_windows_.size(), tail_histogram(p_.surprise_cap));
      scale_mean_.assign(spread_windows_.size(), 0.0);
      scale_var_.assign(spread_windows_.size(), 0.0);
    }
  }
  p_.peak_delay = std::max(0, p_.peak_delay);
  p_.tail_share = std::clamp(p_.tail_share, 1e-4, 0.5);
  check_context_mode(p_.context_mode);
  if (p_.context_mode != "off")
    context_.emplace(p_.context);
}

double anomaly_scorer::scale_floor(double mean) const {
  // A scale of zero (flat series) would make any change infinitely surprising;
  // floor it by a small share of the series' typical step and its magnitude.
  return 0.05 * spread_ + 1e-9 * std::abs(mean) + 1e-300;
}

size_t anomaly_scorer::window() const {
  const int64_t step = model_.step_ms();
  if (p_.window_ms <= 0 || step <= 0)
    return static_cast<size_t>(p_.short_window);
  const auto w = static_cast<size_t>(std::llround(static_cast<double>(p_.window_ms) / step));
  return std::clamp(w, static_cast<size_t>(p_.min_window), max_window);
}

size_t anomaly_scorer::second_window() const {
  if (p_.second_window_factor <= 0.0)
    return 0;
  const size_t w = window();
  const auto second =
      static_cast<size_t>(std::clamp(std::llround(p_.second_window_factor * static_cast<double>(w)),
                                     2LL, static_cast<long long>(max_window)));
  return second == w ? 0 : second;
}

int64_t anomaly_scorer::refractory_span() const {
  const int64_t step = model_.step_ms();
  if (p_.refractory_samples <= 0 || step <= 0)
    return p_.refractory_ms;
  return std::max(p_.refractory_ms, static_cast<int64_t>(p_.refractory_samples) * step);
}

double anomaly_scorer::scaled_track::push(double err, double alpha, double cap, size_t w) {
  // The first scaled errors wait for a scale of a dozen errors (0 until then);
  // later errors are clipped at 6 scales before they are folded, as the
  // model's residual scale is, so one spike does not inflate it for long.
  constexpr size_t warm = 12;
  const bool ready = count >= warm && scale > 0.0;
  const double r = err / scale; // NaN only from inf / inf at extreme magnitudes
  z.push_back(!ready ? 0.0 : std::isnan(r) ? (err > 0.0 ? cap : -cap) : std::clamp(r, -cap, cap));
  ++count;
  const double a = std::max(alpha, 1.0 / static_cast<double>(count));
  scale += a * ((ready ? std::min(std::abs(err), 6.0 * scale) : std::abs(err)) - scale);
  while (z.size() > w)
    z.pop_front();
  if (z.size() < w)
    return -1.0;
  double sum = 0.0;
  for (double x : z)
    sum += x;
  return std::abs(sum) / static_cast<double>(w);
}

nlohmann::json anomaly_scorer::scaled_track::to_json() const {
  return {{"scale", scale}, {"count", count}, {"z", std::vector<double>(z.begin(), z.end())}};
}

anomaly_scorer::scaled_track anomaly_scorer::scaled_track::from_json(const nlohmann::json& j) {
  scaled_track t;
  t.scale = j.at("scale").get<double>();
  t.count = j.at("count").get<size_t>();
  for (double x : j.at("z").get<std::vector<double>>())
    t.z.push_back(x);
  return t;
}

double anomaly_scorer::judge(double stat, bool gaussian, double sd_floor, double unit, double& mean,
                             double& var, tail_histogram& tail, bool& judged) const {
  double p = 1.0;
  judged = true;
  if (gaussian) {
    // Upper tail of a normal around the running mean (sd at least sd_floor so
    // a perfectly predictable series does not turn rounding into alarms).
    judged = tail.count() > 0;
    if (judged) {
      const double z = (stat - mean) / std::max(std::sqrt(var), sd_floor);
      // Evidence only for more than usual: the tail beyond z doubled (a
      // two-sided convention), so "as usual" (z = 0) is p = 1.
      p = z > 0.0 ? std::max(std::erfc(z / std::sqrt(2.0)), 1e-300) : 1.0;
    }
    const double a = std::max(p_.tail_alpha, 1.0 / static_cast<double>(tail.count() + 1));
    const double delta = stat - mean;
    mean += a * delta;
    var = (1.0 - a) * (var + a * delta * delta);
  } else {
    p = tail.upper_tail(stat, p_.tail_share, p_.pareto_tail, p_.min_excess * unit);
  }
  tail.add(stat, p_.tail_alpha);
  return p;
}

double anomaly_scorer::spread_over(size_t w) const {
  if (p_.spread_clip > 0.0) {
    // Mean of min(|z|, clip): each sample moves it by at most clip / w.
    double sum = 0.0;
    for (auto it = recent_z_.end() - static_cast<long>(w); it != recent_z_.end(); ++it)
      sum += std::min(std::abs(*it), p_.spread_clip);
    return sum / static_cast<double>(w);
  }
  // Median of |z| over the newest w samples (the mean of the two middle ones
  // for an even count).
  std::vector<double> a(w);
  std::transform(recent_z_.end() - static_cast<long>(w), recent_z_.end(), a.begin(),
                 [](double x) { return std::abs(x); });
  const size_t mid = w / 2;
  std::nth_element(a.begin(), a.begin() + static_cast<long>(mid), a.end());
  double median = a[mid];
  if (w % 2 == 0)
    median = 0.5 * (median + *std::max_element(a.begin(), a.begin() + static_cast<long>(mid)));
  return median;
}

double anomaly_scorer::spread_statistic(double median) const {
  // On a log scale a spread k times the usual is the same step at any
  // level; medians below a tenth of the residual scale (a quantised or
  // near-perfectly forecast series) count as a tenth. Shifted by log 10 so
  // the statistic stays >= 0 for the histogram.
  return p_.spread_log ? std::log(0.1 + median) + std::log(10.0) : median;
}

double anomaly_scorer::multi_spread_p() {
  // Tail probability of each window's median of |z| under its own memory.
  std::vector<double> ps;
  for (size_t j = 0; j < spread_windows_.size(); ++j) {
    const size_t w = spread_windows_[j];
    if (recent_z_.size() < w)
      break; // the longer windows are not full either
    bool judged = false;
    const double p = judge(spread_statistic(spread_over(w)), p_.gaussian_memory, p_.spread_sd_floor,
                           1.0 / std::sqrt(static_cast<double>(w)), scale_mean_[j], scale_var_[j],
                           scale_tails_[j], judged);
    if (judged)
      ps.push_back(p);
  }
  if (ps.empty())
    return -1.0;
  // One channel from m tests of the same question (is the spread wider than
  // usual at some scale?): Bonferroni, m times the smallest p, or Simes, the
  // smallest m p_(i) / i over the p in increasing order (valid under the
  // positive dependence of nested windows, and never above Bonferroni).
  const auto m = static_cast<double>(ps.size());
  std::sort(ps.begin(), ps.end());
  double joined = m * ps.front();
  if (p_.spread_join == "simes")
    for (size_t i = 1; i < ps.size(); ++i)
      joined = std::min(joined, m * ps[i] / static_cast<double>(i + 1));
  return std::clamp(joined, 1e-300, 1.0);
}

double anomaly_scorer::evidence_of(const std::array<double, channels>& stats,
                                   const std::array<bool, channels>& have, double extra_p,
                                   double spread_p, std::array<double, channels>& channel_p) {
  channel_p.fill(1.0);
  double p_min = 1.0;
  double sum_log_p = 0.0; // sum of ln p over the channels judged
  int judged = 0;
  auto take = [&](double p, size_t k) {
    if (k < channels)
      channel_p[k] = p;
    p_min = std::min(p_min, p);
    sum_log_p += std::log(p);
    ++judged;
  };
  for (size_t k = 0; k < stats.size(); ++k) {
    if (!have[k])
      continue;
    const bool gaussian = p_.gaussian_memory && k != spike;
    const double sd_floor = k == spread ? p_.spread_sd_floor : 0.1;
    const double unit = gaussian || k == spike || k == cusum
                            ? 1.0
                            : 1.0
                                  / std::sqrt(static_cast<double>(
                                      k == long_level || k == long_shift ? second_window()
                                      : k == spread ? static_cast<size_t>(p_.spread_window)
                                                    : window()));
    bool judged = false;
    const double p =
        judge(stats[k], gaussian, sd_floor, unit, mean_[k], var_[k], tails_[k], judged);
    if (judged)
      take(p, k);
  }
  if (spread_p >= 0.0)
    take(spread_p, spread);
  if (extra_p < 1.0)
    take(extra_p, channels);
  // Unbounded evidence -> [0,1) without saturating, so big events stay
  // ordered by how unlikely they are (10 = a one-in-1e10 value).
  double log10_p = std::log10(p_min);
  if (p_.fisher && judged > 1) {
    // P(chi-square with 2k dof >= x) = exp(-x/2) sum_{j<k} (x/2)^j / j!, x = -2 sum ln p.
    const double half = -sum_log_p;
    double term = 1.0, series = 1.0;
    for (int j = 1; j < judged; ++j) {
      term *= half / j;
      series += term;
    }
    log10_p = std::min(0.0, (-half + std::log(series)) / std::log(10.0));
  }
  double e = std::max(-log10_p, 0.0);
  if (p_.recalibrate) {
    const double p_rate = evidence_tail_.upper_tail(e, p_.tail_share, false, p_.min_excess);
    evidence_tail_.add(e, p_.tail_alpha);
    e = std::max(-std::log10(p_rate), 0.0);
  }
  return e / (e + 10.0);
}

double anomaly_scorer::update(int64_t ts_ms, double value) {
  anomaly_detail d;
  const predictive_distribution pd = model_.predict();
  d.expected = pd.mean;
  d.scale = pd.scale;
  double raw = 0.0;
  double context_p = 1.0;
  if (context_) {
    d.context = context_->update(value);
    if (p_.context_mode == "channel") {
      // The raw contextual score lives in [0, 1]: its tail's mean excess is
      // floored at a twentieth of that range, as the residual channels' is
      // at one residual scale.
      const double x = context_->last_raw();
      context_p = context_tail_.upper_tail(x, p_.tail_share, false, 0.05 * p_.min_excess);
      context_tail_.add(x, p_.tail_alpha);
    }
  }
  if (pd.ready) {
    const double raw_z = (value - pd.mean) / std::max(pd.scale, scale_floor(pd.mean));
    // NaN/inf only come from overflow at extreme magnitudes: treat as maximal.
    auto capped = [&](double cap) {
      return std::isnan(raw_z) ? (value > pd.mean ? 1.0 : -1.0) * cap
                               : std::clamp(raw_z, -cap, cap);
    };
    const double z = capped(p_.surprise_cap);
    const double spike_z = std::abs(capped(p_.spike_cap > 0.0 ? p_.spike_cap : p_.surprise_cap));
    d.surprise = std::abs(z);
    recent_z_.push_back(z);
    const size_t w = window();
    const size_t long_w = second_window();
    const bool multi_spread = spread_windows_.size() > 1;
    const size_t spread_w = spread_windows_.empty() ? 0 : spread_windows_.back();
    while (recent_z_.size() > std::max({w, long_w, spread_w}))
      recent_z_.pop_front();
    std::array<double, channels> stats{};
    std::array<bool, channels> have{};
    stats[spike] = spike_z;
    have[spike] = p_.use_spike;
    // Sums recomputed each time over the newest samples: nothing to drift.
    auto window_means = [&](size_t count) {
      double abs_sum = 0.0, sum = 0.0;
      for (auto it = recent_z_.rbegin(); it != recent_z_.rbegin() + static_cast<long>(count);
           ++it) {
        abs_sum += std::abs(*it);
        sum += *it;
      }
      return std::pair{abs_sum / static_cast<double>(count),
                       std::abs(sum) / static_cast<double>(count)};
    };
    if (recent_z_.size() >= w) {
      const auto [mean_abs, abs_mean] = window_means(w);
      stats[level] = mean_abs;
      stats[shift] = abs_mean;
      stats[calm] = std::clamp(-std::log(std::max(mean_abs, 1e-3)), 0.0, calm_max);
      have[level] = true;
      have[shift] = p_.use_direction;
      have[calm] = p_.use_calm;
    }
    if (long_w > 0 && recent_z_.size() >= long_w) {
      const auto [mean_abs, abs_mean] = window_means(long_w);
      stats[long_level] = mean_abs;
      stats[long_shift] = abs_mean;
      have[long_level] = true;
      have[long_shift] = p_.use_direction;
    }
    if (!multi_spread && spread_w > 0 && recent_z_.size() >= spread_w) {
      stats[spread] = spread_statistic(spread_over(spread_w));
      have[spread] = true;
    }
    if (p_.cusum_k > 0.0) {
      cusum_up_ = std::min(std::max(0.0, cusum_up_ + z - p_.cusum_k), 1000.0);
      cusum_down_ = std::min(std::max(0.0, cusum_down_ - z - p_.cusum_k), 1000.0);
      stats[cusum] = std::max(cusum_up_, cusum_down_);
      have[cusum] = true;
    }
    if (p_.horizon_samples > 0) {
      // The level the model held horizon_samples ago (its local candidate:
      // a flat forecast for every step ahead) against the value now.
      past_levels_.push_back(model_.level());
      while (past_levels_.size() > static_cast<size_t>(p_.horizon_samples))
        past_levels_.pop_front();
      const double err = value - past_levels_.front();
      if (past_levels_.size() == static_cast<size_t>(p_.horizon_samples) && std::isfinite(err)) {
        const double stat = horizon_track_.push(err, p_.model.residual_alpha, p_.surprise_cap, w);
        stats[horizon] = std::max(stat, 0.0);
        have[horizon] = stat >= 0.0;
      }
    }
    const double spread_p = multi_spread ? multi_spread_p() : -1.0;
    std::array<double, channels> channel_p{};
    raw = evidence_of(stats, have, context_p, spread_p, channel_p);
    const double spread_e = std::max(-std::log10(channel_p[spread]), 0.0);
    d.spread = spread_e / (spread_e + 10.0);
    if (p_.context_mode == "blend")
      raw = 0.5 * (raw + context_->last_raw());
  }
  d.evidence = raw;
  const double step = std::abs(value - last_value_);
  if (n_ > 0 && std::isfinite(step))
    spread_ += (n_ == 1 ? 1.0 : 0.01) * (step - spread_);
  last_value_ = value;
  model_.observe(ts_ms, value);
  ++n_;

  // Report an episode once: only a clear new high within hold_ms counts in full.
  while (!peaks_.empty() && peaks_.front().first + p_.hold_ms <= ts_ms)
    peaks_.pop_front();
  const bool fresh =
      raw > 0.0 && (peaks_.empty() || peaks_.front().second * (1.0 + p_.new_high_margin) < raw);
  while (!peaks_.empty() && peaks_.back().second <= raw)
    peaks_.pop_back();
  peaks_.emplace_back(ts_ms, raw);

  double reported = fresh ? raw : raw * p_.repeat_factor;
  // A rising run of fresh highs is reported once, at its peak (see peak_delay).
  if (pending_ >= 0.0 && fresh && pending_age_ < p_.peak_delay) {
    pending_ = raw; // still rising
    ++pending_age_;
    reported = raw * p_.repeat_factor;
  } else if (pending_ >= 0.0) {
    reported = fresh ? raw : std::max(pending_, reported); // the run's peak, once
    pending_ = -1.0;
  } else if (fresh && p_.peak_delay > 0) {
    pending_ = raw;
    pending_age_ = 1;
    reported = raw * p_.repeat_factor;
  }
  const int64_t rest_ms = refractory_span();
  if (rest_ms > 0 && n_ > static_cast<size_t>(p_.warmup_samples)) {
    // Evidence -log10 p back from e/(e+10).
    auto evidence = [](double x) {
      const double c = std::min(x, 1.0 - 1e-12);
      return 10.0 * c / (1.0 - c);
    };
    const bool resting = fired_ms_ >= 0 && ts_ms - fired_ms_ < rest_ms;
    // What the episode rule would report (a run's peak comes a few samples
    // after its raw evidence) breaks through when it is far stronger.
    if (resting
        && !(p_.breakthrough > 0.0 && reported >= p_.fire_level
             && evidence(reported) > p_.breakthrough * fired_evidence_)) {
      reported = std::min(reported, raw * p_.repeat_factor);
    } else if (reported >= p_.fire_level) {
      fired_ms_ = ts_ms;
      fired_evidence_ = evidence(reported);
    }
  }
  double score = reported;
  if (p_.context_mode == "alone")
    score = d.context;
  else if (p_.context_mode == "max")
    score = std::max(score, d.context);
  else if (p_.context_mode == "mean")
    score = 0.5 * (score + d.context);
  if (n_ <= static_cast<size_t>(p_.warmup_samples))
    score = 0.0;
  d.score = std::clamp(score, 0.0, 1.0);
  last_ = d;
  return d.score;
}

nlohmann::json anomaly_scorer::to_json() const {
  nlohmann::json tails = nlohmann::json::array();
  for (const auto& t : tails_)
    tails.push_back(t.to_json());
  nlohmann::json j = {
      {"version", 6},
      {"params", p_},
      {"model", model_.to_json()},
      {"recent_z", std::vector<double>(recent_z_.begin(), recent_z_.end())},
      {"tails", tails},
      {"mean", std::vector<double>(mean_.begin(), mean_.end())},
      {"var", std::vector<double>(var_.begin(), var_.end())},
      {"n", n_},
      {"peaks", pairs_to_json(peaks_)},
      {"pending", pending_},
      {"pending_age", pending_age_},
      {"spread", spread_},
      {"last_value", last_value_},
      {"cusum", {cusum_up_, cusum_down_}},
      {"evidence_tail", evidence_tail_.to_json()},
      {"fired", {fired_ms_, fired_evidence_}},
      {"past_levels", std::vector<double>(past_levels_.begin(), past_levels_.end())},
      {"horizon_track", horizon_track_.to_json()}};
  if (!scale_tails_.empty()) {
    nlohmann::json scale_tails = nlohmann::json::array();
    for (const auto& t : scale_tails_)
      scale_tails.push_back(t.to_json());
    j["spread_memory"] = {{"tails", scale_tails}, {"mean", scale_mean_}, {"var", scale_var_}};
  }
  if (context_) {
    j["context"] = context_->to_json();
    j["context_tail"] = context_tail_.to_json();
  }
  return j;
}

anomaly_scorer anomaly_scorer::from_json(const nlohmann::json& j) {
  // Version 2 had the first four channels only, version 3 seven (before the
  // k-step channel), version 4 eight (before the spread channel), version 5
  // nine but one spread window only; the others start afresh.
  const int version = j.value("version", 0);
  if (version < 2 || version > 6)
    throw std::runtime_error("anomaly_scorer: state version must be 2 to 6");
  const size_t stored = version == 2 ? 4 : version == 3 ? 7 : version == 4 ? 8 : channels;
  anomaly_scorer s(j.at("params").get<anomaly_score_params>());
  s.model_ = robust_seasonal_model::from_json(j.at("model"));
  for (double z : j.at("recent_z").get<std::vector<double>>())
    s.recent_z_.push_back(z);
  const auto& tails = j.at("tails");
  if (!tails.is_array() || tails.size() != stored)
    throw std::runtime_error("anomaly_scorer: 'tails' must hold " + std::to_string(stored)
                             + " histograms");
  for (size_t k = 0; k < stored; ++k)
    s.tails_[k] = tail_histogram::from_json(tails[k]);
  const auto mean = j.at("mean").get<std::vector<double>>();
  const auto var = j.at("var").get<std::vector<double>>();
  if (mean.size() != stored || var.size() != stored)
    throw std::runtime_error("anomaly_scorer: 'mean' and 'var' must hold " + std::to_string(stored)
                             + " numbers");
  std::copy(mean.begin(), mean.end(), s.mean_.begin());
  std::copy(var.begin(), var.end(), s.var_.begin());
  s.n_ = j.at("n").get<size_t>();
  for (const auto& p : j.at("peaks"))
    s.peaks_.emplace_back(p.at(0).get<int64_t>(), p.at(1).get<double>());
  s.pending_ = j.at("pending").get<double>();
  s.pending_age_ = j.at("pending_age").get<int>();
  s.spread_ = j.at("spread").get<double>();
  s.last_value_ = j.at("last_value").get<double>();
  if (version >= 3) {
    const auto c = j.at("cusum").get<std::vector<double>>();
    if (c.size() != 2)
      throw std::runtime_error("anomaly_scorer: 'cusum' must hold 2 numbers");
    s.cusum_up_ = c[0];
    s.cusum_down_ = c[1];
    s.evidence_tail_ = tail_histogram::from_json(j.at("evidence_tail"));
    // Absent in states written before the refractory period existed.
    if (j.contains("fired")) {
      const auto& f = j.at("fired");
      if (!f.is_array() || f.size() != 2)
        throw std::runtime_error("anomaly_scorer: 'fired' must hold [time, evidence]");
      s.fired_ms_ = f.at(0).get<int64_t>();
      s.fired_evidence_ = f.at(1).get<double>();
    }
  }
  if (version >= 4) {
    for (double x : j.at("past_levels").get<std::vector<double>>())
      s.past_levels_.push_back(x);
    s.horizon_track_ = scaled_track::from_json(j.at("horizon_track"));
  }
  // The windows' memories of a multi-scale spread channel: one each.
  if (version >= 6 && !s.scale_tails_.empty()) {
    const auto& m = j.at("spread_memory");
    const auto& scale_tails = m.at("tails");
    const auto scale_mean = m.at("mean").get<std::vector<double>>();
    const auto scale_var = m.at("var").get<std::vector<double>>();
    const size_t k = s.scale_tails_.size();
    if (!scale_tails.is_array() || scale_tails.size() != k || scale_mean.size() != k
        || scale_var.size() != k)
      throw std::runtime_error("anomaly_scorer: 'spread_memory' must hold " + std::to_string(k)
                               + " histograms, means and variances");
    for (size_t i = 0; i < k; ++i)
      s.scale_tails_[i] = tail_histogram::from_json(scale_tails[i]);
    s.scale_mean_ = scale_mean;
    s.scale_var_ = scale_var;
  }
  if (s.context_) {
    s.context_ = contextual_detector::from_json(j.at("context"));
    s.context_tail_ = tail_histogram::from_json(j.at("context_tail"));
  }
  return s;
}

} // namespace grace::predictor
