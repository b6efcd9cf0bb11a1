#include "actors/forecaster/quantile_model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace grace::forecaster {

const char* feature_group_name(int g) {
  static const char* names[group_count] = {"statistical_component", "recent_lags", "seasonal_lag",
                                           "rolling_statistics",    "trend",       "calendar"};
  return (g >= 0 && g < group_count) ? names[g] : "unknown";
}

const char* feature_name(int f) {
  static const char* names[feature_count] = {
      "intercept",       "component",      "lag1",           "lag2",
      "lag_mean4",       "seasonal_lag",   "profile_change", "median_long",
      "mean_short",      "midrange_short", "damped_trend",   "time_of_day_sin",
      "time_of_day_cos", "weekend"};
  return (f >= 0 && f < feature_count) ? names[f] : "unknown";
}

int feature_group_of(int f) {
  switch (f) {
  case feature_component:
    return group_statistical_component;
  case feature_lag1:
  case feature_lag2:
  case feature_lag_mean4:
    return group_recent_lags;
  case feature_seasonal_lag:
  case feature_profile_change:
    return group_seasonal_lag;
  case feature_median_long:
  case feature_mean_short:
  case feature_midrange_short:
    return group_rolling_statistics;
  case feature_damped_trend:
    return group_trend;
  case feature_time_of_day_sin:
  case feature_time_of_day_cos:
  case feature_weekend:
    return group_calendar;
  default:
    return -1;
  }
}

void training_set::add(int h, const feature_vector& f, double target) {
  auto& xs = x[static_cast<size_t>(h - 1)];
  for (double v : f) {
    xs.push_back(static_cast<float>(v));
  }
  z[static_cast<size_t>(h - 1)].push_back(static_cast<float>(target));
}

void training_set::append(const training_set& other) {
  if (x.size() < other.x.size()) {
    x.resize(other.x.size());
    z.resize(other.z.size());
  }
  for (size_t h = 0; h < other.x.size(); ++h) {
    x[h].insert(x[h].end(), other.x[h].begin(), other.x[h].end());
    z[h].insert(z[h].end(), other.z[h].begin(), other.z[h].end());
  }
}

size_t training_set::rows() const {
  size_t n = 0;
  for (const auto& zs : z) {
    n += zs.size();
  }
  return n;
}

double pinball_loss(double r, double tau) {
  return r >= 0.0 ? tau * r : (tau - 1.0) * r;
}

quantile_model::quantile_model(int horizons, double tau)
    : tau_(tau), weights_(std::max(horizons, 1), feature_count) {
  for (int h = 0; h < weights_.rows(); ++h) {
    weights_.row(h) = prior_weights().transpose();
  }
}

Eigen::VectorXd quantile_model::prior_weights() {
  Eigen::VectorXd w = Eigen::VectorXd::Zero(feature_count);
  w(feature_component) = 1.0;
  return w;
}

