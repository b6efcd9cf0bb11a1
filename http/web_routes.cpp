#include "http/web_routes.hpp"

#include "http/json_response.hpp"

#include <string>

namespace grace::http {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The page loads only its own files and talks only to this node; no inline
// script, no frames, no forms posting elsewhere.
constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void send_asset(const httplib::Request& req, httplib::Response& res, const web_asset& asset) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", asset.etag);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  if (ends_with(asset.name, ".html")) {
    res.set_header("Content-Security-Policy", content_security_policy);
    res.set_header("X-Frame-Options", "DENY");
  }
  if (req.get_header_value("If-None-Match") == asset.etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  const auto content = asset.content();
  res.set_content(content.data(), content.size(), web_content_type(asset.name));
}

} // namespace

const web_asset* find_web_asset(std::string_view name) {
  for (std::size_t i = 0; i < web_asset_count; ++i)
    if (name == web_assets[i].name)
      return &web_assets[i];
  return nullptr;
}

const char* web_content_type(std::string_view name) {
  struct type {
    const char* extension;
    const char* content_type;
  };
  static constexpr type types[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& t : types)
    if (ends_with(name, t.extension))
      return t.content_type;
  return "application/octet-stream";
}

void install_web_routes(router& server) {
  server.Get("/", [](const httplib::Request& req, httplib::Response& res) {
    const web_asset* page = find_web_asset("index.html");
    if (page == nullptr)
      return send_error(res, 404, "this build has no dashboard page (http/web/index.html)");
    send_asset(req, res, *page);
  });
  server.Get(R"(/web/([A-Za-z0-9_.-]+))", [](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const web_asset* asset = find_web_asset(name);
    if (asset == nullptr)
      return send_error(res, 404, "no such dashboard file '" + name + "'");
    send_asset(req, res, *asset);
  });
}

} // namespace grace::http
