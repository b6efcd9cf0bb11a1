#pragma once
// Whole-file writes that a crash cannot leave half done.
#include "actors/storage/storage_error.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace grace::storage {

// Replaces `path` with `content`: writes a temp file in the same directory
// (".<name>.tmp.XXXXXX"), fsyncs it, renames it over `path` and fsyncs the
// directory. After a crash `path` holds either the old or the new content.
// A new file gets mode 0644; an existing file keeps its mode.
// Throws storage_error naming the path and the cause ("disk full", "not
// writable", ...); the temp file is removed on failure. The directory must
// exist. If only the final directory fsync fails, the new content is
// already in place (but its durability is not confirmed) and it still throws.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// The whole content of `path`. Throws storage_error ("does not exist", "is a
// directory", "not readable", ...).
std::string read_file(const std::filesystem::path& path);

// fsyncs a directory so that a rename/create/unlink inside it is durable.
void sync_directory(const std::filesystem::path& dir);

} // namespace grace::storage
