#pragma once
// An optional figure in the reports' JSON: the number, or null when there is
// no data for it.
#include <nlohmann/json.hpp>
#include <optional>

namespace grace::analytics {

inline nlohmann::json or_null(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

} // namespace grace::analytics