void quantile_model::fit(const training_set& data, const quantile_fit_options& opt) {
  const int horizons = static_cast<int>(data.z.size());
  if (horizons == 0) {
    return;
  }
  weights_.resize(horizons, feature_count);
  const Eigen::VectorXd w0 = prior_weights();
  std::array<double, group_count> loss_increase{};
  std::mt19937 rng(opt.seed);
  size_t total = 0;
  for (int h = 0; h < horizons; ++h) {
    const auto& zs = data.z[static_cast<size_t>(h)];
    const size_t n = zs.size();
    total += n;
    Eigen::VectorXd w = w0;
    if (n == 0) {
      weights_.row(h) = w.transpose();
      continue;
    }
    const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, feature_count, Eigen::RowMajor>> X(
        data.x[static_cast<size_t>(h)].data(), static_cast<long>(n), feature_count);
    const Eigen::Map<const Eigen::VectorXf> z(zs.data(), static_cast<long>(n));
    const Eigen::MatrixXd Xd = X.cast<double>();
    const Eigen::VectorXd zd = z.cast<double>();
    const double lambda = opt.ridge * static_cast<double>(n);
    for (int it = 0; it < opt.iterations; ++it) {
      const Eigen::VectorXd r = zd - Xd * w;
      // IRLS for the pinball loss: rho_tau(r) ~ c r^2 / |r| with c = tau or 1 - tau.
      Eigen::VectorXd q(static_cast<long>(n));
      for (long i = 0; i < static_cast<long>(n); ++i) {
        const double c = r(i) >= 0.0 ? tau_ : 1.0 - tau_;
        q(i) = c / std::max(std::fabs(r(i)), opt.min_abs_residual);
      }
      Eigen::MatrixXd A = Xd.transpose() * q.asDiagonal() * Xd;
      Eigen::VectorXd b = Xd.transpose() * q.cwiseProduct(zd);
      // Scale the ridge by the typical IRLS weight so that its pull does not
      // depend on the residual size.
      const double mean_q = q.mean();
      A.diagonal().array() += lambda * mean_q;
      b += lambda * mean_q * w0;
      w = A.ldlt().solve(b);
      if (!w.allFinite()) {
        w = w0;
        break;
      }
    }
    weights_.row(h) = w.transpose();
    // Permutation importance on the training rows of this horizon.
    const Eigen::VectorXd pred = Xd * w;
    double base = 0.0;
    for (long i = 0; i < static_cast<long>(n); ++i) {
      base += pinball_loss(zd(i) - pred(i), tau_);
    }
    std::vector<long> perm(n);
    std::iota(perm.begin(), perm.end(), 0L);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int g = 0; g < group_count; ++g) {
      double loss = 0.0;
      for (long i = 0; i < static_cast<long>(n); ++i) {
        double p = pred(i);
        for (int f = 0; f < feature_count; ++f) {
          if (feature_group_of(f) == g) {
            p += w(f) * (Xd(perm[static_cast<size_t>(i)], f) - Xd(i, f));
          }
        }
        loss += pinball_loss(zd(i) - p, tau_);
      }
      loss_increase[static_cast<size_t>(g)] += std::max(0.0, loss - base) / static_cast<double>(n);
    }
  }
  trained_rows_ = total;
  const double sum = std::accumulate(loss_increase.begin(), loss_increase.end(), 0.0);
  for (int g = 0; g < group_count; ++g) {
    importance_[static_cast<size_t>(g)] =
        sum > 0.0 ? loss_increase[static_cast<size_t>(g)] / sum : 0.0;
  }
}

double quantile_model::predict(int h, const feature_vector& x) const {
  const long row = std::clamp<long>(h - 1, 0, weights_.rows() - 1);
  double s = 0.0;
  for (int f = 0; f < feature_count; ++f) {
    s += weights_(row, f) * x[static_cast<size_t>(f)];
  }
  return s;
}

std::array<double, group_count> quantile_model::contributions(int h,
                                                              const feature_vector& x) const {
  const long row = std::clamp<long>(h - 1, 0, weights_.rows() - 1);
  std::array<double, group_count> c{};
  for (int f = 0; f < feature_count; ++f) {
    const int g = feature_group_of(f);
    if (g >= 0) {
      c[static_cast<size_t>(g)] += std::fabs(weights_(row, f) * x[static_cast<size_t>(f)]);
    }
  }
  return c;
}

void quantile_model::restore(double tau, const Eigen::MatrixXd& weights, size_t trained_rows,
                             const std::array<double, group_count>& importance) {
  if (weights.cols() != feature_count || weights.rows() < 1) {
    throw std::invalid_argument("quantile_model: weights must be horizons x "
                                + std::to_string(feature_count));
  }
  if (!(tau > 0.0 && tau < 1.0) || !weights.allFinite()) {
    throw std::invalid_argument("quantile_model: tau outside (0, 1) or non-finite weights");
  }
  tau_ = tau;
  weights_ = weights;
  trained_rows_ = trained_rows;
  importance_ = importance;
}

} // namespace grace::forecaster
