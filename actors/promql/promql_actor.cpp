#include "actors/promql/promql_actor.hpp"

#include "actors/catalog/catalog.hpp"
#include "actors/cluster/shard_map.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "common/utc_time.hpp"

#include <algorithm>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <fstream>
#include <httplib.h>
#include <limits>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_ptr = promql_actor::stateful_pointer<promql_state>;

constexpr auto store_timeout = std::chrono::seconds(60);
constexpr auto ingest_timeout = std::chrono::seconds(20);
// A failed backfill chunk is tried again after this long (or the metric's
// interval, if longer).
constexpr int64_t backfill_retry_ms = 5000;

int64_t wall_now(self_ptr self) {
  return self->state.settings.clock.actor_wall_ms(self);
}

// "http://host:9090/prefix" -> ("http://host:9090", "/prefix")
std::pair<std::string, std::string> split_base(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos)
    return {url, ""};
  std::string prefix = url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/')
    prefix.pop_back();
  return {url.substr(0, path_start), prefix};
}

// The token file's first line, read for every new connection (so a rotated
// token is picked up); empty with `why` set when it cannot be read.
std::string read_token(const std::string& path, std::string& why) {
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token)) {
    why = "cannot read prometheus.bearer_token_file " + path;
    return {};
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty())
    why = "prometheus.bearer_token_file " + path + " is empty";
  return token;
}

// Why no answer came, in words a user can act on.
std::string transport_error(httplib::Error e) {
  switch (e) {
  case httplib::Error::Connection:
    return "connection refused or failed";
  case httplib::Error::ConnectionTimeout:
    return "no connection within prometheus.timeout";
  case httplib::Error::Read:
    return "no answer within prometheus.timeout (or the connection closed)";
  case httplib::Error::Write:
    return "the request could not be sent";
  case httplib::Error::SSLConnection:
    return "the TLS handshake failed";
  case httplib::Error::SSLLoadingCerts:
    return "prometheus.ca_file could not be loaded";
  case httplib::Error::SSLServerVerification:
    return "the server's certificate is not trusted (see prometheus.ca_file)";
  default:
    return httplib::to_string(e);
  }
}

// POSTs a form to the API (Prometheus takes the query in the body, so a long
// expression never meets a URL length limit). Answers (HTTP status, body),
// or status 0 with the body saying why no answer came.
std::pair<int, std::string> call_api(self_ptr self, const std::string& endpoint,
                                     const httplib::Params& params) {
  auto& st = self->state;
  const auto& src = st.settings.source;
  const auto [base, prefix] = split_base(src.url);
  if (!st.client) {
    auto client = std::make_shared<httplib::Client>(base);
    const auto timeout = std::chrono::milliseconds(src.timeout_ms);
    client->set_connection_timeout(timeout);
    client->set_read_timeout(timeout);
    client->set_write_timeout(timeout);
    client->set_keep_alive(true);
    if (!src.ca_file.empty())
      client->set_ca_cert_path(src.ca_file);
    if (!src.bearer_token_file.empty()) {
      std::string why;
      const auto token = read_token(src.bearer_token_file, why);
      if (!why.empty())
        return {0, why};
      client->set_bearer_token_auth(token);
    }
    st.client = std::move(client);
  }
  auto res = st.client->Post((prefix + endpoint).c_str(), params);
  if (!res) {
    st.client.reset(); // a new connection next time
    return {0, "cannot reach " + src.url + ": " + transport_error(res.error())};
  }
  return {res->status, std::move(res->body)};
}

promql_metric_state* find(self_ptr self, const std::string& id, uint64_t generation) {
  for (auto& m : self->state.metrics)
    if (m.metric_id == id && m.generation == generation)
      return &m;
  return nullptr;
}

void succeeded(self_ptr self, promql_metric_state& m) {
  if (m.consecutive_failures > 0)
    spdlog::info("[PROMQL] ✅ {} answers again after {} failed queries", m.metric_id,
                 m.consecutive_failures);
  m.consecutive_failures = 0;
  m.last_success_ms = wall_now(self);
}

