#pragma once
// Streaming anomaly score of one metric: how unusual the recent forecast
// residuals are against this metric's own history of residuals. Used for
// warnings on metrics without a nearby threshold and for NAB scoring
// (`grace-node detect`). Pure core: no CAF, no global state, deterministic.
//
// Per sample (rows <= now only):
//  1. the one-step predictive distribution (robust_seasonal_model) gives a
//     residual r and a robust adaptive scale s (clipped EWMA of |r|);
//  2. statistics of z = r / s: the spike |z|, the short-window mean of |z|
//     (HTM's "recent vs long-run" surprise, also a variance increase), the
//     short-window |mean z| (a level shift the forecast is catching up
//     with), and optionally the calm -log(mean |z|) (a variance drop) and
//     the median |z| over spread_window samples (a variance increase);
//  3. each statistic's tail probability under its own decaying histogram of
//     past values (empirical, with a fitted tail beyond the data), so every
//     metric is judged against its own normal, heavy-tailed or not;
//  4. evidence = -log10 of the smallest of those probabilities, reported
//     once per episode (a repeat within hold_ms is damped, a rising run is
//     reported at its peak, and for refractory_ms after an alarm even a new
//     high is damped).
#include "actors/predictor/contextual_anomaly.hpp"
#include "actors/predictor/streaming_predictive_model.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace grace::predictor {

