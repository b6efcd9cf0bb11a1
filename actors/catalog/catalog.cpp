#include "actors/catalog/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <set>

namespace grace::catalog {

using config::index_path;
using config::join_path;
using config::yaml_reader;

std::string to_string(direction d) {
  return d == direction::higher_is_worse ? "higher_is_worse" : "lower_is_worse";
}

std::string to_string(aggregation a) {
  switch (a) {
  case aggregation::mean:
    return "mean";
  case aggregation::min:
    return "min";
  case aggregation::max:
    return "max";
  case aggregation::p50:
    return "p50";
  case aggregation::p95:
    return "p95";
  case aggregation::last:
    return "last";
  }
  return "mean";
}

double better_quartile(std::vector<double> values, bool higher_is_worse) {
  values.erase(
      std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
      values.end());
  if (values.empty())
    return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  if (!higher_is_worse)
    std::reverse(values.begin(), values.end());
  // Nearest rank: the value a quarter of the way from the best end.
  return values[(values.size() - 1) / 4];
}

double statistic_of(const snapshot& s, aggregation a) {
  switch (a) {
  case aggregation::mean:
    return s.mean;
  case aggregation::min:
    return s.min;
  case aggregation::max:
    return s.max;
  case aggregation::p50:
    return s.p50;
  case aggregation::p95:
    return s.p95;
  case aggregation::last:
    return s.last;
  }
  return s.mean;
}

std::string to_string(action_kind k) {
  switch (k) {
  case action_kind::simulator:
    return "simulator";
  case action_kind::webhook:
    return "webhook";
  case action_kind::command:
    return "command";
  case action_kind::noop:
    return "noop";
  }
  return "noop";
}

std::string to_string(playbook_mode m) {
  switch (m) {
  case playbook_mode::auto_run:
    return "auto";
  case playbook_mode::approval:
    return "approval";
  case playbook_mode::dry_run:
    return "dry-run";
  }
  return "auto";
}

band band_of(const metric_definition& m, double value) {
  if (m.direction == direction::higher_is_worse) {
    if (value >= m.critical)
      return band::critical;
    if (value >= m.warning)
      return band::warning;
    return band::good;
  }
  if (value <= m.critical)
    return band::critical;
  if (value <= m.warning)
    return band::warning;
  return band::good;
}

metrics_catalog::metrics_catalog(int version, std::vector<metric_definition> metrics,
                                 std::vector<playbook_definition> playbooks, std::string source)
    : version_(version), source_(std::move(source)), metrics_(std::move(metrics)),
      playbooks_(std::move(playbooks)) {
  for (size_t i = 0; i < metrics_.size(); ++i) {
    metric_index_[metrics_[i].id] = i;
    prometheus_index_[metrics_[i].prometheus_name] = i;
  }
  for (size_t i = 0; i < playbooks_.size(); ++i)
    playbook_index_[playbooks_[i].id] = i;
}

const metric_definition* metrics_catalog::find_metric(const std::string& id) const {
  auto it = metric_index_.find(id);
  return it == metric_index_.end() ? nullptr : &metrics_[it->second];
}

const metric_definition*
metrics_catalog::find_diagnosis_metric(const std::string& diagnosis) const {
  return find_metric(diagnosis.substr(0, diagnosis.find(':')));
}

const playbook_definition* metrics_catalog::find_playbook(const std::string& id) const {
  auto it = playbook_index_.find(id);
  return it == playbook_index_.end() ? nullptr : &playbooks_[it->second];
}

const metric_definition* metrics_catalog::find_by_prometheus_name(const std::string& name) const {
  auto it = prometheus_index_.find(name);
  return it == prometheus_index_.end() ? nullptr : &metrics_[it->second];
}

namespace {

template <class Pred>
std::vector<std::string> ids_where(const std::vector<metric_definition>& ms, Pred pred) {
  std::vector<std::string> out;
  for (const auto& m : ms)
    if (pred(m))
      out.push_back(m.id);
  return out;
}

void push_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end())
    v.push_back(s);
}

} // namespace

