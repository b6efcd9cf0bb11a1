#pragma once
// Every route is registered through the router, which applies the front's
// rules around cpp-httplib's routing:
//
// * before routing (every request): the framing (Content-Length digits only,
//   at most http.max_body_bytes; Transfer-Encoding chunked or none), UTF-8 in
//   the path and query, the Host (http.allowed_hosts) and Origin, and the
//   bearer token for mutating requests;
// * routes with a body read it themselves, bounded by http.max_body_bytes
//   however it is sent (Content-Length or chunked), after checking its media
//   type (415) and before checking it is UTF-8; the handler sees it in
//   req.body as before;
// * a request no route takes is 405 with Allow when its path is known for
//   other methods, 404 otherwise; errors raised by cpp-httplib get a JSON body.
#include <cstdint>
#include <httplib.h>
#include <regex>
#include <string>
#include <vector>

namespace grace::http {

struct front_settings {
  std::string bind = "127.0.0.1";
  std::vector<std::string> allowed_hosts;
  std::string token; // empty: no authentication
  int64_t max_body_bytes = 16 * 1024 * 1024;
};

// The media types a route's body may have.
enum class body_media {
  json,               // application/json
  json_or_prometheus, // application/json, or text/plain (the Prometheus text format)
};

class router {
public:
  using handler = httplib::Server::Handler;

  // Installs the checks on `server` (its pre-routing, error, exception and
  // post-routing handlers).
  router(httplib::Server& server, front_settings settings);

  void Get(const std::string& pattern, handler h);
  // A route whose body is JSON.
  void Post(const std::string& pattern, handler h) {
    Post(pattern, body_media::json, std::move(h));
  }
  void Post(const std::string& pattern, body_media media, handler h);
  // A POST route that reads no body (see post_without_body).
  void add_bodyless_post(const std::string& pattern, handler h);

  void set_logger(httplib::Logger logger);

  // Answers what no route takes (404, or 405 with Allow); call after every
  // route is registered, since cpp-httplib tries routes in that order.
  void finish();

  const front_settings& settings() const { return settings_; }

private:
  struct known_route {
    std::string method;
    std::regex pattern;
  };

  // "GET, HEAD, POST" for the methods some route takes `path` with; empty when none.
  std::string allowed_methods(const std::string& path) const;

  httplib::Server& server_;
  front_settings settings_;
  std::vector<known_route> routes_;
};

// A POST route that takes no body: cpp-httplib never buffers whatever body a
// client sends anyway, and a bare `curl -X POST` (no Content-Length) is fine.
inline void post_without_body(router& server, const std::string& pattern, router::handler h) {
  server.add_bodyless_post(pattern, std::move(h));
}

} // namespace grace::http
