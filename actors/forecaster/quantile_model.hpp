#pragma once
// The global model: a direct multi-horizon linear quantile regression shared
// by all metrics. One weight vector per horizon over features expressed in
// units of each series' own scale and centred on its robust level, so that
// series of any magnitude train one model together. Fitted by iteratively
// reweighted least squares on the pinball loss, with a ridge pull towards a
// prior that trusts the statistical component alone: with little data (one
// series in a backtest window) the model stays close to that component.
#include <Eigen/Dense>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace grace::forecaster {

enum feature_group : int {
  group_statistical_component,
  group_recent_lags,
  group_seasonal_lag,
  group_rolling_statistics,
  group_trend,
  group_calendar,
  group_count
};
const char* feature_group_name(int g);

enum feature_id : int {
  feature_intercept,
  feature_component, // the per-series robust combination
  feature_lag1,
  feature_lag2,
  feature_lag_mean4,
  feature_seasonal_lag,   // value one cycle before the target row
  feature_profile_change, // profile at the target minus profile now
  feature_median_long,
  feature_mean_short,
  feature_midrange_short,
  feature_damped_trend,
  feature_time_of_day_sin,
  feature_time_of_day_cos,
  feature_weekend,
  feature_count
};
const char* feature_name(int f);
int feature_group_of(int f); // -1 for the intercept

using feature_vector = std::array<double, feature_count>;

// Training rows, one table per horizon (row-major, feature_count floats a row).
struct training_set {
  explicit training_set(int horizons = 0) : x(static_cast<size_t>(horizons)), z(x.size()) {}
  std::vector<std::vector<float>> x;
  std::vector<std::vector<float>> z;
  void add(int h, const feature_vector& f, double target);
  void append(const training_set& other);
  size_t rows() const;
};

struct quantile_fit_options {
  double ridge = 0.02;            // pull towards the prior, per training row
  int iterations = 8;             // IRLS passes
  double min_abs_residual = 0.05; // IRLS weight floor, in scale units
  unsigned seed = 7;              // permutation importance shuffles
};

class quantile_model {
public:
  explicit quantile_model(int horizons = 12, double tau = 0.5);

  // The prior: weight 1 on the statistical component, 0 elsewhere.
  static Eigen::VectorXd prior_weights();

  void fit(const training_set& data, const quantile_fit_options& options = {});
  // Forecast in scale units for horizon h (1-based; beyond the trained
  // horizons the last horizon's weights are used).
  double predict(int h, const feature_vector& x) const;
  // |w_j x_j| summed per feature group (the attribution of one forecast).
  std::array<double, group_count> contributions(int h, const feature_vector& x) const;

  int horizons() const { return static_cast<int>(weights_.rows()); }
  double tau() const { return tau_; }
  size_t trained_rows() const { return trained_rows_; }
  const Eigen::MatrixXd& weights() const { return weights_; }
  // Increase of the mean pinball loss when a group's features are shuffled
  // across training rows, normalised to sum 1 (all 0 before training).
  const std::array<double, group_count>& permutation_importance() const { return importance_; }

  // Restores a trained state (artifact loading); throws std::invalid_argument on bad shapes.
  void restore(double tau, const Eigen::MatrixXd& weights, size_t trained_rows,
               const std::array<double, group_count>& importance);

private:
  double tau_;
  Eigen::MatrixXd weights_; // horizons x feature_count
  size_t trained_rows_ = 0;
  std::array<double, group_count> importance_{};
};

double pinball_loss(double residual, double tau);

} // namespace grace::forecaster
