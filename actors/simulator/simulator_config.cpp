#include "actors/simulator/simulator_config.hpp"

#include "actors/catalog/yaml_reader.hpp"
#include "actors/simulator/yaml_field_reader.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace grace::simulator {

namespace {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += (out.empty() ? "" : "\n") + l;
  return out;
}

using reader = yaml_field_reader;

// A key naming something (a playbook): a non-empty UTF-8 string.
bool plain_key(reader& r, const YAML::Node& key, const std::string& path) {
  if (key.IsScalar() && !key.Scalar().empty() && config::is_valid_utf8(key.Scalar()))
    return true;
  r.error(key, path, "expected a playbook id as the key");
  return false;
}

void read_schedule(reader& r, const YAML::Node& node, incident_schedule& out) {
  const std::string path = "schedule";
  if (!r.expect_map(node, path))
    return;
  r.check_keys(node, path, {"enabled", "first_incident", "gap", "retry_after"});
  if (auto v = r.boolean(reader::child(node, "enabled"), reader::join(path, "enabled")))
    out.enabled = *v;
  if (auto v =
          r.range(r.required(node, path, "first_incident"), reader::join(path, "first_incident")))
    out.first_incident = *v;
  if (auto v = r.range(r.required(node, path, "gap"), reader::join(path, "gap"))) {
    if (v->min_ms <= 0)
      r.error(reader::child(node, "gap"), reader::join(path, "gap"), "must be longer than 0s");
    else
      out.gap = *v;
  }
  if (auto v = r.duration(reader::child(node, "retry_after"), reader::join(path, "retry_after"))) {
    if (*v <= 0)
      r.error(reader::child(node, "retry_after"), reader::join(path, "retry_after"),
              "must be longer than 0s");
    else
      out.retry_after_ms = *v;
  }
}

void read_metric(reader& r, const YAML::Node& node, const std::string& path,
                 int64_t collection_interval_ms, metric_baseline& m) {
  m.where = r.location(node);
  r.check_keys(node, path,
               {"id", "level", "daily_amplitude", "daily_peak_hour", "noise",
                "noise_autocorrelation", "trend_per_day", "trend_period", "spike_probability",
                "spike_size", "min", "max", "interval"});
  if (auto v = r.text(r.required(node, path, "id"), reader::join(path, "id")))
    m.id = *v;
  if (auto v = r.number(r.required(node, path, "level"), reader::join(path, "level")))
    m.level = *v;
  if (auto v = r.number_at_least(r.required(node, path, "daily_amplitude"),
                                 reader::join(path, "daily_amplitude"), 0.0))
    m.daily_amplitude = *v;
  if (auto v =
          r.number(reader::child(node, "daily_peak_hour"), reader::join(path, "daily_peak_hour"))) {
    if (*v < 0.0 || *v >= 24.0)
      r.error(reader::child(node, "daily_peak_hour"), reader::join(path, "daily_peak_hour"),
              "must be an hour in [0, 24)");
    else
      m.daily_peak_hour = *v;
  }
  if (auto v = r.number_at_least(r.required(node, path, "noise"), reader::join(path, "noise"), 0.0))
    m.noise = *v;
  if (auto v = r.number(reader::child(node, "noise_autocorrelation"),
                        reader::join(path, "noise_autocorrelation"))) {
    if (*v < 0.0 || *v >= 1.0)
      r.error(reader::child(node, "noise_autocorrelation"),
              reader::join(path, "noise_autocorrelation"), "must be in [0, 1)");
    else
      m.noise_autocorrelation = *v;
  }
  if (auto v = r.number(reader::child(node, "trend_per_day"), reader::join(path, "trend_per_day")))
    m.trend_per_day = *v;
  if (auto v = r.duration(reader::child(node, "trend_period"), reader::join(path, "trend_period")))
    m.trend_period_ms = *v;
  if (auto v = r.probability(reader::child(node, "spike_probability"),
                             reader::join(path, "spike_probability")))
    m.spike_probability = *v;
  if (auto v = r.number(reader::child(node, "spike_size"), reader::join(path, "spike_size")))
    m.spike_size = *v;
  auto lo = r.number(r.required(node, path, "min"), reader::join(path, "min"));
  auto hi = r.number(r.required(node, path, "max"), reader::join(path, "max"));
  if (lo && hi) {
    if (*lo > *hi)
      r.error(node, path, "min is greater than max");
    m.min = *lo;
    m.max = *hi;
  }
  m.interval_ms = collection_interval_ms;
  if (auto v = r.duration(reader::child(node, "interval"), reader::join(path, "interval"))) {
    if (*v <= 0 || collection_interval_ms <= 0 || *v % collection_interval_ms != 0)
      r.error(reader::child(node, "interval"), reader::join(path, "interval"),
              "must be a positive multiple of collection_interval");
    else
      m.interval_ms = *v;
  }
}

