#include "http/router.hpp"

#include "http/front_server.hpp"
#include "http/json_response.hpp"
#include "http/request_metrics.hpp"
#include "http/request_rules.hpp"

#include <chrono>
#include <mutex>
#include <spdlog/spdlog.h>

namespace grace::http {

namespace {

using outcome = httplib::Server::HandlerResponse;

bool is_mutating(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Liveness and readiness answer whatever the Host: probes (a load balancer, a
// kubelet) address the node by whatever name or address they know it by, and
// these two reveal nothing.
bool is_probe(const std::string& path) {
  return path == "/healthz" || path == "/readyz";
}

std::string status_text(int status) {
  switch (status) {
  case 400:
    return "bad request";
  case 401:
    return "unauthorized";
  case 403:
    return "forbidden";
  case 404:
    return "no such route";
  case 405:
    return "method not allowed";
  case 408:
    return "the request did not arrive in time";
  case 413:
    return "request body too large";
  case 414:
    return "request URI too long";
  case 415:
    return "unsupported media type";
  default:
    return "request failed with status " + std::to_string(status);
  }
}

// A request the front refuses is logged for the operator (a name to add to
// http.allowed_hosts, a client sending bad bytes), at most 20 lines a second
// so that a flood of bad requests cannot flood the log. Every piece of the
// request in the line is escaped (log_safe).
void log_refusal(const httplib::Request& req, int status, const std::string& why) {
  static std::mutex mutex;
  static auto window = std::chrono::steady_clock::time_point{};
  static int lines = 0;
  static uint64_t suppressed = 0;
  std::lock_guard<std::mutex> lock(mutex);
  const auto now = std::chrono::steady_clock::now();
  if (now - window >= std::chrono::seconds(1)) {
    if (suppressed > 0)
      spdlog::info("[HTTP] {} more requests refused (not logged)", suppressed);
    window = now;
    lines = 0;
    suppressed = 0;
  }
  if (++lines > 20) {
    ++suppressed;
    return;
  }
  spdlog::info("[HTTP] refused {} {} from {}: {} {}", log_safe(req.method, 16),
               log_safe(req.path, 120), log_safe(req.remote_addr, 64), status, log_safe(why));
}

void refuse(const httplib::Request& req, httplib::Response& res, int status,
            const std::string& why) {
  log_refusal(req, status, why);
  send_error(res, status, why);
}

std::string too_large(int64_t max_body_bytes) {
  return "request body too large (http.max_body_bytes: " + std::to_string(max_body_bytes) + ")";
}

bool media_allowed(body_media media, const std::string& content_type) {
  const std::string type = media_type(content_type);
  return type == "application/json"
         || (media == body_media::json_or_prometheus && type == "text/plain");
}

const char* media_expected(body_media media) {
  return media == body_media::json
             ? "Content-Type must be application/json"
             : "Content-Type must be application/json or text/plain (Prometheus text format "
               "0.0.4)";
}

// The request's framing: a body declared one way only, its length digits only
// and within the limit. Records whether a body follows.
bool check_framing(const httplib::Request& req, httplib::Response& res, int64_t max_body_bytes,
                   exchange_state& ex) {
  const bool has_length = req.has_header("Content-Length");
  if (req.has_header("Transfer-Encoding")) {
    if (req.get_header_value_count("Transfer-Encoding") != 1
        || media_type(req.get_header_value("Transfer-Encoding")) != "chunked") {
      refuse(req, res, 400, "Transfer-Encoding must be chunked (or absent)");
      return false;
    }
    if (has_length) {
      refuse(req, res, 400, "a request must not have both Content-Length and Transfer-Encoding");
      return false;
    }
    ex.has_body = true;
  }
  if (has_length) {
    const std::string text = req.get_header_value("Content-Length");
    const auto declared = parse_content_length(text);
    if (req.get_header_value_count("Content-Length") != 1 || !declared) {
      refuse(req, res, 400,
             "Content-Length must be one whole number of bytes, found '" + log_safe(text, 40)
                 + "'");
      return false;
    }
    ex.has_body = *declared > 0;
    if (*declared > static_cast<uint64_t>(max_body_bytes)) {
      refuse(req, res, 413, too_large(max_body_bytes));
      return false;
    }
  }
  return true;
}

// Path and query as the handlers see them (percent-decoded) must be UTF-8:
// they end up in answers and logs.
bool check_utf8(const httplib::Request& req, httplib::Response& res) {
  size_t bad = 0;
  if (!valid_utf8(req.path, &bad)) {
    refuse(req, res, 400,
           "the path is not valid UTF-8 (byte " + std::to_string(bad) + " once decoded)");
    return false;
  }
  for (const auto& [name, value] : req.params) {
    if (!valid_utf8(name)) {
      refuse(req, res, 400, "a query parameter name is not valid UTF-8");
      return false;
    }
    if (!valid_utf8(value)) {
      refuse(req, res, 400, "query parameter '" + log_safe(name, 60) + "' is not valid UTF-8");
      return false;
    }
  }
  return true;
}

// DNS rebinding and cross-site requests: the Host must name this node, and a
// browser request from another origin is refused (the node serves no CORS).
bool check_origin(const httplib::Request& req, httplib::Response& res, const host_policy& hosts) {
  if (is_probe(req.path))
    return true;
  if (!req.has_header("Host")) {
    refuse(req, res, 400, "the Host header is missing");
    return false;
  }
  const std::string host = req.get_header_value("Host");
  if (!hosts.allows(host)) {
    refuse(req, res, 403,
           "Host '" + log_safe(host, 100) + "' is not a name of this node (it answers to "
               + hosts.describe() + "; add names to http.allowed_hosts)");
    return false;
  }
  if (req.has_header("Origin")) {
    const std::string origin = req.get_header_value("Origin");
    if (!same_origin(origin, host)) {
      refuse(req, res, 403,
             "cross-origin request refused: Origin '" + log_safe(origin, 100)
                 + "' is not this node's (http://" + log_safe(host, 100) + ")");
      return false;
    }
  }
  // A page on another site can still load a URL without an Origin (an image,
  // a script); browsers say so in Sec-Fetch-Site. Navigations stay allowed.
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if ((site == "cross-site" || site == "same-site")
      && req.get_header_value("Sec-Fetch-Mode") != "navigate") {
    refuse(req, res, 403, "cross-origin request refused (Sec-Fetch-Site: " + site + ")");
    return false;
  }
  return true;
}

} // namespace

router::router(httplib::Server& server, front_settings settings)
    : server_(server), settings_(std::move(settings)) {
  server_.set_payload_max_length(static_cast<size_t>(settings_.max_body_bytes));

  auto hosts = std::make_shared<host_policy>(settings_.bind, settings_.allowed_hosts);
  server_.set_pre_routing_handler(
      [this, hosts](const httplib::Request& req, httplib::Response& res) {
        request_metrics::start_timer();
        auto& ex = current_exchange();
        ex.checked = true;
        if (!check_framing(req, res, settings_.max_body_bytes, ex) || !check_utf8(req, res)
            || !check_origin(req, res, *hosts))
          return outcome::Handled;
        if (settings_.token.empty() || !is_mutating(req.method))
          return outcome::Unhandled;
        if (!same_secret(req.get_header_value("Authorization"), "Bearer " + settings_.token)) {
          res.set_header("WWW-Authenticate", "Bearer");
          refuse(req, res, 401, "this request needs 'Authorization: Bearer <token>'");
          return outcome::Handled;
        }
        return outcome::Unhandled;
      });

  // Errors raised by cpp-httplib itself (400, 414, ...) get a JSON body too;
  // the handlers' own JSON errors are left as they are.
  server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty())
      send_error(res, res.status, status_text(res.status));
  });

