#pragma once
// A Prometheus endpoint the node scrapes (scrape_targets in grace.yaml).
#include "actors/ingest/prometheus_text.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace grace::ingest {

struct scrape_target {
  std::string name;
  std::string url;             // http(s)://host[:port]/path
  int64_t interval_ms = 60000; // virtual
  int64_t timeout_ms = 10000;  // real: connect and read
  std::vector<mapping_rule> mappings;
};

} // namespace grace::ingest
