#include "actors/simulator/yaml_field_reader.hpp"

#include "actors/catalog/yaml_reader.hpp"
#include "common/scalar_text.hpp"

#include <charconv>
#include <cmath>
#include <set>

namespace grace::simulator {

namespace {

std::string scalar_text(const YAML::Node& node) {
  if (node.IsScalar())
    return config::quote_for_error(node.Scalar());
  if (node.IsMap())
    return "a map";
  if (node.IsSequence())
    return "a list";
  return "nothing";
}

std::string format_number(double v) {
  std::string s = std::to_string(v);
  // Trim trailing zeros of the fixed notation: 1.500000 -> 1.5, 2.000000 -> 2.
  auto dot = s.find('.');
  if (dot != std::string::npos) {
    while (!s.empty() && s.back() == '0')
      s.pop_back();
    if (!s.empty() && s.back() == '.')
      s.pop_back();
  }
  return s;
}

} // namespace

source_location yaml_field_reader::location(const YAML::Node& node) const {
  source_location loc;
  loc.file = file_;
  if (node.IsDefined()) {
    auto mark = node.Mark();
    if (mark.line >= 0) {
      loc.line = mark.line + 1;
      loc.column = mark.column + 1;
    }
  }
  return loc;
}

void yaml_field_reader::error(const YAML::Node& node, const std::string& path,
                              const std::string& message) {
  errors_.push_back(config::printable(to_string(location(node)) + ": "
                                      + (path.empty() ? "" : path + ": ") + message));
}

bool yaml_field_reader::expect_map(const YAML::Node& node, const std::string& path) {
  if (node.IsMap())
    return true;
  error(node, path, "expected a map, got " + scalar_text(node));
  return false;
}

bool yaml_field_reader::expect_sequence(const YAML::Node& node, const std::string& path) {
  if (node.IsSequence())
    return true;
  error(node, path, "expected a list, got " + scalar_text(node));
  return false;
}

void yaml_field_reader::check_keys(const YAML::Node& map, const std::string& path,
                                   std::initializer_list<const char*> allowed) {
  if (!map.IsDefined() || !map.IsMap())
    return;
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    bool known = false;
    for (const char* a : allowed)
      if (key == a)
        known = true;
    if (!known) {
      std::string list;
      for (const char* a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
      error(it->first, path,
            "unknown key " + config::quote_for_error(key) + " (expected one of: " + list + ")");
    } else if (!seen.insert(key).second) {
      error(it->first, path, "duplicate key '" + key + "'");
    }
  }
}

YAML::Node yaml_field_reader::required(const YAML::Node& map, const std::string& path,
                                       const char* key) {
  YAML::Node found = child(map, key);
  if (found.IsDefined() && !found.IsNull())
    return found;
  error(map, path, std::string("missing required field '") + key + "'");
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node yaml_field_reader::child(const YAML::Node& map, const char* key) {
  return config::child(map, key);
}

YAML::Node yaml_field_reader::element(const YAML::Node& sequence, std::size_t i) {
  return config::element(sequence, i);
}

std::string yaml_field_reader::join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string yaml_field_reader::index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::optional<double> yaml_field_reader::number(const YAML::Node& node, const std::string& path) {
  if (!node.IsDefined())
    return std::nullopt;
  std::string problem;
  if (node.IsScalar()) {
    if (auto v = config::parse_decimal(node.Scalar(), &problem))
      return v;
  }
  error(node, path,
        "expected a number, got " + scalar_text(node)
            + (problem == "out of range" ? " (out of range)" : ""));
  return std::nullopt;
}

std::optional<double> yaml_field_reader::number_at_least(const YAML::Node& node,
                                                         const std::string& path, double lowest) {
  auto v = number(node, path);
  if (v && *v < lowest) {
    error(node, path, "must be at least " + format_number(lowest) + ", got " + format_number(*v));
    return std::nullopt;
  }
  return v;
}

std::optional<double> yaml_field_reader::probability(const YAML::Node& node,
                                                     const std::string& path) {
  auto v = number(node, path);
  if (v && (*v < 0.0 || *v > 1.0)) {
    error(node, path, "probability " + format_number(*v) + " is outside [0, 1]");
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> yaml_field_reader::text(const YAML::Node& node,
                                                   const std::string& path) {
  if (!node.IsDefined())
    return std::nullopt;
  if (node.IsScalar() && !node.Scalar().empty() && config::is_valid_utf8(node.Scalar()))
    return node.Scalar();
  error(node, path, "expected a non-empty UTF-8 string, got " + scalar_text(node));
  return std::nullopt;
}

std::optional<bool> yaml_field_reader::boolean(const YAML::Node& node, const std::string& path) {
  if (!node.IsDefined())
    return std::nullopt;
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true")
      return true;
    if (s == "false")
      return false;
  }
  error(node, path, "expected true or false, got " + scalar_text(node));
  return std::nullopt;
}

std::optional<uint64_t> yaml_field_reader::unsigned_integer(const YAML::Node& node,
                                                            const std::string& path) {
  if (!node.IsDefined())
    return std::nullopt;
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    bool digits = !s.empty();
    for (char c : s)
      digits = digits && c >= '0' && c <= '9';
    uint64_t v = 0;
    if (digits) {
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && end == s.data() + s.size())
        return v;
    }
  }
  error(node, path, "expected a non-negative integer, got " + scalar_text(node));
  return std::nullopt;
}

std::optional<int64_t> yaml_field_reader::duration(const YAML::Node& node,
                                                   const std::string& path) {
  if (!node.IsDefined())
    return std::nullopt;
  std::string problem;
  if (node.IsScalar())
    if (auto ms = common::parse_duration_ms(node.Scalar(), &problem))
      return *ms;
  if (node.IsScalar() && !node.Scalar().empty() && node.Scalar()[0] == '-')
    error(node, path, "negative duration " + scalar_text(node));
  else if (problem == "out of range")
    error(node, path, "duration " + scalar_text(node) + " is out of range (at most 36500d)");
  else
    error(node, path,
          "expected a duration like 250ms, 90s, 30m, 2h or 1d, got " + scalar_text(node));
  return std::nullopt;
}

std::optional<duration_range> yaml_field_reader::range(const YAML::Node& node,
                                                       const std::string& path) {
  if (!node.IsDefined())
    return std::nullopt;
  if (node.IsScalar()) {
    auto d = duration(node, path);
    if (!d)
      return std::nullopt;
    return duration_range{*d, *d};
  }
  if (!node.IsMap()) {
    error(node, path, "expected a duration or {min: D, max: D}, got " + scalar_text(node));
    return std::nullopt;
  }
  check_keys(node, path, {"min", "max"});
  auto lo = duration(required(node, path, "min"), join(path, "min"));
  auto hi = duration(required(node, path, "max"), join(path, "max"));
  if (!lo || !hi)
    return std::nullopt;
  if (*lo > *hi) {
    error(node, path, "min is greater than max");
    return std::nullopt;
  }
  return duration_range{*lo, *hi};
}

} // namespace grace::simulator
