#include "actors/simulator/world.hpp"

#include "actors/simulator/baseline.hpp"
#include "common/scalar_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace grace::simulator {

namespace {

// splitmix64: independent, well-mixed seeds for the three generators.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double uniform01(std::mt19937_64& rng) {
  // 53 random bits -> [0, 1), independent of the library's distributions.
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

} // namespace

world::world(simulator_config config, uint64_t seed, int64_t start_ms)
    : config_(std::move(config)), seed_(seed), start_(start_ms),
      tick_ms_(std::max<int64_t>(config_.collection_interval_ms, 1)),
      last_tick_(start_ms - std::max<int64_t>(config_.collection_interval_ms, 1)),
      noise_rng_(mix(seed ^ 0x6e6f697365ULL)), incident_rng_(mix(seed ^ 0x696e636964656e74ULL)),
      playbook_rng_(mix(seed ^ 0x706c6179626f6f6bULL)) {
  noise_.resize(config_.metrics.size());
  deviation_.resize(config_.metrics.size());
  for (std::size_t i = 0; i < config_.metrics.size(); ++i)
    noise_[i] = config_.metrics[i].noise * gaussian();
  next_incident_at_ = start_ + draw(config_.schedule.first_incident, incident_rng_);
}

double world::gaussian() {
  // Box-Muller on our own uniform draws: the same numbers with any standard
  // library (std::normal_distribution's algorithm is unspecified).
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = 1.0 - uniform01(noise_rng_); // (0, 1]
  const double u2 = uniform01(noise_rng_);
  const double r = std::sqrt(-2.0 * std::log(u1));
  constexpr double two_pi = 6.28318530717958647692;
  spare_ = r * std::sin(two_pi * u2);
  has_spare_ = true;
  return r * std::cos(two_pi * u2);
}

int64_t world::draw(const duration_range& range, std::mt19937_64& rng) {
  const double u = uniform01(rng);
  const double span = static_cast<double>(range.max_ms - range.min_ms);
  return range.min_ms + static_cast<int64_t>(std::floor(u * span));
}

void world::on_event(std::function<void(const simulator_event&)> callback) {
  callback_ = std::move(callback);
}

std::vector<simulator_event> world::take_events() {
  std::vector<simulator_event> out;
  out.swap(events_);
  return out;
}

void world::emit(int64_t ts, event_kind kind, const std::string& incident_id,
                 const std::string& incident_type, std::string message) {
  simulator_event e{ts, kind, incident_id, incident_type, std::move(message)};
  if (callback_)
    callback_(e);
  events_.push_back(std::move(e));
}

std::vector<metric_sample> world::advance_to(int64_t now_ms) {
  generate_until(now_ms);
  std::vector<metric_sample> out;
  out.swap(pending_);
  return out;
}

void world::generate_until(int64_t now_ms) {
  while (last_tick_ + tick_ms_ <= now_ms) {
    last_tick_ += tick_ms_;
    tick(last_tick_);
  }
}

void world::tick(int64_t t) {
  if (config_.schedule.enabled)
    maybe_start_incident(t);

  std::fill(deviation_.begin(), deviation_.end(), 0.0);
  std::vector<std::size_t> still_active;
  for (std::size_t idx : active_) {
    running& r = incidents_[idx];
    report_phase_changes(r, t);
    r.inc.update_record(t);
    const double sev = r.inc.severity(t);
    for (const auto& [metric, offset] : r.offsets)
      deviation_[metric] += sev * offset;
    if (!r.inc.resolved(t))
      still_active.push_back(idx);
  }
  active_.swap(still_active);

  for (const auto& c : config_.couplings) {
    const metric_baseline* from = config_.find_metric(c.from);
    const metric_baseline* to = config_.find_metric(c.to);
    if (from == nullptr || to == nullptr)
      continue;
    const double excess = std::abs(deviation_[from - config_.metrics.data()]) - c.above;
    if (excess > 0.0)
      deviation_[to - config_.metrics.data()] += c.gain * excess;
  }

  for (std::size_t i = 0; i < config_.metrics.size(); ++i) {
    const metric_baseline& m = config_.metrics[i];
    if ((t - start_) % m.interval_ms != 0)
      continue;
    const double phi = m.noise_autocorrelation;
    noise_[i] = phi * noise_[i] + std::sqrt(1.0 - phi * phi) * m.noise * gaussian();
    double value = baseline_value(m, t, start_) + deviation_[i] + noise_[i];
    const double spike_roll = uniform01(noise_rng_); // drawn for every sample, spike or not
    const double spike_scale = 0.5 + 0.5 * uniform01(noise_rng_);
    // Spikes belong to normal operation: none on a metric an incident drives.
    if (spike_roll < m.spike_probability && deviation_[i] == 0.0)
      value += m.spike_size * spike_scale;
    value = std::clamp(value, m.min, m.max);
    pending_.push_back(metric_sample{m.id, t, value, {{"source", "simulator"}}});
  }
}

