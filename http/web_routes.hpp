#pragma once
// The operator dashboard: the files of http/web/, compiled into the binary at
// build time (cmake/embed_web_assets.cmake writes web_assets.cpp in the build
// directory), served at / (index.html) and /web/<file>.
#include "http/router.hpp"

#include <cstddef>
#include <httplib.h>
#include <string_view>

namespace grace::http {

struct web_asset {
  const char* name; // file name under http/web/, e.g. "dashboard.js"
  const unsigned char* data;
  std::size_t size;
  const char* etag; // quoted, from the file's SHA-256

  std::string_view content() const { return {reinterpret_cast<const char*>(data), size}; }
};

// Defined in the generated web_assets.cpp, sorted by name.
extern const web_asset web_assets[];
extern const std::size_t web_asset_count;

// The embedded file of that name, or nullptr.
const web_asset* find_web_asset(std::string_view name);

// The Content-Type for a file name, by its extension.
const char* web_content_type(std::string_view name);

// GET / and GET /web/<file>; an unknown file answers 404 JSON.
void install_web_routes(router& server);

} // namespace grace::http
