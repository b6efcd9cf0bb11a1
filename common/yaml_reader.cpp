#include "common/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace grace::config {

namespace {

// A file this large is no configuration: refused before YAML reads it.
constexpr size_t max_file_bytes = 16 * 1024 * 1024;
// Keys longer than this are quoted (cut) in key paths.
constexpr size_t path_key_bytes = 60;

// A key as it appears in a key path: cut when long (the error is made
// printable as a whole when recorded).
std::string path_key(std::string_view key) {
  if (key.size() <= path_key_bytes)
    return std::string(key);
  return quote_for_error(key);
}

} // namespace

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

std::string join_path(const std::string& parent, const std::string& key) {
  const std::string k = path_key(key);
  return parent.empty() ? k : parent + "." + k;
}

std::string index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

YAML::Node child(const YAML::Node& map, const char* key) {
  if (map.IsDefined() && map.IsMap()) {
    const YAML::Node found = map[key];
    if (found.IsDefined())
      return found;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node element(const YAML::Node& sequence, size_t index) {
  if (sequence.IsDefined() && sequence.IsSequence() && index < sequence.size()) {
    const YAML::Node found = sequence[index];
    if (found.IsDefined())
      return found;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

yaml_reader::yaml_reader(std::string file, std::vector<config_error>& errors)
    : file_(std::move(file)), errors_(&errors) {}

YAML::Node yaml_reader::load_file() {
  std::error_code ec;
  if (std::filesystem::is_directory(file_, ec)) {
    errors_->push_back({file_, 0, 0, "", "is a directory, not a file"});
    return YAML::Node();
  }
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    errors_->push_back({file_, 0, 0, "", "cannot open the file for reading"});
    return YAML::Node();
  }
  // Read up to the limit, whatever the file claims to be (a pipe has no size).
  std::string text;
  char chunk[64 * 1024];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > max_file_bytes) {
      errors_->push_back({file_, 0, 0, "",
                          "the file is larger than the " + std::to_string(max_file_bytes)
                              + " bytes a configuration may have"});
      return YAML::Node();
    }
  }
  if (in.bad()) {
    errors_->push_back({file_, 0, 0, "", "cannot read the file"});
    return YAML::Node();
  }
  return load_string(text);
}

YAML::Node yaml_reader::load_string(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors_->push_back(
        {file_, e.mark.line + 1, e.mark.column + 1, "", "YAML syntax: " + printable(e.msg)});
  }
  return YAML::Node();
}

std::pair<int, int> yaml_reader::position(const YAML::Node& node) {
  if (node.IsDefined()) {
    const auto mark = node.Mark();
    if (mark.line >= 0)
      return {mark.line + 1, mark.column + 1};
  }
  return {0, 0};
}

void yaml_reader::error(const YAML::Node& at, const std::string& path, const std::string& message) {
  const auto [line, column] = position(at);
  errors_->push_back({file_, line, column, printable(path), printable(message)});
}

YAML::Node yaml_reader::required(const YAML::Node& map, const char* key, const std::string& path) {
  YAML::Node found = child(map, key);
  if (!found.IsDefined() && map.IsDefined() && map.IsMap())
    error(map, join_path(path, key), "missing required key");
  return found;
}

bool yaml_reader::expect_map(const YAML::Node& node, const std::string& path,
                             std::initializer_list<const char*> allowed,
                             std::initializer_list<const char*> required) {
  if (!node.IsDefined())
    return false; // absent: reported by the parent's required check
  if (!node.IsMap()) {
    error(node, path, "expected a mapping");
    return false;
  }
  std::vector<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (it->first.IsScalar()) {
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        error(it->first, join_path(path, key), "key given twice");
      else
        seen.push_back(key);
    }
    bool known = false;
    for (const char* a : allowed)
      known = known || key == a;
    if (!known) {
      std::string list;
      for (const char* a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
      if (it->first.IsScalar())
        error(it->first, join_path(path, key), "unknown key (allowed: " + list + ")");
      else
        error(it->first, path, "a key must be a plain name (allowed: " + list + ")");
    }
  }
  for (const char* r : required)
    if (!child(node, r).IsDefined())
      error(node, join_path(path, r), "missing required key");
  return true;
}

