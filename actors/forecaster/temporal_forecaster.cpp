#include "actors/forecaster/temporal_forecaster.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace grace::forecaster {
namespace {

// Scale units. Features are clipped so that a spike at the origin cannot
// drive the linear model far (it would extrapolate it linearly).
constexpr double feature_limit = 8.0;
// The global model's forecast is kept within the candidates' range widened by
// this many scale units: it may re-weigh and correct the candidates, not
// leave them behind on an unusual origin.
constexpr double envelope_margin = 2.0;

double within_envelope(double v, const std::array<double, candidate_count>& c, double scale) {
  const auto [lo, hi] = std::minmax_element(c.begin(), c.end());
  return std::clamp(v, *lo - envelope_margin * scale, *hi + envelope_margin * scale);
}

double damped_sum(double phi, int h) {
  double s = 0.0, p = 1.0;
  for (int j = 1; j <= h; ++j) {
    p *= phi;
    s += p;
  }
  return s;
}

// A scale that is never 0: constant series still get finite features.
double safe_scale(double scale, double level) {
  if (scale > 0.0 && std::isfinite(scale)) {
    return scale;
  }
  return std::max(1e-6 * std::fabs(level), 1e-9);
}

struct calendar_features {
  double tod_sin = 0.0, tod_cos = 1.0, weekend = 0.0;
};

calendar_features calendar_of(int64_t ms) {
  int64_t in_day = ms % day_ms;
  if (in_day < 0) {
    in_day += day_ms;
  }
  const double angle = 2.0 * M_PI * static_cast<double>(in_day) / static_cast<double>(day_ms);
  int64_t days = ms / day_ms;
  if (ms < 0 && ms % day_ms != 0) {
    --days;
  }
  const int64_t dow = ((days + 4) % 7 + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  return {std::sin(angle), std::cos(angle), (dow == 0 || dow == 6) ? 1.0 : 0.0};
}

// The features that depend on the origin only (every entry but the
// component, the seasonal lag, the profile change, the trend and the
// calendar); make_horizon_features completes them for one horizon.
feature_vector make_origin_features(const prepared_series& p, size_t t, const origin_summary& s,
                                    double scale) {
  const double ref = s.med_short;
  const double inv = 1.0 / scale;
  auto rel = [&](double v) { return std::clamp((v - ref) * inv, -feature_limit, feature_limit); };
  feature_vector f{};
  f[feature_intercept] = 1.0;
  const double lag1 = t >= 1 ? p.y[t - 1] : ref;
  const double lag2 = t >= 2 ? p.y[t - 2] : lag1;
  f[feature_lag1] = rel(lag1);
  f[feature_lag2] = rel(lag2);
  const size_t k = std::min<size_t>(t, 4);
  double sum = 0.0;
  for (size_t i = t - k; i < t; ++i) {
    sum += p.y[i];
  }
  f[feature_lag_mean4] = rel(k > 0 ? sum / static_cast<double>(k) : ref);
  f[feature_median_long] = rel(s.med_long);
  f[feature_mean_short] = rel(s.mean_short);
  f[feature_midrange_short] = rel(s.mid_short);
  return f;
}

// base: make_origin_features of this origin. damp = damped_trend_factor(phi, h);
// seasonal_target, seasonal_now: the profile at rows t + h - 1 and t - 1 (0
// when t = 0).
void make_horizon_features(feature_vector& f, const prepared_series& p, size_t t, int h,
                           const origin_summary& s, const es_state& es, double component,
                           double scale, const calendar_features& cal, double damp,
                           double seasonal_target, double seasonal_now) {
  const double ref = s.med_short;
  const double inv = 1.0 / scale;
  auto rel = [&](double v) { return std::clamp((v - ref) * inv, -feature_limit, feature_limit); };
  f[feature_component] = rel(component);
  const long lag = seasonal_lag_index(t, h, p.cycle);
  f[feature_seasonal_lag] = rel(lag >= 0 ? p.y[static_cast<size_t>(lag)] : ref);
  f[feature_profile_change] =
      std::clamp((seasonal_target - seasonal_now) * inv, -feature_limit, feature_limit);
  f[feature_damped_trend] = std::clamp(damp * es.trend * inv, -feature_limit, feature_limit);
  f[feature_time_of_day_sin] = cal.tod_sin;
  f[feature_time_of_day_cos] = cal.tod_cos;
  f[feature_weekend] = cal.weekend;
}

feature_vector make_features(const prepared_series& p, size_t t, int h, const origin_summary& s,
                             const es_state& es, double component, double scale,
                             const calendar_features& cal, const robust_settings& st) {
  feature_vector f = make_origin_features(p, t, s, scale);
  make_horizon_features(f, p, t, h, s, es, component, scale, cal, damped_sum(st.phi, h),
                        p.seasonal(t + static_cast<size_t>(h) - 1),
                        t >= 1 ? p.seasonal(t - 1) : 0.0);
  return f;
}

// The global model's weights of one horizon, copied out of the Eigen matrix
// so that the validation loop's dot products inline (same order of
// summation as quantile_model::predict, hence the same result).
using weight_row = std::array<double, feature_count>;

std::vector<weight_row> weight_rows(const quantile_model& global, int H) {
  const Eigen::MatrixXd& w = global.weights();
  std::vector<weight_row> out(static_cast<size_t>(H));
  for (int h = 1; h <= H; ++h) {
    const long row = std::clamp<long>(h - 1, 0, w.rows() - 1);
    for (int f = 0; f < feature_count; ++f) {
      out[static_cast<size_t>(h - 1)][static_cast<size_t>(f)] = w(row, f);
    }
  }
  return out;
}

inline double predict_with(const weight_row& w, const feature_vector& x) {
  double s = 0.0;
  for (int f = 0; f < feature_count; ++f) {
    s += w[static_cast<size_t>(f)] * x[static_cast<size_t>(f)];
  }
  return s;
}

double combine(const std::array<double, candidate_count>& c,
               const std::array<double, candidate_count>& w) {
  double s = 0.0;
  for (int i = 0; i < candidate_count; ++i) {
    s += w[static_cast<size_t>(i)] * c[static_cast<size_t>(i)];
  }
  return s;
}

// Weights from validation errors: the best few candidates, inversely to their
// squared error (forecast combination in the M4 sense, but only among the
// candidates that fit this series).
std::array<double, candidate_count>
combination_weights(const std::array<double, candidate_count>& mae) {
  std::array<int, candidate_count> order{};
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return mae[static_cast<size_t>(a)] < mae[static_cast<size_t>(b)];
  });
  std::array<double, candidate_count> w{};
  const double best = mae[static_cast<size_t>(order[0])];
  if (!(best > 1e-12)) {
    w[static_cast<size_t>(order[0])] = 1.0;
    return w;
  }
  constexpr int top = 3;
  double total = 0.0;
  for (int i = 0; i < top; ++i) {
    const double m = mae[static_cast<size_t>(order[static_cast<size_t>(i)])];
    if (m > 1.5 * best) {
      break; // far worse candidates only add noise
    }
    const double v = 1.0 / (m * m);
    w[static_cast<size_t>(order[static_cast<size_t>(i)])] = v;
    total += v;
  }
  for (double& v : w) {
    v /= total;
  }
  return w;
}

