#pragma once
// The probability that one metric breaches one threshold within the lead
// horizon, from two sources:
//  - the forecast: the predictor's breach probability (assess_threshold:
//    the largest P(beyond) over the forecast points inside the horizon);
//  - the metric's own breach history: P(a breach within the horizon | how
//    long ago the last breach was, whether it breached in the same hour a
//    day earlier), counted on this metric's past (a breach is followed
//    by another far more often than the forecast's marginal intervals say:
//    bursts, daily peaks, flapping), each class shrunk towards the coarser
//    one (distance within "since" within the overall rate).
// The probability is the larger of the two. The node's predictor (every
// forecast it receives) and `grace-node warn` (every CSV row) use this one
// class. Pure core: no CAF, no clock, deterministic.
#include "actors/predictor/breach.hpp"
#include "messages/types.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>

namespace grace::predictor {

struct breach_warner_settings {
  int64_t horizon_ms = 60 * 60'000; // "a breach within this long"
  // The history part: off uses the forecast alone.
  bool use_history = true;
  // Pseudo-count pulling a rarely seen "time since the last breach" class
  // towards the metric's overall rate.
  double prior_weight = 20.0;
  // Older evidence fades: weight per observed value (about two weeks of 5-minute rows).
  double history_alpha = 1.0 / 4032;
  // Also condition on the distance to the threshold (false: "since" only).
  bool use_distance = false;
  // Also condition on the forecast's own probability (its bins are then
  // calibrated on this metric's history).
  bool use_forecast_class = false;
  // The result: the larger of forecast and history (true), or the history
  // estimate alone (false; meant with use_forecast_class).
  bool take_max = true;
  // With use_forecast_class: a forecast class this metric has little
  // history of starts from the larger of the forecast's own probability and
  // the coarser history estimate (instead of the latter alone), so a new
  // metric still warns on its forecasts and a seasoned one is calibrated.
  bool forecast_prior = false;
  // With use_forecast_class: the calibrated rate is interpolated between
  // the forecast class's and its neighbour's (linear in log P between the
  // classes' centres), so forecasts inside one class keep their order.
  bool interpolate_classes = false;
  // With use_forecast_class: two more classes at the top (P >= 0.5, >= 0.8),
  // so "the forecast says maybe" and "the forecast says surely" are told apart.
  bool fine_forecast_classes = false;
  // With use_forecast_class: a (history cell, forecast class) seen rarely
  // starts from both coarser rates at once, added in log-odds (the forecast
  // class's rate over all cells and the history cell's rate, each against the
  // overall rate) instead of the history cell's rate alone.
  bool combined_prior = false;
  // Also condition on whether the metric breached in the same hour a day
  // earlier (daily recurrence: peaks, batch jobs), learned like the other
  // classes; shares their slot, so use_distance turns it off.
  bool use_daily = true;
  // A value observed after the forecast was made moves the forecast's points
  // by its difference from what the forecast said for its time (the newest
  // value corrects the level until the next forecast).
  bool reanchor = false;
  // The forecast is conditioned on the values observed after it was made
  // (condition_on_observed: its own error model filtered through them), and
  // judged again on every value, not only when it arrives: between forecasts
  // the newest values say where the forecast's error is heading.
  bool condition_on_newest = false;
  // The warning decision's false-alarm budget, per day and threshold: after
  // a day of history the warner raises at the lowest probability whose false
  // warning episodes on this metric's own past stayed within it (alarm_cut);
  // 0: a fixed probability (the warning policy's) decides.
  double alarm_budget_per_day = 0.0;
  // Also condition on whether the least-squares line through the latest
  // trend_values values reaches the threshold within the horizon (Prometheus'
  // predict_linear, judged by how often it came true on this metric); shares
  // the daily class's slot, so use_distance turns it off.
  bool use_trend = false;
  size_t trend_values = 6;
  // The forecast part is the probability that the forecast path crosses the
  // threshold within the horizon (path_probability_beyond: every step's
  // predictive distribution, tied by a local-level error model) instead of
  // the largest single point's.
  bool path_probability = false;
  // `score` (what `grace-node warn` writes) is the probability measured
  // against this metric's learned cut (alarm_cut): its log-odds minus the
  // cut's, mapped back, so 0.5 means "at the cut" on every metric. Without a
  // learned cut yet it is the probability.
  bool score_against_cut = false;
  // The forecast part is recalibrated on this metric's settled values: P =
  // logistic(a + b logit(p)), (a, b) the penalised maximum-likelihood fit to
  // which forecasts were followed by a breach within the horizon, its prior
  // centred on the forecast as it is (a = 0, b = 1) with weight
  // calibration_prior, so a metric with few breaches keeps its forecaster's
  // word and one with many gets its own scale.
  bool logistic_calibration = false;
  double calibration_prior = 10.0;
  // Rise persistence (how often a rise like the current one went on far
  // enough, on this metric's own past): every value is a trial of "the
  // metric climbs at least d further within the horizon" for a ladder of
  // distances d (in units of the metric's mean absolute step), classed by
  // the rise behind it (the value minus the lowest of the last rise_window_ms,
  // log-spaced classes) and whether it is still rising (the change over the
  // last half window above one step) or has stopped; settled after the
  // horizon, decayed like the history, each class shrunk towards the rise
  // class and that towards the forecast's own probability. It learns from
  // every level the metric crossed, not only the threshold's breaches: how
  // far this metric's rises of this size, still going or stopped, usually
  // go. rise_weight is its weight against the forecast part in log-odds
  // (0: off, 1: it replaces the forecast part); rise_take_max: instead the
  // larger of the two.
  double rise_weight = 0.0;
  bool rise_take_max = false;
  int64_t rise_window_ms = 30 * 60'000;
  // A learned, per-metric mix of the forecast part and the rise part
  // (instead of rise_weight / rise_take_max): each settled value scores both
  // parts' probabilities by their log loss on "a breach within the horizon"
  // on this metric (decayed like the history, history_alpha), and the
  // forecast part becomes their Bayesian model average, each weighted by
  // exp(-its decayed loss): the part that has called this metric's breaches
  // better speaks, with no weight to choose. Equal weights on a new metric.
  bool rise_learned_mix = false;
  // With rise_learned_mix: score the parts only on what an early warning is
  // for, a fresh breach at least a quarter of the horizon (15 minutes) ahead:
  // values less than an hour after a breach and values followed by a breach
  // sooner than that are left out of the losses (false: every value).
  bool rise_mix_early_only = false;
  // Learned damping of the forecast part (a damped forecast whose damping
  // comes from this metric's own h-step errors): every forecast noted is
  // settled against the values that arrive at its points' times; per lead
  // time (horizon / 12 bins, one more beyond) a decayed least-squares fit
  // of the realised change (value - the value when the forecast was made)
  // on the forecast's predicted change gives the damping beta (shrunk
  // towards 1 with prior_weight, in [0, 2]: < 1 where this metric's
  // predicted rises stop), and the ratio of the remaining squared error to
  // the forecast's nominal variance gives a spread scale (shrunk towards 1).
  // The forecast part then judges the point value_then + beta (mean -
  // value_then) with its quantiles scaled about it: a forecaster that
  // extrapolates rises this metric does not carry out is damped, one whose
  // intervals are too narrow or too wide here is widened or narrowed, on
  // every value rather than on the rare breaches.
  bool learned_damping = false;
  // The threshold is exclusive: a breach is a value strictly beyond it (the
  // event protocol P3h scores, y > T), not at it (the node's bands, which
  // are closed). Matters where values sit at the threshold: a metric flat
  // at it, counts whose threshold is one of their integers.
  bool exclusive_threshold = false;
  // The pseudo-count pulling the rise part's cells towards their coarser
  // estimate (rise class, then the forecast's probability); negative: the
  // history part's prior_weight. Smaller: a metric's own few rises of a size
  // speak sooner against the forecast's extrapolation.
  double rise_prior_weight = -1.0;
  // The rise part of the critical threshold's warner is also classed by
  // whether the value is in the warning band (beyond the warning threshold,
  // threshold_warners passes it): how far this metric's rises went on from
  // inside the warning band, learned from its own band entries, each such
  // cell shrunk towards the rise part's estimate over all values. A warner
  // without a second threshold (grace-node warn) is unchanged.
  bool rise_band_gate = false;
  // The rise part also counts apart the values observed while one of the
  // metric's causes is in trouble (set_rise_context, from the catalog's
  // symptom_of: the node's cause_watch): a rise that its cause explains and
  // one it does not are learned separately, each such cell shrunk towards
  // the estimate over all values. No context given (grace-node warn): unchanged.
  bool rise_cause_context = false;
  // A per-metric choice of the forecast part or the rise part (as
  // rise_weight / rise_take_max combine it; rise_weight 0: the rise part
  // alone) by how well each has ranked this metric's own past for what an
  // early warning is for: the values 15 min (a quarter of the horizon) to
  // the horizon before a fresh breach (none in the horizon before it) above
  // the values followed by no breach within the horizon. Each value is
  // scored with both (the warner's probability with either part), settled
  // a horizon later into decayed histograms (history_alpha) of positives and
  // negatives per score bin; the rise part is chosen when its ranking AUC,
  // shrunk by rise_rank_prior pseudo-positives on which the forecast part
  // ranks perfectly and the rise part at chance, is higher than the forecast
  // part's, i.e. when positives x (AUC_rise - AUC_forecast) > rise_rank_prior / 2.
  // A new metric keeps the forecast part.
  bool rise_rank_choice = false;
  double rise_rank_prior = 50.0;
};
void to_json(nlohmann::json& j, const breach_warner_settings& s);
void from_json(const nlohmann::json& j, breach_warner_settings& s);

class breach_warner {
public:
  // Classes of "time since the last breach" (log-spaced): < 1 h, < 2 h,
  // < 4 h, < 8 h, < 16 h, < 32 h, later, and never.
  static constexpr int classes = 8;
  // Distance to the threshold in mean absolute steps: < 1, < 2, < 4, < 8,
  // < 16, further.
  static constexpr int distances = 6;
  // The forecast's probability: < 0.001, < 0.01, < 0.05, < 0.2, higher
  // (with fine_forecast_classes the top one is split at 0.5 and 0.8).
  static constexpr int forecast_classes = 7;