void read_coupling(reader& r, const YAML::Node& node, const std::string& path, coupling& c) {
  c.where = r.location(node);
  r.check_keys(node, path, {"from", "to", "gain", "above"});
  if (auto v = r.text(r.required(node, path, "from"), reader::join(path, "from")))
    c.from = *v;
  if (auto v = r.text(r.required(node, path, "to"), reader::join(path, "to")))
    c.to = *v;
  if (auto v = r.number(r.required(node, path, "gain"), reader::join(path, "gain")))
    c.gain = *v;
  if (auto v = r.number_at_least(reader::child(node, "above"), reader::join(path, "above"), 0.0))
    c.above = *v;
}

effect_kind read_effect_kind(reader& r, const YAML::Node& node, const std::string& path, bool& ok) {
  ok = false;
  auto v = r.text(node, path);
  if (!v)
    return effect_kind::none;
  if (*v == "fix" || *v == "partial" || *v == "none") {
    ok = true;
    return *v == "fix" ? effect_kind::fix
                       : (*v == "partial" ? effect_kind::partial : effect_kind::none);
  }
  r.error(node, path, "expected fix, partial or none, got '" + *v + "'");
  return effect_kind::none;
}

void read_playbook_effect(reader& r, const YAML::Node& key, const YAML::Node& node,
                          const std::string& path, playbook_effect& p) {
  p.playbook = key.Scalar();
  p.where = r.location(key);
  if (!r.expect_map(node, path))
    return;
  r.check_keys(node, path, {"effect", "success_probability", "strength"});
  bool ok = false;
  p.effect =
      read_effect_kind(r, r.required(node, path, "effect"), reader::join(path, "effect"), ok);
  if (p.effect == effect_kind::none) {
    if (auto v = r.probability(reader::child(node, "success_probability"),
                               reader::join(path, "success_probability")))
      p.success_probability = *v;
  } else if (auto v = r.probability(r.required(node, path, "success_probability"),
                                    reader::join(path, "success_probability"))) {
    p.success_probability = *v;
  }
  if (p.effect == effect_kind::partial) {
    if (auto v = r.probability(r.required(node, path, "strength"), reader::join(path, "strength")))
      p.strength = *v;
  } else if (ok && reader::child(node, "strength").IsDefined()) {
    r.error(reader::child(node, "strength"), reader::join(path, "strength"),
            "strength only applies to effect partial");
  }
}

