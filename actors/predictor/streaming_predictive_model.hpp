#pragma once
// A light one-step-ahead predictive model for one metric, fed sample by
// sample. The anomaly score only needs "what did we expect for this sample and
// how sure were we", so the interface is a predictive distribution (centre and
// scale); the node's main forecaster can later stand in behind the same calls.
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <vector>

namespace grace::predictor {

// Centre and scale of the one-step-ahead predictive distribution. The scale is
// the mean absolute residual (a Laplace scale): robust to the spikes that
// operational metrics are full of, and its tail is exp(-|r|/scale).
struct predictive_distribution {
  double mean = 0.0;
  double scale = 0.0;
  bool ready = false; // false while the model has too little history to predict
};

// What any one-step model must offer the anomaly scorer.
class one_step_model {
public:
  virtual ~one_step_model() = default;
  // The distribution of the next sample, given everything observed so far.
  virtual predictive_distribution predict() const = 0;
  // Feeds the sample that just arrived (after predict() was asked for it).
  virtual void observe(int64_t ts_ms, double value) = 0;
};

struct robust_seasonal_params {
  int level_window = 48;         // samples in the rolling median (4 h at 5 min)
  double residual_alpha = 0.003; // EWMA weight of the residual scale (~a day at 5 min)
  double choice_alpha = 0.005;   // EWMA weight used to pick local vs seasonal
  int max_period = 2016;         // longest daily cycle kept in memory (samples)
  int min_history = 12;          // samples before the first prediction
};
void to_json(nlohmann::json& j, const robust_seasonal_params& p);
void from_json(const nlohmann::json& j, robust_seasonal_params& p);

// Two candidate forecasts, a rolling median (level) and "same time yesterday,
// shifted by today's level change" (daily seasonality), each tracked by its
// own mean absolute error; the better one recently is the prediction. The
// sampling interval, and hence the daily period in samples, is inferred from
// the first timestamps so hourly and 5-minute metrics both work.
class robust_seasonal_model final : public one_step_model {
public:
  explicit robust_seasonal_model(robust_seasonal_params p = {});

  predictive_distribution predict() const override;
  void observe(int64_t ts_ms, double value) override;

  int64_t step_ms() const { return step_ms_; }
  // The rolling median of the last level_window values (the local candidate,
  // whichever candidate predict() chooses); 0 before any value.
  double level() const { return history_.empty() ? 0.0 : local_forecast(); }
  int period() const { return period_; }
  size_t observed() const { return n_; }

  nlohmann::json to_json() const;
  static robust_seasonal_model from_json(const nlohmann::json& j);

private:
  double local_forecast() const;
  bool has_seasonal() const;
  double seasonal_forecast() const;
  double median_of(size_t from_back, size_t count) const;

  robust_seasonal_params p_;
  std::deque<double> history_; // most recent last
  std::vector<int64_t> steps_; // first positive timestamp steps, to infer the interval
  int64_t last_ts_ = 0;
  int64_t step_ms_ = 0;
  int period_ = 0; // samples per day, 0 when unknown or too long
  size_t n_ = 0;
  double local_mae_ = 0.0, seasonal_mae_ = 0.0; // per-candidate error, for the choice
  size_t local_scored_ = 0, seasonal_scored_ = 0;
  double mae_ = 0.0;  // error of the chosen prediction
  size_t scored_ = 0; // residuals folded into mae_
};

} // namespace grace::predictor