std::vector<std::string> metrics_catalog::categories() const {
  std::vector<std::string> out;
  for (const auto& m : metrics_)
    push_unique(out, m.category);
  return out;
}

std::vector<std::string> metrics_catalog::services() const {
  std::vector<std::string> out;
  for (const auto& m : metrics_)
    push_unique(out, m.service);
  return out;
}

std::vector<std::string> metrics_catalog::metrics_in_category(const std::string& c) const {
  return ids_where(metrics_, [&](const metric_definition& m) { return m.category == c; });
}

std::vector<std::string> metrics_catalog::metrics_of_service(const std::string& s) const {
  return ids_where(metrics_, [&](const metric_definition& m) { return m.service == s; });
}

std::vector<std::string> metrics_catalog::metrics_using_playbook(const std::string& p) const {
  return ids_where(metrics_, [&](const metric_definition& m) {
    return std::find(m.playbooks.begin(), m.playbooks.end(), p) != m.playbooks.end();
  });
}

std::vector<std::string> metrics_catalog::symptoms_of(const std::string& metric_id) const {
  std::set<std::string> effects{metric_id};
  // Grow the set until no metric names a member as its cause (the catalog
  // has no cycles, so this ends within one pass per metric).
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& m : metrics_)
      if (!effects.count(m.id)
          && std::any_of(m.symptom_of.begin(), m.symptom_of.end(),
                         [&](const std::string& c) { return effects.count(c) > 0; })) {
        effects.insert(m.id);
        grew = true;
      }
  }
  return ids_where(metrics_, [&](const metric_definition& m) {
    return m.id != metric_id && effects.count(m.id) > 0;
  });
}

std::vector<std::string> metrics_catalog::forecast_metrics() const {
  return ids_where(metrics_, [](const metric_definition& m) { return m.forecast; });
}

// ---------------------------------------------------------------------------
// Loading and validation

namespace {

const std::regex metric_id_pattern(R"(^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$)");
const std::regex playbook_id_pattern(R"(^[a-z0-9][a-z0-9_-]*$)");
const std::regex name_pattern(R"(^[a-z0-9][a-z0-9_-]*$)");
const std::regex prometheus_name_pattern(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*$)");

struct pending_link {
  std::string playbook;
  YAML::Node at;
  std::string path;
};

struct pending_cause {
  std::string cause;
  YAML::Node at;
  std::string path;
  std::string symptom;
};

class catalog_parser {
public:
  catalog_parser(const std::string& source, std::vector<config::config_error>& errors)
      : in_(source, errors) {}

  yaml_reader& reader() { return in_; }