void read_incident_type(reader& r, const YAML::Node& node, const std::string& path,
                        incident_type& t) {
  t.where = r.location(node);
  r.check_keys(node, path,
               {"name", "description", "sudden", "weight", "ramp", "duration", "recovery", "curve",
                "fizzle_probability", "effects", "playbooks"});
  if (auto v = r.text(r.required(node, path, "name"), reader::join(path, "name")))
    t.name = *v;
  if (auto v = r.text(reader::child(node, "description"), reader::join(path, "description")))
    t.description = *v;
  if (auto v = r.boolean(reader::child(node, "sudden"), reader::join(path, "sudden")))
    t.sudden = *v;
  if (auto v = r.number_at_least(reader::child(node, "weight"), reader::join(path, "weight"), 0.0))
    t.weight = *v;
  if (auto v = r.range(r.required(node, path, "ramp"), reader::join(path, "ramp"))) {
    if (v->min_ms <= 0)
      r.error(reader::child(node, "ramp"), reader::join(path, "ramp"), "must be longer than 0s");
    t.ramp = *v;
  }
  if (auto v = r.range(r.required(node, path, "duration"), reader::join(path, "duration")))
    t.duration = *v;
  if (auto v = r.range(r.required(node, path, "recovery"), reader::join(path, "recovery"))) {
    if (v->min_ms <= 0)
      r.error(reader::child(node, "recovery"), reader::join(path, "recovery"),
              "must be longer than 0s");
    t.recovery = *v;
  }
  if (auto v = r.number(reader::child(node, "curve"), reader::join(path, "curve"))) {
    if (*v <= 0.0)
      r.error(reader::child(node, "curve"), reader::join(path, "curve"), "must be greater than 0");
    else
      t.curve = *v;
  }
  if (auto v = r.probability(reader::child(node, "fizzle_probability"),
                             reader::join(path, "fizzle_probability")))
    t.fizzle_probability = *v;

  const std::string epath = reader::join(path, "effects");
  YAML::Node effects = r.required(node, path, "effects");
  if (effects.IsDefined() && r.expect_sequence(effects, epath)) {
    if (effects.size() == 0)
      r.error(effects, epath, "needs at least one effect");
    for (std::size_t i = 0; i < effects.size(); ++i) {
      const std::string p = reader::index(epath, i);
      if (!r.expect_map(reader::element(effects, i), p))
        continue;
      r.check_keys(reader::element(effects, i), p, {"metric", "peak"});
      incident_effect e;
      e.where = r.location(reader::element(effects, i));
      if (auto v = r.text(r.required(reader::element(effects, i), p, "metric"),
                          reader::join(p, "metric")))
        e.metric = *v;
      if (auto v =
              r.number(r.required(reader::element(effects, i), p, "peak"), reader::join(p, "peak")))
        e.peak = *v;
      t.effects.push_back(e);
    }
  }

  const std::string ppath = reader::join(path, "playbooks");
  YAML::Node playbooks = r.required(node, path, "playbooks");
  if (playbooks.IsDefined() && r.expect_map(playbooks, ppath)) {
    std::set<std::string> seen;
    for (auto it = playbooks.begin(); it != playbooks.end(); ++it) {
      if (!plain_key(r, it->first, ppath))
        continue;
      const std::string id = it->first.Scalar();
      if (!seen.insert(id).second) {
        r.error(it->first, ppath, "duplicate key '" + id + "'");
        continue;
      }
      playbook_effect p;
      read_playbook_effect(r, it->first, it->second, reader::join(ppath, id), p);
      t.playbooks.push_back(p);
    }
  }
}

