// Early-warning lead time on the built-in simulator, offline: the node's
// pipeline without actors. The simulator's 60 s samples are aggregated to
// 5-minute snapshots (the catalog's statistic), every 15 minutes each
// forecast metric is forecast 12 steps ahead from up to 7 days of snapshots
// (temporal_forecaster::forecast(series_input, steps), the forecaster actor's
// call), the global model is retrained every 6 hours on the last 7 days of
// all metrics, and the forecasts go through the predictor's warning book.
// No playbooks are applied: every incident runs its course (or fizzles).
//
// Scored per incident of the world's log whose direct effect metric is a
// forecast metric that reached its warning band (in a 5-minute snapshot):
// early (a warning open at the crossing was raised >= 15 min before it), late
// (< 15 min) or missed; false alarms are warnings resolved without the band
// being reached within expected breach + 30 min (warning book: false_alarm).
//
//   grace-lead-time [--days 14] [--seeds 5] [--seed 1] [--threads 2] [--verbose]
#include "actors/aggregator/snapshot_window.hpp"
#include "actors/catalog/catalog.hpp"
#include "actors/forecaster/snapshot_series.hpp"
#include "actors/forecaster/temporal_forecaster.hpp"
#include "actors/predictor/breach_warner.hpp"
#include "actors/predictor/symptom_hold.hpp"
#include "actors/predictor/warning_book.hpp"
#include "actors/simulator/simulator_config.hpp"
#include "actors/simulator/world.hpp"
#include "bench/predictor/settings_patch.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#ifndef GRACE_SOURCE_DIR
#define GRACE_SOURCE_DIR "."
#endif

