#include "actors/aggregator/snapshot_window.hpp"

#include "common/utc_time.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace grace::aggregator {

// The sum of any count of finite doubles must stay finite.
static_assert(std::numeric_limits<long double>::max_exponent >= 16384,
              "the window sums need a long double with a 15-bit exponent (x86-64, AArch64)");

namespace {

timestamp_ms floor_div(timestamp_ms a, timestamp_ms b) {
  timestamp_ms q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

} // namespace

double percentile(std::vector<double>& values, double q) {
  const size_t n = values.size();
  if (n == 1)
    return values[0];
  const double h = static_cast<double>(n - 1) * q;
  size_t lo = static_cast<size_t>(std::floor(h));
  if (lo >= n - 1)
    return *std::max_element(values.begin(), values.end());
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
  const double x_lo = values[lo];
  const double x_hi =
      *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1, values.end());
  const double fraction = h - static_cast<double>(lo);
  const double gap = x_hi - x_lo; // infinite for neighbours of opposite sign near DBL_MAX
  const double v =
      std::isfinite(gap) ? x_lo + fraction * gap : (1.0 - fraction) * x_lo + fraction * x_hi;
  return std::clamp(v, x_lo, x_hi);
}

snapshot_window::snapshot_window(window_config config, band_function band_of)
    : config_(config), band_of_(std::move(band_of)),
      watermark_(std::numeric_limits<timestamp_ms>::min()),
      closed_before_(std::numeric_limits<timestamp_ms>::min()) {
  if (config_.period_ms <= 0)
    throw std::invalid_argument("snapshot_window: period_ms must be positive");
  if (config_.allowed_lateness_ms < 0)
    throw std::invalid_argument("snapshot_window: allowed_lateness_ms must not be negative");
  if (config_.max_values_per_window == 0)
    throw std::invalid_argument("snapshot_window: max_values_per_window must be positive");
}

timestamp_ms snapshot_window::window_start_of(timestamp_ms ts) const {
  return floor_div(ts, config_.period_ms) * config_.period_ms;
}

admission snapshot_window::admit(const std::vector<metric_sample>& batch) {
  admission out;
  out.first_window = std::numeric_limits<timestamp_ms>::max();
  out.kept.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const metric_sample& s = batch[i];
    const auto index = static_cast<uint32_t>(i);
    if (!std::isfinite(s.value)) {
      ++rejected_invalid_;
      out.refused.push_back({index, "value is not a finite number"});
      continue;
    }
    const timestamp_ms start = window_start_of(s.ts);
    if (start < closed_before_) {
      ++rejected_late_;
      out.refused.push_back(
          {index, "late: the window [" + iso_time(start) + ", "
                      + iso_time(start + config_.period_ms) + ") of " + s.metric_id
                      + " is closed and stored; a closed window is never rewritten"});
      continue;
    }
    out.first_window = std::min(out.first_window, start);
    out.kept.push_back(index);
  }
  return out;
}

void snapshot_window::hold(timestamp_ms window_start) {
  ++holds_[window_start];
}

void snapshot_window::release(timestamp_ms window_start) {
  auto it = holds_.find(window_start);
  if (it != holds_.end() && --it->second == 0)
    holds_.erase(it);
}

void snapshot_window::restore_closed_before(timestamp_ms closed_before) {
  closed_before_ = std::max(closed_before_, closed_before);
}

bool snapshot_window::add(const metric_sample& sample) {
  return add(sample.metric_id, sample.ts, sample.value);
}