// Cross-references inside the file: ids used in couplings and effects must be
// simulated metrics, names must be unique.
void check_references(reader& r, const YAML::Node& root, simulator_config& c) {
  std::set<std::string> metric_ids;
  for (std::size_t i = 0; i < c.metrics.size(); ++i)
    if (!c.metrics[i].id.empty() && !metric_ids.insert(c.metrics[i].id).second)
      r.error(reader::child(reader::element(reader::child(root, "metrics"), i), "id"),
              reader::index("metrics", i) + ".id", "duplicate metric id '" + c.metrics[i].id + "'");
  auto known = [&](const std::string& id) { return id.empty() || metric_ids.count(id) > 0; };
  for (std::size_t i = 0; i < c.couplings.size(); ++i) {
    const auto& cp = c.couplings[i];
    const std::string p = reader::index("couplings", i);
    if (!known(cp.from))
      r.error(reader::child(reader::element(reader::child(root, "couplings"), i), "from"),
              p + ".from", "metric '" + cp.from + "' is not in metrics");
    if (!known(cp.to))
      r.error(reader::child(reader::element(reader::child(root, "couplings"), i), "to"), p + ".to",
              "metric '" + cp.to + "' is not in metrics");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < c.incident_types.size(); ++i) {
    const auto& t = c.incident_types[i];
    const std::string p = reader::index("incident_types", i);
    const YAML::Node tn = reader::element(reader::child(root, "incident_types"), i);
    if (!t.name.empty() && !names.insert(t.name).second)
      r.error(reader::child(tn, "name"), p + ".name", "duplicate incident type '" + t.name + "'");
    for (std::size_t k = 0; k < t.effects.size(); ++k)
      if (!known(t.effects[k].metric))
        r.error(reader::child(reader::element(reader::child(tn, "effects"), k), "metric"),
                reader::index(p + ".effects", k) + ".metric",
                "metric '" + t.effects[k].metric + "' is not in metrics");
  }
}

} // namespace

