#include "http/request_metrics.hpp"

#include <chrono>
#include <cstdio>
#include <sstream>

namespace grace::http {

namespace {

thread_local std::chrono::steady_clock::time_point request_started{};

std::string seconds_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

} // namespace

void request_metrics::start_timer() {
  request_started = std::chrono::steady_clock::now();
}

double request_metrics::elapsed_seconds() {
  if (request_started == std::chrono::steady_clock::time_point{})
    return 0.0;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - request_started).count();
}

void request_metrics::observe(const std::string& method, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{method, status}];
  ++count_;
  sum_ += seconds;
  for (size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i]) {
      ++buckets_[i];
      break;
    }
}

std::string request_metrics::exposition() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream os;
  os << "# HELP grace_http_requests_total HTTP requests served, by method and status code.\n"
     << "# TYPE grace_http_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    os << "grace_http_requests_total{method=\"" << key.first << "\",code=\"" << key.second << "\"} "
       << n << '\n';
  os << "# HELP grace_http_request_duration_seconds Time from routing to the response.\n"
     << "# TYPE grace_http_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += buckets_[i];
    os << "grace_http_request_duration_seconds_bucket{le=\"" << seconds_text(bounds[i]) << "\"} "
       << cumulative << '\n';
  }
  os << "grace_http_request_duration_seconds_bucket{le=\"+Inf\"} " << count_ << '\n'
     << "grace_http_request_duration_seconds_sum " << seconds_text(sum_) << '\n'
     << "grace_http_request_duration_seconds_count " << count_ << '\n';
  return os.str();
}

} // namespace grace::http