  breach_warner(double threshold, bool higher_is_worse, breach_warner_settings s = {});

  // Each value of the metric as it arrives (a closed snapshot's statistic in
  // the node, a row or a partial 5-minute bucket in the CLI), in time order.
  void observe(int64_t ts_ms, double value);
  // The latest forecast (the node: every forecast received; the CLI: every
  // forecast made); a value observed later is classed by what it said.
  void note_forecast(const forecast& f);

  // P(breach within the horizon after `now`) from the forecast's points in
  // (now, now + horizon] and the breach history up to now.
  double probability(const forecast& f, int64_t now) const;
  // What `grace-node warn` writes per row: probability(), or that measured
  // against the learned cut (settings().score_against_cut).
  double score(const forecast& f, int64_t now) const;
  // The history part alone, at `now`.
  double history_probability(int64_t now) const;
  // The forecast part alone.
  double forecast_probability(const forecast& f, int64_t now) const;

  // The assessment the warning book judges: the forecast's (assess_threshold)
  // with the probability above. When the history part decides and the
  // forecast gives no breach time, the breach is expected mid-horizon (the
  // median of a breach equally likely anywhere in it).
  breach_assessment assess(const forecast& f, int64_t now, band severity) const;

  // The probability this metric warns at under its false-alarm budget: the
  // lowest of alarm_levels whose false warning episodes (a run of values at
  // or above it not followed by a breach within the horizon, one more per
  // hour it lasts) came at most alarm_budget_per_day a day on this metric's
  // decayed past. 0 while there is less than a day of settled history or
  // the budget is off (the policy's probability decides then).
  double alarm_cut() const;
  static constexpr int alarm_levels = 16;

