#pragma once
// The per-series statistical component: a small set of robust candidate
// forecasters (rolling medians, seasonal naive, a spike-clipped damped-trend
// exponential smoothing on the deseasonalised series) over a robust daily
// profile. Which candidates a series trusts is decided by its own rolling
// validation (see temporal_forecaster.cpp), not fixed here.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace grace::forecaster {

// Median of v (v is reordered). 0 for an empty vector.
double median_inplace(std::vector<double>& v);
// Median of rows [first, last) of y, using scratch as working space.
double median_of_range(const std::vector<double>& y, size_t first, size_t last,
                       std::vector<double>& scratch);

enum candidate_id : int {
  candidate_naive,                  // last value
  candidate_median_short,           // median of the last short_window rows
  candidate_median_mid,             // median of the last 2 * short_window rows
  candidate_median_long,            // median of the last long_window rows
  candidate_seasonal_median,        // short median of the deseasonalised rows + profile
  candidate_seasonal_naive,         // value one cycle before the target row
  candidate_seasonal_naive_shifted, // seasonal naive moved by the change of the short median
  candidate_damped_es,              // spike-clipped damped-trend smoothing + profile
  // Longer horizons (they need two whole daily cycles, or a weekly cycle):
  candidate_seasonal_naive_drift, // seasonal naive moved by the drift of the cycle means
  candidate_weekly_naive,         // value one week before the target row
  candidate_weekly_naive_shifted, // weekly naive moved by the change of the level since then
  candidate_count
};
const char* candidate_name(int c);

struct robust_settings {
  int short_window = 12;
  int long_window = 48;
  // Damped-trend smoothing constants. Fixed rather than fitted per series: the
  // validation-weighted combination decides how much to trust this candidate,
  // and fixed constants keep the fit within the time budget.
  double alpha = 0.25;
  double beta = 0.02;
  double phi = 0.9;
  double clip = 3.0; // innovations beyond clip robust-sigmas are cut (spikes)
  // A level shift at the origin: the last shift_rows rows' median departs from
  // the long median by more than shift_sigmas robust sigmas. The long-memory
  // candidates then restart from the short median instead of lagging behind.
  int shift_rows = 6;
  double shift_sigmas = 4.0;
  int profile_halfwidth = 2; // phases pooled each side when estimating the daily profile
  // The weekly profile is used only if it predicts the weeks it was not
  // estimated from (season_strength: the profile of the even weeks explains
  // at least this share of the odd weeks' variance and vice versa,
  // averaged), and needs min_week_cycles whole weeks. The daily profile
  // needs one whole day and is judged by the validation instead: its
  // candidates compete with the non-seasonal ones at every horizon (testing
  // it as well changed nothing on M4 and cost P1 AWS rel_mase 0.002).
  double min_season_strength = 0.1;
  int min_week_cycles = 2;
  // The drift candidate: change per row of the cycle means over at most
  // drift_cycles cycles back, used only when its day-over-day changes agree:
  // their mean at least drift_z standard errors from 0 (with three or more
  // cycles; else the drift is 0). A series gets the candidate only if its
  // drift is significant at half of the validation origins or more: else it
  // would mostly repeat seasonal naive and double its weight.
  int drift_cycles = 7;
  double drift_z = 2.0;
  // A local trend at the origin (a ramp building up, e.g. an incident): over
  // the last trend_rows deseasonalised rows a Mann-Kendall test is
  // significant (|z| >= trend_z), the newer half rises the same way at
  // trend_keep_pace of the window's Theil-Sen slope or faster, and that slope
  // adds up to trend_sigmas noise sigmas (of one-step changes) over the window.
  // The forecast then follows the slope (damped by trend_phi per row) instead
  // of the medians, which would lag the ramp; its intervals are widened by
  // trend_widen80 / trend_widen95 times the extrapolated rise (the ramp may
  // stop or steepen). trend_rows < 3 turns the rule off.
  int trend_rows = 8;
  double trend_z = 2.5;
  double trend_sigmas = 6.0;
  double trend_keep_pace = 0.5; // newer half's slope / whole window's, at least
  double trend_phi = 1.0;
  double trend_widen80 = 0.5;
  double trend_widen95 = 1.0;
  // The rule is for early warnings of incidents (15-60 minutes ahead): it
  // governs targets at most trend_reach_ms ahead (12 rows at 5 minutes, 1
  // at hourly data, none beyond); further targets keep the validated
  // combination.
  int64_t trend_reach_ms = 3'600'000;
};

