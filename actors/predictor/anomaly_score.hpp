#pragma once
// Streaming anomaly score of one metric: how surprising each new sample is
// under the one-step predictive distribution, with memory of recent surprise.
// Used for warnings on metrics without a nearby threshold and for NAB scoring
// (`grace-node detect`). Pure core: no CAF, no global state, deterministic.
#include "actors/predictor/streaming_predictive_model.hpp"

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <utility>

namespace grace::predictor {

struct anomaly_score_params {
  robust_seasonal_params model;
  // -log p beyond this counts as "impossible": limits one outlier's pull on
  // the baseline that later samples are judged against.
  double surprise_cap = 30.0;
  int short_window = 12;           // samples averaged into "recent surprise" (1 h at 5 min)
  double long_alpha = 1.0 / 2016;  // EWMA weight of the surprise baseline (~a week at 5 min)
  int warmup_samples = 150;        // samples before any score other than 0
  int64_t hold_ms = 6 * 3'600'000; // a score that is no new high within this span is a repeat
  double repeat_factor = 0.25;     // how much a repeat is damped
  // A growing episode (the surprise average ramps up over short_window
  // samples) is reported again only when it beats its earlier high by this share.
  double new_high_margin = 0.1;
  // Also track the signed residual average: a sustained shift in one direction.
  bool use_direction = true;
  // A score no clear new high against the highest within this span of the
  // same time one day earlier repeats a daily event (a nightly batch job) and
  // is damped like a repeat. 0: off.
  int64_t recurrence_tol_ms = 2 * 3'600'000;
  // A rising run of new highs (the surprise average ramps up over
  // short_window samples) is reported once, at its peak: when it stops
  // rising, or this many samples after it began. Each step of a ramp above the
  // threshold would otherwise be one more alarm (NAB counts every one as a
  // false positive outside a window). 0: every new high at once.
  int peak_delay = 3;
  // A metric that normally varies and has now repeated the same value for
  // longer than this and longer than any constant run before it (a stuck
  // sensor, a disk that stopped writing) is reported once, with evidence
  // from how often the series repeats a value. 0: off.
  int64_t quiet_min_ms = 86'400'000;
};
void to_json(nlohmann::json& j, const anomaly_score_params& p);
void from_json(const nlohmann::json& j, anomaly_score_params& p);

// Running mean and variance of a surprise statistic (EWMA after a plain
// average at the start), and how unusual a new value is against them.
struct surprise_baseline {
  double mean = 0.0, var = 0.0;
  size_t n = 0;
  // -log10 of the Gaussian upper tail beyond "as usual", mapped to [0,1).
  double evidence(double x) const;
  void add(double x, double alpha);
};
void to_json(nlohmann::json& j, const surprise_baseline& b);
void from_json(const nlohmann::json& j, surprise_baseline& b);

// What one update produced, for callers that want more than the score.
struct anomaly_detail {
  double expected = 0.0;   // centre of the predictive distribution
  double scale = 0.0;      // its Laplace scale
  double surprise = 0.0;   // -log of the two-sided tail probability of the sample
  double likelihood = 0.0; // how unusual recent surprise is, in [0,1)
  double score = 0.0;      // what update() returned
};

class anomaly_scorer {
public:
  explicit anomaly_scorer(anomaly_score_params p = {});

  // Feeds the next sample (in arrival order) and returns its anomaly score in
  // [0, 1]; uses this and earlier samples only.
  double update(int64_t ts_ms, double value);

  const anomaly_detail& last() const { return last_; }
  const anomaly_score_params& params() const { return p_; }

  nlohmann::json to_json() const;
  static anomaly_scorer from_json(const nlohmann::json& j);

private:
  double scale_floor(double mean) const;
  double surprise_of(double value, const predictive_distribution& d) const;
  // Records raw and tells whether it repeats yesterday's score at this time.
  bool recurs_daily(int64_t ts_ms, double raw);
  // Tracks constant runs; the quiet evidence in [0,1) of this sample (0 but
  // on the first sample of a run longer than quiet_min_ms and than every
  // earlier run).
  double quiet_evidence(int64_t ts_ms, double value);

  anomaly_score_params p_;
  robust_seasonal_model model_;
  // Last short_window (surprise, signed z) pairs.
  std::deque<std::pair<double, double>> recent_;
  surprise_baseline memory_;    // of the recent-surprise average
  surprise_baseline direction_; // of |recent signed-residual average|
  size_t n_ = 0;
  // Running maximum of the raw scores within hold_ms (monotone queue of
  // (ts, score)): a score that does not beat it repeats an episode already
  // reported.
  std::deque<std::pair<int64_t, double>> peaks_;
  // Highest raw score per 30-minute bucket (bucket index, score) over the
  // last day and recurrence_tol_ms, for the daily-recurrence check.
  std::deque<std::pair<int64_t, double>> daily_;
  double pending_ = -1.0; // peak raw score of a rising run not yet reported (-1: none)
  int pending_age_ = 0;   // samples since that run began
  double spread_ = 0.0;   // mean |step| of the series: floor for the scale
  double last_value_ = 0.0;
  // Constant runs (same value repeated): start of the current one, whether it
  // began with the series (then it says nothing), whether it was reported,
  // the longest completed one, and how many steps repeated the value.
  int64_t run_start_ms_ = 0;
  int64_t last_ts_ms_ = 0;
  bool run_from_start_ = true;
  bool run_reported_ = false;
  int64_t longest_run_ms_ = 0;
  size_t repeat_steps_ = 0;
  size_t run_steps_ = 0; // repeats in the current run
  anomaly_detail last_;
};

} // namespace grace::predictor
