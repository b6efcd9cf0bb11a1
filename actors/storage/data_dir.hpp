#pragma once
// The layout of the node's data directory (docs/DESIGN.md, Storage):
//
//   grace_training/<category>/YYYY-MM-DD/HHMMSS_<kind>_<id>.json
//   ml_artifacts/temporal_forecaster/            (tft_model.json + versions)
//   storage/provenance/ledger.jsonl              (hash-chained ledger)
//   storage/metrics.sqlite                       (metric store, WAL)
//   storage/wal/<segment>.log                    (sample log: acknowledged samples)
#include "actors/storage/storage_error.hpp"
#include "messages/types.hpp"

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

namespace grace::storage {

// The ten training-data categories, in the order of the design document.
inline constexpr std::array<std::string_view, 10> training_categories = {
    "web_scraping",  "github",       "youtube",       "reddit",         "api_discovery",
    "code_patterns", "errors_fixed", "user_feedback", "constitutional", "governance"};

bool is_training_category(std::string_view category);

// Paths relative to the data directory root.
std::filesystem::path training_dir(const std::filesystem::path& root);
std::filesystem::path forecaster_artifact_dir(const std::filesystem::path& root);
// ml_artifacts/<model>; `model` must pass check_name.
std::filesystem::path artifact_dir(const std::filesystem::path& root, std::string_view model);
std::filesystem::path provenance_dir(const std::filesystem::path& root);
std::filesystem::path ledger_path(const std::filesystem::path& root);
std::filesystem::path metric_store_path(const std::filesystem::path& root);
std::filesystem::path sample_log_dir(const std::filesystem::path& root);

// Creates every directory of the layout that is missing (root included) and
// checks that each is a directory the process can create files in (by
// creating and removing a probe file, which also catches read-only file
// systems when running as root). Throws storage_error naming the directory
// and the problem ("exists but is not a directory", "not writable", ...).
void prepare_data_dir(const std::filesystem::path& root);

// Checks a name used as part of a file name: non-empty, at most 128
// characters of [A-Za-z0-9_.-], not "." or "..". `what` names it in the
// error ("record kind", "record id", "artifact name").
void check_name(std::string_view name, std::string_view what);

// grace_training/<category>/YYYY-MM-DD/HHMMSS_<kind>_<id>.json with the date
// and time of `ts` in UTC. Throws storage_error for an unknown category or a
// kind/id that check_name rejects (no path traversal). Creates nothing.
std::filesystem::path record_path(const std::filesystem::path& root, std::string_view category,
                                  std::string_view kind, std::string_view id, timestamp_ms ts);

// Creates the date directory if needed and writes `content` atomically to
// record_path(...). Returns the path written.
std::filesystem::path write_record(const std::filesystem::path& root, std::string_view category,
                                   std::string_view kind, std::string_view id, timestamp_ms ts,
                                   std::string_view content);

} // namespace grace::storage