// Rows ahead the local-trend rule governs at this sampling step.
inline int trend_reach_rows(const robust_settings& settings, int64_t step_ms) {
  if (step_ms <= 0 || settings.trend_reach_ms <= 0) {
    return 0;
  }
  return static_cast<int>(std::min<int64_t>(settings.trend_reach_ms / step_ms, 1 << 20));
}

struct es_state {
  double level = 0.0;
  double trend = 0.0;
};

// Robust daily profile from the whole cycles of y[0, end) counted back from
// end: per phase, the median over cycles of (value - that cycle's median),
// centred to median 0, pooled over phases within +-halfwidth (a running
// median: it averages out noise, yet keeps the edges of square waves). phase0
// is the phase of row 0. Empty when there is not one whole cycle or cycle < 2.
std::vector<double> daily_profile(const std::vector<double>& y, size_t end, int cycle, int phase0,
                                  int halfwidth = 2);
// Medians of the whole cycles of y[0, end) counted back from end, oldest
// first: entry c is the median of rows [end % cycle + c * cycle, + cycle).
std::vector<double> cycle_medians(const std::vector<double>& y, size_t end, int cycle);
// daily_profile given those cycle medians: medians may come from
// cycle_medians(y, end2, cycle) for any end2 >= end with end2 % cycle ==
// end % cycle (its first end / cycle entries are used), so that profiles of
// windows that end whole cycles apart share the work. Same result.
std::vector<double> daily_profile(const std::vector<double>& y, size_t end, int cycle, int phase0,
                                  int halfwidth, const std::vector<double>& medians);

// The seasonal structure of a series: its daily and weekly periods in rows
// (0: not available, too little history or a step that does not divide
// them) and, for each, a profile (the weekly one only when it passed the
// strength test, else empty: the weekly lags are still offered as
// candidates, which the validation judges, but nothing is deseasonalised by
// it). The weekly profile is estimated on the rows less the daily profile.
struct seasonality {
  int cycle = 0;
  int phase0 = 0;
  std::vector<double> profile; // daily, indexed by (phase0 + row) % cycle
  int week = 0;
  int week_phase0 = 0;
  std::vector<double> week_profile; // indexed by (week_phase0 + row) % week
  double week_strength = 0.0;       // season_strength of the weekly profile
};

// Share of the variance of the deviations from each cycle's median that a
// profile estimated on the other cycles explains: profiles of the even and
// of the odd whole cycles of y[0, end) (counted back from end), each scored
// on the other half, averaged. 1 when there are fewer than two cycles (no
// test possible), 0 for a constant series.
double season_strength(const std::vector<double>& y, size_t end, int cycle, int phase0,
                       int halfwidth);

// The seasonal structure of y[0, end): the daily period and profile when
// there is a whole cycle, the weekly period when there are min_week_cycles
// whole weeks, and its profile when its season_strength reaches
// min_season_strength.
// day_medians as for daily_profile (may be empty). cycle / week 0: that
// period is not considered.
seasonality estimate_seasonality(const std::vector<double>& y, size_t end, int cycle, int phase0,
                                 int week, int week_phase0, const robust_settings& settings,
                                 const std::vector<double>& day_medians = {});
// The same periods and profiles as `like` (no test), re-estimated on y[0, end).
seasonality refit_seasonality(const seasonality& like, const std::vector<double>& y, size_t end,
                              const robust_settings& settings,
                              const std::vector<double>& day_medians = {});