void world::maybe_start_incident(int64_t t) {
  if (t < next_incident_at_)
    return;
  // Types whose metrics are already driven by an active incident wait.
  std::vector<bool> busy(config_.metrics.size(), false);
  for (std::size_t idx : active_)
    for (const auto& [metric, offset] : incidents_[idx].offsets)
      busy[metric] = true;
  std::vector<std::size_t> candidates;
  double total = 0.0;
  for (std::size_t k = 0; k < config_.incident_types.size(); ++k) {
    const auto& type = config_.incident_types[k];
    if (type.weight <= 0.0)
      continue;
    bool free = true;
    for (const auto& e : type.effects) {
      const metric_baseline* m = config_.find_metric(e.metric);
      if (m != nullptr && busy[m - config_.metrics.data()])
        free = false;
    }
    if (free) {
      candidates.push_back(k);
      total += type.weight;
    }
  }
  const double u = uniform01(incident_rng_);
  if (candidates.empty()) {
    next_incident_at_ = t + config_.schedule.retry_after_ms;
    return;
  }
  std::size_t chosen = candidates.back();
  double acc = 0.0;
  for (std::size_t k : candidates) {
    acc += config_.incident_types[k].weight;
    if (u * total < acc) {
      chosen = k;
      break;
    }
  }
  start_incident(chosen, t, true);
  next_incident_at_ = t + std::max<int64_t>(draw(config_.schedule.gap, incident_rng_), tick_ms_);
}

std::size_t world::start_incident(std::size_t type_index, int64_t t, bool allow_fizzle) {
  const incident_type& type = config_.incident_types[type_index];
  const int64_t ramp = draw(type.ramp, incident_rng_);
  const int64_t duration = draw(type.duration, incident_rng_);
  const int64_t recovery = draw(type.recovery, incident_rng_);
  const double fizzle_roll = uniform01(incident_rng_);
  const double fizzle_at = 0.4 + 0.4 * uniform01(incident_rng_);
  const bool fizzles = allow_fizzle && fizzle_roll < type.fizzle_probability;

  char id[32];
  std::snprintf(id, sizeof id, "inc-%04zu", incidents_.size() + 1);
  running r{incident(id, type, t, ramp, duration, recovery, fizzles ? fizzle_at : 0.0),
            {},
            incident_phase::ramping};
  std::string driven;
  for (const auto& e : type.effects) {
    const metric_baseline* m = config_.find_metric(e.metric);
    if (m == nullptr)
      continue;
    // Reach exactly `peak` (before noise) at the planned end of the ramp.
    const double offset = e.peak - baseline_value(*m, t + ramp, start_);
    r.offsets.emplace_back(static_cast<std::size_t>(m - config_.metrics.data()), offset);
    driven += (driven.empty() ? "" : ", ") + e.metric + " -> " + fixed2(e.peak);
  }
  incidents_.push_back(std::move(r));
  active_.push_back(incidents_.size() - 1);
  emit(t, event_kind::incident_started, id, type.name,
       std::string("incident ") + id + " started: " + type.name + " ("
           + (type.sudden ? "sudden" : "gradual") + ", peak in " + common::format_duration(ramp)
           + ": " + driven + ")");
  return incidents_.size() - 1;
}

void world::report_phase_changes(running& r, int64_t t) {
  const incident_phase now = r.inc.phase(t);
  if (now == r.last_phase)
    return;
  const std::string& id = r.inc.id();
  const std::string& type = r.inc.type().name;
  const auto before = r.last_phase;
  if (before < incident_phase::peak && now >= incident_phase::peak
      && r.inc.recovering_since() >= r.inc.peak_at())
    emit(r.inc.peak_at(), event_kind::incident_peaked, id, type,
         "incident " + id + " " + type + " reached its peak");
  if (before < incident_phase::recovering && now >= incident_phase::recovering) {
    std::string why;
    switch (r.inc.resolution_at(t)) {
    case incident_resolution::fixed:
      why = "fixed by " + r.inc.record().fixed_by;
      break;
    case incident_resolution::fizzled:
      why = "fizzled out before its peak";
      break;
    default:
      why = "resolving by itself";
      break;
    }
    emit(r.inc.recovering_since(), event_kind::incident_recovering, id, type,
         "incident " + id + " " + type + " recovering: " + why);
  }
  if (now == incident_phase::resolved)
    emit(r.inc.resolved_at(), event_kind::incident_resolved, id, type,
         "incident " + id + " " + type + " resolved after "
             + common::format_duration(r.inc.resolved_at() - r.inc.start()));
  r.last_phase = now;
}