  std::optional<metrics_catalog> parse(const YAML::Node& root, size_t errors_before,
                                       std::vector<config::config_error>& errors) {
    if (!root.IsDefined() || root.IsNull()) {
      in_.error(root, "", "the catalog is empty");
      return std::nullopt;
    }
    if (!in_.expect_map(root, "", {"version", "metrics", "playbooks"},
                        {"version", "metrics", "playbooks"}))
      return std::nullopt;
    auto version = in_.integer(root, "version", "");
    if (version && *version != 1)
      in_.error(root["version"], "version",
                "unsupported catalog version " + std::to_string(*version) + " (this node reads 1)");
    std::vector<playbook_definition> playbooks;
    if (in_.expect_sequence(root["playbooks"], "playbooks")) {
      const YAML::Node list = root["playbooks"];
      for (size_t i = 0; i < list.size(); ++i)
        if (auto p = parse_playbook(list[i], index_path("playbooks", i)))
          playbooks.push_back(std::move(*p));
    }
    std::vector<metric_definition> metrics;
    if (in_.expect_sequence(root["metrics"], "metrics")) {
      const YAML::Node list = root["metrics"];
      for (size_t i = 0; i < list.size(); ++i)
        if (auto m = parse_metric(list[i], index_path("metrics", i)))
          metrics.push_back(std::move(*m));
    }
    for (const auto& link : links_)
      if (!playbook_ids_.count(link.playbook))
        in_.error(link.at, link.path, "links to undefined playbook '" + link.playbook + "'");
    check_causes(metrics);
    if (errors.size() != errors_before)
      return std::nullopt;
    return metrics_catalog(static_cast<int>(*version), std::move(metrics), std::move(playbooks),
                           in_.file());
  }

private:
  // symptom_of names catalog metrics and has no cycle: a metric held while
  // its cause is in trouble, the cause held while the metric is, would leave
  // both breaches unremediated.
  void check_causes(const std::vector<metric_definition>& metrics) {
    std::map<std::string, const std::vector<std::string>*> causes_of;
    for (const auto& m : metrics)
      causes_of[m.id] = &m.symptom_of;
    bool all_defined = true;
    for (const auto& c : causes_)
      if (!metric_ids_.count(c.cause)) {
        in_.error(c.at, c.path, "names undefined metric '" + c.cause + "'");
        all_defined = false;
      }
    if (!all_defined)
      return;
    for (const auto& c : causes_) {
      // Depth-first from the cause: reaching the symptom again closes a cycle.
      std::vector<std::vector<std::string>> stack{{c.symptom, c.cause}};
      std::set<std::string> visited;
      while (!stack.empty()) {
        auto chain = std::move(stack.back());
        stack.pop_back();
        const auto it = causes_of.find(chain.back());
        if (it == causes_of.end() || !visited.insert(chain.back()).second)
          continue;
        for (const auto& next : *it->second) {
          auto longer = chain;
          longer.push_back(next);
          if (next == c.symptom) {
            std::string text;
            for (const auto& id : longer)
              text += (text.empty() ? "" : " -> ") + id;
            in_.error(c.at, c.path, "symptom_of makes a cycle: " + text);
            return;
          }
          stack.push_back(std::move(longer));
        }
      }
    }
  }

  struct listed_id {
    std::string id;
    YAML::Node at;
    std::string path; // e.g. metrics[0].playbooks[1]
  };
  // The ids listed under `key`, each once: a repeat is an error ("<what> 'x'
  // listed twice") and clears `ok`. None: not a list of strings.
  std::optional<std::vector<listed_id>> unique_ids(const YAML::Node& n, const char* key,
                                                   const std::string& path, const std::string& what,
                                                   bool& ok) {
    auto list = in_.string_list(n, key, path);
    if (!list)
      return std::nullopt;
    std::vector<listed_id> out;
    std::set<std::string> seen;
    const std::string list_path = join_path(path, key);
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string& id = (*list)[i];
      if (seen.insert(id).second) {
        out.push_back({id, n[key][i], index_path(list_path, i)});
      } else {
        in_.error(n[key][i], index_path(list_path, i), what + " '" + id + "' listed twice");
        ok = false;
      }
    }
    return out;
  }