  server_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep)
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("[HTTP] {} {} failed: {}", log_safe(req.method), log_safe(req.path),
                      log_safe(what));
        send_error(res, 500, "internal error: " + what);
      });

  // A request whose body was not read to its end leaves the rest of it on the
  // connection: the connection closes after the answer, and says so.
  server_.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    const auto& ex = current_exchange();
    if ((ex.close || (ex.has_body && !ex.body_read))
        && res.get_header_value("Connection") != "close") {
      res.headers.erase("Keep-Alive");
      res.set_header("Connection", "close");
    }
  });
}

void router::Get(const std::string& pattern, handler h) {
  routes_.push_back({"GET", std::regex(pattern)});
  server_.Get(pattern, std::move(h));
}

void router::Post(const std::string& pattern, body_media media, handler h) {
  routes_.push_back({"POST", std::regex(pattern)});
  const int64_t max_body = settings_.max_body_bytes;
  server_.Post(pattern, [media, max_body, h = std::move(h)](const httplib::Request& req,
                                                            httplib::Response& res,
                                                            const httplib::ContentReader& read) {
    auto& ex = current_exchange();
    if (!media_allowed(media, req.get_header_value("Content-Type")))
      return refuse(req, res, 415, media_expected(media));
    std::string body;
    if (ex.has_body) {
      bool over = false;
      const bool complete = read([&](const char* data, size_t n) {
        if (body.size() + n > static_cast<size_t>(max_body)) {
          over = true;
          return false;
        }
        body.append(data, n);
        return true;
      });
      if (over) {
        ex.close = true;
        return refuse(req, res, 413, too_large(max_body));
      }
      if (!complete) {
        ex.close = true;
        return ex.timed_out ? refuse(req, res, 408,
                                     "the request body did not arrive within "
                                     "http.read_timeout")
                            : refuse(req, res, 400,
                                     "the request body could not be read "
                                     "(malformed chunked encoding, or cut short)");
      }
      ex.body_read = true;
    }
    size_t bad = 0;
    if (!valid_utf8(body, &bad))
      return refuse(req, res, 400,
                    "the body is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    httplib::Request with_body = req;
    with_body.body = std::move(body);
    h(with_body, res);
  });
}

void router::add_bodyless_post(const std::string& pattern, handler h) {
  routes_.push_back({"POST", std::regex(pattern)});
  server_.Post(pattern, [h = std::move(h)](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader&) { h(req, res); });
}

void router::set_logger(httplib::Logger logger) {
  server_.set_logger(std::move(logger));
}

std::string router::allowed_methods(const std::string& path) const {
  static const char* const order[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  std::string out;
  for (const char* method : order) {
    bool taken = false;
    for (const auto& r : routes_)
      taken = taken || (r.method == method && std::regex_match(path, r.pattern));
    if (!taken)
      continue;
    out += (out.empty() ? "" : ", ") + std::string(method);
    if (std::string(method) == "GET")
      out += ", HEAD";
  }
  return out;
}

void router::finish() {
  auto not_routed = [this](const httplib::Request& req, httplib::Response& res) {
    const std::string allow = allowed_methods(req.path);
    if (allow.empty())
      return send_error(res, 404, "no such route");
    res.set_header("Allow", allow);
    send_error(res, 405, "method not allowed");
  };
  auto unread_body = [not_routed](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader&) { not_routed(req, res); };
  // Registered last: cpp-httplib tries routes in order. Those of the methods
  // with a body never read it (cpp-httplib would read it whole, unbounded).
  server_.Get(".*", not_routed);
  server_.Options(".*", not_routed);
  server_.Post(".*", unread_body);
  server_.Put(".*", unread_body);
  server_.Patch(".*", unread_body);
  server_.Delete(".*", unread_body);
}

} // namespace grace::http
