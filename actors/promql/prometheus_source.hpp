#pragma once
// The user's Prometheus as a metric source (the `prometheus:` section of
// grace.yaml). Catalog metrics with a `promql:` expression are read from it.
#include "common/cadence.hpp"

#include <cstdint>
#include <string>

namespace grace::promql {

struct prometheus_source {
  std::string url;               // http(s)://host[:port][/path prefix]; empty: no PromQL source
  std::string bearer_token_file; // sent as "Authorization: Bearer <token>"; empty: none
  std::string ca_file;           // PEM CA bundle for an https url; empty: the system's
  int64_t timeout_ms = 10000;    // real: connect and read, per request
  int64_t backfill_ms =
      cadence::training_history_ms; // history read at start (default: training.history)
};

} // namespace grace::promql
