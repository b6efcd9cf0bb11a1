#include "actors/rl_agent/rl_agent_actor.hpp"

#include "actors/cluster/reward_ledger.hpp"
#include "actors/cluster/shard_map.hpp"
#include "actors/rl_agent/recommend_check.hpp"
#include "actors/rl_agent/views.hpp"
#include "actors/supervisor/supervisor_actor_lookup.hpp"
#include "messages/errors.hpp"
#include "messages/json.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <spdlog/spdlog.h>

namespace grace {

namespace {

using self_pointer = rl_agent_actor::stateful_pointer<rl_agent_state>;

constexpr int64_t expiry_check_ms = 3600000; // virtual

caf::error to_caf_error(const rl::rl_error& e) {
  switch (e.code()) {
  case rl::error_code::unknown_event:
    return make_error(errc::not_found, e.what());
  case rl::error_code::expired_event:
    return make_error(errc::gone, e.what());
  case rl::error_code::already_rewarded:
    return make_error(errc::conflict, e.what());
  default:
    return make_error(errc::invalid_input, e.what());
  }
}

// How long recommend trusts the catalog it last read: a reload reaches it
// within a second, and a burst of requests costs one catalog round trip.
constexpr auto catalog_max_age = std::chrono::seconds(1);

// Marks the agent changed: the rows of its pending events follow after
// event_rows_delay, the snapshot after snapshot_delay.
void changed(self_pointer self) {
  auto& st = self->state;
  st.dirty = true;
  if (!st.rows_scheduled) {
    st.rows_scheduled = true;
    self->delayed_send(self, st.settings.event_rows_delay, atom::flush_v);
  }
  if (st.save_scheduled)
    return;
  st.save_scheduled = true;
  self->delayed_send(self, st.settings.snapshot_delay, atom::save_v);
}

std::string pending_collection(const rl_agent_settings& s) {
  return s.state_key + ".pending";
}

std::string expired_collection(const rl_agent_settings& s) {
  return s.state_key + ".expired";
}

stored_items_change to_change(std::string collection, rl::set_changes::taken&& taken,
                              bool replace_all) {
  stored_items_change change;
  change.collection = std::move(collection);
  change.replace_all = replace_all;
  change.erase = std::move(taken.erase);
  change.put.reserve(taken.put.size());
  for (auto& [id, json] : taken.put)
    change.put.push_back({std::move(id), std::move(json)});
  return change;
}

// Writes the pending events and expired ids that changed since the last
// write as rows. The JSON of a pending event is made when it is added, and
// the rows are moved into the message: the agent's pause here is a few
// microseconds per changed row, and rows are written often (event_rows_delay)
// so that each write is small.
void store_event_rows(self_pointer self, const supervisor_actor& supervisor) {
  auto& st = self->state;
  auto events = st.agent->take_event_changes();
  if (events.empty() && !st.rewrite_event_rows && st.unusable_event_rows.empty())
    return;
  auto rows = std::make_shared<std::vector<stored_items_change>>();
  rows->push_back(
      to_change(pending_collection(st.settings), std::move(events.pending), st.rewrite_event_rows));
  rows->push_back(
      to_change(expired_collection(st.settings), std::move(events.expired), st.rewrite_event_rows));
  for (auto& id : st.unusable_event_rows)
    rows->front().erase.push_back(std::move(id));
  st.unusable_event_rows.clear();
  st.rewrite_event_rows = false;
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::state_v, std::move(*rows))
        .then([=](uint64_t) { ++self->state.event_rows_saved; },
              [=](caf::error& e) {
                spdlog::error("[CAUSAL-RL] ❌ Pending events not saved: {}", describe(e));
                // The store may hold anything now: write them all again.
                self->state.agent->track_event_changes(false);
                self->state.rewrite_event_rows = true;
                changed(self);
              });
  });
}