  // Whether the latest forecast is judged again on every observed value
  // (the node on every closed snapshot, grace-lead-time alike), not only
  // when a forecast arrives: it changes with the values (reanchor,
  // condition_on_newest).
  bool judges_every_value() const { return s_.reanchor || s_.condition_on_newest || rise_on(); }
  // The learned mix's weight of the rise part now (rise_learned_mix): 0.5
  // on a new metric, towards 1 as the rise part's decayed log loss on this
  // metric's settled values falls below the forecast part's.
  double rise_mix_weight() const;
  // The rise-persistence part alone (rise_weight), at the latest value,
  // its prior being the forecast's probability forecast_p.
  double rise_probability(double forecast_p) const;
  // rise_rank_choice: whether the rise part is chosen now, and each part's
  // decayed ranking AUC and the decayed count of positives it is judged on.
  bool rise_chosen() const;
  double rank_auc(bool rise) const;
  double rank_positives() const;
  // The learned damping's fit at a lead-time bin (learned_damping): the
  // factor on the forecast's predicted change and on its spread (1 and 1
  // before any error was settled).
  static constexpr int damping_bins = 13; // leads of horizon/12 .. horizon, and beyond
  double damping(int bin) const;
  double spread_scale(int bin) const;
  int damping_bin(int64_t lead_ms) const;
  static constexpr int rise_classes = 7;              // rise < 1, 2, 4, 8, 16, 32 steps, more
  static constexpr int rise_cells = 2 * rise_classes; // x (stopped, still rising)
  static constexpr int rise_distances = 16;           // climb at least 2^-2 .. 2^13 steps

