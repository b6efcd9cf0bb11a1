#pragma once
// The HTTP front's own figures for /metrics: requests by method and status
// code, and a latency histogram. Timed from the pre-routing handler to the
// logger, which httplib calls on the same worker thread for one request.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace grace::http {

class request_metrics {
public:
  // Upper bounds of the latency buckets, seconds (+Inf is implied).
  static constexpr std::array<double, 11> bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1.0,  2.5};

  // Marks the start of the request served by this thread.
  static void start_timer();
  // Seconds since start_timer() on this thread (0 when it was not called).
  static double elapsed_seconds();

  void observe(const std::string& method, int status, double seconds);
  // grace_http_requests_total and grace_http_request_duration_seconds.
  std::string exposition() const;

private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::array<uint64_t, bounds.size()> buckets_{}; // per bucket, not cumulative
  uint64_t count_ = 0;
  double sum_ = 0.0;
};

} // namespace grace::http
