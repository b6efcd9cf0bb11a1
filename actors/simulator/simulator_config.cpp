#include "actors/simulator/simulator_config.hpp"

#include "common/yaml_reader.hpp"

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

using reader = config::yaml_reader;
using config::child;
using config::element;
using config::index_path;
using config::join_path;

source_location location(const reader& r, const YAML::Node& node) {
  const auto [line, column] = reader::position(node);
  return {r.file(), line, column};
}

std::string format_number(double v) {
  std::string s = std::to_string(v);
  // Trim trailing zeros of the fixed notation: 1.500000 -> 1.5, 2.000000 -> 2.
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0')
      s.pop_back();
    if (!s.empty() && s.back() == '.')
      s.pop_back();
  }
  return s;
}

// The simulator's own range checks on the shared readers.
std::optional<double> number_at_least(reader& r, const YAML::Node& n, const std::string& path,
                                      double lowest) {
  auto v = r.number_at(n, path);
  if (v && *v < lowest) {
    r.error(n, path, "must be at least " + format_number(lowest) + ", got " + format_number(*v));
    return std::nullopt;
  }
  return v;
}

std::optional<double> probability(reader& r, const YAML::Node& n, const std::string& path) {
  auto v = r.number_at(n, path);
  if (v && (*v < 0.0 || *v > 1.0)) {
    r.error(n, path, "probability " + format_number(*v) + " is outside [0, 1]");
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> text(reader& r, const YAML::Node& n, const std::string& path) {
  auto v = r.string_at(n, path);
  if (v && v->empty()) {
    r.error(n, path, "expected a non-empty string");
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> unsigned_integer(reader& r, const YAML::Node& n, const std::string& path) {
  auto v = r.integer_at(n, path);
  if (v && *v < 0) {
    r.error(n, path, "expected a non-negative whole number, found " + std::to_string(*v));
    return std::nullopt;
  }
  if (!v)
    return std::nullopt;
  return static_cast<uint64_t>(*v);
}

// Either one duration or {min: D, max: D}.
std::optional<duration_range> range(reader& r, const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined())
    return std::nullopt;
  if (n.IsScalar()) {
    auto d = r.duration_ms_at(n, path);
    if (!d)
      return std::nullopt;
    return duration_range{*d, *d};
  }
  if (!n.IsMap()) {
    r.error(n, path, "expected a duration or {min: D, max: D}");
    return std::nullopt;
  }
  r.expect_map(n, path, {"min", "max"}, {"min", "max"});
  auto lo = r.duration_ms(n, "min", path);
  auto hi = r.duration_ms(n, "max", path);
  if (!lo || !hi)
    return std::nullopt;
  if (*lo > *hi) {
    r.error(n, path, "min is greater than max");
    return std::nullopt;
  }
  return duration_range{*lo, *hi};
}

// A key naming something (a playbook): a non-empty UTF-8 string.
bool plain_key(reader& r, const YAML::Node& key, const std::string& path) {
  if (key.IsScalar() && !key.Scalar().empty() && config::is_valid_utf8(key.Scalar()))
    return true;
  r.error(key, path, "expected a playbook id as the key");
  return false;
}

void read_schedule(reader& r, const YAML::Node& node, incident_schedule& out) {
  const std::string path = "schedule";
  if (!r.expect_map(node, path, {"enabled", "first_incident", "gap", "retry_after"}, {}))
    return;
  if (auto v = r.boolean_at(child(node, "enabled"), join_path(path, "enabled")))
    out.enabled = *v;
  if (auto v =
          range(r, r.required(node, "first_incident", path), join_path(path, "first_incident")))
    out.first_incident = *v;
  if (auto v = range(r, r.required(node, "gap", path), join_path(path, "gap"))) {
    if (v->min_ms <= 0)
      r.error(child(node, "gap"), join_path(path, "gap"), "must be longer than 0s");
    else
      out.gap = *v;
  }
  if (auto v = r.duration_ms_at(child(node, "retry_after"), join_path(path, "retry_after"))) {
    if (*v <= 0)
      r.error(child(node, "retry_after"), join_path(path, "retry_after"), "must be longer than 0s");
    else
      out.retry_after_ms = *v;
  }
}

void read_metric(reader& r, const YAML::Node& node, const std::string& path,
                 int64_t collection_interval_ms, metric_baseline& m) {
  m.where = location(r, node);
  r.expect_map(node, path,
               {"id", "level", "daily_amplitude", "daily_peak_hour", "noise",
                "noise_autocorrelation", "trend_per_day", "trend_period", "spike_probability",
                "spike_size", "min", "max", "interval"},
               {});
  if (auto v = text(r, r.required(node, "id", path), join_path(path, "id")))
    m.id = *v;
  if (auto v = r.number_at(r.required(node, "level", path), join_path(path, "level")))
    m.level = *v;
  if (auto v = number_at_least(r, r.required(node, "daily_amplitude", path),
                               join_path(path, "daily_amplitude"), 0.0))
    m.daily_amplitude = *v;
  if (auto v = r.number_at(child(node, "daily_peak_hour"), join_path(path, "daily_peak_hour"))) {
    if (*v < 0.0 || *v >= 24.0)
      r.error(child(node, "daily_peak_hour"), join_path(path, "daily_peak_hour"),
              "must be an hour in [0, 24)");
    else
      m.daily_peak_hour = *v;
  }
  if (auto v = number_at_least(r, r.required(node, "noise", path), join_path(path, "noise"), 0.0))
    m.noise = *v;
  if (auto v = r.number_at(child(node, "noise_autocorrelation"),
                           join_path(path, "noise_autocorrelation"))) {
    if (*v < 0.0 || *v >= 1.0)
      r.error(child(node, "noise_autocorrelation"), join_path(path, "noise_autocorrelation"),
              "must be in [0, 1)");
    else
      m.noise_autocorrelation = *v;
  }
  if (auto v = r.number_at(child(node, "trend_per_day"), join_path(path, "trend_per_day")))
    m.trend_per_day = *v;
  if (auto v = r.duration_ms_at(child(node, "trend_period"), join_path(path, "trend_period")))
    m.trend_period_ms = *v;
  if (auto v =
          probability(r, child(node, "spike_probability"), join_path(path, "spike_probability")))
    m.spike_probability = *v;
  if (auto v = r.number_at(child(node, "spike_size"), join_path(path, "spike_size")))
    m.spike_size = *v;
  auto lo = r.number_at(r.required(node, "min", path), join_path(path, "min"));
  auto hi = r.number_at(r.required(node, "max", path), join_path(path, "max"));
  if (lo && hi) {
    if (*lo > *hi)
      r.error(node, path, "min is greater than max");
    m.min = *lo;
    m.max = *hi;
  }
  m.interval_ms = collection_interval_ms;
  if (auto v = r.duration_ms_at(child(node, "interval"), join_path(path, "interval"))) {
    if (*v <= 0 || collection_interval_ms <= 0 || *v % collection_interval_ms != 0)
      r.error(child(node, "interval"), join_path(path, "interval"),
              "must be a positive multiple of collection_interval");
    else
      m.interval_ms = *v;
  }
}

void read_coupling(reader& r, const YAML::Node& node, const std::string& path, coupling& c) {
  c.where = location(r, node);
  r.expect_map(node, path, {"from", "to", "gain", "above"}, {});
  if (auto v = text(r, r.required(node, "from", path), join_path(path, "from")))
    c.from = *v;
  if (auto v = text(r, r.required(node, "to", path), join_path(path, "to")))
    c.to = *v;
  if (auto v = r.number_at(r.required(node, "gain", path), join_path(path, "gain")))
    c.gain = *v;
  if (auto v = number_at_least(r, child(node, "above"), join_path(path, "above"), 0.0))
    c.above = *v;
}

effect_kind read_effect_kind(reader& r, const YAML::Node& node, const std::string& path, bool& ok) {
  ok = false;
  auto v = text(r, node, path);
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
  p.where = location(r, key);
  if (!r.expect_map(node, path, {"effect", "success_probability", "strength"}, {}))
    return;
  bool ok = false;
  p.effect = read_effect_kind(r, r.required(node, "effect", path), join_path(path, "effect"), ok);
  if (p.effect == effect_kind::none) {
    if (auto v = probability(r, child(node, "success_probability"),
                             join_path(path, "success_probability")))
      p.success_probability = *v;
  } else if (auto v = probability(r, r.required(node, "success_probability", path),
                                  join_path(path, "success_probability"))) {
    p.success_probability = *v;
  }
  if (p.effect == effect_kind::partial) {
    if (auto v = probability(r, r.required(node, "strength", path), join_path(path, "strength")))
      p.strength = *v;
  } else if (ok && child(node, "strength").IsDefined()) {
    r.error(child(node, "strength"), join_path(path, "strength"),
            "strength only applies to effect partial");
  }
}

void read_incident_type(reader& r, const YAML::Node& node, const std::string& path,
                        incident_type& t) {
  t.where = location(r, node);
  r.expect_map(node, path,
               {"name", "description", "sudden", "weight", "ramp", "duration", "recovery", "curve",
                "fizzle_probability", "effects", "playbooks"},
               {});
  if (auto v = text(r, r.required(node, "name", path), join_path(path, "name")))
    t.name = *v;
  if (auto v = text(r, child(node, "description"), join_path(path, "description")))
    t.description = *v;
  if (auto v = r.boolean_at(child(node, "sudden"), join_path(path, "sudden")))
    t.sudden = *v;
  if (auto v = number_at_least(r, child(node, "weight"), join_path(path, "weight"), 0.0))
    t.weight = *v;
  if (auto v = range(r, r.required(node, "ramp", path), join_path(path, "ramp"))) {
    if (v->min_ms <= 0)
      r.error(child(node, "ramp"), join_path(path, "ramp"), "must be longer than 0s");
    t.ramp = *v;
  }
  if (auto v = range(r, r.required(node, "duration", path), join_path(path, "duration")))
    t.duration = *v;
  if (auto v = range(r, r.required(node, "recovery", path), join_path(path, "recovery"))) {
    if (v->min_ms <= 0)
      r.error(child(node, "recovery"), join_path(path, "recovery"), "must be longer than 0s");
    t.recovery = *v;
  }
  if (auto v = r.number_at(child(node, "curve"), join_path(path, "curve"))) {
    if (*v <= 0.0)
      r.error(child(node, "curve"), join_path(path, "curve"), "must be greater than 0");
    else
      t.curve = *v;
  }
  if (auto v =
          probability(r, child(node, "fizzle_probability"), join_path(path, "fizzle_probability")))
    t.fizzle_probability = *v;

  const std::string epath = join_path(path, "effects");
  YAML::Node effects = r.required(node, "effects", path);
  if (effects.IsDefined() && r.expect_sequence(effects, epath)) {
    if (effects.size() == 0)
      r.error(effects, epath, "needs at least one effect");
    for (std::size_t i = 0; i < effects.size(); ++i) {
      const std::string p = index_path(epath, i);
      if (!r.expect_map(element(effects, i), p, {"metric", "peak"}, {}))
        continue;
      incident_effect e;
      e.where = location(r, element(effects, i));
      if (auto v = text(r, r.required(element(effects, i), "metric", p), join_path(p, "metric")))
        e.metric = *v;
      if (auto v = r.number_at(r.required(element(effects, i), "peak", p), join_path(p, "peak")))
        e.peak = *v;
      t.effects.push_back(e);
    }
  }

  const std::string ppath = join_path(path, "playbooks");
  YAML::Node playbooks = r.required(node, "playbooks", path);
  if (playbooks.IsDefined() && r.expect_open_map(playbooks, ppath)) {
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
      read_playbook_effect(r, it->first, it->second, join_path(ppath, id), p);
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
      r.error(child(element(child(root, "metrics"), i), "id"), index_path("metrics", i) + ".id",
              "duplicate metric id '" + c.metrics[i].id + "'");
  auto known = [&](const std::string& id) { return id.empty() || metric_ids.count(id) > 0; };
  for (std::size_t i = 0; i < c.couplings.size(); ++i) {
    const auto& cp = c.couplings[i];
    const std::string p = index_path("couplings", i);
    if (!known(cp.from))
      r.error(child(element(child(root, "couplings"), i), "from"), p + ".from",
              "metric '" + cp.from + "' is not in metrics");
    if (!known(cp.to))
      r.error(child(element(child(root, "couplings"), i), "to"), p + ".to",
              "metric '" + cp.to + "' is not in metrics");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < c.incident_types.size(); ++i) {
    const auto& t = c.incident_types[i];
    const std::string p = index_path("incident_types", i);
    const YAML::Node tn = element(child(root, "incident_types"), i);
    if (!t.name.empty() && !names.insert(t.name).second)
      r.error(child(tn, "name"), p + ".name", "duplicate incident type '" + t.name + "'");
    for (std::size_t k = 0; k < t.effects.size(); ++k)
      if (!known(t.effects[k].metric))
        r.error(child(element(child(tn, "effects"), k), "metric"),
                index_path(p + ".effects", k) + ".metric",
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
  std::vector<config::config_error> errors;
  reader r(source_name, errors);
  simulator_config c;
  c.source = source_name;
  if (!root.IsMap()) {
    throw config_error({source_name + ":1:1: expected a map at the top level"});
  }
  r.expect_map(root, "",
               {"version", "seed", "collection_interval", "schedule", "metrics", "couplings",
                "playbook_messages", "incident_types"},
               {});
  if (auto v = unsigned_integer(r, r.required(root, "version", ""), "version"); v && *v != 1)
    r.error(child(root, "version"), "version",
            "unsupported version " + std::to_string(*v) + " (this node reads version 1)");
  if (auto v = unsigned_integer(r, r.required(root, "seed", ""), "seed"))
    c.seed = *v;
  if (auto v = r.duration_ms_at(child(root, "collection_interval"), "collection_interval")) {
    if (*v <= 0)
      r.error(child(root, "collection_interval"), "collection_interval", "must be longer than 0s");
    else
      c.collection_interval_ms = *v;
  }
  read_schedule(r, r.required(root, "schedule", ""), c.schedule);

  YAML::Node metrics = r.required(root, "metrics", "");
  if (metrics.IsDefined() && r.expect_sequence(metrics, "metrics")) {
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      const std::string p = index_path("metrics", i);
      if (!r.expect_open_map(element(metrics, i), p))
        continue;
      metric_baseline m;
      read_metric(r, element(metrics, i), p, c.collection_interval_ms, m);
      c.metrics.push_back(m);
    }
  }
  YAML::Node couplings = child(root, "couplings");
  if (couplings.IsDefined() && !couplings.IsNull() && r.expect_sequence(couplings, "couplings")) {
    for (std::size_t i = 0; i < couplings.size(); ++i) {
      const std::string p = index_path("couplings", i);
      if (!r.expect_open_map(element(couplings, i), p))
        continue;
      coupling cp;
      read_coupling(r, element(couplings, i), p, cp);
      c.couplings.push_back(cp);
    }
  }
  YAML::Node messages = child(root, "playbook_messages");
  if (messages.IsDefined() && !messages.IsNull()
      && r.expect_open_map(messages, "playbook_messages")) {
    for (auto it = messages.begin(); it != messages.end(); ++it) {
      if (!plain_key(r, it->first, "playbook_messages"))
        continue;
      playbook_message m;
      m.playbook = it->first.Scalar();
      m.where = location(r, it->first);
      if (auto v = text(r, it->second, join_path("playbook_messages", m.playbook)))
        m.message = *v;
      c.playbook_messages.push_back(m);
    }
  }
  YAML::Node types = r.required(root, "incident_types", "");
  if (types.IsDefined() && r.expect_sequence(types, "incident_types")) {
    for (std::size_t i = 0; i < types.size(); ++i) {
      const std::string p = index_path("incident_types", i);
      if (!r.expect_open_map(element(types, i), p))
        continue;
      incident_type t;
      read_incident_type(r, element(types, i), p, t);
      c.incident_types.push_back(t);
    }
  }
  if (errors.empty())
    check_references(r, root, c);
  if (!errors.empty()) {
    std::vector<std::string> lines;
    for (const auto& e : errors)
      lines.push_back(e.to_string());
    throw config_error(std::move(lines));
  }
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
