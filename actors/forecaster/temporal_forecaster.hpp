#pragma once
// GRACE's forecaster ("temporal fusion" in the sense, not the
// Transformer of the TFT paper): per series, a validation-weighted
// combination of robust statistical candidates (robust_component.hpp); across
// series, a global direct multi-horizon quantile regression that fuses that
// combination with lag, seasonal-lag, rolling-statistics, trend and calendar
// features (quantile_model.hpp); per series, a blend of the two chosen on
// validation, and conformal intervals per horizon (conformal.hpp).
//
// Thread-safety: fit() replaces the whole state and must not run
// concurrently with anything else on the same object; the const members
// (forecast, accessors) may run concurrently with each other.
#include "actors/forecaster/conformal.hpp"
#include "actors/forecaster/quantile_model.hpp"
#include "actors/forecaster/robust_component.hpp"
#include "actors/forecaster/series.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace grace::forecaster {

struct forecaster_config {
  int horizon = 12;          // steps calibrated and trained directly (beyond: extrapolated)
  int validation_rows = 288; // rolling-origin validation span per series, in rows
  int min_rows = 24;         // below this a series gets the short-history fallback
  int combination_band = 2;  // candidate weights of horizon h pool the errors of h +- band
  // Candidate errors may be weighted by age, halving every this many rows
  // (recent origins count more: a series' best candidates can change), and
  // each series chooses out of sample between those and the plain errors
  // (weights from the older half of the validation origins, judged on the
  // newer half). 0: plain errors only. 72 was chosen by leaving one NAB
  // category out, M4 Hourly's even half one more training category
  // (bench/forecaster/p1_loco.py, docs/evaluation/forecasting.md).
  double combination_half_life = 72.0;
  // false: the age-weighted errors always (no choice; an experiment).
  bool combination_choose_recency = true;
  int validation_stride = 1; // rows between validation origins (2 halves the fit time, but
                             // fewer origins weigh the candidates worse on short series)
  robust_settings robust;
  quantile_fit_options global;
  double calibration_half_life = 144.0; // rows; age weighting of residuals
  // Interval quantiles of horizon h pool the residuals of h +- this band.
  int calibration_band = 2;
  // Widening of long horizons for the overlap of their errors:
  // sqrt(1 + dependence * h / residuals), conformal_calibration::calibrate.
  // Chosen on the even half of M4 Hourly (80% coverage of every 12-step
  // band nearest 0.80; docs/evaluation/forecasting.md): 1.5 with the
  // age-weighted candidate errors (1 before them).
  double calibration_dependence = 1.5;
  // Intervals scale with the spread of the day-over-day changes at the
  // target's time of day (phase_spread) once the history holds this many
  // days; fewer days estimate it too noisily (0: never).
  int phase_spread_days = 14;
  // A horizon calibrated on fewer validation residuals than this (short
  // history) gets intervals at least as wide as a random walk's with the
  // robust spread of the one-step changes (sigma * sqrt(h)): a handful of
  // residuals gives degenerate quantiles (lo80 == mean, lo80 == lo95).
  int min_calibration_samples = 60;
  // With min_trend_cells > 0, trend_share is chosen among 0, 1/2, 1 on the
  // validation cells of origins with a local trend when there are at least
  // this many (else default_trend_share). Off by default: the absolute error
  // prefers lagging forecasts around ramps that end, so the choice mostly
  // falls to 0 or 1/2 and the simulator's early warnings came half as often
  // (docs/evaluation/early_warning.md); P1 is the same either way.
  int min_trend_cells = 0;
  double default_trend_share = 1.0;
  size_t max_training_rows = 400'000; // cap on the global model's rows (memory, time)
  size_t max_training_series = 2'000; // series sampled for the global model (time)
  int threads = 2;
};

struct forecast_step {
  int64_t time_ms = 0;
  double mean = 0.0, lo80 = 0.0, hi80 = 0.0, lo95 = 0.0, hi95 = 0.0;
};

struct feature_weight {
  std::string group;
  double weight = 0.0;
};

struct forecast_result {
  std::string series_id;
  std::vector<forecast_step> steps;
  // Share of the forecast attributable to each feature group (sums to 1).
  std::vector<feature_weight> importance;
};

