#pragma once
// Conformal calibration of the prediction intervals, per horizon. The bounds
// are weighted quantiles of the signed out-of-sample residuals of the series'
// own rolling validation, with weights decaying with age (non-exchangeable
// conformal prediction, Barber et al. 2023) so that recent behaviour counts
// most when the series drifts. Between refits, observe() tracks each bound
// online (conformal quantile tracking, Angelopoulos et al. 2023) so coverage
// keeps holding as realised errors arrive.
#include <array>
#include <vector>

namespace grace::forecaster {

// Offsets added to the point forecast; lo <= 0 <= hi is not required (a
// biased forecast has one-sided residuals).
struct interval_offsets {
  double lo80 = 0.0, hi80 = 0.0, lo95 = 0.0, hi95 = 0.0;
};

struct calibration_sample {
  double residual; // actual - forecast
  double age;      // rows between the sample's target and the end of the history
};

class conformal_calibration {
public:
  conformal_calibration() = default;
  explicit conformal_calibration(std::vector<interval_offsets> per_horizon)
      : per_horizon_(std::move(per_horizon)) {}

  // samples[h-1]: validation residuals of horizon h, in origin order.
  // half_life in rows. Horizon h takes its quantiles from the residuals of
  // horizons h - band ... h + band (one horizon's quantiles are noisy), and
  // its offsets are widened by sqrt(1 + dependence * h / m), m the effective
  // number of its own residuals: consecutive origins share h - 1 of the h
  // steps their errors accumulate over, so m residuals hold only about m / h
  // independent errors, and the spread seen in so few understates the spread
  // of the errors to come (the more so, the longer the horizon).
  // A horizon without samples borrows the nearest calibrated one, widened by
  // sqrt(h / h_near); with none at all, every offset is 0. Bounds never
  // move inwards as h grows.
  static conformal_calibration
  calibrate(const std::vector<std::vector<calibration_sample>>& samples, double half_life,
            int band = 0, double dependence = 0.0);

  // Offsets for horizon h >= 1; beyond the calibrated horizons the last one is
  // widened by sqrt(h / H) (random-walk growth).
  interval_offsets offsets(int h) const;

  // Online update with the residual realised at horizon h: each bound moves
  // towards the side it missed on, by step * (miss - nominal miss rate).
  void observe(int h, double residual, double step);

  int horizons() const { return static_cast<int>(per_horizon_.size()); }
  const std::vector<interval_offsets>& per_horizon() const { return per_horizon_; }

private:
  std::vector<interval_offsets> per_horizon_;
};

// Relative spread of a series' changes by time of day: the median absolute
// day-over-day change at each phase (y[t] - y[t - cycle]), averaged over
// +-halfwidth phases, divided by its mean over the day and shrunk towards 1
// by its split-half reliability (Spearman-Brown of the correlation between
// the profiles of the even and the odd days), floored at 0.2. Empty (the
// same spread at every time) without a cycle, with fewer than min_days
// day-over-day changes per phase, or when the halves do not agree beyond
// chance (their correlation below the one-sided 5% level for
// cycle / (2 halfwidth + 1) independent phases).
// phase0: phase of y[0]; the result is indexed by phase.
std::vector<double> phase_spread(const std::vector<double>& y, int cycle, int phase0, int halfwidth,
                                 int min_days);

// Weighted quantile (level in [0, 1]) of values with weights; 0 when empty.
double weighted_quantile(std::vector<std::pair<double, double>>& value_weight, double level);

} // namespace grace::forecaster