prepared_series prepared_tail(const series_model& m) {
  prepared_series p;
  p.y = m.tail;
  p.profile = m.profile;
  p.cycle = m.cycle;
  p.phase0 = m.tail_phase0;
  p.week_profile = m.week_profile;
  p.week = m.week;
  p.week_phase0 = m.tail_week_phase0;
  p.noise_sigma = m.noise_sigma;
  const size_t n = p.y.size();
  p.d.resize(n);
  p.cum.assign(n + 1, 0.0);
  p.cum_d.assign(n + 1, 0.0);
  for (size_t i = 0; i < n; ++i) {
    p.d[i] = p.y[i] - p.seasonal(i);
    p.cum[i + 1] = p.cum[i] + p.y[i];
    p.cum_d[i + 1] = p.cum_d[i] + p.d[i];
  }
  return p;
}

// The tail the forecasts need: the seasonal lags, the windows of the
// medians, and the week-ago level.
size_t tail_rows(const prepared_series& p, const robust_settings& st) {
  const int level_rows = p.cycle > 0 ? p.cycle : st.short_window;
  const int week_rows = p.week > 0 ? p.week + level_rows : 0;
  return std::min(p.y.size(), static_cast<size_t>(std::max(
                                  {p.cycle + st.short_window, week_rows, st.long_window, 4})));
}

// Robust sigma of the one-step changes of y: 1.4826 * their median absolute
// value, at least a fifth of their mean absolute value (step-like series).
double one_step_sigma(const std::vector<double>& y) {
  if (y.size() < 2) {
    return 0.0;
  }
  std::vector<double> diffs;
  diffs.reserve(y.size() - 1);
  double mean_abs = 0.0;
  for (size_t i = 1; i < y.size(); ++i) {
    diffs.push_back(std::fabs(y[i] - y[i - 1]));
    mean_abs += diffs.back();
  }
  mean_abs /= static_cast<double>(diffs.size());
  return std::max(1.4826 * median_inplace(diffs), 0.2 * mean_abs);
}

// Widens the horizons calibrated on fewer than min_samples residuals to at
// least a random walk's normal intervals with one-step sigma `sigma`.
conformal_calibration with_short_history_floor(const conformal_calibration& cal,
                                               const std::vector<size_t>& counts, int min_samples,
                                               double sigma) {
  if (!(sigma > 0.0) || !std::isfinite(sigma)) {
    return cal;
  }
  std::vector<interval_offsets> ph = cal.per_horizon();
  ph.resize(counts.size(), ph.empty() ? interval_offsets{} : ph.back());
  bool changed = false;
  for (size_t i = 0; i < ph.size(); ++i) {
    if (counts[i] >= static_cast<size_t>(std::max(min_samples, 0))) {
      continue;
    }
    const double r = sigma * std::sqrt(static_cast<double>(i + 1));
    auto& o = ph[i];
    o.lo80 = std::min(o.lo80, -1.2816 * r);
    o.hi80 = std::max(o.hi80, 1.2816 * r);
    o.lo95 = std::min(o.lo95, -1.96 * r);
    o.hi95 = std::max(o.hi95, 1.96 * r);
    changed = true;
  }
  return changed ? conformal_calibration(std::move(ph)) : cal;
}

} // namespace

