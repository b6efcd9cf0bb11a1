#include "actors/catalog/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <string_view>

namespace grace::catalog {

using config::child;
using config::element;
using config::index_path;
using config::join_path;
using config::quote_for_error;
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

// Ids, names and Prometheus names are checked by hand, in one pass and
// within a length limit: std::regex recurses once per character and overflows
// the stack on a long enough value.
constexpr size_t max_name_length = 128;

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Lower-case words joined by '.': [a-z][a-z0-9_]*(\.[a-z0-9_]+)*
bool is_metric_id(std::string_view s) {
  if (s.empty() || !is_lower(s[0]))
    return false;
  bool segment_empty = false;
  for (char c : s.substr(1)) {
    if (c == '.') {
      if (segment_empty)
        return false;
      segment_empty = true;
    } else if (is_lower(c) || is_digit(c) || c == '_') {
      segment_empty = false;
    } else {
      return false;
    }
  }
  return !segment_empty;
}

// [a-z0-9][a-z0-9_-]*: playbook ids, categories, services.
bool is_name(std::string_view s) {
  if (s.empty() || !(is_lower(s[0]) || is_digit(s[0])))
    return false;
  for (char c : s)
    if (!(is_lower(c) || is_digit(c) || c == '_' || c == '-'))
      return false;
  return true;
}

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_prometheus_name(std::string_view s) {
  auto start = [](char c) { return is_lower(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; };
  if (s.empty() || !start(s[0]))
    return false;
  for (char c : s)
    if (!(start(c) || is_digit(c)))
      return false;
  return true;
}

} // namespace

std::string promql_shape_problem(const std::string& expression) {
  constexpr size_t max_length = 4096;
  if (expression.find_first_not_of(" \t\n\r") == std::string::npos)
    return "must not be empty";
  if (expression.size() > max_length)
    return "is too long (" + std::to_string(expression.size()) + " bytes, at most "
           + std::to_string(max_length) + ")";
  std::vector<char> open; // the closing brackets expected, innermost last
  char quote = 0;         // the string literal we are in, 0 outside
  for (size_t i = 0; i < expression.size(); ++i) {
    const char c = expression[i];
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t' && c != '\r') || u == 0x7f)
      return "contains a control character at byte " + std::to_string(i + 1);
    if (quote) {
      if (c == '\\' && quote != '`')
        ++i; // the escaped character
      else if (c == quote)
        quote = 0;
      continue;
    }
    switch (c) {
    case '"':
    case '\'':
    case '`':
      quote = c;
      break;
    case '#': // a comment runs to the end of the line
      while (i + 1 < expression.size() && expression[i + 1] != '\n')
        ++i;
      break;
    case '(':
      open.push_back(')');
      break;
    case '[':
      open.push_back(']');
      break;
    case '{':
      open.push_back('}');
      break;
    case ')':
    case ']':
    case '}':
      if (open.empty() || open.back() != c)
        return std::string("has an unmatched '") + c + "' at byte " + std::to_string(i + 1);
      open.pop_back();
      break;
    default:
      break;
    }
  }
  if (quote)
    return std::string("has a string opened with ") + quote + " that is never closed";
  if (!open.empty())
    return std::string("has an unclosed bracket (expected '") + open.back() + "')";
  return {};
}

namespace {

// Why `value` is no valid `noun`, empty when it is one.
std::string name_problem(const std::string& value, bool (*valid)(std::string_view),
                         const std::string& noun, const std::string& rule) {
  if (value.size() > max_name_length)
    return quote_for_error(value) + " is too long for a " + noun + " (at most "
           + std::to_string(max_name_length) + " characters)";
  if (!valid(value))
    return quote_for_error(value) + " is not a valid " + noun + " (" + rule + ")";
  return {};
}

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
      in_.error(child(root, "version"), "version",
                "unsupported catalog version " + std::to_string(*version) + " (this node reads 1)");
    std::vector<playbook_definition> playbooks;
    const YAML::Node playbook_list = child(root, "playbooks");
    if (in_.expect_sequence(playbook_list, "playbooks")) {
      for (size_t i = 0; i < playbook_list.size(); ++i)
        if (auto p = parse_playbook(element(playbook_list, i), index_path("playbooks", i)))
          playbooks.push_back(std::move(*p));
    }
    std::vector<metric_definition> metrics;
    const YAML::Node metric_list = child(root, "metrics");
    if (in_.expect_sequence(metric_list, "metrics")) {
      for (size_t i = 0; i < metric_list.size(); ++i)
        if (auto m = parse_metric(element(metric_list, i), index_path("metrics", i)))
          metrics.push_back(std::move(*m));
    }
    for (const auto& link : links_)
      if (!playbook_ids_.count(link.playbook))
        in_.error(link.at, link.path,
                  "links to undefined playbook " + quote_for_error(link.playbook));
    check_causes(metrics);
    if (errors.size() != errors_before || !version)
      return std::nullopt;
    return metrics_catalog(static_cast<int>(*version), std::move(metrics), std::move(playbooks),
                           in_.file());
  }

private:
  // symptom_of names catalog metrics and has no cycle: a metric held while
  // its cause is in trouble, the cause held while the metric is, would leave
  // both breaches unremediated.
  void check_causes(const std::vector<metric_definition>& metrics) {
    bool all_defined = true;
    for (const auto& c : causes_)
      if (!metric_ids_.count(c.cause)) {
        in_.error(c.at, c.path, "names undefined metric " + quote_for_error(c.cause));
        all_defined = false;
      }
    if (!all_defined)
      return;
    // The graph symptom -> cause over the metrics read; a symptom_of entry
    // closes a cycle when its two ends are in one strongly connected
    // component. Linear in metrics and entries, whatever the catalog's shape.
    std::map<std::string, size_t> index_of;
    std::vector<const metric_definition*> vertex;
    for (const auto& m : metrics)
      if (index_of.emplace(m.id, vertex.size()).second)
        vertex.push_back(&m);
    std::vector<std::vector<size_t>> causes(vertex.size());
    for (size_t v = 0; v < vertex.size(); ++v)
      for (const auto& cause : vertex[v]->symptom_of) {
        const auto it = index_of.find(cause);
        if (it != index_of.end())
          causes[v].push_back(it->second);
      }
    const std::vector<size_t> component = strongly_connected_components(causes);
    for (const auto& c : causes_) {
      const auto from = index_of.find(c.symptom), to = index_of.find(c.cause);
      if (from == index_of.end() || to == index_of.end()
          || component[from->second] != component[to->second])
        continue;
      // The shortest way back from the cause to the symptom, breadth first.
      std::vector<size_t> came_from(causes.size(), causes.size());
      std::deque<size_t> queue{to->second};
      came_from[to->second] = to->second;
      while (!queue.empty() && came_from[from->second] == causes.size()) {
        const size_t at = queue.front();
        queue.pop_front();
        for (size_t next : causes[at])
          if (came_from[next] == causes.size()) {
            came_from[next] = at;
            queue.push_back(next);
          }
      }
      std::vector<size_t> chain{from->second};
      for (size_t at = from->second; at != to->second; at = came_from[at])
        chain.push_back(came_from[at]);
      // symptom -> cause -> ... -> symptom, its middle cut when long.
      std::vector<const std::string*> ids{&vertex[from->second]->id};
      for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        ids.push_back(&vertex[*it]->id);
      constexpr size_t shown_each_side = 4;
      std::string text;
      for (size_t i = 0; i < ids.size(); ++i) {
        if (ids.size() > 2 * shown_each_side + 1 && i == shown_each_side) {
          text += " -> ... (" + std::to_string(ids.size() - 2 * shown_each_side) + " more)";
          i = ids.size() - shown_each_side - 1;
          continue;
        }
        text += (i == 0 ? "" : " -> ") + *ids[i];
      }
      in_.error(c.at, c.path, "symptom_of makes a cycle: " + text);
      return;
    }
  }