// A cleaned series ready for candidate forecasts.
struct prepared_series {
  std::vector<double> y;            // values, gaps already filled
  std::vector<double> d;            // y minus the profiles
  std::vector<es_state> es;         // es[t]: smoothing state after rows [0, t); size n + 1
  std::vector<double> cum;          // cum[t]: sum of y[0, t); size n + 1
  std::vector<double> cum_d;        // the same for d
  std::vector<double> profile;      // empty: no daily profile
  int cycle = 0;                    // rows per day (0: none; a profile needs one)
  int phase0 = 0;                   // phase of row 0
  std::vector<double> week_profile; // empty: no weekly profile
  int week = 0;                     // rows per week (0: none; a profile needs one)
  int week_phase0 = 0;              // weekly phase of row 0
  double noise_sigma = 0.0;         // robust sigma of one-step changes of d
  double seasonal(size_t row) const {
    double v =
        profile.empty() ? 0.0 : profile[(static_cast<size_t>(phase0) + row) % profile.size()];
    if (!week_profile.empty()) {
      v += week_profile[(static_cast<size_t>(week_phase0) + row) % week_profile.size()];
    }
    return v;
  }
  // Mean of y[a, b) (a < b <= n).
  double mean(size_t a, size_t b) const { return (cum[b] - cum[a]) / static_cast<double>(b - a); }
  double mean_d(size_t a, size_t b) const {
    return (cum_d[b] - cum_d[a]) / static_cast<double>(b - a);
  }
};

// A daily profile only (cycle 0 when the profile is empty).
prepared_series prepare(std::vector<double> y, std::vector<double> profile, int cycle, int phase0,
                        const robust_settings& settings);
prepared_series prepare(std::vector<double> y, seasonality season, const robust_settings& settings);

// Which candidates a prepared series can offer at origins >= first_origin:
// the drift candidate needs two whole daily cycles before it, the weekly
// ones a weekly period and a whole week before it. The others always are
// (they fall back to the short median where they lack history).
std::array<bool, candidate_count> usable_candidates(const prepared_series& p, size_t first_origin);

// Statistics of one origin t (rows [0, t) seen) shared by all horizons.
struct origin_summary {
  double med_short = 0.0;
  double med_mid = 0.0;
  double med_long = 0.0;
  double med_short_d = 0.0;    // short median of the deseasonalised rows
  double med_prev_cycle = 0.0; // short median one cycle earlier (valid if has_prev_cycle)
  bool has_prev_cycle = false;
  double mean_short = 0.0;
  double mid_short = 0.0; // (max + min) / 2 of the short window
  bool level_shift = false;
  // Local trend (robust_settings::trend_rows): set when the test fires; the
  // line through the deseasonalised rows is trend_anchor at row t - 1 and
  // rises by trend_slope per row.
  bool trend = false;
  double trend_slope = 0.0;
  double trend_anchor = 0.0;
  // Daily-cycle statistic (valid if has_cycle_drift): the drift per row of
  // the cycle means, 0 unless significant (drift_significant).
  bool has_cycle_drift = false;
  bool drift_significant = false;
  double drift = 0.0;
  // Level change since a week earlier (valid if has_week_shift): the mean of
  // the last cycle (short window without a daily cycle) less the same a
  // week before.
  bool has_week_shift = false;
  double week_shift = 0.0;
};
origin_summary summarise(const prepared_series& p, size_t t, const robust_settings& settings,
                         std::vector<double>& scratch);
// The same for every origin t in [first, last), with sliding-window medians
// (one sorted insert/erase per row instead of a selection per origin).
std::vector<origin_summary> summarise_range(const prepared_series& p, size_t first, size_t last,
                                            const robust_settings& settings);

// The local-trend test of origin t on the deseasonalised rows d (see
// robust_settings::trend_rows); sets s.trend, s.trend_slope, s.trend_anchor.
void detect_trend(const std::vector<double>& d, size_t t, double noise_sigma,
                  const robust_settings& settings, origin_summary& s);

