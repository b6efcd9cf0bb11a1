#pragma once
// The repository's config/metrics_catalog.yaml, loaded once for unit tests
// (ctest sets GRACE_SOURCE_DIR).
#include "actors/catalog/catalog.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace grace::testing {

inline const catalog::metrics_catalog& shipped_catalog() {
  static const catalog::metrics_catalog cat = [] {
    const char* dir = std::getenv("GRACE_SOURCE_DIR");
    auto loaded =
        catalog::load_catalog_file(std::string(dir ? dir : ".") + "/config/metrics_catalog.yaml");
    if (!loaded.catalog)
      throw std::runtime_error("the shipped catalog does not load");
    return *loaded.catalog;
  }();
  return cat;
}

} // namespace grace::testing