struct anomaly_score_params {
  robust_seasonal_params model;
  // |z| beyond this counts as "impossible": limits one outlier's pull.
  double surprise_cap = 30.0;
  // The spike channel's own cap (0: surprise_cap): a spike's size matters
  // there, while one spike must not dominate a window average.
  double spike_cap = 1000.0;
  int short_window = 12; // samples in the recent statistics (1 h at 5 min)
  // > 0: the recent window spans this much time instead (short_window samples
  // until the sampling interval is known), but at least min_window samples so
  // its mean stays a statistic on hourly metrics.
  int64_t window_ms = 0;
  int min_window = 6;
  // > 0: the window statistics are also judged over a second window of this
  // many times the recent one (longer: a slow drift or small level shift
  // that one window's noise hides; shorter: a brief burst).
  double second_window_factor = 0.0;
  // > 0: one-sided CUSUMs of z with this reference (Page's change-point
  // statistic, max of both directions): evidence of a persistent shift
  // accumulates until the forecast absorbs it.
  double cusum_k = 0.0;
  // > 0: a k-step-ahead channel. The level the model held this many samples
  // ago (its rolling median: a flat forecast for every step ahead) is held
  // against the value now; the error, scaled by its own robust adaptive
  // spread (a clipped EWMA of |error|, as the model's residual scale), is
  // averaged over the recent window and |mean| judged like the window
  // statistics: a slow drift the rolling median keeps absorbing leaves
  // one-step residuals near 0 but grows the error of a forecast made an
  // hour ago. 0: off (round 8, docs/evaluation/detection.md: no gain).
  int horizon_samples = 0;
  // > 0: a spread channel. The median of |z| over this many recent samples,
  // judged like the window statistics (Gaussian memory when
  // gaussian_memory): unlike the window mean of |z|, which one spike or a
  // routine one-sample dip inflates, the median rises only when most of the
  // window is wider than usual, i.e. a variance increase. 0: off (round 9,
  // docs/evaluation/detection.md).
  int spread_window = 0;
  // The spread channel's Gaussian memory: its standard deviation is at least
  // this (the other window channels use 0.1).
  double spread_sd_floor = 0.1;
  // > 1: the spread channel looks at several windows at once instead of one
  // (round 10): spread_window, spread_window * spread_scale_ratio, ... (this
  // many windows, each at least one sample longer than the one before, at
  // most a week), the median of |z| over each judged by its own memory, and
  // the windows' tail probabilities joined into the channel's one by a
  // multiple-testing correction, spread_join: "bonferroni" (the smallest p
  // times the number of windows judged) or "simes" (the smallest of m p_(i)/i
  // over the ordered p). 1: the one window of round 9.
  int spread_scales = 1;
  double spread_scale_ratio = 2.0;
  std::string spread_join = "bonferroni";
  // The spread statistic judged on a log scale, log(0.1 + median |z|) (a
  // spread twice the usual is the same step for a quiet metric as for a
  // bursty one, whose medians are right-skewed). false: the median itself.
  bool spread_log = false;
  // > 0: the spread statistic is the mean of min(|z|, spread_clip) over the
  // window instead of the median of |z| (a winsorised mean: one spike or dip
  // moves it by at most spread_clip / window, and it rises smoothly with the
  // share of wide samples, where the median jumps once half the window is
  // wide). 0: the median.
  double spread_clip = 0.0;
  double tail_alpha = 0.0002; // decay of the statistics' histograms (~17 days at 5 min)
  double tail_share = 0.05;   // the top share of a histogram that fits its tail
  bool pareto_tail = false;   // tail beyond the data: exponential (false) or power law
  // The exponential tail's mean excess is at least this, in residual-scale
  // units (divided by sqrt(short_window) for the window averages): a
  // near-deterministic history must not make a tiny deviation a certainty.
  double min_excess = 1.0;
  bool use_spike = true;     // single-sample |z| channel
  bool use_direction = true; // short-window |mean z| channel (level shift)
  bool use_calm = false;     // short-window variance drop channel
  // The short-window channels judged by a Gaussian tail around their running
  // mean and variance (HTM's anomaly likelihood) instead of their histogram.
  bool gaussian_memory = true;
  // How the channels' tail probabilities make one: the smallest (false) or
  // Fisher's combination (true: -2 sum ln p against chi-square with 2k
  // degrees of freedom), so channels that agree add up.
  bool fisher = false;
  // The evidence judged once more, against this metric's own history of
  // evidence (-log10 of how often it produced evidence this strong): a
  // metric whose channels fire routinely (bursty counts) has a high alarm
  // rate at a given evidence, a quiet one a low one.
  bool recalibrate = false;
  // A second, model-free detector beside the residual statistics (CAD OSE,
  // contextual_anomaly.hpp) and how its score joins: "off"; "alone" (its
  // score only); "max" or "mean" of the two scores; "blend" (the mean of the
  // residual evidence and its raw score, before one episode rule: its own
  // rest period does not apply); "channel" (its raw score judged against its
  // own history like the statistics above, one more tail probability in the
  // smallest).
  std::string context_mode = "off";
  contextual_params context;
  int warmup_samples = 150;         // samples before any score other than 0
  int64_t hold_ms = 12 * 3'600'000; // a score that is no new high within this span is a repeat
  double repeat_factor = 0.25;      // how much a repeat is damped
  // A score is a new high only when it beats the highest of hold_ms by this share.
  double new_high_margin = 0.1;
  // A rising run of new highs is reported once, at its peak: when it stops
  // rising, or this many samples after it began (an alarm per step of a ramp
  // helps nobody). 0: every new high at once.
  int peak_delay = 3;
  // Refractory period after an alarm (ARTime and CAD rest after firing; NAB
  // counts every later sample above its threshold as another false
  // positive). > 0: once a reported score reaches fire_level, every score for
  // the next refractory_ms is damped like a repeat (repeat_factor), new highs
  // included, unless its evidence (-log10 p) is at least breakthrough times
  // the alarm's (0: nothing breaks through). 0: off. One hour: chosen by
  // leave-one-category-out on NAB (docs/evaluation/detection.md).
  int64_t refractory_ms = 3'600'000;
  // > 0: the refractory period is at least this many samples of the series'
  // own sampling interval (as the predictive model infers it), so an hourly
  // metric rests as many observations as a 5-minute one. The rest is the
  // longer of refractory_ms and refractory_samples steps (18: 90 min at 5
  // minutes, 3 h at 10, 18 h hourly). 0: off. Chosen by leave-one-category-out
  // on NAB, round 7 (docs/evaluation/detection.md).
  int refractory_samples = 18;
  double fire_level = 0.3; // e/(e+10) = 0.3: evidence 4.3, a one-in-20,000 value
  double breakthrough = 0.0;
};
void to_json(nlohmann::json& j, const anomaly_score_params& p);
void from_json(const nlohmann::json& j, anomaly_score_params& p);

// Decaying histogram of a non-negative statistic on a log scale, and the
// probability of a value at least as large under it: empirical inside the
// data, an exponential (or power-law) tail fitted to the top tail_share
// beyond, so a value larger than any seen still gets a finite, ordered
// probability.
class tail_histogram {
public:
  static constexpr int bins = 64;
  explicit tail_histogram(double max_value = 30.0);

  // P(X >= x) under the history so far (1 before any value).
  double upper_tail(double x, double tail_share, bool pareto, double min_excess = 0.0) const;
  void add(double x, double alpha);
  size_t count() const { return n_; }

  nlohmann::json to_json() const;
  static tail_histogram from_json(const nlohmann::json& j);

private:
  double u_of(double x) const;      // bin coordinate in [0, bins]
  double x_of(double u) const;      // inverse of u_of
  double mass_from(double u) const; // weight at or above bin coordinate u