namespace {

using namespace grace;

constexpr int64_t minute_ms = 60'000;
constexpr int64_t step_ms = 5 * minute_ms;
constexpr int64_t forecast_every_default_ms = 15 * minute_ms;
constexpr int64_t retrain_every_ms = 6 * 60 * minute_ms;
constexpr size_t history_rows = 7 * 288; // 7 days of 5-minute snapshots
constexpr int horizon_steps = 12;
// 2025-11-03T00:00:00Z (a Monday): windows align with the clock.
constexpr int64_t start_ms = 1'762'128'000'000;

struct warning_record {
  std::string metric;
  band severity = band::warning; // as raised
  int64_t raised_at = 0;
  int64_t resolved_at = 0; // 0: still open at the end
  warning_outcome outcome = warning_outcome::open;
  double rise_evidence = -1.0; // the rise part's trials in its cell pair when raised (--diagnose)
};

// One warning book and what it raised.
struct book_run {
  predictor::warning_book book;
  std::map<std::string, warning_record> warnings; // by id
  explicit book_run(double min_probability)
      : book([&] {
          predictor::warning_policy p;
          p.min_probability = min_probability;
          return p;
        }()) {}
  void resolved(const std::vector<early_warning>& ws) {
    for (const auto& w : ws) {
      auto& r = warnings[w.id];
      r.metric = w.metric_id;
      r.severity = w.severity;
      r.raised_at = w.raised_at;
      r.resolved_at = w.resolved_at;
      r.outcome = w.outcome;
    }
  }
};

struct score {
  int incidents = 0, early = 0, late = 0, missed = 0;
  int false_alarms = 0, raised = 0;
  // Gradual incidents (not sudden) that crossed >= 30 min after they started:
  // a 15-minute lead is possible at all.
  int warnable = 0, warnable_early = 0;
  std::vector<double> leads; // minutes, of warned incidents
};

struct seed_result {
  uint64_t seed = 0;
  double days = 0.0;
  int incidents_total = 0;     // all incidents started
  int held = 0;                // judgements held from the books (--hold-symptom-warnings)
  int not_forecastable = 0;    // crossed, but no direct effect metric is forecast
  int sudden = 0;              // counted incidents that are sudden
  std::array<score, 2> scores; // the two books' min_probability (0.7, 0.5 unless --cuts)
  double forecast_ms = 0.0, train_ms = 0.0;
  std::vector<std::string> lines; // --verbose
  size_t forecasts = 0;
  // --diagnose: warnable incidents by why they were not early (or "early"),
  // by minutes from the start to the crossing, false alarms by source.
  std::map<std::string, int> causes, false_alarm_sources, warning_outcomes;
  std::map<int, std::pair<int, int>> by_crossing_minutes; // bin -> (warnable, early)
};

// What the warner said at one judgement (--verbose, --diagnose): the warning
// threshold's probability and expected breach time, and the band then.
struct judgement {
  int64_t at = 0;
  double probability = 0.0;
  int64_t expected_breach_at = 0;
  band current = band::good;
  bool forecast_made = false; // a new forecast (not a re-judged one)
};

struct run_options {
  int days = 14;
  bool verbose = false;
  bool diagnose = false;
  int64_t forecast_every_ms = forecast_every_default_ms;
  std::array<double, 2> cuts{0.7, 0.5}; // the two books' min_probability
  // --hold-symptom-warnings: no new warning on a metric while one of its
  // catalog causes (symptom_of) is in trouble (predictor::cause_watch, the
  // rule that holds a symptom's remediation in the node, applied to raising).
  bool hold_symptom_warnings = false;
  predictor::breach_warner_settings warner;
};

// Why a warnable incident was not warned >= 15 min ahead by the first book
// (--diagnose), from the warner's judgements of the crossed metric between
// the incident's start and 15 minutes before the crossing (the times a raise
// would have been early) and the warnings the book raised on it.
std::string miss_cause(const std::vector<judgement>& judged,
                       const std::map<std::string, warning_record>& warnings,
                       const std::string& metric, int64_t started, int64_t crossing,
                       double min_probability) {
  const int64_t last_early = crossing - 15 * minute_ms;
  double best = 0.0;
  bool any = false, too_near = false, too_far = false, no_time = false, qualified = false;
  int64_t qualified_at = 0;
  for (const auto& j : judged) {
    if (j.at < started || j.at > last_early)
      continue;
    any = true;
    best = std::max(best, j.probability);
    if (j.probability < min_probability || j.current != band::good)
      continue;
    if (j.expected_breach_at == 0) {
      no_time = true;
      continue;
    }
    const int64_t lead = j.expected_breach_at - j.at;
    if (lead < 15 * minute_ms)
      too_near = true;
    else if (lead > 60 * minute_ms)
      too_far = true;
    else if (!qualified) {
      qualified = true;
      qualified_at = j.at;
    }
  }
  if (!any)
    return "no judgement between the start and 15 min before the crossing";
  if (qualified) {
    for (const auto& [id, w] : warnings) {
      if (w.metric != metric || w.raised_at > qualified_at
          || (w.resolved_at != 0 && w.resolved_at < qualified_at))
        continue;
      if (w.raised_at < started - 30 * minute_ms)
        return "qualified, but a warning raised > 30 min before the start held the slot";
      if (w.resolved_at != 0 && w.resolved_at < crossing)
        return "raised early, expired (withdrawn) before the crossing";
    }
    return "qualified, no warning counted (other)";
  }
  if (too_near)
    return "P >= cut, breach expected < 15 min ahead";
  if (too_far)
    return "P >= cut, breach expected > 60 min ahead";
  if (no_time)
    return "P >= cut, no breach time";
  if (best >= 0.5)
    return "max P in [0.5, cut)";
  if (best >= 0.05)
    return "max P in [0.05, 0.5)";
  return "max P < 0.05 (the forecast did not see the ramp)";
}

predictor::threshold_spec spec_of(const catalog::metric_definition& m) {
  return {m.id, m.service, m.direction == catalog::direction::higher_is_worse, m.warning,
          m.critical};
}

seed_result run_seed(const simulator::simulator_config& sim, const catalog::metrics_catalog& cat,
                     uint64_t seed, const run_options& o) {
  const int days = o.days;
  const bool verbose = o.verbose;
  const auto& warner_settings = o.warner;
  seed_result out;
  out.seed = seed;
  out.days = days;
  simulator::world world(sim, seed, start_ms);
  const auto& metrics = cat.metrics();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < metrics.size(); ++i) {
    index[metrics[i].id] = i;
  }
  std::vector<size_t> forecast_ids;
  for (const auto& id : cat.forecast_metrics()) {
    forecast_ids.push_back(index.at(id));
  }
  std::vector<std::vector<snapshot>> snaps(metrics.size());
  std::vector<band> current(metrics.size(), band::good);
  // The predictor's per-metric breach warners, fed every snapshot.
  std::vector<predictor::threshold_warners> warners;
  for (const auto& m : metrics)
    warners.emplace_back(spec_of(m), warner_settings);
  const bool rejudges = !warners.empty() && warners.front().warning.judges_every_value();
  std::array<book_run, 2> books{book_run(o.cuts[0]), book_run(o.cuts[1])};
  predictor::cause_watch causes_now;
  std::vector<std::optional<forecast>> latest(metrics.size()); // per forecast metric
  std::vector<std::vector<judgement>> judged(metrics.size());  // --verbose
  forecaster::temporal_forecaster model;                       // untrained until the first retrain
  const int64_t end_ms = start_ms + static_cast<int64_t>(days) * forecaster::day_ms;
  // Snapshots exactly as the node's aggregator makes them.
  aggregator::snapshot_window windows(
      {step_ms, 0, 1 << 16}, [&](const std::string& id, const snapshot& s) {
        const auto& m = metrics[index.at(id)];
        return catalog::band_of(m, catalog::statistic_of(s, m.aggregation));
      });
  using clock = std::chrono::steady_clock;