series_model fit_series(const series_input& input, const forecaster_config& cfg,
                        const quantile_model& global, training_set* rows, size_t max_rows) {
  const robust_settings& st = cfg.robust;
  const int H = std::max(cfg.horizon, 1);
  series_model model;
  model.id = input.id;
  model.step_ms = input.step_ms > 0 ? input.step_ms : 300'000;
  std::vector<double> y = fill_missing(input.values);
  const size_t n = y.size();
  model.history_rows = n;
  model.next_ms = input.start_ms + static_cast<int64_t>(n) * model.step_ms;
  double abs_diff = 0.0;
  for (size_t i = 1; i < n; ++i) {
    abs_diff += std::fabs(y[i] - y[i - 1]);
  }
  std::vector<double> scratch;
  const double raw_scale = n > 1 ? abs_diff / static_cast<double>(n - 1) : 0.0;
  // The level is only needed for a constant series' scale or a short history.
  const double level =
      (n > 0 && (!(raw_scale > 0.0) || n < static_cast<size_t>(std::max(cfg.min_rows, 4))))
          ? median_of_range(y, 0, n, scratch)
          : 0.0;
  model.scale = safe_scale(raw_scale, level);
  const int cycle = daily_cycle_rows(model.step_ms);
  const int phase0 = phase_of(input.start_ms, model.step_ms, cycle);
  const int week = weekly_cycle_rows(model.step_ms);
  const int week_phase0 = week_phase_of(input.start_ms, model.step_ms, week);

  if (n < static_cast<size_t>(std::max(cfg.min_rows, 4))) {
    // Short history: the median, with intervals from the spread around it.
    std::array<double, candidate_count> median_only{};
    median_only[candidate_median_short] = 1.0;
    model.weights.assign(static_cast<size_t>(H), median_only);
    model.tail = y;
    if (n > 0) {
      model.es.level = level;
    }
    std::vector<std::vector<calibration_sample>> samples(static_cast<size_t>(H));
    for (int h = 1; h <= H; ++h) {
      for (double v : y) {
        samples[static_cast<size_t>(h - 1)].push_back({(v - level) * 1.25, 0.0});
      }
    }
    model.calibration = with_short_history_floor(conformal_calibration::calibrate(samples, 0.0),
                                                 std::vector<size_t>(static_cast<size_t>(H), n),
                                                 cfg.min_calibration_samples, one_step_sigma(y));
    return model;
  }

  // Rolling-origin validation over the last rows of the window. The profile
  // used here is estimated before the validation span so that seasonal
  // candidates are not judged on data they were fitted to.
  const size_t span = std::min(static_cast<size_t>(std::max(cfg.validation_rows, H)), n / 2);
  const size_t v_begin = n - span;
  // The medians of the window's whole days serve both profiles when the
  // validation span is whole days (the default: 288 rows at 5 minutes).
  // Which seasonal profiles pass their strength test is decided on the rows
  // before the span; the final state keeps the same ones (the candidates'
  // weights were judged with them).
  std::vector<double> day_medians;
  if (cycle > 0 && v_begin >= static_cast<size_t>(cycle)) {
    day_medians = cycle_medians(y, n, cycle);
  }
  seasonality v_season = estimate_seasonality(
      y, v_begin, cycle, phase0, week, week_phase0, st,
      cycle > 0 && span % static_cast<size_t>(cycle) == 0 ? day_medians : std::vector<double>{});
  const seasonality pv_season = v_season;
  const prepared_series pv = prepare(y, std::move(v_season), st);
  std::array<bool, candidate_count> usable = usable_candidates(pv, v_begin);

  // Cells (origin, horizon) in origin-major order. What depends on the
  // horizon only (damped-trend factor, weights of the global model) or on the
  // row only (profile value, calendar) is computed once, not per cell.
  struct cell {
    size_t origin; // index into summaries
    int h;
    std::array<double, candidate_count> c;
  };
  const std::vector<origin_summary> summaries = summarise_range(pv, v_begin, n, st);
  size_t drifting = 0;
  for (const origin_summary& s : summaries) {
    drifting += s.drift_significant ? 1 : 0;
  }
  if (2 * drifting < summaries.size()) {
    usable[candidate_seasonal_naive_drift] = false;
  }
  std::vector<double> damp(static_cast<size_t>(H) + 1);
  std::vector<double> trend_damp(static_cast<size_t>(H) + 1);
  for (int h = 1; h <= H; ++h) {
    damp[static_cast<size_t>(h)] = damped_trend_factor(st.phi, h);
    trend_damp[static_cast<size_t>(h)] = damped_trend_factor(st.trend_phi, h);
  }
  // Profile value of rows v_begin - 1 ... n - 1 (index + 1 - v_begin).
  std::vector<double> seas(span + 1, 0.0);
  for (size_t r = v_begin > 0 ? v_begin - 1 : 0; r < n; ++r) {
    seas[r + 1 - v_begin] = pv.seasonal(r);
  }
  auto seasonal_at = [&](size_t row) { return seas[row + 1 - v_begin]; };
  std::vector<cell> cells;
  cells.reserve(span * static_cast<size_t>(H));
  // Candidate errors per horizon, summed over the validation cells: plainly
  // and, when a half-life is set, weighted by age (recent origins count more:
  // a series' best candidates can change). Which of the two sets the weights
  // is chosen per series out of sample: weights from the older half of the
  // origins, judged on the newer half.
  const bool recency = cfg.combination_half_life > 0.0;
  const bool choose_recency = recency && cfg.combination_choose_recency;
  const size_t half = summaries.size() / 2; // origins [0, half) are the older half
  using error_sums = std::vector<std::array<double, candidate_count>>;
  error_sums mae(static_cast<size_t>(H));
  error_sums mae_recent(recency ? static_cast<size_t>(H) : 0);
  // The same over the cells whose targets precede the newer half's first
  // origin (so that the choice sees none of the rows it is judged on).
  error_sums mae_older(choose_recency ? static_cast<size_t>(H) : 0);
  error_sums mae_recent_older(choose_recency ? static_cast<size_t>(H) : 0);
  // Origins counted back from the end so that the newest origin is always in.
  const size_t vstride = static_cast<size_t>(std::max(cfg.validation_stride, 1));
  // An error's weight halves every half-life of its target's age;
  // weight[h - 1] is that of the current origin's cell of horizon h, and
  // each grows by `growth` from one origin to the next (no exp per cell).
  const size_t t_first = v_begin + (n - 1 - v_begin) % vstride;
  std::vector<double> weight(static_cast<size_t>(H), 1.0);
  double growth = 1.0;
  if (recency) {
    const double rate = std::log(2.0) / cfg.combination_half_life;
    for (int h = 1; h <= H; ++h) {
      const double age = static_cast<double>(n) - static_cast<double>(t_first) - h;
      weight[static_cast<size_t>(h - 1)] = std::exp(-rate * age);
    }
    growth = std::exp(rate * static_cast<double>(vstride));
  }
  for (size_t t = t_first; t < n; t += vstride) {
    const origin_summary& s = summaries[t - v_begin];
    for (int h = 1; h <= H && t + static_cast<size_t>(h) - 1 < n; ++h) {
      const size_t target = t + static_cast<size_t>(h) - 1;
      cell c{t - v_begin, h,
             candidate_forecasts_given(pv, t, h, s, pv.es[t], damp[static_cast<size_t>(h)],
                                       seasonal_at(target))};
      const double actual = y[target];
      auto& e = mae[static_cast<size_t>(h - 1)];
      for (int k = 0; k < candidate_count; ++k) {
        e[static_cast<size_t>(k)] += std::fabs(actual - c.c[static_cast<size_t>(k)]);
      }
      if (recency) {
        auto& r = mae_recent[static_cast<size_t>(h - 1)];
        const double w = weight[static_cast<size_t>(h - 1)];
        for (int k = 0; k < candidate_count; ++k) {
          r[static_cast<size_t>(k)] += w * std::fabs(actual - c.c[static_cast<size_t>(k)]);
        }
        if (choose_recency && target < v_begin + half) {
          auto& eo = mae_older[static_cast<size_t>(h - 1)];
          auto& ro = mae_recent_older[static_cast<size_t>(h - 1)];
          for (int k = 0; k < candidate_count; ++k) {
            const double err = std::fabs(actual - c.c[static_cast<size_t>(k)]);
            eo[static_cast<size_t>(k)] += err;
            ro[static_cast<size_t>(k)] += w * err;
          }
        }
      }
      cells.push_back(c);
    }
    if (recency) {
      for (double& w : weight) {
        w *= growth;
      }
    }
  }
  // Weights per horizon from the errors of neighbouring horizons too: the
  // best candidate changes with the horizon (recent values help the first
  // steps, longer medians the later ones), but one horizon alone is noisy.
  auto weights_from = [&](const error_sums& sums) {
    std::vector<std::array<double, candidate_count>> out(static_cast<size_t>(H));
    const int band = std::max(cfg.combination_band, 0);
    for (int h = 0; h < H; ++h) {
      std::array<double, candidate_count> pooled{};
      for (int k = std::max(0, h - band); k <= std::min(H - 1, h + band); ++k) {
        for (int c = 0; c < candidate_count; ++c) {
          pooled[static_cast<size_t>(c)] += sums[static_cast<size_t>(k)][static_cast<size_t>(c)];
        }
      }
      for (int c = 0; c < candidate_count; ++c) {
        if (!usable[static_cast<size_t>(c)]) {
          pooled[static_cast<size_t>(c)] = std::numeric_limits<double>::infinity();
        }
      }
      out[static_cast<size_t>(h)] = combination_weights(pooled);
    }
    return out;
  };
  bool use_recent = recency;
  if (choose_recency) {
    use_recent = false;
    if (half > 0) {
      const auto plain = weights_from(mae_older);
      const auto recent = weights_from(mae_recent_older);
      double plain_err = 0.0, recent_err = 0.0;
      for (const cell& c : cells) {
        if (c.origin < half) {
          continue;
        }
        const double actual = y[v_begin + c.origin + static_cast<size_t>(c.h) - 1];
        plain_err += std::fabs(actual - combine(c.c, plain[static_cast<size_t>(c.h - 1)]));
        recent_err += std::fabs(actual - combine(c.c, recent[static_cast<size_t>(c.h - 1)]));
      }
      use_recent = recent_err < plain_err;
    }
  }
  model.weights = weights_from(use_recent ? mae_recent : mae);

  // Global-model features on every validation cell. Training rows come from
  // the older half of the origins only and the blend is chosen on the newer
  // half, so that a global model fitted on this very series (a backtest
  // window) is judged out of sample. Rows are subsampled evenly when a budget
  // is set.
  // Cells are in origin order: the older half is a prefix.
  const size_t mid = summaries.size() / 2;
  const size_t older =
      static_cast<size_t>(std::partition_point(cells.begin(), cells.end(),
                                               [&](const cell& c) { return c.origin < mid; })
                          - cells.begin());
  const size_t stride =
      (rows && max_rows > 0) ? std::max<size_t>(1, (older + max_rows - 1) / max_rows) : 1;
  std::vector<double> comp(cells.size()), glob(cells.size(), 0.0);
  // At an origin with a local trend the component moves towards the trend
  // line by the share that did best on this series' own trend origins (the
  // same rule as in forecast_from, so that the calibration sees its errors).
  constexpr std::array<double, 3> trend_shares{0.0, 0.5, 1.0};
  const int trend_reach = trend_reach_rows(st, model.step_ms);
  std::array<double, 3> trend_err{};
  size_t trend_cells = 0;
  std::vector<double> trend_line(cells.size(), 0.0);
  for (size_t i = 0; i < cells.size(); ++i) {
    comp[i] = combine(cells[i].c, model.weights[static_cast<size_t>(cells[i].h - 1)]);
    const origin_summary& s = summaries[cells[i].origin];
    if (s.trend && cells[i].h <= trend_reach) {
      const size_t target = v_begin + cells[i].origin + static_cast<size_t>(cells[i].h) - 1;
      trend_line[i] =
          trend_forecast(s, trend_damp[static_cast<size_t>(cells[i].h)]) + seasonal_at(target);
      for (size_t k = 0; k < trend_shares.size(); ++k) {
        trend_err[k] +=
            std::fabs(y[target] - (comp[i] + trend_shares[k] * (trend_line[i] - comp[i])));
      }
      ++trend_cells;
    }
  }
  model.trend_share = std::clamp(cfg.default_trend_share, 0.0, 1.0);
  if (cfg.min_trend_cells > 0 && trend_cells >= static_cast<size_t>(cfg.min_trend_cells)) {
    size_t best = trend_shares.size() - 1;
    for (size_t k = trend_shares.size(); k-- > 0;) {
      if (trend_err[k] < trend_err[best] - 1e-12) {
        best = k;
      }
    }
    model.trend_share = trend_shares[best];
  }
  const bool use_trend = model.trend_share > 0.0;
  if (use_trend) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (summaries[cells[i].origin].trend && cells[i].h <= trend_reach) {
        comp[i] += model.trend_share * (trend_line[i] - comp[i]);
      }
    }
  }
  // The global model's forecast of an older cell is never used: the blend
  // is chosen and (when the global model takes part) calibrated on the newer
  // half; with share 0 the calibration's mean (1 - 0) * comp + 0 * glob is
  // comp whatever (finite) glob is, so glob = 0 there. An older cell only
  // needs its features when it becomes a training row.
  // Calendar features of the target rows that need them, computed once.
  const size_t cal_first = rows ? v_begin : v_begin + mid;
  std::vector<calendar_features> calendar(n - v_begin);
  for (size_t r = cal_first; r < n; ++r) {
    calendar[r - v_begin] = calendar_of(input.start_ms + static_cast<int64_t>(r) * model.step_ms);
  }
  feature_vector base{};
  size_t base_origin = summaries.size(); // origin of base (none yet)
  auto features_of = [&](size_t i) {
    const cell& c = cells[i];
    const size_t t = v_begin + c.origin;
    const size_t target = t + static_cast<size_t>(c.h) - 1;
    if (c.origin != base_origin) {
      base = make_origin_features(pv, t, summaries[c.origin], model.scale);
      base_origin = c.origin;
    }
    feature_vector f = base;
    make_horizon_features(f, pv, t, c.h, summaries[c.origin], pv.es[t], comp[i], model.scale,
                          calendar[target - v_begin], damp[static_cast<size_t>(c.h)],
                          seasonal_at(target), t >= 1 ? seasonal_at(t - 1) : 0.0);
    return f;
  };
  if (rows) {
    for (size_t i = 0; i < older; i += stride) {
      const feature_vector f = features_of(i);
      const double med = summaries[cells[i].origin].med_short;
      const double z =
          (y[v_begin + cells[i].origin + static_cast<size_t>(cells[i].h) - 1] - med) / model.scale;
      rows->add(cells[i].h, f, std::clamp(z, -5.0 * feature_limit, 5.0 * feature_limit));
    }
  }
  const std::vector<weight_row> w_global = weight_rows(global, H);
  // Blend errors on the newer half for shares 0, 1/2, 1 (one pass).
  constexpr std::array<double, 3> shares{0.0, 0.5, 1.0};
  std::array<double, 3> share_err{};
  double naive_err = 0.0;
  size_t newer = 0;
  // Features first, then the dot products in a loop of their own (in
  // blocks): each is a chain of dependent additions, and a short loop body
  // lets consecutive cells' chains overlap.
  std::vector<double> raw(cells.size() - older);
  constexpr size_t block = 64;
  std::array<feature_vector, block> fs;
  for (size_t b = older; b < cells.size(); b += block) {
    const size_t e = std::min(cells.size(), b + block);
    for (size_t i = b; i < e; ++i) {
      fs[i - b] = features_of(i);
    }
    for (size_t i = b; i < e; ++i) {
      raw[i - older] = predict_with(w_global[static_cast<size_t>(cells[i].h - 1)], fs[i - b]);
    }
  }
  for (size_t i = older; i < cells.size(); ++i) {
    const cell& c = cells[i];
    const double med = summaries[c.origin].med_short;
    glob[i] = use_trend && summaries[c.origin].trend && c.h <= trend_reach
                  ? comp[i]
                  : within_envelope(med + model.scale * raw[i - older], c.c, model.scale);
    const double actual = y[v_begin + c.origin + static_cast<size_t>(c.h) - 1];
    naive_err += std::fabs(actual - c.c[candidate_naive]);
    ++newer;
    for (size_t k = 0; k < shares.size(); ++k) {
      share_err[k] += std::fabs(actual - ((1.0 - shares[k]) * comp[i] + shares[k] * glob[i]));
    }
  }

  // Blend of component and global model, chosen on the newer half.
  double best_err = -1.0;
  for (size_t k = 0; k < shares.size(); ++k) {
    if (best_err < 0.0 || share_err[k] < best_err - 1e-12) {
      best_err = share_err[k];
      model.global_share = shares[k];
    }
  }
  const double newer_n = std::max<double>(1.0, static_cast<double>(newer));
  model.validation_mase = best_err / newer_n / model.scale;
  model.validation_naive_mase = naive_err / newer_n / model.scale;

  // Conformal calibration on the blended forecast's residuals: all cells when
  // the component alone is used (its weights are few and robust), the newer
  // half when the global model takes part (it has seen the older half).
  std::vector<std::vector<calibration_sample>> samples(static_cast<size_t>(H));
  for (auto& v : samples) {
    v.reserve(cells.size() / static_cast<size_t>(H) + 1);
  }
  // Residuals are divided by the spread at their target's time of day
  // (estimated from all of the window's days), so that busy hours get wider
  // intervals and quiet hours narrower ones. Not with a short calibration
  // (its random-walk floor is in the series' own units).
  std::vector<size_t> sample_counts(static_cast<size_t>(H), 0);
  for (size_t i = model.global_share > 0.0 ? older : 0; i < cells.size(); ++i) {
    ++sample_counts[static_cast<size_t>(cells[i].h - 1)];
  }
  const bool short_calibration = *std::min_element(sample_counts.begin(), sample_counts.end())
                                 < static_cast<size_t>(std::max(cfg.min_calibration_samples, 0));
  if (!short_calibration && cfg.phase_spread_days > 0) {
    model.phase_spread =
        phase_spread(y, cycle, phase0, std::max(1, cycle / 24), cfg.phase_spread_days);
  }
  const size_t spread_cycle = model.phase_spread.size();
  for (size_t i = 0; i < cells.size(); ++i) {
    if (model.global_share > 0.0 && cells[i].origin < mid) {
      continue;
    }
    const size_t target = v_begin + cells[i].origin + static_cast<size_t>(cells[i].h) - 1;
    const double mean = (1.0 - model.global_share) * comp[i] + model.global_share * glob[i];
    const double unit =
        spread_cycle > 0 ? model.phase_spread[(static_cast<size_t>(phase0) + target) % spread_cycle]
                         : 1.0;
    samples[static_cast<size_t>(cells[i].h - 1)].push_back(
        {(y[target] - mean) / unit, static_cast<double>(n - 1 - target)});
  }
  model.calibration = conformal_calibration::calibrate(
      samples, cfg.calibration_half_life, cfg.calibration_band, cfg.calibration_dependence);
  if (short_calibration) {
    model.calibration = with_short_history_floor(model.calibration, sample_counts,
                                                 cfg.min_calibration_samples, one_step_sigma(y));
  }

  // Final state from the whole window, with the validation's periods and profiles.
  const seasonality season = refit_seasonality(
      pv_season, y, n, st,
      cycle > 0 && !pv_season.profile.empty() ? day_medians : std::vector<double>{});
  const prepared_series pf = prepare(y, season, st);
  model.es = pf.es[n];
  model.noise_sigma = pf.noise_sigma;
  model.profile = pf.profile;
  model.cycle = pf.cycle;
  model.week_profile = pf.week_profile;
  model.week = pf.week;
  origin_summary end_state;
  summarise_cycles(pf, n, st, end_state);
  model.has_cycle_drift = end_state.has_cycle_drift;
  model.drift = end_state.drift;
  const size_t keep = tail_rows(pf, st);
  model.tail.assign(y.end() - static_cast<long>(keep), y.end());
  model.tail_phase0 = model.cycle > 0 ? static_cast<int>((static_cast<size_t>(phase0) + n - keep)
                                                         % static_cast<size_t>(model.cycle))
                                      : 0;
  model.tail_week_phase0 = model.week > 0
                               ? static_cast<int>((static_cast<size_t>(week_phase0) + n - keep)
                                                  % static_cast<size_t>(model.week))
                               : 0;
  return model;
}

