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

  // samples[h-1]: validation residuals of horizon h. half_life in rows.
  // A horizon without samples borrows the nearest calibrated one, widened by
  // sqrt(h / h_near); with none at all, every offset is 0. Bounds never
  // move inwards as h grows.
  static conformal_calibration
  calibrate(const std::vector<std::vector<calibration_sample>>& samples, double half_life);

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

// Weighted quantile (level in [0, 1]) of values with weights; 0 when empty.
double weighted_quantile(std::vector<std::pair<double, double>>& value_weight, double level);

} // namespace grace::forecaster