  for (int64_t t = start_ms + step_ms; t <= end_ms; t += step_ms) {
    for (const auto& s : world.advance_to(t - 1)) {
      if (index.count(s.metric_id) > 0) {
        windows.add(s.metric_id, s.ts, s.value);
      }
    }
    auto closed = windows.close_until(t);
    // Every cause's state in this batch first, as the node's engine does.
    for (const auto& s : closed)
      causes_now.observe(s.metric_id, s.level, s.window_end);
    for (auto& s : closed) {
      const size_t m = index.at(s.metric_id);
      current[m] = s.level;
      if (warner_settings.rise_cause_context)
        warners[m].set_rise_context(!metrics[m].symptom_of.empty()
                                    && causes_now.holding(metrics[m].symptom_of, s.window_end, {}));
      warners[m].observe(s.window_end, catalog::statistic_of(s, metrics[m].aggregation));
      for (auto& b : books) {
        b.resolved(b.book.observe_band(s.metric_id, s.level, s.window_end));
      }
      snaps[m].push_back(std::move(s));
    }
    if ((t - start_ms) % retrain_every_ms == 0) {
      const auto t0 = clock::now();
      std::vector<snapshot> recent;
      for (const auto& v : snaps) {
        const size_t from = v.size() > history_rows ? v.size() - history_rows : 0;
        recent.insert(recent.end(), v.begin() + static_cast<long>(from), v.end());
      }
      model.fit(forecaster::series_by_metric(recent, cat, step_ms), t);
      out.train_ms += std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    }
    const bool forecast_due = (t - start_ms) % o.forecast_every_ms == 0;
    // Between forecasts the predictor judges the latest one again with each
    // snapshot when the warner asks for it (breach_warner::judges_every_value).
    if (!forecast_due && !rejudges)
      continue;
    for (auto& b : books) {
      b.resolved(b.book.expire(t));
    }
    for (size_t m : forecast_ids) {
      if (forecast_due && !snaps[m].empty()) {
        const auto& v = snaps[m];
        const size_t from = v.size() > history_rows ? v.size() - history_rows : 0;
        const std::vector<snapshot> hist(v.begin() + static_cast<long>(from), v.end());
        const auto t0 = clock::now();
        const auto series =
            forecaster::series_from_snapshots(metrics[m].id, hist, metrics[m].aggregation, step_ms);
        const auto result = model.forecast(series, horizon_steps);
        out.forecast_ms += std::chrono::duration<double, std::milli>(clock::now() - t0).count();
        latest[m] = forecaster::to_forecast(result, metrics[m].id, t, step_ms,
                                            forecaster::model_version(model.trained_at_ms()));
        ++out.forecasts;
      }
      if (!latest[m])
        continue;
      const auto spec = spec_of(metrics[m]);
      const auto outlook = warners[m].outlook(*latest[m], t);
      if (o.verbose || o.diagnose)
        judged[m].push_back({t, outlook.warning.probability, outlook.warning.expected_breach_at,
                             current[m], forecast_due});
      if (o.hold_symptom_warnings && !metrics[m].symptom_of.empty()
          && causes_now.holding(metrics[m].symptom_of, t, {})) {
        // Held: nothing new is raised on a symptom while its cause is in trouble.
        bool open = false;
        for (auto& b : books)
          for (const auto& [id, w] : b.warnings)
            open = open || (w.metric == metrics[m].id && w.resolved_at == 0 && w.raised_at < t);
        if (!open) {
          ++out.held;
          continue;
        }
      }
      for (auto& b : books) {
        const auto ev = b.book.observe_outlook(outlook, spec, current[m], t);
        if (ev.change == predictor::warning_change::raised) {
          const auto& raiser =
              ev.warning.severity == band::critical ? warners[m].critical : warners[m].warning;
          b.warnings[ev.warning.id] = {ev.warning.metric_id,  ev.warning.severity,
                                       ev.warning.raised_at,  0,
                                       warning_outcome::open, raiser.rise_evidence()};
        }
      }
    }
  }