bool yaml_reader::expect_open_map(const YAML::Node& node, const std::string& path) {
  if (!node.IsDefined())
    return false; // absent: reported by the parent's required check
  if (!node.IsMap()) {
    error(node, path, "expected a mapping");
    return false;
  }
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

std::optional<std::string> yaml_reader::string_at(const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined())
    return std::nullopt;
  if (!n.IsScalar()) {
    error(n, path, "expected a string");
    return std::nullopt;
  }
  if (!is_valid_utf8(n.Scalar())) {
    error(n, path, "expected UTF-8 text, found " + quote_for_error(n.Scalar()));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<double> yaml_reader::number_at(const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined())
    return std::nullopt;
  std::string problem = "not a number";
  std::optional<double> value;
  if (n.IsScalar())
    value = parse_decimal(n.Scalar(), &problem);
  if (!value) {
    error(n, path,
          "expected a finite number, found "
              + (n.IsScalar() ? quote_for_error(n.Scalar()) + " (" + problem + ")"
                              : std::string("no scalar")));
  }
  return value;
}

std::optional<int64_t> yaml_reader::integer_at(const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined())
    return std::nullopt;
  std::string problem = "not a whole number";
  std::optional<int64_t> value;
  if (n.IsScalar())
    value = parse_whole_number(n.Scalar(), &problem);
  if (!value) {
    error(n, path,
          "expected a whole number, found "
              + (n.IsScalar() ? quote_for_error(n.Scalar()) + " (" + problem + ")"
                              : std::string("no scalar")));
  }
  return value;
}

std::optional<bool> yaml_reader::boolean_at(const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined())
    return std::nullopt;
  bool value = false;
  if (n.IsScalar() && YAML::convert<bool>::decode(n, value))
    return value;
  error(n, path,
        "expected true or false, found "
            + (n.IsScalar() ? quote_for_error(n.Scalar()) : std::string("no scalar")));
  return std::nullopt;
}

std::optional<int64_t> yaml_reader::duration_ms_at(const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined())
    return std::nullopt;
  std::string problem = "not a duration";
  std::optional<int64_t> ms;
  if (n.IsScalar())
    ms = parse_duration_ms(n.Scalar(), &problem);
  if (!ms) {
    if (problem == "out of range")
      error(n, path,
            "the duration " + quote_for_error(n.Scalar()) + " is out of range (at most "
                + format_duration(max_duration_ms) + ")");
    else if (n.IsScalar() && !n.Scalar().empty() && n.Scalar()[0] == '-')
      error(n, path, "a duration cannot be negative, found " + quote_for_error(n.Scalar()));
    else
      error(n, path,
            "expected a duration such as 500ms, 30s, 15m, 6h or 7d, found "
                + (n.IsScalar() ? quote_for_error(n.Scalar()) : std::string("non-scalar")));
    return std::nullopt;
  }
  return ms;
}

std::optional<std::string> yaml_reader::string(const YAML::Node& map, const char* key,
                                               const std::string& path) {
  return string_at(child(map, key), join_path(path, key));
}

std::optional<double> yaml_reader::number(const YAML::Node& map, const char* key,
                                          const std::string& path) {
  return number_at(child(map, key), join_path(path, key));
}

std::optional<int64_t> yaml_reader::integer(const YAML::Node& map, const char* key,
                                            const std::string& path) {
  return integer_at(child(map, key), join_path(path, key));
}

std::optional<bool> yaml_reader::boolean(const YAML::Node& map, const char* key,
                                         const std::string& path) {
  return boolean_at(child(map, key), join_path(path, key));
}

std::optional<int64_t> yaml_reader::duration_ms(const YAML::Node& map, const char* key,
                                                const std::string& path) {
  return duration_ms_at(child(map, key), join_path(path, key));
}

std::optional<std::vector<std::string>>
yaml_reader::string_list(const YAML::Node& map, const char* key, const std::string& path) {
  const YAML::Node n = child(map, key);
  if (!n.IsDefined())
    return std::nullopt;
  const std::string p = join_path(path, key);
  if (!n.IsSequence()) {
    error(n, p, "expected a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = element(n, i);
    if (!item.IsScalar()) {
      error(item, index_path(p, i), "expected a string");
      ok = false;
      continue;
    }
    if (!is_valid_utf8(item.Scalar())) {
      error(item, index_path(p, i), "expected UTF-8 text, found " + quote_for_error(item.Scalar()));
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok)
    return std::nullopt;
  return out;
}

} // namespace grace::config