  // The level beyond which the rise part's trials are also counted apart
  // (rise_band_gate: the warning threshold for the critical warner); NaN: none.
  void set_rise_gate(double level);
  // Whether the values observed from now on come while a cause of this
  // metric is in trouble (rise_cause_context).
  void set_rise_context(bool caused) { rise_caused_ = caused; }
  double rise_gate() const { return rise_gate_; }
  // The rise part's evidence at the latest value: the decayed trials in its
  // cell and the other momentum of its rise class (for diagnostics).
  double rise_evidence() const;

  double threshold() const { return given_threshold_; } // as given (exclusive_threshold aside)
  bool higher_is_worse() const { return higher_is_worse_; }
  const breach_warner_settings& settings() const { return s_; }

  nlohmann::json to_json() const;
  static breach_warner from_json(const nlohmann::json& j);

private:
  bool beyond(double v) const;
  bool rise_on() const {
    return s_.rise_weight > 0.0 || s_.rise_take_max || s_.rise_learned_mix || s_.rise_rank_choice;
  }
  // The forecast part mixed with the rise part as rise_weight / rise_take_max
  // say (rise_weight 0 with rise_rank_choice: the rise part alone).
  double with_rise(double p_forecast, double p_rise) const;
  // What the warner says with either part, from the history part's p_history.
  double output_with(double part, double p_history) const {
    return s_.take_max ? std::max(part, p_history) : p_history;
  }
  // The forecast part as the warner combines it: calibrated
  // (logistic_calibration) and mixed with the rise part, from the raw one.
  double combined_forecast(double raw) const;
  // The metric's value signed so that "towards the threshold" is up.
  double towards(double v) const { return higher_is_worse_ ? v : -v; }
  void observe_rise(int64_t ts_ms, double value);
  void count_rise(int cell, double climbed_steps, bool gated, bool caused);
  double rise_prior() const {
    return s_.rise_prior_weight >= 0.0 ? s_.rise_prior_weight : s_.prior_weight;
  }
  bool gated(double value) const;
  int class_of(int64_t now) const;
  // f moved by the newest value's difference from it (settings().reanchor),
  // or conditioned on the values observed since it was made
  // (settings().condition_on_newest).
  forecast anchored(const forecast& f) const;
  int distance_class(int64_t now) const;
  bool trend_reaches() const;
  int forecast_class(double p) const;
  // The calibrated rate of forecast class fc within history cell c.
  double class_rate(size_t c, int fc, double prior) const;
  // The prior of forecast class fc in a history cell whose rate is p_cell.
  double class_prior(int fc, double p_cell, double overall) const;
  double history_probability(int64_t now, double forecast_p) const;
  void count(int cell, bool hit);
  void settle(int64_t now);
  struct trial {
    int64_t at = 0;
    int cell = 0;
    double probability = 0.0; // what the warner said at `at`
    double forecast = 0.0;    // the forecast part at `at` (logistic_calibration)
    double rise = 0.0;        // the rise part at `at` (rise_learned_mix)
    // rise_rank_choice: the warner's output at `at` with the forecast part and with the rise part.
    double out_forecast = 0.0, out_rise = 0.0;
  };
  void note_calibration(const trial& t, bool hit);
  // A settled trial scores both parts for the learned mix (rise_learned_mix);
  // breach_at: when the breach that made it a hit came (-1: a miss).
  void note_mix(const trial& t, int64_t breach_at);
  // rise_rank_choice: a settled trial adds its two outputs to the positives'
  // or the negatives' histograms.
  void note_rank(const trial& t, bool positive);
  // The forecast part recalibrated (logistic_calibration).
  double calibrated(double forecast_p) const;
  // A settled trial, in time order, for the false-alarm episodes per level.
  void note_outcome(const trial& t, bool hit);

