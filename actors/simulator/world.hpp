#pragma once
// The simulated service landscape: all configured metrics with their daily
// cycles, noise and trends, the couplings between them, incidents that start
// on a seeded schedule, and playbooks that act on those incidents.
//
// Deterministic: the same config, seed and sequence of calls give the same
// samples, events and outcomes. Noise, incident scheduling and playbook
// success rolls draw from three separate generators, so applying a playbook
// changes neither the noise nor when later incidents are planned to start.
#include "actors/simulator/incident.hpp"
#include "actors/simulator/simulator_config.hpp"
#include "actors/simulator/simulator_event.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace grace::simulator {

class world {
public:
  // The first samples are due at start_ms. `seed` overrides config.seed.
  world(simulator_config config, uint64_t seed, int64_t start_ms);

  // Every sample due in (previous call, now_ms] -- one per metric per its
  // interval, at its event time, in time order and then in config order,
  // labelled {"source": "simulator"}. Jumps of hours generate every
  // intermediate sample; calling again with the same or an earlier time
  // returns what was generated since (nothing new is duplicated).
  std::vector<metric_sample> advance_to(int64_t now_ms);

  // Applies a playbook at now_ms (or at the world's current time if now_ms
  // is earlier). Targets the active incident the playbook helps most (fix >
  // partial > none; incidents already recovering last; the earliest started
  // on a tie). Samples generated up to
  // now_ms to get there are kept for the next advance_to.
  playbook_result apply_playbook(const std::string& playbook_id, int64_t now_ms);

  // Starts an incident of the named type at now_ms, as the schedule would
  // (random ramp, duration and recovery; it never fizzles). Returns its id.
  // Throws std::invalid_argument for an unknown type. For tests and demos.
  std::string inject_incident(const std::string& type_name, int64_t now_ms);

  // Ground truth for evaluation and logs.
  std::vector<incident_status> active_incidents() const;
  // Every incident started so far, in start order, active ones included.
  std::vector<incident_record> incident_history() const;

  // Events since the last call, oldest first.
  std::vector<simulator_event> take_events();
  // Also called for every event as it happens (events are still queued for
  // take_events()).
  void on_event(std::function<void(const simulator_event&)> callback);

  // Time of the last generated tick (start_ms - collection interval before the first).
  int64_t now() const { return last_tick_; }
  int64_t start() const { return start_; }
  uint64_t seed() const { return seed_; }
  const simulator_config& config() const { return config_; }

private:
  struct running {
    incident inc;
    std::vector<std::pair<std::size_t, double>> offsets; // metric index, offset at peak
    incident_phase last_phase = incident_phase::ramping;
  };

  void generate_until(int64_t now_ms);
  void tick(int64_t t);
  void maybe_start_incident(int64_t t);
  std::size_t start_incident(std::size_t type_index, int64_t t, bool allow_fizzle);
  void report_phase_changes(running& r, int64_t t);
  void emit(int64_t ts, event_kind kind, const std::string& incident_id,
            const std::string& incident_type, std::string message);
  int64_t draw(const duration_range& range, std::mt19937_64& rng);
  double gaussian(); // standard normal, from noise_rng_

  simulator_config config_;
  uint64_t seed_;
  int64_t start_;
  int64_t tick_ms_;
  int64_t last_tick_;
  std::mt19937_64 noise_rng_;
  std::mt19937_64 incident_rng_;
  std::mt19937_64 playbook_rng_;
  double spare_ = 0.0; // the second value of the last Box-Muller pair
  bool has_spare_ = false;
  std::vector<double> noise_;
  std::vector<double> deviation_;   // scratch, per metric
  std::vector<running> incidents_;  // all, in start order
  std::vector<std::size_t> active_; // indices into incidents_
  int64_t next_incident_at_ = 0;
  std::vector<metric_sample> pending_;
  std::vector<simulator_event> events_;
  std::function<void(const simulator_event&)> callback_;
};

} // namespace grace::simulator