// Counts a failure; logs the first of a streak and then every 10th (and
// always when `tell`).
void failed(promql_metric_state& m, const std::string& what, const std::string& error,
            bool tell = false) {
  ++m.failures;
  m.last_error = what + ": " + error;
  if (m.consecutive_failures++ % 10 == 0 || tell)
    spdlog::warn("[PROMQL] ⚠️ {}: {} failed ({} in a row): {}", m.metric_id, what,
                 m.consecutive_failures, error);
}

// Plans reading [from, start of the window under way): the windows before it
// are closed, and the live polls fill this one. `from` 0: the last
// prometheus.backfill.
void plan_backfill(self_ptr self, promql_metric_state& m, int64_t from_ms = 0) {
  const auto& s = self->state.settings;
  const int64_t now = wall_now(self);
  m.backfill_until_ms = now - now % s.snapshot_interval_ms;
  m.backfill_from_ms = from_ms > 0 ? from_ms : m.backfill_until_ms - s.source.backfill_ms;
  m.chunks = promql::plan_chunks(m.backfill_from_ms, m.backfill_until_ms, m.interval_ms);
  m.next_chunk = 0;
  m.gap_fill = from_ms > 0;
  // The band of each window from the catalog's thresholds, as the aggregator's.
  const auto cat = self->state.catalog;
  aggregator::band_function band_of = [cat](const std::string& id, const snapshot& snap) {
    const auto* def = cat ? cat->find_metric(id) : nullptr;
    return def ? catalog::band_of(*def, catalog::statistic_of(snap, def->aggregation)) : band::good;
  };
  m.history = std::make_unique<promql::backfill_accumulator>(
      m.metric_id, s.snapshot_interval_ms, m.backfill_until_ms, std::move(band_of));
  m.backfill_done = m.chunks.empty();
  m.backfill_started_ms = now;
  m.next_backfill_try_ms = 0;
}

// Asks itself for the next backfill step when a metric's backfill can go on
// now; a retry that is not due yet is picked up by a later tick.
void schedule_backfill(self_ptr self) {
  if (self->state.backfill_scheduled)
    return;
  const int64_t now = wall_now(self);
  for (const auto& m : self->state.metrics)
    if (!m.backfill_done && !m.backfill_storing && m.next_backfill_try_ms <= now) {
      self->state.backfill_scheduled = true;
      self->send(self, atom::history_v);
      return;
    }
}

// A forecast of a metric from its just stored history, handed to the
// predictor like a targeted forecast: early warnings need not wait for the
// scheduler's first cycle.
void first_forecast(self_ptr self, const supervisor_actor& supervisor, const std::string& id) {
  forecast_request request{{id}, self->state.settings.forecast_horizon_ms};
  with_component<forecaster_actor>(self, supervisor, "forecaster", [=](forecaster_actor f) {
    self->request(f, std::chrono::seconds(30), atom::forecast_v, request)
        .then(
            [=](std::vector<forecast>& out) {
              if (out.empty() || out.front().points.empty())
                return;
              const auto& last = out.front().points.back();
              spdlog::info("[PROMQL] 🔮 {}: first forecast from its history: {:.4g} in {} min "
                           "(80%: {:.4g}..{:.4g})",
                           id, last.mean, (last.ts - out.front().generated_at) / 60000, last.lo80,
                           last.hi80);
              with_component<predictor_actor>(
                  self, supervisor, "predictor",
                  [=](predictor_actor p) { self->send(p, atom::forecast_v, out); });
            },
            [=](caf::error& e) {
              spdlog::warn("[PROMQL] ⚠️ {}: no forecast from its history: {}", id, describe(e));
            });
  });
}

// Once every metric's backfill is done (or failing) and some stored new
// history, one training cycle, instead of waiting for the first
// training.interval.
void train_when_backfilled(self_ptr self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  if (st.training_requested || st.backfilled_new == 0)
    return;
  // A metric whose query fails does not hold the others' training back.
  for (const auto& m : st.metrics)
    if (!m.backfill_done && m.consecutive_failures == 0)
      return;
  st.training_requested = true;
  spdlog::info("[PROMQL] 🎓 History backfilled ({} new snapshots): training now", st.backfilled_new);
  with_component<trainer_actor>(self, supervisor, "trainer", [=](trainer_actor t) {
    self->request(t, std::chrono::minutes(30), atom::train_v)
        .then([](const training_record&) {},
              [](caf::error& e) {
                spdlog::warn("[PROMQL] ⚠️ Training after the backfill failed: {}", describe(e));
              });
  });
}