forecast_result forecast_from(const series_model& m, const quantile_model& global,
                              const forecaster_config& cfg, int horizon_steps) {
  forecast_result out;
  out.series_id = m.id;
  const int H = std::max(horizon_steps, 0);
  out.steps.reserve(static_cast<size_t>(H));
  const prepared_series p = prepared_tail(m);
  const size_t t = p.y.size();
  std::vector<double> scratch;
  origin_summary s = summarise(p, t, cfg.robust, scratch);
  // The drift statistics reach further back than the tail: as fitted.
  s.has_cycle_drift = m.has_cycle_drift;
  s.drift = m.drift;
  std::array<double, group_count> attribution{};
  for (int h = 1; h <= H; ++h) {
    forecast_step step;
    step.time_ms = m.next_ms + static_cast<int64_t>(h - 1) * m.step_ms;
    double mean = s.med_short;
    double rise = 0.0; // extrapolated local trend (0: none)
    if (t > 0) {
      const auto cands = candidate_forecasts(p, t, h, s, m.es, cfg.robust);
      const double comp =
          combine(cands, m.weights[static_cast<size_t>(std::min<size_t>(h, m.weights.size()) - 1)]);
      const feature_vector f =
          make_features(p, t, h, s, m.es, comp, m.scale, calendar_of(step.time_ms), cfg.robust);
      const double glob =
          within_envelope(s.med_short + m.scale * global.predict(h, f), cands, m.scale);
      mean = (1.0 - m.global_share) * comp + m.global_share * glob;
      // Attribution: the global model's group contributions (normalised) for
      // its share of the blend, the statistical group for the rest.
      const auto c = global.contributions(h, f);
      const double c_total = std::accumulate(c.begin(), c.end(), 0.0);
      for (int g = 0; g < group_count; ++g) {
        const double part = c_total > 0.0 ? c[static_cast<size_t>(g)] / c_total : 0.0;
        attribution[static_cast<size_t>(g)] += m.global_share * part;
      }
      attribution[group_statistical_component] += 1.0 - m.global_share;
      if (s.trend && m.trend_share > 0.0 && h <= trend_reach_rows(cfg.robust, m.step_ms)) {
        // As in the validation: the component moved towards the trend line,
        // without the global model.
        const double trend_damp = damped_trend_factor(cfg.robust.trend_phi, h);
        rise = m.trend_share * trend_damp * s.trend_slope;
        const double line =
            trend_forecast(s, trend_damp) + p.seasonal(t + static_cast<size_t>(h) - 1);
        mean = comp + m.trend_share * (line - comp);
      }
      if (!std::isfinite(mean)) {
        mean = s.med_short;
        rise = 0.0;
      }
    }
    interval_offsets o = m.calibration.offsets(h);
    if (!m.phase_spread.empty()) {
      const double unit = m.phase_spread[static_cast<size_t>(
          phase_of(step.time_ms, m.step_ms, static_cast<int>(m.phase_spread.size())))];
      o = {o.lo80 * unit, o.hi80 * unit, o.lo95 * unit, o.hi95 * unit};
    }
    if (rise != 0.0) {
      // The ramp may stop or steepen: widen by a share of the extrapolated rise.
      const double r = std::fabs(rise);
      o.lo80 -= cfg.robust.trend_widen80 * r;
      o.hi80 += cfg.robust.trend_widen80 * r;
      o.lo95 -= cfg.robust.trend_widen95 * r;
      o.hi95 += cfg.robust.trend_widen95 * r;
    }
    step.mean = mean;
    step.lo80 = mean + std::min(o.lo80, 0.0);
    step.hi80 = mean + std::max(o.hi80, 0.0);
    step.lo95 = std::min(mean + o.lo95, step.lo80);
    step.hi95 = std::max(mean + o.hi95, step.hi80);
    out.steps.push_back(step);
  }
  const double total = std::accumulate(attribution.begin(), attribution.end(), 0.0);
  for (int g = 0; g < group_count; ++g) {
    out.importance.push_back(
        {feature_group_name(g), total > 0.0 ? attribution[static_cast<size_t>(g)] / total : 0.0});
  }
  return out;
}

