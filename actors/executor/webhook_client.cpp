#include "actors/executor/webhook_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <httplib.h>
#include <thread>

namespace grace::executor {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr size_t excerpt_bytes = 512;

struct parsed_url {
  std::string scheme_host_port; // "http://host:port"
  std::string path;             // "/..." with the query
  bool https = false;
};

// "http://host[:port][/path]": the error in plain words, empty on success.
std::string parse_url(const std::string& url, parsed_url& out) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return "webhook URL '" + url + "' has no scheme (expected http:// or https://)";
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https")
    return "webhook URL '" + url + "' uses scheme '" + scheme + "' (expected http or https)";
  out.https = scheme == "https";
  auto host_start = scheme_end + 3;
  auto path_start = url.find_first_of("/?#", host_start);
  auto host = url.substr(host_start, path_start == std::string::npos ? std::string::npos
                                                                     : path_start - host_start);
  if (host.empty())
    return "webhook URL '" + url + "' has no host";
  if (host.find('@') != std::string::npos)
    return "webhook URL '" + url + "' carries user info; give credentials as headers instead";
  out.scheme_host_port = scheme + "://" + host;
  out.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (out.path.front() != '/')
    out.path = "/" + out.path;
  if (auto frag = out.path.find('#'); frag != std::string::npos)
    out.path.erase(frag);
  return {};
}

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x))
                  == std::tolower(static_cast<unsigned char>(y));
         });
}

} // namespace

bool webhook_https_supported() {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  return true;
#else
  return false;
#endif
}

webhook_result post_webhook(const std::string& url,
                            const std::map<std::string, std::string>& headers,
                            const std::string& json_body, int64_t timeout_ms, int retries) {
  webhook_result r;
  const auto t0 = clock_type::now();
  auto finish = [&] {
    r.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
    return r;
  };
  parsed_url target;
  if (auto err = parse_url(url, target); !err.empty()) {
    r.error = err;
    return finish();
  }
  if (target.https && !webhook_https_supported()) {
    r.error =
        "webhook URL '" + url + "' is https, but this build of cpp-httplib has no TLS support";
    return finish();
  }
  if (timeout_ms <= 0) {
    r.error = "webhook timeout must be positive, got " + std::to_string(timeout_ms) + "ms";
    return finish();
  }

  std::string content_type = "application/json";
  httplib::Headers request_headers;
  for (const auto& [k, v] : headers) {
    if (iequals(k, "Content-Type"))
      content_type = v;
    else
      request_headers.emplace(k, v);
  }

  httplib::Client client(target.scheme_host_port);
  const auto timeout = std::chrono::milliseconds(timeout_ms);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(false);
  client.set_follow_location(false);

  const int max_attempts = 1 + std::max(retries, 0);
  int64_t backoff_ms = 100;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 1000);
    }
    r.attempts = attempt;
    auto res = client.Post(target.path, request_headers, json_body, content_type);
    if (!res) {
      r.status = 0;
      r.response_excerpt.clear();
      r.error = "cannot reach " + url + ": " + httplib::to_string(res.error());
      continue; // connection errors and timeouts are retried
    }
    r.status = res->status;
    r.response_excerpt = res->body.substr(0, excerpt_bytes);
    if (res->status >= 200 && res->status < 300) {
      r.ok = true;
      r.error.clear();
      return finish();
    }
    r.error = url + " answered HTTP " + std::to_string(res->status);
    if (res->status < 500)
      break; // the request itself is wrong: retrying would not help
  }
  if (r.attempts > 1)
    r.error += " (after " + std::to_string(r.attempts) + " attempts)";
  return finish();
}

} // namespace grace::executor