// The backfilled history of a metric goes to storage as closed windows (in a
// cluster to its owner's); the closed watermark is left alone (the
// aggregator owns it).
void store_backfill(self_ptr self, const supervisor_actor& supervisor, promql_metric_state& m) {
  closed_windows batch;
  batch.snapshots = m.history->finish();
  batch.closed_before = std::numeric_limits<timestamp_ms>::min();
  m.backfill_points = m.history->points();
  m.history.reset();
  m.backfill_storing = true;
  const auto id = m.metric_id;
  const auto generation = m.generation;
  const auto windows = batch.snapshots.size();
  auto retry = [=](const std::string& why) {
    auto* m = find(self, id, generation);
    if (!m)
      return;
    m->backfill_storing = false;
    spdlog::error("[PROMQL] ❌ {}: backfilled snapshots not stored ({}); reading them again", id,
                  why);
    plan_backfill(self, *m, m->gap_fill ? m->backfill_from_ms : 0);
    m->next_backfill_try_ms = wall_now(self) + backfill_retry_ms;
  };
  with_component_or<history_sink_actor>(
      self, supervisor, self->state.settings.history_sink,
      [=](history_sink_actor storage) {
        self->request(storage, store_timeout, atom::store_v, batch)
            .then(
                [=](uint64_t added) {
                  auto* m = find(self, id, generation);
                  if (!m)
                    return;
                  m->backfill_storing = false;
                  m->backfill_done = true;
                  m->backfill_snapshots += added;
                  self->state.backfilled_new += added;
                  m->backfill_seconds =
                      static_cast<double>(wall_now(self) - m->backfill_started_ms) / 1000.0;
                  spdlog::info("[PROMQL] 📥 {}: backfilled {} snapshots ({} new) from {} "
                               "samples since {} in {:.1f}s",
                               id, windows, added, m->backfill_points,
                               iso_time(m->backfill_from_ms), m->backfill_seconds);
                  const auto& cat = self->state.catalog;
                  const auto* def = cat ? cat->find_metric(id) : nullptr;
                  // In a cluster the owner holds the history and forecasts it
                  // in its scheduler's cycle; this node's forecaster has none.
                  if (added > 0 && def && def->forecast
                      && self->state.settings.history_sink == "storage")
                    first_forecast(self, supervisor, id);
                  train_when_backfilled(self, supervisor);
                },
                [=](caf::error& e) { retry(describe(e)); });
      },
      [=](const caf::error& e) { retry(describe(e)); });
}

// Queries the next chunk of the first metric whose backfill can go on.
void backfill_step(self_ptr self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  st.backfill_scheduled = false;
  const int64_t now = wall_now(self);
  for (auto& m : st.metrics) {
    if (m.backfill_done || m.backfill_storing || m.next_backfill_try_ms > now)
      continue;
    if (m.next_chunk < m.chunks.size()) {
      const auto& c = m.chunks[m.next_chunk];
      ++m.queries;
      auto [status, body] = call_api(self, "/api/v1/query_range",
                                     {{"query", m.expression},
                                      {"start", promql::prometheus_seconds(c.start_ms)},
                                      {"end", promql::prometheus_seconds(c.end_ms)},
                                      {"step", promql::prometheus_seconds(c.step_ms)}});
      auto answer = status == 0 ? promql::query_answer{body, {}, 0, 0}
                                : promql::parse_range_answer(status, body);
      if (!answer.ok()) {
        failed(m, "backfill query_range", answer.error);
        m.next_backfill_try_ms = now + std::max(backfill_retry_ms, m.interval_ms);
        break;
      }
      succeeded(self, m);
      m.non_finite += answer.non_finite;
      m.history->add(answer.points, m.chunks[m.next_chunk].end_ms);
      ++m.next_chunk;
    }
    if (m.next_chunk >= m.chunks.size()) {
      if (m.history->points() == 0) {
        if (!m.gap_fill)
          failed(m, "backfill",
                 "no data in the last "
                     + config::format_duration(m.backfill_until_ms - m.backfill_from_ms));
        m.history.reset();
        m.backfill_done = true;
        train_when_backfilled(self, supervisor);
      } else {
        store_backfill(self, supervisor, m);
      }
    }
    break; // one request per message: status and polls are answered in between
  }
  schedule_backfill(self);
}