// The snapshot without the pending events and expired ids; their rows are
// written first (the storage actor handles both in the order sent).
void save_snapshot(self_pointer self, const supervisor_actor& supervisor) {
  store_event_rows(self, supervisor);
  store_state(self, supervisor, self->state.settings.state_key,
              self->state.agent->policy_json().dump(), "[CAUSAL-RL] ❌ Policies not saved",
              [self] { ++self->state.snapshots_saved; });
}

std::vector<rl::agent::stored_outcome> to_outcomes(const std::vector<experience>& rows) {
  std::vector<rl::agent::stored_outcome> out;
  out.reserve(rows.size());
  for (const auto& r : rows)
    out.push_back({r.event_id, rl::context_key{r.service, r.diagnosis}, r.playbook, r.propensity,
                   r.reward, r.kpi_deltas, r.ts});
  return out;
}

// Learns again the stored outcomes the snapshot does not hold.
void recover_outcomes(self_pointer self, const storage_actor& storage) {
  const auto capacity = static_cast<uint64_t>(self->state.agent->config().replay_capacity);
  self->request(storage, std::chrono::seconds(30), atom::history_v, atom::reward_v, capacity)
      .then(
          [=](const std::vector<experience>& rows) {
            auto& st = self->state;
            size_t skipped = 0;
            const auto learned = st.agent->recover(to_outcomes(rows), &skipped);
            st.recovered += learned;
            if (learned > 0) {
              spdlog::info("[CAUSAL-RL] 🔁 Learned again {} stored outcome(s) the snapshot "
                           "missed",
                           learned);
              changed(self);
            }
            if (skipped > 0)
              spdlog::warn("[CAUSAL-RL] ⚠️ {} stored outcome(s) unusable (reward or "
                           "propensity out of range)",
                           skipped);
            spdlog::info("[ML-SYSTEMS] ✅ Causal RL Agent ready ({} policies learned)",
                         st.agent->statistics().contexts);
          },
          [=](caf::error& e) {
            spdlog::warn("[CAUSAL-RL] ⚠️ Cannot read stored experiences: {}", describe(e));
            spdlog::info("[ML-SYSTEMS] ✅ Causal RL Agent ready ({} policies learned)",
                         self->state.agent->statistics().contexts);
          });
}

// A new agent, or one restored from a snapshot, issues ids under a salt of
// its own start: ids never repeat after a restart (agent.hpp).
std::unique_ptr<rl::agent> started(rl::agent a) {
  a.set_event_id_salt(rl::fresh_event_id_salt());
  return std::make_unique<rl::agent>(std::move(a));
}

// From now on saves write the agent: it is the one restored (or a fresh one
// when nothing could be read), already tracking its event changes.
void start_saving(self_pointer self) {
  auto& st = self->state;
  st.saving = true;
  if (st.dirty) {
    st.dirty = false;
    changed(self);
  }
}

void restore(self_pointer self, const std::string& json, const std::vector<stored_item>& pending,
             const std::vector<stored_item>& expired) {
  auto& st = self->state;
  auto agent = std::make_unique<rl::agent>(st.settings.agent);
  if (!json.empty()) {
    try {
      agent = std::make_unique<rl::agent>(rl::agent::from_json(nlohmann::json::parse(json)));
      st.restored = true;
    } catch (const std::exception& e) {
      st.restore_problem = e.what();
      spdlog::error("[CAUSAL-RL] ❌ Stored policies unusable, re-learning from "
                    "the stored experiences: {}",
                    e.what());
    }
  }
  // A snapshot written before pending events were stored apart holds them.
  const bool snapshot_held_events = agent->statistics().pending > 0;
  std::vector<std::pair<std::string, std::string>> pending_rows;
  pending_rows.reserve(pending.size());
  for (const auto& row : pending)
    pending_rows.emplace_back(row.id, row.json);
  std::vector<std::string> expired_ids;
  expired_ids.reserve(expired.size());
  for (const auto& row : expired)
    expired_ids.push_back(row.id);
  st.unusable_event_rows = agent->restore_events(pending_rows, expired_ids);
  if (!st.unusable_event_rows.empty())
    spdlog::warn("[CAUSAL-RL] ⚠️ {} stored pending event(s) unusable, dropped",
                 st.unusable_event_rows.size());
  // The store holds the rows just read, unless the events came with the
  // snapshot: then all are written again. Expiries at a lower cap are changes.
  agent->track_event_changes(!snapshot_held_events);
  st.rewrite_event_rows = snapshot_held_events;
  const auto over_cap =
      agent->set_limits(st.settings.agent.max_pending, st.settings.agent.pending_ttl_ms);
  st.agent = started(std::move(*agent));
  start_saving(self);
  if (over_cap > 0) {
    spdlog::info("[CAUSAL-RL] ⌛ {} recommendation(s) expired: over rl.max_pending", over_cap);
    changed(self);
  }
  if (!pending.empty())
    spdlog::info("[CAUSAL-RL] 🔁 {} pending recommendation(s) restored",
                 st.agent->statistics().pending);
}