std::string world::inject_incident(const std::string& type_name, int64_t now_ms) {
  generate_until(now_ms);
  for (std::size_t k = 0; k < config_.incident_types.size(); ++k)
    if (config_.incident_types[k].name == type_name) {
      const int64_t t = std::max(now_ms, last_tick_);
      return incidents_[start_incident(k, t, false)].inc.id();
    }
  throw std::invalid_argument("unknown incident type '" + type_name + "'");
}

playbook_result world::apply_playbook(const std::string& playbook_id, int64_t now_ms) {
  generate_until(now_ms);
  const int64_t t = std::max(now_ms, last_tick_);
  const double roll = uniform01(playbook_rng_); // one draw per call, whatever happens

  playbook_result result;
  result.playbook_id = playbook_id;
  result.ts = t;
  const std::string base = config_.message_for(playbook_id);
  result.action_message = base;

  running* target = nullptr;
  const playbook_effect* effect = nullptr;
  int best_rank = -100;
  for (std::size_t idx : active_) {
    running& r = incidents_[idx];
    if (r.inc.resolved(t))
      continue;
    const playbook_effect* found = nullptr;
    for (const auto& p : r.inc.type().playbooks)
      if (p.playbook == playbook_id)
        found = &p;
    // Incidents not yet recovering first, then by effect: fix > partial > none > unknown.
    const bool recovering = r.inc.phase(t) >= incident_phase::recovering;
    const int rank =
        (recovering ? -10 : 0) + (found == nullptr ? -1 : static_cast<int>(found->effect));
    if (rank > best_rank) {
      best_rank = rank;
      target = &r;
      effect = found;
    }
  }

  if (target == nullptr) {
    result.message = base + " (no active incident)";
  } else if (effect == nullptr) {
    result.incident_id = target->inc.id();
    result.incident_type = target->inc.type().name;
    result.message = base + " (no effect: no active incident responds to it)";
  } else {
    incident& inc = target->inc;
    result.matched = true;
    result.incident_id = inc.id();
    result.incident_type = inc.type().name;
    result.effect = effect->effect;
    result.success_probability = effect->success_probability;
    const std::string who = inc.id() + " " + inc.type().name;
    const bool recovering = inc.phase(t) >= incident_phase::recovering;
    if (effect->effect == effect_kind::none) {
      result.message = base + " (" + who + ": no effect)";
    } else if (recovering) {
      result.message = base + " (" + who + ": already recovering, no change)";
    } else if (roll >= effect->success_probability) {
      result.message = base + " (" + who + ": did not take hold)";
    } else if (effect->effect == effect_kind::fix) {
      result.success = true;
      inc.fix(t);
      inc.record().fixed_by = playbook_id;
      result.message = base + " (" + who + ": fixed, recovering over "
                       + common::format_duration(inc.resolved_at() - t) + ")";
    } else {
      result.success = true;
      inc.mitigate(t, effect->strength);
      result.message =
          base + " (" + who + ": partly mitigated, size x" + fixed2(1.0 - effect->strength) + ")";
    }
    inc.record().playbooks.push_back(result);
    inc.update_record(t);
  }
  emit(t, event_kind::playbook_applied, result.incident_id, result.incident_type,
       "playbook " + playbook_id + ": " + result.message);
  return result;
}

std::vector<incident_status> world::active_incidents() const {
  std::vector<incident_status> out;
  for (std::size_t idx : active_)
    if (!incidents_[idx].inc.resolved(last_tick_))
      out.push_back(incidents_[idx].inc.status(last_tick_));
  return out;
}

std::vector<incident_record> world::incident_history() const {
  std::vector<incident_record> out;
  out.reserve(incidents_.size());
  for (const auto& r : incidents_)
    out.push_back(r.inc.record());
  return out;
}

} // namespace grace::simulator