  double max_value_;
  std::array<double, bins> w_{}; // weights, sum 1 once n_ > 0
  size_t n_ = 0;
  double alpha_eff_ = 1.0; // weight of the newest value (1/n at first, then alpha)
};

// What one update produced, for callers that want more than the score.
struct anomaly_detail {
  double expected = 0.0; // centre of the predictive distribution
  double scale = 0.0;    // its Laplace scale
  double surprise = 0.0; // |z| of the sample
  double evidence = 0.0; // e/(e+10), e = -log10 of the smallest tail probability of the statistics
  double context = 0.0;  // the contextual detector's score (context_mode != "off")
  // The spread channel's own e/(e+10) (spread_window > 0; 0 before its window
  // fills; with spread_scales > 1, of the joined probability).
  double spread = 0.0;
  double score = 0.0; // what update() returned
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
  // Evidence of the raw statistics, each judged against its own history.
  static constexpr size_t channels = 9;
  // extra_p: one more tail probability (the contextual channel), 1 if none.
  // spread_p: the multi-scale spread channel's joined probability (< 0: not
  // judged), taken as the spread channel's when spread_scales > 1.
  // channel_p: each judged channel's tail probability (1 if not judged).
  double evidence_of(const std::array<double, channels>& stats,
                     const std::array<bool, channels>& have, double extra_p, double spread_p,
                     std::array<double, channels>& channel_p);
  // One statistic's tail probability under its memory (Gaussian: the running
  // mean and variance, sd at least sd_floor; else the histogram, its tail's
  // mean excess at least min_excess * unit), then the memory learns the
  // statistic. judged: false while a Gaussian memory is still empty.
  double judge(double stat, bool gaussian, double sd_floor, double unit, double& mean, double& var,
               tail_histogram& tail, bool& judged) const;
  // The multi-scale spread channel (spread_scales > 1): the joined tail
  // probability of the medians of |z| over spread_windows_ (-1: none judged).
  double multi_spread_p();
  double spread_over(size_t w) const;           // median of |z| (or clipped mean) over the newest w
  double spread_statistic(double median) const; // what the memories judge (spread_log)
  size_t window() const;                        // samples in the recent window now
  size_t second_window() const;                 // samples in the second window (0: none)

  // An error series scaled by its own clipped EWMA of |error| (the k-step
  // channel): the last scaled errors of the recent window.
  struct scaled_track {
    double scale = 0.0;
    size_t count = 0;
    std::deque<double> z;
    // Folds err (finite) and returns |mean z| over the last w, or -1 before
    // w scaled errors exist.
    double push(double err, double alpha, double cap, size_t w);
    nlohmann::json to_json() const;
    static scaled_track from_json(const nlohmann::json& j);
  };

  anomaly_score_params p_;
  robust_seasonal_model model_;
  std::deque<double> recent_z_; // last signed z (as many as the longest window)
  // spike |z|, mean |z|, |mean z|, calm, long mean |z|, long |mean z|, CUSUM,
  // k-step error, median |z| (spread)
  std::array<tail_histogram, channels> tails_;
  // Running mean and variance per channel (gaussian_memory).
  std::array<double, channels> mean_{}, var_{};
  double cusum_up_ = 0.0, cusum_down_ = 0.0;
  std::deque<double> past_levels_; // the model's last levels (horizon_samples)
  scaled_track horizon_track_;
  // The spread channel's windows (one, or spread_scales of them) and, with
  // more than one, each window's own memory (histogram, mean, variance).
  std::vector<size_t> spread_windows_;
  std::vector<tail_histogram> scale_tails_;
  std::vector<double> scale_mean_, scale_var_;
  tail_histogram evidence_tail_{300.0};        // past evidence (-log10 p), for recalibrate
  std::optional<contextual_detector> context_; // context_mode != "off"
  tail_histogram context_tail_{1.0};           // its past raw scores ("channel")
  size_t n_ = 0;
  // Running maximum of the raw evidence within hold_ms (monotone queue of
  // (ts, evidence)): evidence that does not beat it repeats an episode.
  std::deque<std::pair<int64_t, double>> peaks_;
  double pending_ = -1.0; // peak of a rising run not yet reported (-1: none)
  int pending_age_ = 0;   // samples since that run began
  // The last alarm that started a refractory period (refractory_ms > 0):
  // its time (-1: none) and evidence (-log10 p).
  int64_t fired_ms_ = -1;
  int64_t refractory_span() const; // the refractory period now (ms, 0: off)
  double fired_evidence_ = 0.0;
  double spread_ = 0.0; // mean |step| of the series: floor for the scale
  double last_value_ = 0.0;
  anomaly_detail last_;
};

} // namespace grace::predictor