// The local-trend forecast of row t + h - 1 (deseasonalised, add the profile):
// the anchor plus the slope times the damped sum of trend_phi over h rows.
inline double trend_forecast(const origin_summary& s, double trend_damp) {
  return s.trend_anchor + trend_damp * s.trend_slope;
}

// The cycle and week statistics of origin t (part of summarise).
void summarise_cycles(const prepared_series& p, size_t t, const robust_settings& settings,
                      origin_summary& s);

// Medians of x[t - k, t) (fewer rows near the start) for t in [first, last).
std::vector<double> sliding_medians(const std::vector<double>& x, size_t first, size_t last,
                                    size_t k);

// Candidate forecasts of row t + h - 1 (h >= 1) from origin t given the
// smoothing state at t. A candidate that needs more history than there is
// falls back to the short median.
std::array<double, candidate_count> candidate_forecasts(const prepared_series& p, size_t t, int h,
                                                        const origin_summary& s, const es_state& es,
                                                        const robust_settings& settings);

// Sum of phi^j for j = 1 ... h (the damped trend's multiplier at horizon h).
inline double damped_trend_factor(double phi, int h) {
  double damp = 0.0, pw = 1.0;
  for (int j = 1; j <= h; ++j) {
    pw *= phi;
    damp += pw;
  }
  return damp;
}

// Index of the value one (or more) cycles before row t + h - 1 that is
// already seen at origin t; -1 when there is none.
inline long seasonal_lag_index(size_t t, int h, int cycle) {
  if (cycle <= 0 || h < 1) {
    return -1;
  }
  const long target = static_cast<long>(t) + h - 1;
  const long back = static_cast<long>(cycle) * ((h + cycle - 1) / cycle);
  const long idx = target - back;
  return idx >= 0 ? idx : -1;
}

// candidate_forecasts with the horizon's damped-trend factor
// (damped_trend_factor(phi, h)) and the profile at the target row
// (p.seasonal(t + h - 1)) given: the validation loop computes those once.
inline std::array<double, candidate_count>
candidate_forecasts_given(const prepared_series& p, size_t t, int h, const origin_summary& s,
                          const es_state& es, double damp, double seasonal_target) {
  std::array<double, candidate_count> c{};
  c[candidate_naive] = t > 0 ? p.y[t - 1] : 0.0;
  c[candidate_median_short] = s.med_short;
  c[candidate_median_mid] = s.level_shift ? s.med_short : s.med_mid;
  c[candidate_median_long] = s.level_shift ? s.med_short : s.med_long;
  c[candidate_seasonal_median] = s.med_short_d + seasonal_target;
  const long lag = seasonal_lag_index(t, h, p.cycle);
  if (lag >= 0) {
    const double v = p.y[static_cast<size_t>(lag)];
    c[candidate_seasonal_naive] = v;
    c[candidate_seasonal_naive_shifted] =
        s.has_prev_cycle ? v + (s.med_short - s.med_prev_cycle) : v;
    c[candidate_seasonal_naive_drift] =
        s.has_cycle_drift ? v + s.drift * static_cast<double>(static_cast<long>(t) + h - 1 - lag)
                          : v;
  } else {
    c[candidate_seasonal_naive] = s.med_short;
    c[candidate_seasonal_naive_shifted] = s.med_short;
    c[candidate_seasonal_naive_drift] = s.med_short;
  }
  c[candidate_damped_es] = s.level_shift ? s.med_short_d + seasonal_target
                                         : es.level + damp * es.trend + seasonal_target;
  const long wlag = seasonal_lag_index(t, h, p.week);
  if (wlag >= 0) {
    const double v = p.y[static_cast<size_t>(wlag)];
    c[candidate_weekly_naive] = v;
    c[candidate_weekly_naive_shifted] = s.has_week_shift ? v + s.week_shift : v;
  } else {
    c[candidate_weekly_naive] = c[candidate_seasonal_naive];
    c[candidate_weekly_naive_shifted] = c[candidate_seasonal_naive_shifted];
  }
  return c;
}

} // namespace grace::forecaster
