#include "actors/executor/reward.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

namespace grace::executor {

namespace {

constexpr double warning_penalty = 0.5;
constexpr double critical_penalty = 0.75;
// Consecutive after-windows in the good band that end a breach episode.
constexpr size_t recovered_windows = 2;
// The smallest effect credited to a run started in breach, as a share of the
// breach's size (a partial mitigation that takes a fifth off counts).
constexpr double min_credited_share = 0.15;

std::optional<double> mean_of(const std::vector<double>& v, size_t n) {
  double sum = 0.0;
  size_t count = 0;
  for (size_t i = 0; i < std::min(n, v.size()); ++i)
    if (std::isfinite(v[i])) {
      sum += v[i];
      ++count;
    }
  if (count == 0)
    return std::nullopt;
  return sum / static_cast<double>(count);
}

std::optional<double> mean_of(const std::vector<double>& v) {
  return mean_of(v, v.size());
}

std::optional<double> relative(double value, double reference) {
  if (reference == 0.0 || !std::isfinite(reference))
    return std::nullopt;
  return (value - reference) / std::fabs(reference);
}

std::string number(double x, const char* format = "%.3g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

// "20% below the forecast", "0.3 above the pre-action level", "in line with the forecast".
std::string comparison(double value, double reference, const std::string& what) {
  if (auto rel = relative(value, reference)) {
    const double pct = *rel * 100.0;
    if (std::fabs(pct) < 1.0)
      return "in line with " + what;
    return number(std::fabs(pct), "%.0f") + "% " + (pct < 0 ? "below " : "above ") + what;
  }
  const double diff = value - reference;
  if (diff == 0.0)
    return "in line with " + what;
  return number(std::fabs(diff)) + (diff < 0 ? " below " : " above ") + what;
}

} // namespace

outcome evaluate_outcome(const std::string& metric_id, const outcome_inputs& in) {
  outcome out;
  const double worse = in.higher_is_worse ? 1.0 : -1.0; // worse * (a - b) > 0: a is worse than b

  const double last_before =
      in.before.empty() ? std::numeric_limits<double>::quiet_NaN() : in.before.back();
  out.started_in_breach = std::isfinite(last_before) && worse * (last_before - in.warning) >= 0.0;

  // An action taken in breach is judged up to the end of that breach: once
  // the metric has been back in the good band for `recovered_windows`
  // windows, a breach in a later window is the next incident's, not this
  // action's failure, and those windows are left out.
  std::vector<double> after = in.after;
  bool later_excluded = false;
  auto in_breach = [&](double a) { return std::isfinite(a) && worse * (a - in.warning) >= 0.0; };
  const bool normal_known =
      std::isfinite(in.normal_level) && worse * (in.warning - in.normal_level) > 0.0;
  // Back near normal: within half the normal-to-warning distance of it.
  auto near_normal = [&](double a) {
    return normal_known && std::isfinite(a)
           && worse * (a - in.normal_level) <= 0.5 * worse * (in.warning - in.normal_level);
  };
  if (out.started_in_breach && in.attribution_windows > 0
      && after.size() > in.attribution_windows) {
    // An effect under way: a window at least min_credited_share of the
    // breach's size better than the counterfactual (the forecast shifted to
    // the level at the action; that level itself where there is none).
    const double size = normal_known ? std::fabs(last_before - in.normal_level)
                                     : std::fabs(in.critical - in.warning);
    const double shift = std::isfinite(in.counterfactual_at_action)
                             ? last_before - in.counterfactual_at_action
                             : 0.0;
    bool began = false;
    for (size_t i = 0; i < in.attribution_windows; ++i) {
      const double reference = i < in.counterfactual.size() && std::isfinite(in.counterfactual[i])
                                       && std::isfinite(in.counterfactual_at_action)
                                   ? in.counterfactual[i] + shift
                                   : last_before;
      began = began
              || (std::isfinite(after[i])
                  && worse * (reference - after[i]) >= min_credited_share * size);
    }
    if (!began) {
      out.not_attributed = true;
      after.resize(in.attribution_windows);
    }
  }
  if (out.started_in_breach)
    for (size_t i = 0; i < after.size(); ++i) {
      size_t end = 0;
      if (near_normal(after[i]))
        end = i + 1;
      else if (i + recovered_windows <= after.size()) {
        bool good = true;
        for (size_t k = i; k < i + recovered_windows; ++k)
          good = good && std::isfinite(after[k]) && !in_breach(after[k]);
        if (good)
          end = i + recovered_windows;
      }
      if (end == 0)
        continue;
      if (std::any_of(after.begin() + static_cast<std::ptrdiff_t>(end), after.end(), in_breach)) {
        later_excluded = true;
        after.resize(end);
      }
      break;
    }

  // Breaches over the whole after-window; for an action taken in breach, over
  // its last half (did the breach persist?), or over all of the attribution
  // windows when no recovery began in them.
  const size_t judged_from = out.started_in_breach && !out.not_attributed ? after.size() / 2 : 0;
  for (size_t i = judged_from; i < after.size(); ++i) {
    const double a = after[i];
    if (!std::isfinite(a))
      continue;
    if (worse * (a - in.warning) >= 0.0)
      out.breach_came = true;
    if (worse * (a - in.critical) >= 0.0)
      out.critical_came = true;
  }
  out.breach_came = out.breach_came || out.critical_came;

  const auto after_mean = mean_of(after);
  const auto before_mean = mean_of(in.before);
  std::vector<double> counterfactual = in.counterfactual;
  if (out.started_in_breach && std::isfinite(in.counterfactual_at_action))
    for (double& c : counterfactual)
      c += last_before - in.counterfactual_at_action;
  const size_t overlap = std::min(after.size(), counterfactual.size());
  const auto after_overlap = mean_of(after, overlap);
  const auto cf_overlap = mean_of(counterfactual, overlap);

  if (after_mean && before_mean)
    if (auto d = relative(*after_mean, *before_mean))
      out.kpi_deltas[metric_id + ".delta_vs_before"] = *d;
  if (after_overlap && cf_overlap)
    if (auto d = relative(*after_overlap, *cf_overlap))
      out.kpi_deltas[metric_id + ".delta_vs_counterfactual"] = *d;
  for (const auto& [k, v] : in.other_kpi_deltas)
    out.kpi_deltas.emplace(k, v);

  std::string breach_words =
      out.started_in_breach
          ? (out.not_attributed ? std::string(out.critical_came ? "critical " : "")
                                      + "breach went on, no recovery began within "
                                      + std::to_string(in.attribution_windows) + " windows"
             : out.critical_came ? "critical breach persisted"
             : out.breach_came   ? "breach persisted"
             : later_excluded    ? "breach ended (a later breach not counted)"
                                 : "breach ended")
          : (out.critical_came ? "critical threshold reached"
             : out.breach_came ? "warning threshold reached"
                               : "no breach");
  if (!after_mean) {
    out.basis = "none";
    out.summary = metric_id + ": no data after the action, outcome not judged";
    return out;
  }

  const double baseline = before_mean ? *before_mean : cf_overlap ? *cf_overlap : *after_mean;
  // A normal level on the good side of the warning threshold sizes a breach
  // (normal_known, above).
  const double scale =
      !out.started_in_breach ? std::max(
          {std::fabs(in.warning - baseline),
           normal_known ? std::fabs(in.warning - in.normal_level) : 0.0,
           0.1 * std::fabs(in.critical - in.warning), 0.01 * std::fabs(in.warning), 1e-9})
      : normal_known
          ? std::fabs(last_before - in.normal_level)
          : std::max({std::fabs(last_before - in.warning), std::fabs(in.critical - in.warning),
                      0.01 * std::fabs(in.warning), 1e-9});

  std::string compared;
  if (after_overlap && cf_overlap) {
    out.basis = "counterfactual";
    out.effect = worse * (*cf_overlap - *after_overlap) / scale;
    compared = comparison(*after_overlap, *cf_overlap, "the forecast");
  } else if (out.started_in_breach) {
    // No forecast: where the metric stood at the action is the best guess of
    // where it stays (the before-windows' mean would include the ramp).
    out.basis = "before";
    out.effect = worse * (last_before - *after_mean) / scale;
    compared = comparison(*after_mean, last_before, "the level at the action")
               + " (no forecast to compare with)";
  } else if (before_mean) {
    out.basis = "before";
    out.effect = worse * (*before_mean - *after_mean) / scale;
    compared = comparison(*after_mean, *before_mean, "the pre-action level")
               + " (no forecast to compare with)";
  } else {
    out.basis = "none";
    out.summary = metric_id + ": neither a forecast nor data before the action, " + breach_words
                  + ", outcome not judged";
    return out;
  }

  const double penalty = out.critical_came ? critical_penalty
                         : out.breach_came ? warning_penalty
                                           : 0.0;
  out.reward = std::clamp(out.effect - penalty, -1.0, 1.0) + 0.0; // + 0.0: no "-0.00"
  out.summary =
      metric_id + " " + compared + ", " + breach_words + ", reward " + number(out.reward, "%.2f");
  if (!in.causes_in_trouble.empty()) {
    out.confounded = true;
    std::string causes;
    for (const auto& c : in.causes_in_trouble)
      causes += (causes.empty() ? "" : ", ") + c;
    out.summary += " (confounded: its cause " + causes + " was in trouble meanwhile)";
  }
  return out;
}

} // namespace grace::executor