std::string to_string(const source_location& loc) {
  return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

std::string to_string(effect_kind k) {
  switch (k) {
  case effect_kind::none:
    return "none";
  case effect_kind::partial:
    return "partial";
  case effect_kind::fix:
    return "fix";
  }
  return "unknown";
}

config_error::config_error(std::vector<std::string> errors)
    : std::runtime_error(join_lines(errors)), errors_(std::move(errors)) {}

const metric_baseline* simulator_config::find_metric(const std::string& id) const {
  for (const auto& m : metrics)
    if (m.id == id)
      return &m;
  return nullptr;
}

const incident_type* simulator_config::find_incident_type(const std::string& name) const {
  for (const auto& t : incident_types)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::string simulator_config::message_for(const std::string& playbook) const {
  for (const auto& m : playbook_messages)
    if (m.playbook == playbook)
      return m.message;
  return "playbook '" + playbook + "' executed";
}

std::vector<std::string>
simulator_config::validate_against(const std::vector<std::string>& catalog_metric_ids,
                                   const std::vector<std::string>& catalog_playbook_ids) const {
  std::vector<std::string> errors;
  auto in = [](const std::vector<std::string>& v, const std::string& id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  auto metric_error = [&](const source_location& where, const std::string& what,
                          const std::string& id) {
    if (!in(catalog_metric_ids, id))
      errors.push_back(to_string(where) + ": " + what + ": metric '" + id
                       + "' is not in the metrics catalog");
  };
  auto playbook_error = [&](const source_location& where, const std::string& what,
                            const std::string& id) {
    if (!in(catalog_playbook_ids, id))
      errors.push_back(to_string(where) + ": " + what + ": playbook '" + id
                       + "' is not in the metrics catalog");
  };
  for (std::size_t i = 0; i < metrics.size(); ++i)
    metric_error(metrics[i].where, "metrics[" + std::to_string(i) + "]", metrics[i].id);
  for (std::size_t i = 0; i < couplings.size(); ++i) {
    const std::string p = "couplings[" + std::to_string(i) + "]";
    metric_error(couplings[i].where, p + ".from", couplings[i].from);
    metric_error(couplings[i].where, p + ".to", couplings[i].to);
  }
  for (const auto& m : playbook_messages)
    playbook_error(m.where, "playbook_messages", m.playbook);
  for (std::size_t i = 0; i < incident_types.size(); ++i) {
    const auto& t = incident_types[i];
    const std::string p = "incident_types[" + std::to_string(i) + "]";
    for (std::size_t k = 0; k < t.effects.size(); ++k)
      metric_error(t.effects[k].where, p + ".effects[" + std::to_string(k) + "].metric",
                   t.effects[k].metric);
    for (const auto& pb : t.playbooks)
      playbook_error(pb.where, p + ".playbooks", pb.playbook);
  }
  for (const auto& id : catalog_metric_ids)
    if (find_metric(id) == nullptr)
      errors.push_back(source + ": metrics: catalog metric '" + id
                       + "' has no baseline in the simulator config");
  return errors;
}

simulator_config parse_simulator_config(const std::string& yaml_text,
                                        const std::string& source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw config_error({source_name + ":" + std::to_string(e.mark.line + 1) + ":"
                        + std::to_string(e.mark.column + 1) + ": " + config::printable(e.msg)});
  }
  reader r(source_name);
  simulator_config c;
  c.source = source_name;
  if (!root.IsMap()) {
    throw config_error({source_name + ":1:1: expected a map at the top level"});
  }
  r.check_keys(root, "",
               {"version", "seed", "collection_interval", "schedule", "metrics", "couplings",
                "playbook_messages", "incident_types"});
  if (auto v = r.unsigned_integer(r.required(root, "", "version"), "version"); v && *v != 1)
    r.error(reader::child(root, "version"), "version",
            "unsupported version " + std::to_string(*v) + " (this node reads version 1)");
  if (auto v = r.unsigned_integer(r.required(root, "", "seed"), "seed"))
    c.seed = *v;
  if (auto v = r.duration(reader::child(root, "collection_interval"), "collection_interval")) {
    if (*v <= 0)
      r.error(reader::child(root, "collection_interval"), "collection_interval",
              "must be longer than 0s");
    else
      c.collection_interval_ms = *v;
  }
  read_schedule(r, r.required(root, "", "schedule"), c.schedule);

  YAML::Node metrics = r.required(root, "", "metrics");
  if (metrics.IsDefined() && r.expect_sequence(metrics, "metrics")) {
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      const std::string p = reader::index("metrics", i);
      if (!r.expect_map(reader::element(metrics, i), p))
        continue;
      metric_baseline m;
      read_metric(r, reader::element(metrics, i), p, c.collection_interval_ms, m);
      c.metrics.push_back(m);
    }
  }
  YAML::Node couplings = reader::child(root, "couplings");
  if (couplings.IsDefined() && !couplings.IsNull() && r.expect_sequence(couplings, "couplings")) {
    for (std::size_t i = 0; i < couplings.size(); ++i) {
      const std::string p = reader::index("couplings", i);
      if (!r.expect_map(reader::element(couplings, i), p))
        continue;
      coupling cp;
      read_coupling(r, reader::element(couplings, i), p, cp);
      c.couplings.push_back(cp);
    }
  }
  YAML::Node messages = reader::child(root, "playbook_messages");
  if (messages.IsDefined() && !messages.IsNull() && r.expect_map(messages, "playbook_messages")) {
    for (auto it = messages.begin(); it != messages.end(); ++it) {
      if (!plain_key(r, it->first, "playbook_messages"))
        continue;
      playbook_message m;
      m.playbook = it->first.Scalar();
      m.where = r.location(it->first);
      if (auto v = r.text(it->second, reader::join("playbook_messages", m.playbook)))
        m.message = *v;
      c.playbook_messages.push_back(m);
    }
  }
  YAML::Node types = r.required(root, "", "incident_types");
  if (types.IsDefined() && r.expect_sequence(types, "incident_types")) {
    for (std::size_t i = 0; i < types.size(); ++i) {
      const std::string p = reader::index("incident_types", i);
      if (!r.expect_map(reader::element(types, i), p))
        continue;
      incident_type t;
      read_incident_type(r, reader::element(types, i), p, t);
      c.incident_types.push_back(t);
    }
  }
  if (r.errors().empty())
    check_references(r, root, c);
  if (!r.errors().empty())
    throw config_error(r.errors());
  return c;
}

simulator_config load_simulator_config(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw config_error({path + ": cannot open the simulator config"});
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_simulator_config(buffer.str(), path);
}

} // namespace grace::simulator
