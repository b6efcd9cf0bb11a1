#pragma once
// Versioned model artifacts: `<dir>/<name>` is the current version and the
// previous ones are kept beside it as `<stem>.v<N><ext>` (tft_model.json ->
// tft_model.v7.json), N growing by one per save. The node loads the newest
// version that passes its own validation, so a corrupt current file falls
// back to the last good one.
#include "actors/storage/storage_error.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grace::storage {

struct artifact_version {
  std::filesystem::path path;
  bool is_current = false; // `<dir>/<name>` itself
  uint64_t number = 0;     // N of `<stem>.v<N><ext>`; 0 for the current file
};

// Saves `content` as the current `<dir>/<name>`. If a current file exists, it
// is first kept as version max(N)+1 (a hard link, so `<dir>/<name>` exists at
// every instant and a crash leaves the old or the new current), then the new
// content is written atomically. Afterwards only the newest `keep_previous`
// previous versions are kept. `name` must pass check_name; `dir` must exist.
// Returns the number given to the previous current, or 0 if there was none.
uint64_t save_artifact(const std::filesystem::path& dir, std::string_view name,
                       std::string_view content, size_t keep_previous);

// The current file (if present) followed by the previous versions, newest
// (highest N) first. Files that do not match the naming are ignored.
std::vector<artifact_version> list_artifact_versions(const std::filesystem::path& dir,
                                                     std::string_view name);

struct artifact_load_result {
  std::optional<artifact_version> version; // nullopt: no valid version found
  std::string content;
  // One line per version tried and rejected, newest first:
  // "'<path>': <reason>" (unreadable, or the validator's reason).
  std::vector<std::string> rejected;
};

// Reads the versions newest first and returns the first whose content
// `validate` accepts: it returns an empty string for valid content, or the
// reason why the content is not usable.
artifact_load_result
load_newest_valid_artifact(const std::filesystem::path& dir, std::string_view name,
                           const std::function<std::string(const std::string&)>& validate);

} // namespace grace::storage