// Instant queries of the metrics that are due; their samples go to ingest.
void poll_due(self_ptr self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  const int64_t now = wall_now(self);
  sample_batch batch;
  // Once the server is unreachable (or times out) in a round, the other due
  // metrics are counted failed with the same reason instead of each waiting
  // for its own timeout.
  std::string unreachable;
  for (auto& m : st.metrics) {
    if (m.next_poll_ms > now)
      continue;
    // Stay on the metric's cadence; after a stall, start again from now.
    m.next_poll_ms = std::max(m.next_poll_ms + m.interval_ms, now + 1);
    if (m.next_poll_ms > now + m.interval_ms)
      m.next_poll_ms = now + m.interval_ms;
    if (!unreachable.empty()) {
      failed(m, "query", unreachable);
      continue;
    }
    ++m.queries;
    auto [status, body] =
        call_api(self, "/api/v1/query",
                 {{"query", m.expression}, {"time", promql::prometheus_seconds(now)}});
    if (status == 0)
      unreachable = body;
    auto answer = status == 0 ? promql::query_answer{body, {}, 0, 0}
                              : promql::parse_instant_answer(status, body);
    m.non_finite += answer.non_finite;
    if (!answer.ok()) {
      // The check (the first answer) is always told.
      failed(m, m.checked ? "query" : "check of `" + m.expression + "`", answer.error, !m.checked);
      m.checked = true;
      continue;
    }
    // Back after failed polls: the windows missed meanwhile are read from the
    // server's history (windows already stored are kept).
    if (m.consecutive_failures > 0 && m.last_success_ms > 0 && m.backfill_done) {
      plan_backfill(self, m, m.last_success_ms);
      if (!m.backfill_done)
        spdlog::info("[PROMQL] 📥 {}: reading the {} missed since {}", m.metric_id,
                     config::format_duration(m.backfill_until_ms - m.backfill_from_ms),
                     iso_time(m.backfill_from_ms));
    }
    if (!m.checked) {
      m.checked = true;
      spdlog::info("[PROMQL] ✅ {}: the query answers one series (now {})", m.metric_id,
                   answer.points.front().value);
    }
    succeeded(self, m);
    metric_sample s;
    s.metric_id = m.metric_id;
    // Stamped in the node's time (time_scale is 1 with this source).
    s.ts = st.settings.clock.actor_now_ms(self);
    s.value = answer.points.front().value;
    s.labels["source"] = "promql";
    batch.push_back(std::move(s));
  }
  schedule_backfill(self);
  if (batch.empty())
    return;
  with_component<sample_sink_actor>(self, supervisor, st.settings.sink, [=](sample_sink_actor i) {
    self->request(i, ingest_timeout, atom::ingest_v, batch)
        .then(
            [=](const ingest_receipt& r) {
              std::vector<bool> refused(batch.size(), false);
              for (const auto& x : r.rejected)
                if (x.index < refused.size()) {
                  refused[x.index] = true;
                  spdlog::debug("[PROMQL] {}: sample refused: {}", batch[x.index].metric_id,
                                x.reason);
                }
              for (size_t k = 0; k < batch.size(); ++k)
                if (!refused[k])
                  for (auto& m : self->state.metrics)
                    if (m.metric_id == batch[k].metric_id)
                      ++m.samples;
            },
            [](caf::error& e) {
              spdlog::warn("[PROMQL] ⚠️ Samples not taken by ingest: {}", describe(e));
            });
  });
}