// Reads the pending events and expired ids stored apart from the snapshot,
// restores the agent, then learns again the outcomes the snapshot missed.
void read_event_rows(self_pointer self, const storage_actor& storage, const std::string& json) {
  const auto& settings = self->state.settings;
  self->request(storage, std::chrono::seconds(30), atom::state_v, atom::history_v,
                pending_collection(settings))
      .then(
          [=](const std::vector<stored_item>& pending) {
            self->request(storage, std::chrono::seconds(30), atom::state_v, atom::history_v,
                          expired_collection(self->state.settings))
                .then(
                    [=](const std::vector<stored_item>& expired) {
                      restore(self, json, pending, expired);
                      recover_outcomes(self, storage);
                    },
                    [=](caf::error& e) {
                      spdlog::warn("[CAUSAL-RL] ⚠️ Cannot read expired event ids: {}",
                                   describe(e));
                      restore(self, json, pending, {});
                      recover_outcomes(self, storage);
                    });
          },
          [=](caf::error& e) {
            spdlog::warn("[CAUSAL-RL] ⚠️ Cannot read stored pending events: {}", describe(e));
            restore(self, json, {}, {});
            recover_outcomes(self, storage);
          });
}

recommendation to_message(const rl::recommendation& r, const rl::checked_request& req) {
  recommendation out;
  out.event_id = r.event_id;
  out.service = req.context.service;
  out.diagnosis = req.context.diagnosis;
  out.chosen = r.chosen;
  out.propensity = r.propensity;
  for (const auto& x : r.ranked)
    out.ranked.push_back({x.playbook, x.score, x.probability});
  for (const auto& name : r.excluded)
    for (const auto& c : req.candidates)
      if (c.playbook == name)
        out.excluded.push_back({name, rl::above_cap_reason(c.risk_tier, *req.max_risk_tier)});
  for (const auto& [name, why] : req.unknown)
    out.excluded.push_back({name, why});
  return out;
}

int64_t wall_now(self_pointer self) {
  return self->state.settings.clock.actor_wall_ms(self);
}

constexpr const char* shard_snapshot_format = "grace.shard_snapshot/1";

bool in_shard(const rl::context_key& c, int shard) {
  return cluster::shard_of_context(c.service, c.diagnosis) == shard;
}

// The shard's contexts as export_context() gives them, typed.
shard_snapshot snapshot_of_shard(const rl::agent& a, int shard) {
  shard_snapshot out;
  out.shard = shard;
  for (const auto& c : a.contexts())
    if (in_shard(c, shard))
      out.contexts.push_back(a.export_context(c).get<context_snapshot>());
  return out;
}