  double threshold_;       // what "beyond" is judged against
  double given_threshold_; // as constructed
  bool higher_is_worse_;
  breach_warner_settings s_;
  int64_t last_breach_ms_ = -1; // time of the latest value beyond the threshold (-1: none)
  int64_t last_ts_ms_ = 0;
  double last_value_ = 0.0;
  double spread_ = 0.0; // mean |step| of the values
  size_t observed_ = 0;
  // Values not yet known to have been followed by a breach within the
  // horizon: (time, cell = (since class * distances + distance class) *
  // forecast_classes + forecast class).
  std::deque<trial> pending_;
  std::deque<std::pair<int64_t, double>> recent_values_; // the latest trend_values (use_trend)
  // The values of the latest horizon and forecast span (condition_on_newest).
  std::deque<std::pair<int64_t, double>> recent_observed_;
  std::deque<int64_t> recent_breaches_; // breach times of the last day and horizon (use_daily)
  // Decayed counts per cell, per (since, distance) and per since class:
  // trials, and trials followed by a breach.
  std::array<double, classes * distances * forecast_classes> fine_trials_{}, fine_hits_{};
  std::array<double, classes * distances> cell_trials_{}, cell_hits_{};
  forecast latest_; // the latest noted forecast
  std::array<double, classes> trials_{}, hits_{};
  // False warning episodes per alarm level (decayed), the settled time they
  // were counted over (days, decayed alike), the start of the open false run
  // per level (-1: none) and the latest settled trial's time.
  std::array<double, alarm_levels> false_episodes_{};
  std::array<int64_t, alarm_levels> false_run_start_{};
  double exposure_days_ = 0.0;
  int64_t last_settled_ms_ = -1;
  // Decayed counts per forecast class over all history cells (combined_prior).
  std::array<double, forecast_classes> class_trials_{}, class_hits_{};
  double all_trials_ = 0.0, all_hits_ = 0.0;
  // The latest path probability and what it was computed for (it is asked
  // for several times per value with the same forecast and window).
  struct path_memo {
    int64_t generated_at = -1, first_ts = -1, last_ts = -1;
    double first_mean = 0.0, first_spread = 0.0, probability = 0.0;
  };
  mutable path_memo path_memo_;
  // Decayed trials, hits and sum of logit(p) per bin of the forecast part's
  // logit (logistic_calibration), and the fit they last gave.
  static constexpr int calibration_bins = 22;
  std::array<double, calibration_bins> cal_trials_{}, cal_hits_{}, cal_logits_{};
  size_t cal_updates_ = 0;
  mutable size_t cal_fitted_at_ = static_cast<size_t>(-1);
  mutable double cal_a_ = 0.0, cal_b_ = 1.0;
  // Rise persistence: the values of the latest window (signed by towards()),
  // the trials not yet settled (time, value, step unit, cell, highest value
  // since), the decayed trials per cell and per rise class, and per cell and
  // distance the trials that climbed at least that far; the latest value's cell.
  struct rise_trial {
    int64_t at = 0;
    double value = 0.0, unit = 1.0;
    int cell = 0;
    double highest = 0.0;
    bool gated = false;  // beyond the rise gate when observed (rise_band_gate)
    bool caused = false; // a cause in trouble when observed (rise_cause_context)
  };
  std::deque<std::pair<int64_t, double>> rise_window_;
  std::deque<rise_trial> rise_pending_;
  std::array<double, rise_cells> rise_trials_{};
  std::array<double, rise_cells * rise_distances> rise_hits_{};
  int rise_cell_ = 0;
  // rise_band_gate: the gate level, the decayed trials and hits per cell of
  // the values beyond it, and whether the latest value is.
  double rise_gate_ = std::numeric_limits<double>::quiet_NaN();
  std::array<double, rise_cells> rise_gate_trials_{};
  std::array<double, rise_cells * rise_distances> rise_gate_hits_{};
  bool rise_gated_ = false;
  // rise_cause_context: per context (no cause in trouble, one in trouble)
  // the decayed trials and hits per cell, and the latest value's context.
  std::array<std::array<double, rise_cells>, 2> rise_ctx_trials_{};
  std::array<std::array<double, rise_cells * rise_distances>, 2> rise_ctx_hits_{};
  bool rise_caused_ = false;
  // The learned mix: decayed log loss of the forecast and rise parts.
  double mix_loss_forecast_ = 0.0, mix_loss_rise_ = 0.0;
  // rise_rank_choice: decayed positives and negatives per bin of the output
  // (logit clamped to [-12, 12], half a unit per bin), with the forecast part
  // [0] and with the rise part [1]; the choice, recomputed when they change.
  static constexpr int rank_bins = 48;
  std::array<std::array<double, rank_bins>, 2> rank_pos_{}, rank_neg_{};
  size_t rank_updates_ = 0;
  mutable size_t rank_chosen_at_ = static_cast<size_t>(-1);
  mutable bool rank_rise_ = false;
  // Learned damping: forecasts noted and not yet settled at all their points
  // (when made, the value then, the step, the next point to settle, the
  // points' time, mean and nominal standard deviation), the latest noted
  // forecast's time and value then, and per lead bin the decayed sums of
  // the fit (count, x^2, x y, y^2 of predicted change x and realised change
  // y, and the nominal variance).
  struct noted_point {
    int64_t ts = 0;
    double mean = 0.0, sd = 0.0;
  };
  struct noted_forecast {
    int64_t generated_at = 0;
    double base = 0.0;
    int64_t step = 0;
    size_t next = 0;
    std::vector<noted_point> points;
  };
  void note_damping(const forecast& f);
  void settle_damping(int64_t ts_ms, double value);
  forecast damped(const forecast& f) const;
  std::deque<noted_forecast> damping_pending_;
  int64_t damping_noted_at_ = -1;
  double damping_base_ = 0.0;
  std::array<double, damping_bins> damp_n_{}, damp_xx_{}, damp_xy_{}, damp_yy_{}, damp_ss_{};
};

// One metric's warners for its catalog thresholds (warning and critical):
// what the predictor keeps per metric and hands the warning book.
struct threshold_warners {
  threshold_warners(const threshold_spec& t, breach_warner_settings s = {});
  bool matches(const threshold_spec& t) const; // same thresholds and direction
  void observe(int64_t ts_ms, double value);
  // Whether the values observed from now on come while one of the metric's
  // catalog causes is in trouble (rise_cause_context).
  void set_rise_context(bool caused);
  // The latest forecast (the node: every forecast received; the CLI: every
  // forecast made); a value observed later is classed by what it said.
  void note_forecast(const forecast& f);
  // Notes f (breach_warner::note_forecast) and assesses both thresholds.
  breach_outlook outlook(const forecast& f, int64_t now);

  breach_warner warning;
  breach_warner critical;
};

} // namespace grace::predictor
