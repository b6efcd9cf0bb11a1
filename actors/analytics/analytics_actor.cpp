#include "actors/analytics/analytics_actor.hpp"

#include "actors/analytics/exposition.hpp"
#include "actors/analytics/reports.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_pointer = analytics_actor::stateful_pointer<analytics_state>;

constexpr auto ask_timeout = std::chrono::seconds(10);

// The report interval in real time, at least 10 s: at a high time scale a
// virtual hour passes every second, and the log is for people.
auto report_delay(const analytics_settings& s) {
  return std::max<decltype(s.clock.real_delay(0))>(s.clock.real_delay(s.report_interval_ms),
                                                   std::chrono::seconds(10));
}

// Counts outstanding answers; `done` runs once all have come (or failed).
// Starts at one so that answers arriving while requests are still being
// sent cannot finish it early: the sender calls release() at the end.
struct gathering {
  int outstanding = 1;
  std::function<void()> done;
  void release() {
    if (--outstanding == 0 && done)
      done();
  }
};

// Asks component `name` and hands its answer to `on_value`; a missing
// component or an error is recorded by `on_error` and does not stop the rest.
template <class Handle, class Result, class OnValue, class OnError, class... Ts>
void ask(self_pointer self, const supervisor_actor& sup, const std::string& name,
         const std::shared_ptr<gathering>& g, OnValue on_value, OnError on_error, Ts... xs) {
  ++g->outstanding;
  with_component_or<Handle>(
      self, sup, name,
      [=](Handle h) {
        self->request(h, ask_timeout, xs...)
            .then(
                [=](Result& r) {
                  on_value(std::move(r));
                  g->release();
                },
                [=](caf::error& e) {
                  on_error(name + ": " + describe(e));
                  g->release();
                });
      },
      [=](const caf::error& e) {
        on_error(name + ": " + describe(e));
        g->release();
      });
}

// The live catalog, or `on_error("catalog: <why>")`.
template <class OnCatalog, class OnError>
void with_catalog(self_pointer self, const supervisor_actor& sup, OnCatalog on_catalog,
                  OnError on_error) {
  with_component_or<catalog_actor>(
      self, sup, "catalog",
      [=](catalog_actor catalog) {
        self->request(catalog, ask_timeout, atom::get_v)
            .then([=](catalog_ref cat) { on_catalog(std::move(cat)); },
                  [=](caf::error& e) { on_error("catalog: " + describe(e)); });
      },
      [=](const caf::error& e) { on_error("catalog: " + describe(e)); });
}

// Everything the reports need, then `done(inputs)`.
void gather_inputs(self_pointer self, const supervisor_actor& sup,
                   std::function<void(std::shared_ptr<analytics::report_inputs>)> done) {
  auto in = std::make_shared<analytics::report_inputs>();
  in->now = virtual_now(self);
  auto note = [in](const std::string& why) { in->unavailable.push_back(why); };
  with_catalog(
      self, sup,
      [=](catalog_ref cat) {
        in->catalog = cat;
        auto g = std::make_shared<gathering>();
        g->done = [=] { done(in); };
        const auto week = analytics::week_ms;
        for (const auto& id : cat->forecast_metrics()) {
          snapshot_query q{id, in->now - week - self->state.settings.horizon_ms, in->now + 1, 0};
          ask<storage_actor, std::vector<forecast>>(
              self, sup, "storage", g,
              [in, id](std::vector<forecast> f) { in->forecasts[id] = std::move(f); }, note,
              atom::query_v, atom::forecast_v, q);
          // A season more than the week: the seasonal naive forecast of its first day.
          snapshot_query s{id, in->now - week - analytics::seasonal_period_ms - 3600000,
                           in->now + 1, 0};
          ask<storage_actor, std::vector<snapshot>>(
              self, sup, "storage", g,
              [in, id](std::vector<snapshot> v) { in->snapshots[id] = std::move(v); }, note,
              atom::query_v, s);
        }
        ask<predictor_actor, warnings_view>(
            self, sup, "predictor", g, [in](warnings_view w) { in->warnings = std::move(w); }, note,
            atom::warnings_v);
        ask<executor_actor, std::vector<execution>>(
            self, sup, "executor", g,
            [in](std::vector<execution> v) { in->executions = std::move(v); }, note, atom::get_v,
            std::string());
        ask<storage_actor, std::vector<training_record>>(
            self, sup, "storage", g,
            [in](std::vector<training_record> v) { in->training = std::move(v); }, note,
            atom::history_v, atom::train_v, uint64_t{100});
        ask<trainer_actor, training_status>(
            self, sup, "trainer", g, [in](training_status s) { in->trainer = std::move(s); }, note,
            atom::statistics_v);
        ask<storage_actor, std::vector<experience>>(
            self, sup, "storage", g,
            [in](std::vector<experience> v) { in->experiences = std::move(v); }, note,
            atom::history_v, atom::reward_v, uint64_t{10000});
        ask<rl_agent_actor, rl_statistics>(
            self, sup, "rl_agent", g, [in](rl_statistics s) { in->rl_statistics = std::move(s); },
            note, atom::statistics_v);
        ask<rl_agent_actor, rl_policies>(
            self, sup, "rl_agent", g, [in](rl_policies p) { in->rl_policies = std::move(p); }, note,
            atom::get_v);
        g->release();
      },
      [=](const std::string& why) {
        note(why);
        done(in);
      });
}