// Replaces the shard's contexts with those of its snapshot in etcd, then
// learns the rewards committed since. What etcd holds is outside input: a
// part that does not parse is logged and skipped. Returns how many rewards
// were learned from the log.
uint64_t restore_shard(rl::agent& a, int shard, const std::string& snapshot,
                       const std::vector<std::string>& log) {
  for (const auto& c : a.contexts())
    if (in_shard(c, shard))
      a.erase_context(c);
  if (!snapshot.empty()) {
    try {
      const auto doc = nlohmann::json::parse(snapshot);
      if (!doc.is_object() || doc.value("format", "") != shard_snapshot_format
          || doc.value("shard", -1) != shard || !doc.contains("contexts")
          || !doc.at("contexts").is_array())
        throw std::runtime_error(std::string("not a ") + shard_snapshot_format + " of this shard");
      for (const auto& c : doc.at("contexts")) {
        try {
          a.import_context(c);
        } catch (const rl::rl_error& e) {
          spdlog::error("[CAUSAL-RL] ❌ shard {}: a context of its snapshot in etcd is unusable: "
                        "{}",
                        shard, e.what());
        }
      }
    } catch (const std::exception& e) {
      spdlog::error("[CAUSAL-RL] ❌ shard {}: its snapshot in etcd is unusable: {}", shard,
                    e.what());
    }
  }
  std::vector<experience> rows;
  for (const auto& entry : log) {
    try {
      auto e = nlohmann::json::parse(entry).get<experience>();
      if (!in_shard({e.service, e.diagnosis}, shard))
        throw std::runtime_error("the reward belongs to another shard");
      rows.push_back(std::move(e));
    } catch (const std::exception& e) {
      spdlog::error("[CAUSAL-RL] ❌ shard {}: a committed reward in etcd is unusable: {}", shard,
                    e.what());
    }
  }
  size_t skipped = 0;
  const auto learned = a.recover(to_outcomes(rows), &skipped);
  if (skipped > 0)
    spdlog::error("[CAUSAL-RL] ❌ shard {}: {} committed reward(s) out of range, skipped", shard,
                  skipped);
  return learned;
}

// Checks the request against the catalog and asks the agent.
caf::expected<recommendation> recommend_with(self_pointer self, const catalog::metrics_catalog& cat,
                                             const recommend_request& request) {
  const auto checked =
      rl::check_recommend_request(cat, request.service, request.diagnosis, request.candidates);
  if (!checked.problem.empty())
    return make_error(errc::invalid_input, checked.problem);
  try {
    const auto suffix =
        self->state.settings.shard_event_ids ? cluster::event_shard_suffix(
            cluster::shard_of_context(checked.context.service, checked.context.diagnosis))
                                             : std::string();
    auto r =
        self->state.agent->recommend(checked.context, checked.candidates, checked.max_risk_tier,
                                     virtual_now(self), wall_now(self), suffix);
    changed(self);
    return to_message(r, checked);
  } catch (const rl::rl_error& e) {
    return to_caf_error(e);
  }
}

} // namespace