  // Tarjan's algorithm without recursion (a long chain of symptom_of would
  // otherwise be as deep a recursion): the component number of each vertex.
  static std::vector<size_t>
  strongly_connected_components(const std::vector<std::vector<size_t>>& edges) {
    const size_t n = edges.size(), unseen = n;
    std::vector<size_t> order(n, unseen), low(n, 0), component(n, unseen);
    std::vector<bool> on_stack(n, false);
    std::vector<size_t> stack;
    std::vector<std::pair<size_t, size_t>> calls; // vertex, next edge
    size_t counter = 0, components = 0;
    auto visit = [&](size_t v) {
      order[v] = low[v] = counter++;
      stack.push_back(v);
      on_stack[v] = true;
      calls.emplace_back(v, 0);
    };
    for (size_t root = 0; root < n; ++root) {
      if (order[root] != unseen)
        continue;
      visit(root);
      while (!calls.empty()) {
        const size_t v = calls.back().first;
        const size_t e = calls.back().second++;
        if (e < edges[v].size()) {
          const size_t w = edges[v][e];
          if (order[w] == unseen)
            visit(w);
          else if (on_stack[w])
            low[v] = std::min(low[v], order[w]);
          continue;
        }
        if (low[v] == order[v]) {
          size_t w = unseen;
          do {
            w = stack.back();
            stack.pop_back();
            on_stack[w] = false;
            component[w] = components;
          } while (w != v);
          ++components;
        }
        calls.pop_back();
        if (!calls.empty())
          low[calls.back().first] = std::min(low[calls.back().first], low[v]);
      }
    }
    return component;
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
    const YAML::Node items = child(n, key);
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string& id = (*list)[i];
      if (seen.insert(id).second) {
        out.push_back({id, element(items, i), index_path(list_path, i)});
      } else {
        in_.error(element(items, i), index_path(list_path, i),
                  what + " " + quote_for_error(id) + " listed twice");
        ok = false;
      }
    }
    return out;
  }

  // A name-like string under `key`: present, a string, and valid by `valid`.
  std::optional<std::string> checked_name(const YAML::Node& n, const char* key,
                                          const std::string& path, bool (*valid)(std::string_view),
                                          const char* noun, const char* rule) {
    auto v = in_.string(n, key, path);
    if (!v)
      return std::nullopt;
    const std::string problem = name_problem(*v, valid, noun, rule);
    if (!problem.empty()) {
      in_.error(child(n, key), join_path(path, key), problem);
      return std::nullopt;
    }
    return v;
  }

  std::optional<metric_definition> parse_metric(const YAML::Node& n, const std::string& path) {
    static const std::initializer_list<const char*> allowed = {
        "id",          "category",        "service",    "unit",
        "description", "direction",       "thresholds", "collection_interval",
        "aggregation", "forecast",        "playbooks",  "max_risk_tier",
        "symptom_of",  "prometheus_name", "promql"};
    static const std::initializer_list<const char*> required = {
        "id",          "category",  "service",    "unit",
        "description", "direction", "thresholds", "collection_interval",
        "aggregation", "forecast",  "playbooks"};
    if (!in_.expect_map(n, path, allowed, required)) {
      if (!n.IsDefined())
        in_.error(n, path, "expected a mapping");
      return std::nullopt;
    }
    metric_definition m;
    bool ok = true;
    const auto id =
        checked_name(n, "id", path, is_metric_id, "metric id", "lower-case words joined by '.'");
    if (id) {
      if (!metric_ids_.insert(*id).second) {
        in_.error(child(n, "id"), join_path(path, "id"), "duplicate metric id '" + *id + "'");
        ok = false;
      }
      m.id = *id;
    } else {
      ok = false;
    }
    auto name = [&](const char* key, std::string& out) {
      if (auto v =
              checked_name(n, key, path, is_name, key, "lower-case letters, digits, '-' or '_'"))
        out = *v;
      else
        ok = false;
    };
    name("category", m.category);
    name("service", m.service);
    auto text = [&](const char* key, std::string& out) {
      auto v = in_.string(n, key, path);
      if (!v) {
        ok = false;
        return;
      }
      if (v->empty()) {
        in_.error(child(n, key), join_path(path, key), "must not be empty");
        ok = false;
      }
      out = *v;
    };
    text("unit", m.unit);
    text("description", m.description);

    if (auto d = in_.string(n, "direction", path)) {
      if (*d == "higher_is_worse")
        m.direction = direction::higher_is_worse;
      else if (*d == "lower_is_worse")
        m.direction = direction::lower_is_worse;
      else {
        in_.error(child(n, "direction"), join_path(path, "direction"),
                  "expected higher_is_worse or lower_is_worse, found " + quote_for_error(*d));
        ok = false;
      }
    } else {
      ok = false;
    }

    const std::string tpath = join_path(path, "thresholds");
    const YAML::Node t = child(n, "thresholds");
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
        in_.error(child(n, "collection_interval"), join_path(path, "collection_interval"),
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
        in_.error(child(n, "aggregation"), join_path(path, "aggregation"),
                  "expected one of mean, min, max, p50, p95, last; found " + quote_for_error(*a));
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

    if (child(n, "max_risk_tier").IsDefined()) {
      auto tier = in_.integer(n, "max_risk_tier", path);
      if (!tier || *tier < 1 || *tier > 4) {
        if (tier)
          in_.error(child(n, "max_risk_tier"), join_path(path, "max_risk_tier"),
                    "must be between 1 and 4");
        ok = false;
      } else {
        m.max_risk_tier = static_cast<int>(*tier);
      }
    }

    if (child(n, "symptom_of").IsDefined()) {
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
    if (child(n, "prometheus_name").IsDefined()) {
      if (auto p = checked_name(n, "prometheus_name", path, is_prometheus_name,
                                "Prometheus metric name", "[a-zA-Z_:][a-zA-Z0-9_:]*"))
        m.prometheus_name = *p;
      else
        ok = false;
    }
    if (child(n, "promql").IsDefined()) {
      if (auto q = in_.string(n, "promql", path)) {
        const auto problem = promql_shape_problem(*q);
        if (!problem.empty()) {
          in_.error(child(n, "promql"), join_path(path, "promql"), problem);
          ok = false;
        }
        m.promql = *q;
      } else {
        ok = false;
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
            {"id", "description", "action", "risk_tier", "mode", "cooldown",
             "max_runs_per_hour"})) {
      if (!n.IsDefined())
        in_.error(n, path, "expected a mapping");
      return std::nullopt;
    }
    playbook_definition p;
    bool ok = true;
    if (auto id = checked_name(n, "id", path, is_name, "playbook id",
                               "lower-case letters, digits, '-' or '_'")) {
      if (!playbook_ids_.insert(*id).second) {
        in_.error(child(n, "id"), join_path(path, "id"), "duplicate playbook id '" + *id + "'");
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
    if (auto a = parse_action(child(n, "action"), join_path(path, "action")))
      p.action = *a;
    else
      ok = false;
    if (auto tier = in_.integer(n, "risk_tier", path)) {
      if (*tier < 1 || *tier > 4) {
        in_.error(child(n, "risk_tier"), join_path(path, "risk_tier"), "must be between 1 and 4");
        ok = false;
      }
      p.risk_tier = static_cast<int>(std::clamp<int64_t>(*tier, 1, 4));
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
        in_.error(child(n, "mode"), join_path(path, "mode"),
                  "expected auto, approval or dry-run, found " + quote_for_error(*mode));
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
      if (*r <= 0 || *r > 1000000) {
        in_.error(child(n, "max_runs_per_hour"), join_path(path, "max_runs_per_hour"),
                  "must be between 1 and 1000000");
        ok = false;
      }
      p.max_runs_per_hour = static_cast<int>(std::clamp<int64_t>(*r, 1, 1000000));
    } else {
      ok = false;
    }
    if (!ok)
      return std::nullopt;
    return p;
  }

  std::optional<playbook_action> parse_action(const YAML::Node& n, const std::string& path) {
    if (!n.IsDefined())
      return std::nullopt; // a missing action: the playbook's required check names it
    if (!n.IsMap()) {
      in_.error(n, path, "expected a mapping with a 'kind'");
      return std::nullopt;
    }
    auto kind = in_.string(n, "kind", path);
    if (!kind) {
      if (!child(n, "kind").IsDefined())
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
          in_.error(child(n, "url"), join_path(path, "url"), "expected an http:// or https:// URL");
        ok = false;
      } else {
        a.url = *url;
      }
      if (child(n, "retries").IsDefined()) {
        auto r = in_.integer(n, "retries", path);
        if (!r || *r < 0 || *r > 10) {
          if (r)
            in_.error(child(n, "retries"), join_path(path, "retries"), "must be between 0 and 10");
          ok = false;
        } else {
          a.retries = static_cast<int>(*r);
        }
      }
      if (child(n, "headers").IsDefined())
        ok = parse_string_map(n, "headers", path, a.headers) && ok;
    } else if (*kind == "command") {
      a.kind = action_kind::command;
      a.timeout_ms = 30000;
      if (!in_.expect_map(n, path, {"kind", "argv", "timeout", "env"}, {"kind", "argv"}))
        return std::nullopt;
      auto argv = in_.string_list(n, "argv", path);
      if (!argv || argv->empty() || (*argv)[0].empty() || (*argv)[0][0] != '/') {
        if (argv)
          in_.error(child(n, "argv"), join_path(path, "argv"),
                    "expected a non-empty list whose first element is an absolute path");
        ok = false;
      } else {
        a.argv = *argv;
      }
      if (child(n, "env").IsDefined())
        ok = parse_string_map(n, "env", path, a.env) && ok;
    } else {
      in_.error(child(n, "kind"), join_path(path, "kind"),
                "expected simulator, webhook, command or noop, found " + quote_for_error(*kind));
      return std::nullopt;
    }
    if (child(n, "timeout").IsDefined()) {
      auto t = in_.duration_ms(n, "timeout", path);
      if (!t || *t <= 0) {
        if (t)
          in_.error(child(n, "timeout"), join_path(path, "timeout"), "must be positive");
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
    const YAML::Node n = child(parent, key);
    const std::string p = join_path(path, key);
    if (!n.IsMap()) {
      in_.error(n, p, "expected a mapping of strings");
      return false;
    }
    bool ok = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) {
        in_.error(it->first, p, "a key must be a plain name");
        ok = false;
        continue;
      }
      if (!it->second.IsScalar()) {
        in_.error(it->second, join_path(p, it->first.Scalar()), "expected a string");
        ok = false;
        continue;
      }
      if (!config::is_valid_utf8(it->first.Scalar())
          || !config::is_valid_utf8(it->second.Scalar())) {
        in_.error(it->second, join_path(p, it->first.Scalar()), "expected UTF-8 text");
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
