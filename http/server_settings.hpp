#pragma once
// The HTTP front's settings: grace.yaml `http:` (see docs/configuration.md)
// fills them; their defaults live here once.
#include <cstdint>
#include <string>
#include <vector>

namespace grace::http {

struct server_settings {
  std::string bind = "127.0.0.1";
  int port = 8000;   // 0: any free port (logged)
  std::string token; // empty: no authentication
  int64_t request_timeout_ms = 5000;
  int64_t max_body_bytes = 16 * 1024 * 1024;
  int threads = 16;
  int max_event_streams = 8;
  std::vector<std::string> allowed_hosts; // Host names besides the bind address (and loopback)
  int64_t idle_timeout_ms = 10000;        // a connection with no request is closed after this
  int64_t read_timeout_ms = 10000;        // a request's head and body arrive within this
  int max_connections = 1024;
};

} // namespace grace::http
