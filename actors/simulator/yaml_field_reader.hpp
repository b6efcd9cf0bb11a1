#pragma once
// Typed access to YAML fields that records, instead of throwing, every error
// as "file:line:column: key.path: message" (yaml-cpp marks are 0-based; the
// messages are 1-based like an editor's).
#include "actors/simulator/simulator_config.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace grace::simulator {

class yaml_field_reader {
public:
  explicit yaml_field_reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  const std::vector<std::string>& errors() const { return errors_; }

  source_location location(const YAML::Node& node) const;
  void error(const YAML::Node& node, const std::string& path, const std::string& message);

  // True when node is a map; records "expected a map" otherwise.
  bool expect_map(const YAML::Node& node, const std::string& path);
  bool expect_sequence(const YAML::Node& node, const std::string& path);

  // Records an error for every key of `map` not in `allowed`, and for keys
  // that appear twice.
  void check_keys(const YAML::Node& map, const std::string& path,
                  std::initializer_list<const char*> allowed);

  // The child, or an undefined node after recording "missing required field".
  YAML::Node required(const YAML::Node& map, const std::string& path, const char* key);
  // The child if there is one, else an undefined node; never throws (yaml-cpp
  // throws when the node of a missing key is used further).
  static YAML::Node child(const YAML::Node& map, const char* key);
  static YAML::Node element(const YAML::Node& sequence, std::size_t i);

  static std::string join(const std::string& path, const std::string& key);
  static std::string index(const std::string& path, std::size_t i);

  std::optional<double> number(const YAML::Node& node, const std::string& path);
  std::optional<double> number_at_least(const YAML::Node& node, const std::string& path,
                                        double lowest);
  std::optional<double> probability(const YAML::Node& node, const std::string& path);
  std::optional<std::string> text(const YAML::Node& node, const std::string& path);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& path);
  std::optional<uint64_t> unsigned_integer(const YAML::Node& node, const std::string& path);
  std::optional<int64_t> duration(const YAML::Node& node, const std::string& path);
  // Either one duration or {min: D, max: D}.
  std::optional<duration_range> range(const YAML::Node& node, const std::string& path);

private:
  std::string file_;
  std::vector<std::string> errors_;
};

} // namespace grace::simulator