temporal_forecaster::temporal_forecaster(forecaster_config config)
    : config_(config), global_(std::max(config.horizon, 1), 0.5) {}

void temporal_forecaster::fit(const series_input& series, int64_t trained_at_ms) {
  fit(std::vector<series_input>{series}, trained_at_ms);
}

void temporal_forecaster::fit(const std::vector<series_input>& series, int64_t trained_at_ms) {
  const int H = std::max(config_.horizon, 1);
  const size_t count = series.size();
  const int threads = static_cast<int>(std::clamp<size_t>(
      static_cast<size_t>(std::max(config_.threads, 1)), 1, std::max<size_t>(count, 1)));
  auto parallel = [&](size_t jobs, auto&& work) {
    std::atomic<size_t> next{0};
    auto run = [&](int worker) {
      for (size_t i = next++; i < jobs; i = next++) {
        work(worker, i);
      }
    };
    std::vector<std::thread> pool;
    for (int w = 1; w < threads; ++w) {
      pool.emplace_back(run, w);
    }
    run(0);
    for (auto& th : pool) {
      th.join();
    }
  };

  // Pass 1: validation cells of the series become the global model's
  // training rows (the rows do not depend on the global model). A dozen
  // weights per horizon need no more than a few thousand series: beyond
  // max_training_series an even sample of them is used, which bounds the
  // trainer's cost to about one per-series fit per series.
  quantile_model prior(H, 0.5);
  const size_t sample = std::min(count, std::max<size_t>(config_.max_training_series, 1));
  const size_t per_series = std::max<size_t>(
      static_cast<size_t>(H), config_.max_training_rows / std::max<size_t>(sample, 1));
  std::vector<training_set> rows(static_cast<size_t>(threads), training_set(H));
  parallel(sample, [&](int worker, size_t k) {
    const size_t i = sample == count ? k : k * count / sample;
    fit_series(series[i], config_, prior, &rows[static_cast<size_t>(worker)], per_series);
  });
  training_set all(H);
  for (const auto& r : rows) {
    all.append(r);
  }
  quantile_model global(H, 0.5);
  global.fit(all, config_.global);

  // Pass 2: per-series blend and calibration against the trained global model.
  std::vector<series_model> fitted(count);
  parallel(count,
           [&](int, size_t i) { fitted[i] = fit_series(series[i], config_, global, nullptr, 0); });

  global_ = std::move(global);
  series_.clear();
  validation_ = {};
  for (auto& m : fitted) {
    validation_.mean_mase += m.validation_mase;
    validation_.mean_naive_mase += m.validation_naive_mase;
    series_[m.id] = std::move(m);
  }
  validation_.series = count;
  if (count > 0) {
    validation_.mean_mase /= static_cast<double>(count);
    validation_.mean_naive_mase /= static_cast<double>(count);
  }
  trained_at_ms_ = trained_at_ms;
}

