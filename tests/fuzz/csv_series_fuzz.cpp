// The timestamp,value CSV of replay, backtest and detect: rows or a
// std::runtime_error naming the line, never anything else.
#include "actors/ingest/csv_series.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grace::ingest;
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parse_timestamp_ms(text);
  std::istringstream in(text);
  try {
    const auto series = read_csv_series(in, "fuzz.csv");
    for (const auto& row : series.rows) {
      FUZZ_CHECK(std::isfinite(row.value));
      FUZZ_CHECK(parse_timestamp_ms(row.timestamp_text) == row.unix_ms);
    }
    const auto sorted = sorted_unique_by_time(series.rows);
    for (size_t i = 1; i < sorted.size(); ++i)
      FUZZ_CHECK(sorted[i - 1].unix_ms < sorted[i].unix_ms);
    FUZZ_CHECK(median_step_ms(sorted) >= 0);
  } catch (const std::runtime_error& e) {
    FUZZ_CHECK(std::string(e.what()).rfind("fuzz.csv", 0) == 0);
  }
  return 0;
}