rl_agent_actor::behavior_type
rl_agent_component(rl_agent_actor::stateful_pointer<rl_agent_state> self,
                   supervisor_actor supervisor, rl_agent_settings settings) {
  self->state.settings = std::move(settings);
  self->state.agent = started(rl::agent(self->state.settings.agent));
  const auto key = self->state.settings.state_key;
  with_component<storage_actor>(self, supervisor, "storage", [=](storage_actor storage) {
    self->request(storage, std::chrono::seconds(30), atom::state_v, key)
        .then([=](const std::string& json) { read_event_rows(self, storage, json); },
              [=](caf::error& e) {
                spdlog::warn("[CAUSAL-RL] ⚠️ Cannot read stored policies: {}", describe(e));
                // Rows it could not read stay; new events are added to them.
                self->state.agent->track_event_changes(true);
                start_saving(self);
              });
  });
  self->delayed_send(self, self->state.settings.clock.real_delay(expiry_check_ms), atom::tick_v);
  return {
      [=](atom::recommend, recommend_request request) -> caf::result<recommendation> {
        auto& st = self->state;
        if (st.catalog && std::chrono::steady_clock::now() - st.catalog_read_at < catalog_max_age) {
          auto r = recommend_with(self, *st.catalog, request);
          if (!r)
            return std::move(r.error());
          return std::move(*r);
        }
        auto rp = std::make_shared<caf::typed_response_promise<recommendation>>(
            self->make_response_promise<recommendation>());
        with_component<catalog_actor>(self, supervisor, "catalog", [=](catalog_actor catalog) {
          self->request(catalog, std::chrono::seconds(5), atom::get_v)
              .then(
                  [=](catalog_ref cat) {
                    self->state.catalog = cat;
                    self->state.catalog_read_at = std::chrono::steady_clock::now();
                    auto r = recommend_with(self, *cat, request);
                    if (r)
                      rp->deliver(std::move(*r));
                    else
                      rp->deliver(std::move(r.error()));
                  },
                  [=](caf::error& e) {
                    rp->deliver(make_error(errc::unavailable, "no catalog: " + describe(e)));
                  });
        });
        return *rp;
      },
      [=](atom::reward, const reward_report& report) -> caf::result<experience> {
        auto& st = self->state;
        const int64_t now = virtual_now(self);
        rl::learn_result learned;
        try {
          learned = st.agent->reward(report.event_id, report.reward, report.kpi_deltas, now,
                                     wall_now(self), report.incident_seen);
        } catch (const rl::rl_error& e) {
          if (e.code() == rl::error_code::expired_event)
            changed(self); // the event moved to the expired ones
          return to_caf_error(e);
        }
        experience e;
        e.event_id = report.event_id;
        e.service = learned.context.service;
        e.diagnosis = learned.context.diagnosis;
        e.playbook = learned.playbook;
        e.reward = learned.reward;
        e.kpi_deltas = report.kpi_deltas;
        e.trust_delta = learned.trust_delta;
        e.ts = now;
        const auto& items = st.agent->experiences().items();
        if (!items.empty() && items.back().event_id == report.event_id)
          e.propensity = items.back().propensity;
        spdlog::info(rl::learned_log_line(learned));
        if (learned.change_detected)
          spdlog::info("[CAUSAL-RL] 🔄 {} in {} stopped behaving as before: learning it afresh",
                       e.playbook, learned.context.to_string());
        changed(self);
        nlohmann::json entry = e;
        entry["value"] = learned.value;
        const auto ledger_payload = entry.dump();
        // The reward is acknowledged once its experience is on disk: a restart
        // before the next snapshot learns it again from there.
        auto rp = std::make_shared<caf::typed_response_promise<experience>>(
            self->make_response_promise<experience>());
        with_component_or<storage_actor>(
            self, supervisor, "storage",
            [=](storage_actor storage) {
              self->request(storage, std::chrono::seconds(30), atom::store_v, e)
                  .then([=](uint64_t) { rp->deliver(e); },
                        [=](caf::error& err) {
                          spdlog::error("[CAUSAL-RL] ❌ Experience not stored: {}", describe(err));
                          rp->deliver(make_error(errc::unavailable,
                                                 "learned, but the experience was not stored: "
                                                     + describe(err)));
                        });
              self->request(storage, std::chrono::seconds(30), atom::append_v,
                            std::string("rl_learning"), ledger_payload)
                  .then([](uint64_t) {},
                        [](caf::error& err) {
                          spdlog::error("[CAUSAL-RL] ❌ Learning step not in the ledger: {}",
                                        describe(err));
                        });
            },
            [=](const caf::error& err) {
              rp->deliver(make_error(errc::unavailable,
                                     "learned, but storage is not reachable: " + describe(err)));
            });
        with_component<mesh_actor>(self, supervisor, "mesh", [=](mesh_actor mesh) {
          self->send(mesh, atom::publish_v, std::string("learning"), ledger_payload);
        });
        return *rp;
      },
      [=](atom::reward, const reward_report& report, atom::check) -> caf::result<experience> {
        try {
          const auto o = self->state.agent->preview_reward(
              report.event_id, report.reward, report.kpi_deltas, virtual_now(self), wall_now(self));
          experience e;
          e.event_id = o.event_id;
          e.service = o.context.service;
          e.diagnosis = o.context.diagnosis;
          e.playbook = o.chosen;
          e.propensity = o.propensity;
          e.reward = o.reward;
          e.kpi_deltas = o.kpi_deltas;
          e.ts = o.rewarded_at_ms;
          return e;
        } catch (const rl::rl_error& e) {
          return to_caf_error(e);
        }
      },
      [=](atom::restore, int32_t shard, const std::string& snapshot,
          const std::vector<std::string>& log) -> caf::result<uint64_t> {
        auto& st = self->state;
        // The agent read from local storage replaces the whole agent: a
        // shard restored before that would be lost.
        if (!st.saving)
          return make_error(errc::unavailable, "the agent has not read its stored state yet");
        const auto learned = restore_shard(*st.agent, shard, snapshot, log);
        changed(self);
        return static_cast<uint64_t>(learned);
      },
      [=](atom::fold, int32_t shard) -> shard_snapshot {
        return snapshot_of_shard(*self->state.agent, shard);
      },
      [=](atom::withdraw, const std::string& event_id) -> bool {
        const bool withdrawn = self->state.agent->withdraw(event_id);
        if (withdrawn)
          changed(self);
        return withdrawn;
      },
      [=](atom::statistics) { return rl::statistics_view(*self->state.agent); },
      [=](atom::statistics, const std::vector<int32_t>& shards) {
        const std::set<int32_t> wanted(shards.begin(), shards.end());
        return rl::statistics_view(*self->state.agent, [&](const rl::context_key& c) {
          return wanted.count(cluster::shard_of_context(c.service, c.diagnosis)) > 0;
        });
      },
      [=](atom::get) { return rl::policies_view(*self->state.agent); },
      [=](atom::get, const std::vector<int32_t>& shards) {
        const std::set<int32_t> wanted(shards.begin(), shards.end());
        return rl::policies_view(*self->state.agent, [&](const rl::context_key& c) {
          return wanted.count(cluster::shard_of_context(c.service, c.diagnosis)) > 0;
        });
      },
      [=](atom::evaluate) { return rl::evaluation_view(*self->state.agent); },
      [=](atom::save) {
        auto& st = self->state;
        st.save_scheduled = false;
        if (!st.dirty || !st.saving) // start_saving() schedules it again
          return;
        st.dirty = false;
        save_snapshot(self, supervisor);
      },
      [=](atom::flush) {
        auto& st = self->state;
        st.rows_scheduled = false;
        if (st.saving)
          store_event_rows(self, supervisor);
      },
      [=](atom::tick) {
        const auto expired = self->state.agent->expire_pending(virtual_now(self), wall_now(self));
        if (expired > 0) {
          spdlog::info("[CAUSAL-RL] ⌛ {} recommendation(s) expired unrewarded", expired);
          changed(self);
        }
        self->delayed_send(self, self->state.settings.clock.real_delay(expiry_check_ms),
                           atom::tick_v);
      },
      [=](atom::status) -> rl_agent_status {
        const auto& st = self->state;
        const auto stats = st.agent->statistics();
        rl_agent_status out;
        out.policy = rl::to_string(stats.policy);
        out.contexts = stats.contexts;
        out.experiences = stats.experiences;
        out.pending = stats.pending;
        out.restored = st.restored;
        out.restore_problem = st.restore_problem;
        out.snapshots_saved = st.snapshots_saved;
        out.event_rows_saved = st.event_rows_saved;
        out.snapshot_pending = st.dirty;
        out.recovered = st.recovered;
        return out;
      },
  };
}

} // namespace grace
