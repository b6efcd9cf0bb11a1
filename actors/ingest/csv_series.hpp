#pragma once
// Reading NAB-style `timestamp,value` CSV files: the format of CSV replay,
// `grace-node backtest` and `grace-node detect`.
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace grace::ingest {

// One row as it stood in the file; the raw text is kept so that tools that
// echo the input (detect) copy it unchanged.
struct csv_row {
  std::string timestamp_text;
  std::string value_text;
  int64_t unix_ms = 0;
  double value = 0.0;
};

struct csv_series {
  std::vector<csv_row> rows; // in file order
};

// Parses "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]" (UTC
// unless an offset is given) or a bare unix time (seconds, or milliseconds
// when above 1e11). Returns nullopt for anything else.
std::optional<int64_t> parse_timestamp_ms(const std::string& text);

// Reads a CSV with a `timestamp,value` header (extra columns are ignored).
// Throws std::runtime_error naming `source_name`, the line and the problem
// for a missing header, a bad timestamp or a non-finite/non-numeric value.
csv_series read_csv_series(std::istream& in, const std::string& source_name);
csv_series read_csv_series_file(const std::string& path);

// Rows sorted by time with repeated timestamps dropped (the first kept), as
// EVALUATION.md's protocol P1 prescribes.
std::vector<csv_row> sorted_unique_by_time(const std::vector<csv_row>& rows);

// The typical sampling interval in milliseconds (median positive step), or 0
// with fewer than two distinct timestamps.
int64_t median_step_ms(const std::vector<csv_row>& rows);

} // namespace grace::ingest
