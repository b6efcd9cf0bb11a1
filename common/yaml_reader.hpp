#pragma once
// Typed, validating access to a YAML document. Every problem is collected as
// a config_error naming the file, line, column and key path, so a loader can
// report all of them at once and the caller can refuse the whole document.
#include "common/error_text.hpp"
#include "common/scalar_text.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace grace::config {

struct config_error {
  std::string file;
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  std::string key_path; // e.g. metrics[3].thresholds.warning
  std::string message;

  // "file:line:column: key_path: message"
  std::string to_string() const;
};

using common::format_duration;
using common::max_duration_ms;
using common::parse_decimal;
using common::parse_duration_ms;
using common::parse_whole_number;
using text::is_valid_utf8;
using text::printable;
using text::quote_for_error;

// The child `key` of `map`: an undefined (but safe) node when `map` is not a
// mapping or has no such key. yaml-cpp throws when a missing key's node is
// used further; every lookup goes through this instead.
YAML::Node child(const YAML::Node& map, const char* key);
// The element `index` of a sequence, undefined when there is none.
YAML::Node element(const YAML::Node& sequence, size_t index);

class yaml_reader {
public:
  yaml_reader(std::string file, std::vector<config_error>& errors);

  // Loads the file; a syntax error is recorded and yields a null node.
  YAML::Node load_file();
  YAML::Node load_string(const std::string& text);

  void error(const YAML::Node& at, const std::string& path, const std::string& message);

  // Checks `node` is a mapping, reports keys outside `allowed` (at the key's
  // own position) and `required` keys that are missing. Returns whether it is
  // a mapping at all: the caller goes on reading the keys that are there, so
  // that every problem is reported at once. A key given twice is an error
  // too (yaml-cpp would keep the first silently). An undefined node (a
  // missing key) is no mapping and no error here: the parent's required
  // check names it.
  bool expect_map(const YAML::Node& node, const std::string& path,
                  std::initializer_list<const char*> allowed,
                  std::initializer_list<const char*> required);
  // Checks `node` is a mapping whose keys the caller checks itself (free-form
  // names, or keys a later expect_map checks).
  bool expect_open_map(const YAML::Node& node, const std::string& path);
  bool expect_sequence(const YAML::Node& node, const std::string& path);

  // Typed access to a value node at `path`: undefined gives nullopt without
  // an error, a wrong type or a value out of range gives an error naming the
  // path. What the `map, key` readers below use, for values that are no
  // mapping's key (list items, values under free-form keys).
  std::optional<std::string> string_at(const YAML::Node& n, const std::string& path);
  std::optional<double> number_at(const YAML::Node& n, const std::string& path);
  std::optional<int64_t> integer_at(const YAML::Node& n, const std::string& path);
  std::optional<bool> boolean_at(const YAML::Node& n, const std::string& path);
  std::optional<int64_t> duration_ms_at(const YAML::Node& n, const std::string& path);

  // `map[key]`, or an undefined node after recording "missing required key"
  // (when `map` is a mapping: otherwise its own check reported it).
  YAML::Node required(const YAML::Node& map, const char* key, const std::string& path);

  // The line and column (1-based) of `node`, 0 when unknown.
  static std::pair<int, int> position(const YAML::Node& node);

  const std::vector<config_error>& errors() const { return *errors_; }

  // Typed access to `map[key]`; absent gives nullopt without an error (the
  // required check is expect_map's job), a wrong type or a value out of range
  // gives an error naming the key path. `map` may be anything, even undefined.
  std::optional<std::string> string(const YAML::Node& map, const char* key,
                                    const std::string& path);
  std::optional<double> number(const YAML::Node& map, const char* key, const std::string& path);
  std::optional<int64_t> integer(const YAML::Node& map, const char* key, const std::string& path);
  std::optional<bool> boolean(const YAML::Node& map, const char* key, const std::string& path);
  std::optional<int64_t> duration_ms(const YAML::Node& map, const char* key,
                                     const std::string& path);
  std::optional<std::vector<std::string>> string_list(const YAML::Node& map, const char* key,
                                                      const std::string& path);

  const std::string& file() const { return file_; }

private:
  std::string file_;
  std::vector<config_error>* errors_;
};

std::string join_path(const std::string& parent, const std::string& key);
std::string index_path(const std::string& parent, size_t index);

} // namespace grace::config