  // Score the incidents.
  const auto history = world.incident_history();
  out.incidents_total = static_cast<int>(history.size());
  for (const auto& rec : history) {
    const auto& st = rec.status;
    const int64_t until =
        std::min(end_ms, (rec.resolved_at > 0 ? rec.resolved_at : end_ms) + 10 * minute_ms);
    // The first warning-band snapshot of any direct effect metric.
    int64_t crossing = 0;
    std::string crossed;
    bool forecastable = false;
    for (const auto& id : st.metrics) {
      const auto it = index.find(id);
      if (it == index.end()) {
        continue;
      }
      for (const auto& s : snaps[it->second]) {
        if (s.window_end <= st.started_at || s.window_end > until) {
          continue;
        }
        if (s.level != band::good) {
          if (crossing == 0 || s.window_end < crossing) {
            crossing = s.window_end;
            crossed = id;
            forecastable = metrics[it->second].forecast;
          }
          break;
        }
      }
    }
    if (crossing == 0) {
      continue;
    }
    if (!forecastable) {
      ++out.not_forecastable;
      continue;
    }
    out.sudden += st.sudden ? 1 : 0;
    std::string line = st.id + " " + st.type + " " + crossed + " crossed +"
                       + std::to_string((crossing - st.started_at) / minute_ms) + "min:";
    const bool warnable = !st.sudden && crossing - st.started_at >= 30 * minute_ms;
    if (verbose && warnable) {
      // The warner's judgements of the crossed metric from the start to the
      // crossing: minutes before the crossing, probability, expected lead.
      line += " [";
      for (const auto& j : judged[index.at(crossed)]) {
        if (j.at < st.started_at || j.at >= crossing)
          continue;
        char buf[64];
        std::snprintf(buf, sizeof buf, " -%lld:%.2f@%lld",
                      static_cast<long long>((crossing - j.at) / minute_ms), j.probability,
                      static_cast<long long>(j.expected_breach_at == 0
                                                 ? -1
                                                 : (j.expected_breach_at - j.at) / minute_ms));
        line += buf;
      }
      line += " ]";
    }
    const int before = out.scores[0].early;
    for (size_t k = 0; k < books.size(); ++k) {
      score& sc = out.scores[k];
      ++sc.incidents;
      sc.warnable += warnable ? 1 : 0;
      int64_t first = 0;
      for (const auto& [id, w] : books[k].warnings) {
        if (w.metric != crossed || w.raised_at >= crossing
            || w.raised_at < st.started_at - 30 * minute_ms) {
          continue;
        }
        if (w.resolved_at != 0 && w.resolved_at < crossing) {
          continue; // expired before the breach came
        }
        if (first == 0 || w.raised_at < first) {
          first = w.raised_at;
        }
      }
      if (first == 0) {
        ++sc.missed;
        line += " missed";
        continue;
      }
      const double lead = static_cast<double>(crossing - first) / minute_ms;
      sc.leads.push_back(lead);
      (lead >= 15.0 ? sc.early : sc.late) += 1;
      sc.warnable_early += warnable && lead >= 15.0 ? 1 : 0;
      line += " lead " + std::to_string(static_cast<int>(lead));
    }
    if (o.diagnose && warnable) {
      const bool early = out.scores[0].early > before;
      const std::string cause =
          early ? std::string("early")
                : miss_cause(judged[index.at(crossed)], books[0].warnings, crossed, st.started_at,
                             crossing, books[0].book.policy().min_probability);
      ++out.causes[cause];
      const int bin = static_cast<int>((crossing - st.started_at) / minute_ms) / 10 * 10;
      auto& cell = out.by_crossing_minutes[std::min(bin, 60)];
      ++cell.first;
      cell.second += early ? 1 : 0;
      // The first judgement at the cut, in minutes before the crossing.
      int64_t first_high = -1;
      for (const auto& j : judged[index.at(crossed)])
        if (j.at >= st.started_at && j.at < crossing && j.probability >= o.cuts[0]) {
          first_high = (crossing - j.at) / minute_ms;
          break;
        }
      line += " | " + cause + " | ramp " + std::to_string((st.peak_at - st.started_at) / minute_ms)
              + "min, P>=cut first " + std::to_string(first_high) + "min before";
    }
    if (verbose || o.diagnose) {
      out.lines.push_back(line);
    }
  }
  for (size_t k = 0; k < books.size(); ++k) {
    for (const auto& [id, w] : books[k].warnings) {
      ++out.scores[k].raised;
      out.scores[k].false_alarms += w.outcome == warning_outcome::false_alarm ? 1 : 0;
      if (o.diagnose && k == 0) {
        // The band when it was raised, and the incidents then active.
        const size_t m = index.at(w.metric);
        band then = band::good;
        for (const auto& s : snaps[m]) {
          if (s.window_end > w.raised_at)
            break;
          then = s.level;
        }
        ++out.warning_outcomes[std::string(w.severity == band::critical ? "critical" : "warning")
                               + " raised in the " + to_string(then)
                               + " band: " + to_string(w.outcome)];
        // How much of this metric's own rises the rise part had to go on.
        const double e = w.rise_evidence;
        const char* bucket = e < 0.0    ? "n/a"
                             : e < 5.0  ? "< 5"
                             : e < 20.0 ? "5-20"
                             : e < 80.0 ? "20-80"
                                        : ">= 80";
        ++out.warning_outcomes[std::string("rise evidence (trials in the cell pair) ") + bucket
                               + ", " + (w.severity == band::critical ? "critical" : "warning")
                               + ": " + to_string(w.outcome)];
      }
      if (o.diagnose && k == 0 && w.outcome == warning_outcome::false_alarm) {
        const size_t m = index.at(w.metric);
        band then = band::good;
        for (const auto& s : snaps[m]) {
          if (s.window_end > w.raised_at)
            break;
          then = s.level;
        }
        std::string source;
        if (w.severity == band::critical && then != band::good)
          source = "critical predicted from the warning band, stopped short";
        for (const auto& rec : history) {
          if (!source.empty())
            break;
          const int64_t end = rec.resolved_at > 0 ? rec.resolved_at : end_ms;
          if (rec.status.started_at > w.raised_at || w.raised_at > end + 30 * minute_ms)
            continue;
          const bool direct =
              std::find(rec.status.metrics.begin(), rec.status.metrics.end(), w.metric)
              != rec.status.metrics.end();
          if (direct)
            source = rec.resolution == simulator::incident_resolution::fizzled
                         ? "direct effect of an incident that fizzled"
                     : w.raised_at >= rec.status.peak_at
                         ? "direct effect, raised after the ramp's end (plateau or recovery)"
                         : "direct effect, raised during the ramp, crossing > breach + 30 min";
        }
        for (const auto& rec : history) {
          if (!source.empty())
            break;
          const int64_t end = rec.resolved_at > 0 ? rec.resolved_at : end_ms;
          if (rec.status.started_at <= w.raised_at && w.raised_at <= end + 30 * minute_ms)
            source = "coupled metric during an incident (" + rec.status.type + ")";
        }
        if (source.empty())
          source = "no incident (noise, spike, daily peak)";
        ++out.false_alarm_sources[std::string(w.severity == band::critical ? "critical" : "warning")
                                  + " | " + source + " | " + w.metric];
      }
      if (verbose && k == 0 && w.outcome == warning_outcome::false_alarm) {
        std::string active;
        for (const auto& rec : history) {
          const int64_t end = rec.resolved_at > 0 ? rec.resolved_at : end_ms;
          if (rec.status.started_at <= w.raised_at && w.raised_at <= end + 30 * minute_ms) {
            active +=
                " " + rec.status.type + "("
                + std::string(rec.resolution == simulator::incident_resolution::fizzled ? "fizzled"
                                                                                        : "ran")
                + ")";
          }
        }
        out.lines.push_back("false alarm " + w.metric + " raised at +"
                            + std::to_string((w.raised_at - start_ms) / minute_ms) + "min during"
                            + (active.empty() ? std::string(" nothing") : active));
      }
    }
  }
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) {
    return std::nan("");
  }
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"Early-warning lead time of forecaster + predictor on the simulator"};
  int days = 14, seeds = 5, threads = 2;
  uint64_t first_seed = 1;
  bool verbose = false, diagnose = false;
  int forecast_every_minutes = 15;
  std::vector<double> cuts{0.7, 0.5};
  std::string sim_path = std::string(GRACE_SOURCE_DIR) + "/config/simulator.yaml";
  std::string catalog_path = std::string(GRACE_SOURCE_DIR) + "/config/metrics_catalog.yaml";
  app.add_option("--days", days, "simulated days per seed")->check(CLI::Range(1, 60));
  app.add_option("--seeds", seeds, "number of seeds")->check(CLI::Range(1, 100));
  app.add_option("--seed", first_seed, "first seed (seeds are consecutive)");
  app.add_option("--threads", threads, "seeds run in parallel")->check(CLI::Range(1, 16));
  app.add_option("--simulator", sim_path, "simulator config");
  app.add_option("--catalog", catalog_path, "metrics catalog");
  app.add_flag("--verbose", verbose, "one line per scored incident");
  app.add_flag("--diagnose", diagnose,
               "why each warnable incident was not warned early (first book), false alarms by "
               "source");
  app.add_option("--forecast-every", forecast_every_minutes,
                 "minutes between forecasts (the node's forecasting.interval; a multiple of 5)")
      ->check(CLI::Range(5, 60));
  app.add_option("--cuts", cuts,
                 "the two warning books' min_probability (default 0.7 0.5, the node's and a lower "
                 "one)")
      ->expected(2)
      ->check(CLI::Range(0.01, 1.0));
  bool hold_symptom_warnings = false;
  app.add_flag("--hold-symptom-warnings", hold_symptom_warnings,
               "raise nothing new on a metric while one of its catalog causes (symptom_of) is at "
               "warning or worse or left it < 10 min ago (the node's remediation hold, applied to "
               "raising)");
  std::string warner_json;
  app.add_option("--warner", warner_json,
                 "JSON overriding the breach warner's settings, e.g. '{\"use_history\":false}'");
  CLI11_PARSE(app, argc, argv);

  predictor::breach_warner_settings warner_settings;
  if (!warner_json.empty()) {
    try {
      bench::apply_settings_patch(warner_settings, warner_json);
    } catch (const std::exception& e) {
      std::cerr << "--warner: " << e.what() << "\n";
      return 2;
    }
  }
  const auto loaded = catalog::load_catalog_file(catalog_path);
  if (!loaded.catalog) {
    std::cerr << "catalog " << catalog_path << " failed to load\n";
    return 1;
  }
  simulator::simulator_config sim;
  try {
    sim = simulator::load_simulator_config(sim_path);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }

  if (forecast_every_minutes % 5 != 0) {
    std::cerr << "--forecast-every: must be a multiple of 5 (the snapshot interval)\n";
    return 2;
  }
  run_options options;
  options.days = days;
  options.verbose = verbose;
  options.diagnose = diagnose;
  options.forecast_every_ms = forecast_every_minutes * minute_ms;
  options.cuts = {cuts.at(0), cuts.at(1)};
  options.warner = warner_settings;
  options.hold_symptom_warnings = hold_symptom_warnings;

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<seed_result> results(static_cast<size_t>(seeds));
  std::atomic<int> next{0};
  auto work = [&] {
    for (int i = next++; i < seeds; i = next++) {
      results[static_cast<size_t>(i)] =
          run_seed(sim, *loaded.catalog, first_seed + static_cast<uint64_t>(i), options);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < std::min(threads, seeds); ++i) {
    pool.emplace_back(work);
  }
  work();
  for (auto& th : pool) {
    th.join();
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::array<std::string, 2> names;
  for (size_t k = 0; k < 2; ++k) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "P>=%g", cuts[k]);
    names[k] = buf;
  }
  std::printf("grace-lead-time: %d days x %d seeds (from %llu), forecast every %d min, "
              "12 x 5 min ahead, retrain every 6 h\n",
              days, seeds, static_cast<unsigned long long>(first_seed), forecast_every_minutes);
  std::printf("%-6s %-7s %5s %5s %5s %6s %8s %9s %7s %6s %12s\n", "seed", "policy", "incid",
              "early", "late", "missed", "early%", "med.lead", "FA/day", "raised",
              "warnable:early");
  std::array<score, 2> total;
  double forecast_ms = 0.0, train_ms = 0.0;
  size_t forecasts = 0;
  for (const auto& r : results) {
    for (size_t k = 0; k < 2; ++k) {
      const score& s = r.scores[k];
      std::printf("%-6llu %-7s %5d %5d %5d %6d %7.1f%% %9.1f %7.2f %6d %6d:%-5d\n",
                  static_cast<unsigned long long>(r.seed), names[k].c_str(), s.incidents, s.early,
                  s.late, s.missed, s.incidents ? 100.0 * s.early / s.incidents : 0.0,
                  median(s.leads), s.false_alarms / r.days, s.raised, s.warnable, s.warnable_early);
      total[k].incidents += s.incidents;
      total[k].early += s.early;
      total[k].late += s.late;
      total[k].missed += s.missed;
      total[k].false_alarms += s.false_alarms;
      total[k].raised += s.raised;
      total[k].warnable += s.warnable;
      total[k].warnable_early += s.warnable_early;
      total[k].leads.insert(total[k].leads.end(), s.leads.begin(), s.leads.end());
    }
    forecast_ms += r.forecast_ms;
    train_ms += r.train_ms;
    forecasts += r.forecasts;
  }
  for (size_t k = 0; k < 2; ++k) {
    const score& s = total[k];
    std::printf("%-6s %-7s %5d %5d %5d %6d %7.1f%% %9.1f %7.2f %6d %6d:%-5d (%.1f%%)\n", "all",
                names[k].c_str(), s.incidents, s.early, s.late, s.missed,
                s.incidents ? 100.0 * s.early / s.incidents : 0.0, median(s.leads),
                s.false_alarms / (static_cast<double>(days) * seeds), s.raised, s.warnable,
                s.warnable_early, s.warnable ? 100.0 * s.warnable_early / s.warnable : 0.0);
  }
  int not_forecastable = 0, sudden = 0, started = 0, held = 0;
  for (const auto& r : results) {
    held += r.held;
    not_forecastable += r.not_forecastable;
    sudden += r.sudden;
    started += r.incidents_total;
  }
  std::printf("incidents started %d; scored (a forecast effect metric reached warning) %d, of "
              "them sudden %d; crossed on a non-forecast metric only %d\n",
              started, total[0].incidents, sudden, not_forecastable);
  if (hold_symptom_warnings)
    std::printf("judgements held from the books (a cause in trouble): %d\n", held);
  std::printf("time: wall %.1f s; forecast %.3f ms per call; retrain %.0f ms per run\n", wall,
              forecast_ms / std::max<size_t>(forecasts, 1), train_ms / (seeds * days * 4.0));
  if (diagnose) {
    std::map<std::string, int> causes, sources, outcomes;
    std::map<int, std::pair<int, int>> bins;
    for (const auto& r : results) {
      for (const auto& [c, n] : r.causes)
        causes[c] += n;
      for (const auto& [c, n] : r.false_alarm_sources)
        sources[c] += n;
      for (const auto& [c, n] : r.warning_outcomes)
        outcomes[c] += n;
      for (const auto& [b, n] : r.by_crossing_minutes) {
        bins[b].first += n.first;
        bins[b].second += n.second;
      }
    }
    std::printf("warnable incidents by cause (%s):\n", names[0].c_str());
    for (const auto& [c, n] : causes)
      std::printf("  %4d  %s\n", n, c.c_str());
    std::printf("warnable incidents by minutes from the start to the crossing: warnable / early\n");
    for (const auto& [b, n] : bins)
      std::printf("  %s min  %4d / %d\n",
                  b >= 60 ? "60+  " : (std::to_string(b) + "-" + std::to_string(b + 9)).c_str(),
                  n.first, n.second);
    std::printf("warnings raised by severity, band then and outcome (%s):\n", names[0].c_str());
    for (const auto& [c, n] : outcomes)
      std::printf("  %4d  %s\n", n, c.c_str());
    std::printf("false alarms by source (%s):\n", names[0].c_str());
    for (const auto& [c, n] : sources)
      std::printf("  %4d  %s\n", n, c.c_str());
  }
  if (verbose || diagnose) {
    for (const auto& r : results) {
      for (const auto& l : r.lines) {
        std::printf("seed %llu %s\n", static_cast<unsigned long long>(r.seed), l.c_str());
      }
    }
  }
  return 0;
}