// Takes a (re)loaded catalog: new metrics and changed expressions are checked
// and backfilled; metrics without an expression any more are dropped.
// In a cluster only the metrics of the shards in `serving` are read: a
// metric whose shard went elsewhere is dropped (its new owner reads it), one
// whose shard came here is checked and backfilled.
void sync_catalog(self_ptr self, catalog_ref cat, std::vector<int> serving) {
  auto& st = self->state;
  if (!cat || (cat == st.catalog && serving == st.serving))
    return;
  st.catalog = cat;
  st.serving = std::move(serving);
  std::vector<promql_metric_state> next;
  for (const auto& def : cat->metrics()) {
    if (def.promql.empty())
      continue;
    if (st.settings.cluster && cluster::metrics_of_shards({def.id}, st.serving).empty())
      continue;
    auto old = std::find_if(st.metrics.begin(), st.metrics.end(), [&](const auto& m) {
      return m.metric_id == def.id && m.expression == def.promql
             && m.interval_ms == def.collection_interval_ms;
    });
    if (old != st.metrics.end()) {
      next.push_back(std::move(*old));
      continue;
    }
    promql_metric_state m;
    m.metric_id = def.id;
    m.expression = def.promql;
    m.interval_ms = def.collection_interval_ms;
    m.generation = st.next_generation++;
    spdlog::info("[PROMQL] 🔎 {}: checking `{}` and reading its last {} (every {})", def.id,
                 def.promql, config::format_duration(st.settings.source.backfill_ms),
                 config::format_duration(def.collection_interval_ms));
    plan_backfill(self, m);
    next.push_back(std::move(m));
  }
  st.metrics = std::move(next);
  schedule_backfill(self);
}

void refresh_catalog(self_ptr self, const supervisor_actor& supervisor) {
  with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor c) {
    self->request(c, std::chrono::seconds(5), atom::get_v)
        .then(
            [=](catalog_ref& ref) {
              if (!self->state.settings.cluster) {
                sync_catalog(self, std::move(ref), {});
                poll_due(self, supervisor);
                return;
              }
              with_component_or<cluster_actor>(
                  self, supervisor, "cluster",
                  [=](cluster_actor cluster) {
                    self->request(cluster, std::chrono::seconds(5), atom::get_v)
                        .then(
                            [=](const cluster_view& view) {
                              sync_catalog(self, ref, view.serving);
                              poll_due(self, supervisor);
                            },
                            [=](caf::error&) { poll_due(self, supervisor); });
                  },
                  [=](const caf::error&) { poll_due(self, supervisor); });
            },
            [=](caf::error&) { poll_due(self, supervisor); });
  });
}

promql_metric_status metric_status(const promql_metric_state& m, int64_t backfill_ms) {
  promql_metric_status out;
  out.metric = m.metric_id;
  out.query = m.expression;
  out.interval_ms = m.interval_ms;
  out.queries = m.queries;
  out.failures = m.failures;
  out.consecutive_failures = m.consecutive_failures;
  out.samples = m.samples;
  out.non_finite = m.non_finite;
  out.last_error = m.last_error;
  out.last_success = m.last_success_ms;
  out.backfill = {m.backfill_done,      m.chunks.size(),    m.next_chunk, m.backfill_points,
                  m.backfill_snapshots, m.backfill_seconds, backfill_ms};
  return out;
}

} // namespace

promql_actor::behavior_type promql_component(promql_actor::stateful_pointer<promql_state> self,
                                             supervisor_actor supervisor,
                                             promql_settings settings) {
  self->state.settings = std::move(settings);
  spdlog::info("[PROMQL] 🔭 Reading PromQL metrics from {} (backfill {})",
               self->state.settings.source.url,
               config::format_duration(self->state.settings.source.backfill_ms));
  self->send(self, atom::tick_v);
  return {
      [=](atom::tick) {
        // The catalog's answer polls the metrics that are due, so a reload's
        // new expressions are checked at once.
        refresh_catalog(self, supervisor);
        schedule_backfill(self);
        self->delayed_send(self, std::chrono::milliseconds(self->state.settings.tick_ms),
                           atom::tick_v);
      },
      [=](atom::history) { backfill_step(self, supervisor); },
      [=](atom::status) -> promql_status {
        const auto& st = self->state;
        promql_status out;
        out.url = st.settings.source.url;
        for (const auto& m : st.metrics) {
          out.metrics.push_back(metric_status(m, st.settings.source.backfill_ms));
          out.failures += m.failures;
        }
        return out;
      },
  };
}

} // namespace grace