void log_health(self_pointer self, const analytics::health_result& h) {
  auto& st = self->state;
  ++st.reports_logged;
  st.last_score = h.score;
  st.last_label = h.label;
  if (!h.score) {
    spdlog::info("[ML-ANALYTICS] ⏳ Health Score: no data yet");
    return;
  }
  spdlog::info("[ML-ANALYTICS] ✅ Health Score: {:.1f}/100 ({})", *h.score, h.label);
  for (const auto& p : h.parts)
    if (p.value)
      spdlog::debug("[ML-ANALYTICS]    {} {:.1f} (weight {:.2f}): {}", p.name, *p.value, p.weight,
                    p.detail);
}

// Counters and predictions for /metrics.
struct exposition_inputs {
  analytics::node_counters counters;
  catalog_ref catalog;
  std::map<std::string, forecast> latest;
  predictor_status predictions;
};

std::string render_exposition(const exposition_inputs& in, int64_t horizon_ms) {
  std::vector<analytics::predicted_series> series;
  if (in.catalog) {
    for (const auto& m : in.catalog->metrics()) {
      analytics::predicted_series s;
      s.metric_id = m.id;
      s.prometheus_name = m.prometheus_name;
      s.service = m.service;
      s.horizon_minutes = static_cast<int>(horizon_ms / 60000);
      auto it = in.latest.find(m.id);
      if (it != in.latest.end() && !it->second.points.empty()) {
        // The point at the horizon from when it was made (or the farthest).
        const auto& f = it->second;
        const forecast_point* at = &f.points.back();
        for (const auto& p : f.points)
          if (p.ts - f.generated_at >= horizon_ms) {
            at = &p;
            break;
          }
        s.yhat = at->mean;
        s.lower80 = at->lo80;
        s.upper80 = at->hi80;
        s.lower95 = at->lo95;
        s.upper95 = at->hi95;
      }
      analytics::add_predictions(s, in.predictions);
      series.push_back(std::move(s));
    }
  }
  return analytics::render(in.counters, series);
}

void exposition_without(const std::string& why) {
  spdlog::debug("[ML-ANALYTICS] /metrics without {}", why);
}

// Adds the counters of component `name`'s typed status.
template <class Handle, class Status>
void count_status(self_pointer self, const supervisor_actor& sup, const std::string& name,
                  const std::shared_ptr<gathering>& g,
                  const std::shared_ptr<exposition_inputs>& in) {
  ask<Handle, Status>(
      self, sup, name, g, [in](const Status& s) { analytics::count(in->counters, s); },
      exposition_without, atom::status_v);
}

