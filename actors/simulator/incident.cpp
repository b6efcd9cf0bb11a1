#include "actors/simulator/incident.hpp"

#include <algorithm>
#include <cmath>

namespace grace::simulator {

std::string to_string(incident_phase p) {
  switch (p) {
  case incident_phase::ramping:
    return "ramping";
  case incident_phase::peak:
    return "peak";
  case incident_phase::recovering:
    return "recovering";
  case incident_phase::resolved:
    return "resolved";
  }
  return "unknown";
}

std::string to_string(incident_resolution r) {
  switch (r) {
  case incident_resolution::open:
    return "open";
  case incident_resolution::self_resolved:
    return "self_resolved";
  case incident_resolution::fizzled:
    return "fizzled";
  case incident_resolution::fixed:
    return "fixed";
  }
  return "unknown";
}

incident::incident(std::string id, const incident_type& type, int64_t start_ms, int64_t ramp_ms,
                   int64_t duration_ms, int64_t recovery_ms, double fizzle_fraction)
    : id_(std::move(id)), type_(type), start_(start_ms), ramp_(std::max<int64_t>(ramp_ms, 1)),
      recovery_(std::max<int64_t>(recovery_ms, 1)),
      end_(start_ms + std::max<int64_t>(ramp_ms, 1) + std::max<int64_t>(duration_ms, 0)) {
  if (fizzle_fraction > 0.0 && fizzle_fraction < 1.0) {
    fizzles_ = true;
    end_ =
        start_ + static_cast<int64_t>(std::llround(fizzle_fraction * static_cast<double>(ramp_)));
  }
  record_.status = status(start_ms);
}

double incident::ramp_progress(int64_t t) const {
  if (t <= start_)
    return 0.0;
  if (t >= start_ + ramp_)
    return 1.0;
  double x = static_cast<double>(t - start_) / static_cast<double>(ramp_);
  return std::pow(x, type_.curve);
}

double incident::mitigation(int64_t t) const {
  if (t <= mit_since_)
    return mit_from_;
  if (t >= mit_since_ + recovery_)
    return mit_to_;
  double x = static_cast<double>(t - mit_since_) / static_cast<double>(recovery_);
  return mit_from_ + (mit_to_ - mit_from_) * x;
}

double incident::severity(int64_t t) const {
  if (t < start_)
    return 0.0;
  if (t < end_)
    return ramp_progress(t) * mitigation(t);
  double at_end = ramp_progress(end_) * mitigation(end_);
  double decay = 1.0 - static_cast<double>(t - end_) / static_cast<double>(recovery_);
  return at_end * std::max(0.0, decay);
}

incident_phase incident::phase(int64_t t) const {
  if (t >= end_ + recovery_)
    return incident_phase::resolved;
  if (t >= end_)
    return incident_phase::recovering;
  if (t >= start_ + ramp_)
    return incident_phase::peak;
  return incident_phase::ramping;
}

incident_resolution incident::resolution_at(int64_t t) const {
  if (t < end_)
    return incident_resolution::open;
  if (fixed_)
    return incident_resolution::fixed;
  if (fizzles_)
    return incident_resolution::fizzled;
  return incident_resolution::self_resolved;
}

void incident::fix(int64_t t) {
  if (t >= end_)
    return; // already recovering
  end_ = std::max(t, start_);
  fixed_ = true;
}

void incident::mitigate(int64_t t, double strength) {
  if (t >= end_)
    return;
  double now = mitigation(t);
  mit_from_ = now;
  mit_to_ = now * (1.0 - std::clamp(strength, 0.0, 1.0));
  mit_since_ = t;
}

incident_status incident::status(int64_t t) const {
  incident_status s;
  s.id = id_;
  s.type = type_.name;
  s.sudden = type_.sudden;
  for (const auto& e : type_.effects)
    s.metrics.push_back(e.metric);
  s.phase = phase(t);
  s.started_at = start_;
  s.peak_at = start_ + ramp_;
  s.recovering_since = t >= end_ ? end_ : 0;
  s.expected_resolved_at = end_ + recovery_;
  s.severity = severity(t);
  s.mitigation = t < end_ ? mitigation(t) : mitigation(end_);
  return s;
}

void incident::update_record(int64_t t) {
  record_.status = status(t);
  record_.max_severity = std::max(record_.max_severity, record_.status.severity);
  record_.resolution = resolution_at(t);
  record_.resolved_at = resolved(t) ? end_ + recovery_ : 0;
}

} // namespace grace::simulator
