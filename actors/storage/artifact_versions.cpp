#include "actors/storage/artifact_versions.hpp"

#include "actors/storage/atomic_file.hpp"
#include "actors/storage/data_dir.hpp"

#include <algorithm>
#include <system_error>

namespace grace::storage {

namespace fs = std::filesystem;

namespace {

struct name_parts {
  std::string stem; // "tft_model"
  std::string ext;  // ".json" (may be empty)
};

name_parts split_name(std::string_view name) {
  fs::path p{std::string(name)};
  return {p.stem().string(), p.extension().string()};
}

fs::path version_path(const fs::path& dir, const name_parts& parts, uint64_t n) {
  return dir / (parts.stem + ".v" + std::to_string(n) + parts.ext);
}

// N if `file` is `<stem>.v<N><ext>`.
std::optional<uint64_t> version_number(const std::string& file, const name_parts& parts) {
  const std::string prefix = parts.stem + ".v";
  if (file.size() <= prefix.size() + parts.ext.size())
    return std::nullopt;
  if (file.compare(0, prefix.size(), prefix) != 0)
    return std::nullopt;
  if (file.compare(file.size() - parts.ext.size(), parts.ext.size(), parts.ext) != 0)
    return std::nullopt;
  auto digits = file.substr(prefix.size(), file.size() - prefix.size() - parts.ext.size());
  if (digits.empty() || digits.size() > 18
      || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoull(digits);
}

std::vector<artifact_version> previous_versions(const fs::path& dir, const name_parts& parts) {
  std::vector<artifact_version> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec)
    throw storage_error("cannot list artifact directory '" + dir.string()
                        + "': " + describe_errno(ec.value()));
  for (const auto& entry : it) {
    auto n = version_number(entry.path().filename().string(), parts);
    if (n && entry.is_regular_file(ec))
      out.push_back({entry.path(), false, *n});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.number > b.number; });
  return out;
}

} // namespace

uint64_t save_artifact(const fs::path& dir, std::string_view name, std::string_view content,
                       size_t keep_previous) {
  check_name(name, "artifact name");
  const auto parts = split_name(name);
  const fs::path current = dir / std::string(name);
  auto previous = previous_versions(dir, parts);
  uint64_t kept_as = 0;
  std::error_code ec;
  if (fs::is_regular_file(current, ec)) {
    kept_as = previous.empty() ? 1 : previous.front().number + 1;
    const auto target = version_path(dir, parts, kept_as);
    fs::create_hard_link(current, target, ec);
    if (ec) {
      // File systems without hard links: copy (a crash may then leave a
      // partial copy, which load_newest_valid_artifact skips as invalid).
      ec.clear();
      fs::copy_file(current, target, fs::copy_options::overwrite_existing, ec);
      if (ec)
        throw storage_error("cannot keep the previous version of '" + current.string() + "' as '"
                            + target.string() + "': " + describe_errno(ec.value()));
    }
    previous.insert(previous.begin(), artifact_version{target, false, kept_as});
  }
  // Syncs the directory, which also makes the new link durable.
  write_file_atomically(current, content);
  bool removed = false;
  for (size_t i = keep_previous; i < previous.size(); ++i) {
    fs::remove(previous[i].path, ec);
    if (ec)
      throw storage_error("cannot remove old artifact version '" + previous[i].path.string()
                          + "': " + describe_errno(ec.value()));
    removed = true;
  }
  if (removed)
    sync_directory(dir);
  return kept_as;
}

std::vector<artifact_version> list_artifact_versions(const fs::path& dir, std::string_view name) {
  check_name(name, "artifact name");
  std::vector<artifact_version> out;
  std::error_code ec;
  const fs::path current = dir / std::string(name);
  if (fs::is_regular_file(current, ec))
    out.push_back({current, true, 0});
  if (!fs::is_directory(dir, ec))
    return out;
  auto previous = previous_versions(dir, split_name(name));
  out.insert(out.end(), previous.begin(), previous.end());
  return out;
}

artifact_load_result
load_newest_valid_artifact(const fs::path& dir, std::string_view name,
                           const std::function<std::string(const std::string&)>& validate) {
  artifact_load_result result;
  for (const auto& v : list_artifact_versions(dir, name)) {
    std::string content;
    try {
      content = read_file(v.path);
    } catch (const storage_error& e) {
      result.rejected.push_back("'" + v.path.string() + "': " + e.what());
      continue;
    }
    std::string reason = validate(content);
    if (reason.empty()) {
      result.version = v;
      result.content = std::move(content);
      return result;
    }
    result.rejected.push_back("'" + v.path.string() + "': " + reason);
  }
  return result;
}

} // namespace grace::storage