// Per-metric parameters: everything forecast(series_id, h) needs.
struct series_model {
  std::string id;
  int64_t step_ms = 0;
  int64_t next_ms = 0; // time of the first row after the fitted history
  size_t history_rows = 0;
  int cycle = 0;       // rows per day used by the profile (0: none)
  int tail_phase0 = 0; // phase of tail[0]
  std::vector<double> profile;
  int week = 0;             // rows per week used by the weekly profile (0: none)
  int tail_week_phase0 = 0; // weekly phase of tail[0]
  std::vector<double> week_profile;
  // The drift candidate's drift at the end of the history (it reaches
  // further back than the tail); 0 unless significant.
  bool has_cycle_drift = false;
  double drift = 0.0;
  std::vector<double> tail; // last rows of the history (gaps filled)
  es_state es;              // smoothing state at the end of the history
  double noise_sigma = 0.0; // robust sigma of one-step changes (level-shift test)
  // Candidate weights per horizon (beyond the last, the last applies).
  std::vector<std::array<double, candidate_count>> weights;
  double global_share = 0.0; // blend: (1 - share) component + share global model
  // At an origin with a local trend (robust_settings::trend_rows) the
  // component moves this share of the way to the trend line, chosen on the
  // validation origins where the trend test fired (default when too few did).
  double trend_share = 1.0;
  double scale = 1.0; // mean absolute one-step change (the MASE scale)
  conformal_calibration calibration;
  // Relative spread of the errors by time of day (indexed by phase_of the
  // target time, mean about 1): the calibration's offsets are in these
  // units. Empty: the same spread at every time.
  std::vector<double> phase_spread;
  // Validation scores (rolling origins inside the window): MAE / scale and
  // coverage of the calibrated intervals on those same origins.
  double validation_mase = 0.0;
  double validation_naive_mase = 0.0;
};

struct validation_summary {
  size_t series = 0;
  double mean_mase = 0.0;       // mean over series of validation MASE
  double mean_naive_mase = 0.0; // same for the last-value forecast
};

class temporal_forecaster {
public:
  explicit temporal_forecaster(forecaster_config config = {});

  // Fits the global model on all series, then each series' parameters and
  // calibration. Series ids should be unique (a repeated id keeps the last).
  void fit(const std::vector<series_input>& series, int64_t trained_at_ms = 0);
  // One series alone: the global model then learns from this window only,
  // anchored by its prior on the statistical component.
  void fit(const series_input& series, int64_t trained_at_ms = 0);

  // From the state of the last fit. Throws std::out_of_range for an unknown id.
  forecast_result forecast(const std::string& series_id, int horizon_steps) const;
  // Fits this history's per-series parameters now (keeping the global model
  // as trained; calibrated for all horizon_steps, beyond config().horizon
  // too) and forecasts; nothing is stored.
  forecast_result forecast(const series_input& history, int horizon_steps) const;

  // Global permutation importance of the feature groups (sums to 1 once trained).
  std::vector<feature_weight> feature_importance() const;

  const forecaster_config& config() const { return config_; }
  const quantile_model& global_model() const { return global_; }
  const std::map<std::string, series_model>& series() const { return series_; }
  const validation_summary& validation() const { return validation_; }
  int64_t trained_at_ms() const { return trained_at_ms_; }

  // Reassembles a fitted forecaster (artifact loading).
  static temporal_forecaster restore(forecaster_config config, quantile_model global,
                                     std::map<std::string, series_model> series,
                                     validation_summary validation, int64_t trained_at_ms);

private:
  forecaster_config config_;
  quantile_model global_;
  std::map<std::string, series_model> series_;
  validation_summary validation_;
  int64_t trained_at_ms_ = 0;
};

// Fits one series' parameters given a global model; when rows is not null,
// also collects up to max_rows global-model training rows from its validation.
series_model fit_series(const series_input& input, const forecaster_config& config,
                        const quantile_model& global, training_set* rows = nullptr,
                        size_t max_rows = 0);

forecast_result forecast_from(const series_model& model, const quantile_model& global,
                              const forecaster_config& config, int horizon_steps);

} // namespace grace::forecaster