void gather_exposition(self_pointer self, const supervisor_actor& sup,
                       std::function<void(std::shared_ptr<exposition_inputs>)> done) {
  auto in = std::make_shared<exposition_inputs>();
  auto ignore = exposition_without;
  auto g = std::make_shared<gathering>();
  g->done = [=] { done(in); };
  count_status<ingest_actor, ingest_status>(self, sup, "ingest", g, in);
  count_status<aggregator_actor, aggregator_status>(self, sup, "aggregator", g, in);
  count_status<scheduler_actor, scheduler_status>(self, sup, "scheduler", g, in);
  count_status<executor_actor, executor_status>(self, sup, "executor", g, in);
  if (self->state.settings.has_promql)
    count_status<promql_actor, promql_status>(self, sup, "promql", g, in);
  ask<predictor_actor, predictor_status>(
      self, sup, "predictor", g, [in](predictor_status s) { in->predictions = std::move(s); },
      ignore, atom::status_v);
  // The supervisor itself (not a component it can be asked for).
  ++g->outstanding;
  self->request(sup, ask_timeout, atom::status_v)
      .then(
          [=](const supervisor_status& s) {
            analytics::count(in->counters, s);
            g->release();
          },
          [=](caf::error& e) {
            ignore("supervisor: " + describe(e));
            g->release();
          });
  ask<predictor_actor, warnings_view>(
      self, sup, "predictor", g,
      [in](const warnings_view& w) {
        const auto c = analytics::warning_counts_from(w);
        in->counters.warnings_by_outcome = {{"raised", c.raised},
                                            {"prevented", c.prevented},
                                            {"came_true", c.came_true},
                                            {"false_alarm", c.false_alarm}};
        in->counters.open_warnings = c.open;
      },
      ignore, atom::warnings_v);
  // The latest forecast of every forecast metric, once the catalog is known.
  ++g->outstanding;
  with_catalog(
      self, sup,
      [=](catalog_ref cat) {
        in->catalog = cat;
        const auto now = virtual_now(self);
        for (const auto& id : cat->forecast_metrics()) {
          snapshot_query q{id, 0, now + 1, 1};
          ask<storage_actor, std::vector<forecast>>(
              self, sup, "storage", g,
              [in, id](std::vector<forecast> f) {
                if (!f.empty())
                  in->latest[id] = std::move(f.back());
              },
              ignore, atom::query_v, atom::forecast_v, q);
        }
        g->release();
      },
      [=](const std::string& why) {
        ignore(why);
        g->release();
      });
  g->release();
}

// Gathers the inputs and answers with the report `build` makes of them.
template <class Build, class Report = decltype(std::declval<Build>()(
                           std::declval<const analytics::report_inputs&>(),
                           std::declval<const analytics::report_settings&>()))>
caf::result<Report> serve_report(self_pointer self, const supervisor_actor& sup, Build build) {
  using report = Report;
  ++self->state.requests;
  auto rp = self->make_response_promise<report>();
  gather_inputs(self, sup, [=](std::shared_ptr<analytics::report_inputs> in) mutable {
    rp.deliver(build(*in, self->state.settings.reports));
  });
  return rp;
}

} // namespace

analytics_actor::behavior_type
analytics_component(analytics_actor::stateful_pointer<analytics_state> self,
                    supervisor_actor supervisor, analytics_settings settings) {
  self->state.settings = std::move(settings);
  self->delayed_send(self, report_delay(self->state.settings), atom::tick_v);
  return {
      [=](atom::get, atom::overview) {
        return serve_report(self, supervisor, [](const auto& in, const auto& s) {
          return analytics::overview_report(in, s);
        });
      },
      [=](atom::get, atom::health) {
        return serve_report(self, supervisor, [](const auto& in, const auto& s) {
          return analytics::health_report_of(in, s);
        });
      },
      [=](atom::get, atom::accuracy) {
        return serve_report(self, supervisor, [](const auto& in, const auto& s) {
          return analytics::accuracy_report(in, s);
        });
      },
      [=](atom::get, atom::playbooks) {
        return serve_report(self, supervisor, [](const auto& in, const auto&) {
          return analytics::playbooks_report(in);
        });
      },
      [=](atom::get, atom::learning) {
        return serve_report(self, supervisor, [](const auto& in, const auto&) {
          return analytics::learning_report(in);
        });
      },
      [=](atom::get, atom::training) {
        return serve_report(self, supervisor, [](const auto& in, const auto& s) {
          return analytics::training_report(in, s);
        });
      },
      [=](atom::get, atom::forecasts) {
        return serve_report(self, supervisor, [](const auto& in, const auto&) {
          return analytics::forecasts_report(in);
        });
      },
      [=](atom::metrics) -> caf::result<std::string> {
        ++self->state.requests;
        auto rp = std::make_shared<caf::typed_response_promise<std::string>>(
            self->make_response_promise<std::string>());
        gather_exposition(self, supervisor, [=](std::shared_ptr<exposition_inputs> in) {
          rp->deliver(render_exposition(*in, self->state.settings.horizon_ms));
        });
        return *rp;
      },
      [=](atom::tick) {
        spdlog::info("[ML-ANALYTICS] 📊 Generating ML performance report...");
        gather_inputs(self, supervisor, [=](std::shared_ptr<analytics::report_inputs> in) {
          log_health(self, analytics::health_of(*in, self->state.settings.reports));
        });
        self->delayed_send(self, report_delay(self->state.settings), atom::tick_v);
      },
      [=](atom::status) -> analytics_status {
        const auto& st = self->state;
        return {st.reports_logged, st.requests, st.last_score.has_value(),
                st.last_score.value_or(0.0), st.last_label};
      },
  };
}

} // namespace grace