forecast_result temporal_forecaster::forecast(const std::string& series_id,
                                              int horizon_steps) const {
  const auto it = series_.find(series_id);
  if (it == series_.end()) {
    throw std::out_of_range("forecaster: no fitted series '" + series_id + "'");
  }
  return forecast_from(it->second, global_, config_, horizon_steps);
}

forecast_result temporal_forecaster::forecast(const series_input& history,
                                              int horizon_steps) const {
  // Fitted for every step asked for, so that each is calibrated on its own
  // validation errors (the global model's last horizon serves beyond its own).
  if (horizon_steps <= config_.horizon) {
    return forecast_from(fit_series(history, config_, global_), global_, config_, horizon_steps);
  }
  forecaster_config longer = config_;
  longer.horizon = horizon_steps;
  return forecast_from(fit_series(history, longer, global_), global_, longer, horizon_steps);
}

std::vector<feature_weight> temporal_forecaster::feature_importance() const {
  std::vector<feature_weight> out;
  const auto& imp = global_.permutation_importance();
  for (int g = 0; g < group_count; ++g) {
    out.push_back({feature_group_name(g), imp[static_cast<size_t>(g)]});
  }
  return out;
}

temporal_forecaster temporal_forecaster::restore(forecaster_config config, quantile_model global,
                                                 std::map<std::string, series_model> series,
                                                 validation_summary validation,
                                                 int64_t trained_at_ms) {
  temporal_forecaster f(config);
  f.global_ = std::move(global);
  f.series_ = std::move(series);
  f.validation_ = validation;
  f.trained_at_ms_ = trained_at_ms;
  return f;
}

} // namespace grace::forecaster
