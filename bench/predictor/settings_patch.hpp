// Applies a JSON merge patch to a settings struct for the dev tools
// (grace-lead-time --warner, grace-detect-dev --params). A key the settings
// do not have is an error, not silently dropped: a misspelt option, or a
// binary built before the option existed, would otherwise measure the
// defaults under the option's name.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace grace::bench {

namespace detail {
// Keys of `patch` (recursively into objects) missing from `applied`, the
// settings serialised again after the patch: what from_json did not read.
inline void find_unread(const nlohmann::json& patch, const nlohmann::json& applied,
                        const std::string& where, std::string& unread) {
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null())
      continue; // a merge patch's null removes a key; nothing to read
    const std::string path = where.empty() ? it.key() : where + "." + it.key();
    if (!applied.is_object() || !applied.contains(it.key())) {
      unread += (unread.empty() ? "" : ", ") + path;
      continue;
    }
    if (it.value().is_object())
      find_unread(it.value(), applied.at(it.key()), path, unread);
  }
}
} // namespace detail

/// Throws std::invalid_argument naming the unknown keys, or what the JSON
/// parser or the settings' from_json throws; `settings` is changed only on
/// success.
template <class Settings> void apply_settings_patch(Settings& settings, const std::string& text) {
  const auto patch = nlohmann::json::parse(text);
  if (!patch.is_object())
    throw std::invalid_argument("expected a JSON object of settings");
  nlohmann::json merged = settings;
  merged.merge_patch(patch);
  Settings patched = merged.get<Settings>();
  const nlohmann::json applied = patched;
  std::string unread;
  detail::find_unread(patch, applied, "", unread);
  if (!unread.empty())
    throw std::invalid_argument("unknown setting(s): " + unread);
  settings = std::move(patched);
}

} // namespace grace::bench
