#include "actors/catalog/yaml_reader.hpp"

#include <cmath>
#include <regex>
#include <sstream>

namespace grace::config {

std::string config_error::to_string() const {
  std::ostringstream out;
  out << file;
  if (line > 0)
    out << ':' << line << ':' << column;
  out << ": ";
  if (!key_path.empty())
    out << key_path << ": ";
  out << message;
  return out.str();
}

std::optional<int64_t> parse_duration_ms(const std::string& text) {
  static const std::regex pattern(R"(^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    return std::nullopt;
  double amount = std::stod(m[1].str());
  const std::string unit = m[2].str();
  double factor = unit == "ms"  ? 1.0
                  : unit == "s" ? 1e3
                  : unit == "m" ? 60e3
                  : unit == "h" ? 3600e3
                                : 86400e3;
  double ms = amount * factor;
  if (!std::isfinite(ms) || ms > 9.0e15)
    return std::nullopt;
  return static_cast<int64_t>(std::llround(ms));
}

std::string format_duration(int64_t ms) {
  struct unit {
    int64_t size;
    const char* name;
  };
  for (auto u : {unit{86400000, "d"}, unit{3600000, "h"}, unit{60000, "m"}, unit{1000, "s"}})
    if (ms != 0 && ms % u.size == 0)
      return std::to_string(ms / u.size) + u.name;
  return std::to_string(ms) + "ms";
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

yaml_reader::yaml_reader(std::string file, std::vector<config_error>& errors)
    : file_(std::move(file)), errors_(&errors) {}

YAML::Node yaml_reader::load_file() {
  try {
    return YAML::LoadFile(file_);
  } catch (const YAML::BadFile&) {
    errors_->push_back({file_, 0, 0, "", "cannot open the file for reading"});
  } catch (const YAML::ParserException& e) {
    errors_->push_back({file_, e.mark.line + 1, e.mark.column + 1, "", "YAML syntax: " + e.msg});
  }
  return YAML::Node();
}

YAML::Node yaml_reader::load_string(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    errors_->push_back({file_, e.mark.line + 1, e.mark.column + 1, "", "YAML syntax: " + e.msg});
  }
  return YAML::Node();
}

void yaml_reader::error(const YAML::Node& at, const std::string& path, const std::string& message) {
  int line = 0, column = 0;
  if (at.IsDefined()) {
    auto mark = at.Mark();
    if (mark.line >= 0) {
      line = mark.line + 1;
      column = mark.column + 1;
    }
  }
  errors_->push_back({file_, line, column, path, message});
}

bool yaml_reader::expect_map(const YAML::Node& node, const std::string& path,
                             std::initializer_list<const char*> allowed,
                             std::initializer_list<const char*> required) {
  if (!node.IsMap()) {
    error(node, path, "expected a mapping");
    return false;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    bool known = false;
    for (const char* a : allowed)
      known = known || key == a;
    if (!known) {
      std::string list;
      for (const char* a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
      error(it->first, join_path(path, key), "unknown key (allowed: " + list + ")");
    }
  }
  for (const char* r : required)
    if (!node[r])
      error(node, join_path(path, r), "missing required key");
  return true;
}

bool yaml_reader::expect_sequence(const YAML::Node& node, const std::string& path) {
  if (!node.IsDefined())
    return false; // absent: reported by expect_map as a missing key
  if (!node.IsSequence()) {
    error(node, path, "expected a list");
    return false;
  }
  return true;
}

std::optional<std::string> yaml_reader::string(const YAML::Node& map, const char* key,
                                               const std::string& path) {
  const YAML::Node n = map[key];
  if (!n)
    return std::nullopt;
  if (!n.IsScalar()) {
    error(n, join_path(path, key), "expected a string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<double> yaml_reader::number(const YAML::Node& map, const char* key,
                                          const std::string& path) {
  const YAML::Node n = map[key];
  if (!n)
    return std::nullopt;
  double value = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, value) || !std::isfinite(value)) {
    error(n, join_path(path, key), "expected a finite number");
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> yaml_reader::integer(const YAML::Node& map, const char* key,
                                            const std::string& path) {
  const YAML::Node n = map[key];
  if (!n)
    return std::nullopt;
  int64_t value = 0;
  if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, value)) {
    error(n, join_path(path, key), "expected a whole number");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> yaml_reader::boolean(const YAML::Node& map, const char* key,
                                         const std::string& path) {
  const YAML::Node n = map[key];
  if (!n)
    return std::nullopt;
  bool value = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
    error(n, join_path(path, key), "expected true or false");
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> yaml_reader::duration_ms(const YAML::Node& map, const char* key,
                                                const std::string& path) {
  const YAML::Node n = map[key];
  if (!n)
    return std::nullopt;
  std::optional<int64_t> ms;
  if (n.IsScalar())
    ms = parse_duration_ms(n.Scalar());
  if (!ms) {
    error(n, join_path(path, key),
          "expected a duration such as 500ms, 30s, 15m, 6h or 7d, found '"
              + (n.IsScalar() ? n.Scalar() : std::string("non-scalar")) + "'");
    return std::nullopt;
  }
  return ms;
}

std::optional<std::vector<std::string>>
yaml_reader::string_list(const YAML::Node& map, const char* key, const std::string& path) {
  const YAML::Node n = map[key];
  if (!n)
    return std::nullopt;
  const std::string p = join_path(path, key);
  if (!n.IsSequence()) {
    error(n, p, "expected a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      error(n[i], index_path(p, i), "expected a string");
      ok = false;
      continue;
    }
    out.push_back(n[i].Scalar());
  }
  if (!ok)
    return std::nullopt;
  return out;
}

} // namespace grace::config