  std::optional<metric_definition> parse_metric(const YAML::Node& n, const std::string& path) {
    static const std::initializer_list<const char*> allowed = {
        "id",          "category",       "service",    "unit",
        "description", "direction",      "thresholds", "collection_interval",
        "aggregation", "forecast",       "playbooks",  "max_risk_tier",
        "symptom_of",  "prometheus_name"};
    static const std::initializer_list<const char*> required = {
        "id",          "category",  "service",    "unit",
        "description", "direction", "thresholds", "collection_interval",
        "aggregation", "forecast",  "playbooks"};
    if (!in_.expect_map(n, path, allowed, required))
      return std::nullopt;
    metric_definition m;
    bool ok = true;
    auto id = in_.string(n, "id", path);
    if (id) {
      if (!std::regex_match(*id, metric_id_pattern)) {
        in_.error(n["id"], join_path(path, "id"),
                  "'" + *id + "' is not a valid metric id (lower-case words joined by '.')");
        ok = false;
      } else if (!metric_ids_.insert(*id).second) {
        in_.error(n["id"], join_path(path, "id"), "duplicate metric id '" + *id + "'");
        ok = false;
      }
      m.id = *id;
    } else {
      ok = false;
    }
    auto text = [&](const char* key, std::string& out, const std::regex* pattern) {
      auto v = in_.string(n, key, path);
      if (!v) {
        ok = false;
        return;
      }
      if (v->empty()) {
        in_.error(n[key], join_path(path, key), "must not be empty");
        ok = false;
      } else if (pattern && !std::regex_match(*v, *pattern)) {
        in_.error(n[key], join_path(path, key),
                  "'" + *v + "' must be lower-case letters, digits, '-' or '_'");
        ok = false;
      }
      out = *v;
    };
    text("category", m.category, &name_pattern);
    text("service", m.service, &name_pattern);
    text("unit", m.unit, nullptr);
    text("description", m.description, nullptr);

    if (auto d = in_.string(n, "direction", path)) {
      if (*d == "higher_is_worse")
        m.direction = direction::higher_is_worse;
      else if (*d == "lower_is_worse")
        m.direction = direction::lower_is_worse;
      else {
        in_.error(n["direction"], join_path(path, "direction"),
                  "expected higher_is_worse or lower_is_worse, found '" + *d + "'");
        ok = false;
      }
    } else {
      ok = false;
    }

    const std::string tpath = join_path(path, "thresholds");
    const YAML::Node t = n["thresholds"];
    if (in_.expect_map(t, tpath, {"warning", "critical"}, {"warning", "critical"})) {
      auto w = in_.number(t, "warning", tpath);
      auto c = in_.number(t, "critical", tpath);
      if (w && c) {
        m.warning = *w;
        m.critical = *c;
        if (m.direction == direction::higher_is_worse && !(*w < *c)) {
          in_.error(t, tpath,
                    "for higher_is_worse the warning threshold must be below the critical one"
                    " (warning "
                        + fmt(*w) + ", critical " + fmt(*c) + ")");
          ok = false;
        } else if (m.direction == direction::lower_is_worse && !(*w > *c)) {
          in_.error(t, tpath,
                    "for lower_is_worse the warning threshold must be above the critical one"
                    " (warning "
                        + fmt(*w) + ", critical " + fmt(*c) + ")");
          ok = false;
        }
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }

    if (auto ms = in_.duration_ms(n, "collection_interval", path)) {
      if (*ms <= 0) {
        in_.error(n["collection_interval"], join_path(path, "collection_interval"),
                  "must be positive");
        ok = false;
      }
      m.collection_interval_ms = *ms;
    } else {
      ok = false;
    }

    if (auto a = in_.string(n, "aggregation", path)) {
      static const std::map<std::string, aggregation> names = {
          {"mean", aggregation::mean}, {"min", aggregation::min}, {"max", aggregation::max},
          {"p50", aggregation::p50},   {"p95", aggregation::p95}, {"last", aggregation::last}};
      auto it = names.find(*a);
      if (it == names.end()) {
        in_.error(n["aggregation"], join_path(path, "aggregation"),
                  "expected one of mean, min, max, p50, p95, last; found '" + *a + "'");
        ok = false;
      } else {
        m.aggregation = it->second;
      }
    } else {
      ok = false;
    }

    if (auto f = in_.boolean(n, "forecast", path))
      m.forecast = *f;
    else
      ok = false;

    if (auto list = unique_ids(n, "playbooks", path, "playbook", ok)) {
      for (const auto& p : *list) {
        links_.push_back({p.id, p.at, p.path});
        m.playbooks.push_back(p.id);
      }
    } else {
      ok = false;
    }

    if (n["max_risk_tier"]) {
      auto tier = in_.integer(n, "max_risk_tier", path);
      if (!tier || *tier < 1 || *tier > 4) {
        if (tier)
          in_.error(n["max_risk_tier"], join_path(path, "max_risk_tier"),
                    "must be between 1 and 4");
        ok = false;
      } else {
        m.max_risk_tier = static_cast<int>(*tier);
      }
    }

    if (n["symptom_of"]) {
      if (auto list = unique_ids(n, "symptom_of", path, "metric", ok)) {
        for (const auto& c : *list) {
          if (id && c.id == *id) {
            in_.error(c.at, c.path, "a metric cannot be a symptom of itself");
            ok = false;
          } else {
            causes_.push_back({c.id, c.at, c.path, id ? *id : ""});
          }
          m.symptom_of.push_back(c.id);
        }
      } else {
        ok = false;
      }
    }

    m.prometheus_name = m.id;
    std::replace(m.prometheus_name.begin(), m.prometheus_name.end(), '.', '_');
    if (n["prometheus_name"]) {
      auto p = in_.string(n, "prometheus_name", path);
      if (!p || !std::regex_match(*p, prometheus_name_pattern)) {
        if (p)
          in_.error(n["prometheus_name"], join_path(path, "prometheus_name"),
                    "'" + *p + "' is not a valid Prometheus metric name");
        ok = false;
      } else {
        m.prometheus_name = *p;
      }
    }
    if (ok && !prometheus_names_.insert(m.prometheus_name).second) {
      in_.error(n, path, "Prometheus name '" + m.prometheus_name + "' is used by another metric");
      ok = false;
    }
    if (!ok)
      return std::nullopt;
    return m;
  }

  std::optional<playbook_definition> parse_playbook(const YAML::Node& n, const std::string& path) {
    if (!in_.expect_map(
            n, path,
            {"id", "description", "action", "risk_tier", "mode", "cooldown", "max_runs_per_hour"},
            {"id", "description", "action", "risk_tier", "mode", "cooldown", "max_runs_per_hour"}))
      return std::nullopt;
    playbook_definition p;
    bool ok = true;
    if (auto id = in_.string(n, "id", path)) {
      if (!std::regex_match(*id, playbook_id_pattern)) {
        in_.error(n["id"], join_path(path, "id"),
                  "'" + *id + "' is not a valid playbook id (lower-case letters, digits, '-')");
        ok = false;
      } else if (!playbook_ids_.insert(*id).second) {
        in_.error(n["id"], join_path(path, "id"), "duplicate playbook id '" + *id + "'");
        ok = false;
      }
      p.id = *id;
    } else {
      ok = false;
    }
    if (auto d = in_.string(n, "description", path))
      p.description = *d;
    else
      ok = false;
    if (auto a = parse_action(n["action"], join_path(path, "action")))
      p.action = *a;
    else
      ok = false;
    if (auto tier = in_.integer(n, "risk_tier", path)) {
      if (*tier < 1 || *tier > 4) {
        in_.error(n["risk_tier"], join_path(path, "risk_tier"), "must be between 1 and 4");
        ok = false;
      }
      p.risk_tier = static_cast<int>(*tier);
    } else {
      ok = false;
    }
    if (auto mode = in_.string(n, "mode", path)) {
      if (*mode == "auto")
        p.mode = playbook_mode::auto_run;
      else if (*mode == "approval")
        p.mode = playbook_mode::approval;
      else if (*mode == "dry-run")
        p.mode = playbook_mode::dry_run;
      else {
        in_.error(n["mode"], join_path(path, "mode"),
                  "expected auto, approval or dry-run, found '" + *mode + "'");
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto c = in_.duration_ms(n, "cooldown", path))
      p.cooldown_ms = *c;
    else
      ok = false;
    if (auto r = in_.integer(n, "max_runs_per_hour", path)) {
      if (*r <= 0) {
        in_.error(n["max_runs_per_hour"], join_path(path, "max_runs_per_hour"), "must be positive");
        ok = false;
      }
      p.max_runs_per_hour = static_cast<int>(*r);
    } else {
      ok = false;
    }
    if (!ok)
      return std::nullopt;
    return p;
  }

  std::optional<playbook_action> parse_action(const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) {
      in_.error(n, path, "expected a mapping with a 'kind'");
      return std::nullopt;
    }
    auto kind = in_.string(n, "kind", path);
    if (!kind) {
      if (!n["kind"])
        in_.error(n, join_path(path, "kind"), "missing required key");
      return std::nullopt;
    }
    playbook_action a;
    bool ok = true;
    if (*kind == "simulator" || *kind == "noop") {
      a.kind = *kind == "simulator" ? action_kind::simulator : action_kind::noop;
      in_.expect_map(n, path, {"kind"}, {"kind"});
      return a;
    }
    if (*kind == "webhook") {
      a.kind = action_kind::webhook;
      if (!in_.expect_map(n, path, {"kind", "url", "timeout", "retries", "headers"},
                          {"kind", "url"}))
        return std::nullopt;
      auto url = in_.string(n, "url", path);
      if (!url || !(url->rfind("http://", 0) == 0 || url->rfind("https://", 0) == 0)) {
        if (url)
          in_.error(n["url"], join_path(path, "url"), "expected an http:// or https:// URL");
        ok = false;
      } else {
        a.url = *url;
      }
      if (n["retries"]) {
        auto r = in_.integer(n, "retries", path);
        if (!r || *r < 0 || *r > 10) {
          if (r)
            in_.error(n["retries"], join_path(path, "retries"), "must be between 0 and 10");
          ok = false;
        } else {
          a.retries = static_cast<int>(*r);
        }
      }
      if (n["headers"])
        ok = parse_string_map(n, "headers", path, a.headers) && ok;
    } else if (*kind == "command") {
      a.kind = action_kind::command;
      a.timeout_ms = 30000;
      if (!in_.expect_map(n, path, {"kind", "argv", "timeout", "env"}, {"kind", "argv"}))
        return std::nullopt;
      auto argv = in_.string_list(n, "argv", path);
      if (!argv || argv->empty() || (*argv)[0].empty() || (*argv)[0][0] != '/') {
        if (argv)
          in_.error(n["argv"], join_path(path, "argv"),
                    "expected a non-empty list whose first element is an absolute path");
        ok = false;
      } else {
        a.argv = *argv;
      }
      if (n["env"])
        ok = parse_string_map(n, "env", path, a.env) && ok;
    } else {
      in_.error(n["kind"], join_path(path, "kind"),
                "expected simulator, webhook, command or noop, found '" + *kind + "'");
      return std::nullopt;
    }
    if (n["timeout"]) {
      auto t = in_.duration_ms(n, "timeout", path);
      if (!t || *t <= 0) {
        if (t)
          in_.error(n["timeout"], join_path(path, "timeout"), "must be positive");
        ok = false;
      } else {
        a.timeout_ms = *t;
      }
    }
    if (!ok)
      return std::nullopt;
    return a;
  }

  bool parse_string_map(const YAML::Node& parent, const char* key, const std::string& path,
                        std::map<std::string, std::string>& out) {
    const YAML::Node n = parent[key];
    const std::string p = join_path(path, key);
    if (!n.IsMap()) {
      in_.error(n, p, "expected a mapping of strings");
      return false;
    }
    bool ok = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->second.IsScalar()) {
        in_.error(it->second, join_path(p, it->first.Scalar()), "expected a string");
        ok = false;
        continue;
      }
      out[it->first.Scalar()] = it->second.Scalar();
    }
    return ok;
  }

  static std::string fmt(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.')
      s.pop_back();
    return s;
  }

  yaml_reader in_;
  std::set<std::string> metric_ids_;
  std::set<std::string> playbook_ids_;
  std::set<std::string> prometheus_names_;
  std::vector<pending_link> links_;
  std::vector<pending_cause> causes_;
};

load_result finish(catalog_parser& parser, const YAML::Node& root, load_result& result,
                   size_t errors_before) {
  result.catalog = parser.parse(root, errors_before, result.errors);
  if (!result.errors.empty())
    result.catalog.reset();
  return std::move(result);
}

} // namespace

load_result load_catalog_file(const std::string& path) {
  load_result result;
  catalog_parser parser(path, result.errors);
  YAML::Node root = parser.reader().load_file();
  if (!result.errors.empty())
    return result;
  return finish(parser, root, result, 0);
}

load_result load_catalog_string(const std::string& yaml, const std::string& source_name) {
  load_result result;
  catalog_parser parser(source_name, result.errors);
  YAML::Node root = parser.reader().load_string(yaml);
  if (!result.errors.empty())
    return result;
  return finish(parser, root, result, 0);
}

} // namespace grace::catalog