bool snapshot_window::add(const std::string& metric_id, timestamp_ms ts, double value) {
  if (!std::isfinite(value)) {
    ++non_finite_dropped_;
    return false;
  }
  const timestamp_ms start = window_start_of(ts);
  if (start < closed_before_) {
    ++late_dropped_;
    return false;
  }
  metric_windows* m;
  if (cached_ != nullptr && *cached_id_ == metric_id) {
    m = cached_;
  } else {
    auto it = metrics_.try_emplace(metric_id).first;
    cached_id_ = &it->first;
    cached_ = m = &it->second;
  }
  // Usually one open window per metric; keep them sorted by start.
  auto acc_it = m->open.begin();
  while (acc_it != m->open.end() && acc_it->start < start)
    ++acc_it;
  if (acc_it == m->open.end() || acc_it->start != start) {
    accumulator fresh;
    fresh.start = start;
    fresh.min = fresh.max = value;
    fresh.last_ts = ts;
    fresh.last = value;
    acc_it = m->open.insert(acc_it, std::move(fresh));
  }
  accumulator& acc = *acc_it;
  ++acc.count;
  // Neumaier's compensated summation.
  const long double v = value;
  const long double t = acc.sum + v;
  if (std::fabs(acc.sum) >= std::fabs(v))
    acc.compensation += (acc.sum - t) + v;
  else
    acc.compensation += (v - t) + acc.sum;
  acc.sum = t;
  if (value < acc.min)
    acc.min = value;
  if (value > acc.max)
    acc.max = value;
  if (ts >= acc.last_ts) {
    acc.last_ts = ts;
    acc.last = value;
  }
  if (acc.values.size() < config_.max_values_per_window) {
    acc.values.push_back(value);
  } else {
    // Algorithm R: keep each of the `count` values with equal probability.
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    const uint64_t j = rng_state_ % acc.count;
    if (j < acc.values.size())
      acc.values[j] = value;
  }
  ++accepted_;
  return true;
}

snapshot snapshot_window::finish(const std::string& metric_id, accumulator& acc) {
  snapshot s;
  s.metric_id = metric_id;
  s.window_start = acc.start;
  s.window_end = acc.start + config_.period_ms;
  s.count = acc.count;
  const long double mean = (acc.sum + acc.compensation) / static_cast<long double>(acc.count);
  s.mean = std::clamp(static_cast<double>(mean), acc.min, acc.max);
  s.min = acc.min;
  s.max = acc.max;
  s.p95 = percentile(acc.values, 0.95);
  s.p50 = percentile(acc.values, 0.50);
  s.last = acc.last;
  s.level = band_of_ ? band_of_(metric_id, s) : band::good;
  return s;
}

std::vector<snapshot> snapshot_window::close_windows(bool all) {
  std::vector<snapshot> out;
  const timestamp_ms span = config_.period_ms + config_.allowed_lateness_ms;
  const bool can_close = watermark_ > std::numeric_limits<timestamp_ms>::min() + span;
  const timestamp_ms held_from =
      holds_.empty() ? std::numeric_limits<timestamp_ms>::max() : holds_.begin()->first;
  for (auto& [id, m] : metrics_) {
    auto keep = m.open.begin();
    for (auto it = m.open.begin(); it != m.open.end(); ++it) {
      // start + span <= watermark, written so that it cannot overflow.
      if (it->start < held_from && (all || (can_close && it->start <= watermark_ - span))) {
        closed_before_ = std::max(closed_before_, it->start + config_.period_ms);
        out.push_back(finish(id, *it));
      } else {
        if (keep != it)
          *keep = std::move(*it);
        ++keep;
      }
    }
    m.open.erase(keep, m.open.end());
  }
  std::sort(out.begin(), out.end(), [](const snapshot& a, const snapshot& b) {
    return a.window_start != b.window_start ? a.window_start < b.window_start
                                            : a.metric_id < b.metric_id;
  });
  return out;
}

std::vector<snapshot> snapshot_window::close_until(timestamp_ms watermark) {
  if (watermark <= watermark_)
    return {};
  watermark_ = watermark;
  // Windows that close at this watermark are closed for every metric, even
  // one without samples in them yet: later samples for them are late.
  const timestamp_ms span = config_.period_ms + config_.allowed_lateness_ms;
  if (watermark_ > std::numeric_limits<timestamp_ms>::min() + span) {
    const timestamp_ms last_closed_start = window_start_of(watermark_ - span);
    timestamp_ms closing = last_closed_start + config_.period_ms;
    if (!holds_.empty())
      closing = std::min(closing, holds_.begin()->first);
    closed_before_ = std::max(closed_before_, closing);
  }
  return close_windows(false);
}

std::vector<snapshot> snapshot_window::close_all() {
  return close_windows(true);
}

timestamp_ms snapshot_window::next_close_at() const {
  timestamp_ms next = std::numeric_limits<timestamp_ms>::max();
  for (const auto& [id, m] : metrics_)
    if (!m.open.empty())
      next = std::min(next, m.open.front().start + config_.period_ms + config_.allowed_lateness_ms);
  return next;
}

size_t snapshot_window::open_windows() const {
  size_t n = 0;
  for (const auto& [id, m] : metrics_)
    n += m.open.size();
  return n;
}

} // namespace grace::aggregator
