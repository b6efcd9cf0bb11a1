#include "actors/predictor/detect.hpp"

#include "actors/ingest/csv_series.hpp"

#include <cstdio>
#include <exception>
#include <fstream>

namespace grace::predictor {

int run_detect(const detect_options& options, std::ostream& log) {
  ingest::csv_series series;
  try {
    series = ingest::read_csv_series_file(options.csv_path);
  } catch (const std::exception& e) {
    log << "detect: " << e.what() << "\n";
    return 1;
  }
  std::ofstream out(options.out_path, std::ios::trunc);
  if (!out) {
    log << "detect: " << options.out_path << ": cannot open for writing\n";
    return 1;
  }
  out << "timestamp,value,anomaly_score\n";
  anomaly_scorer scorer(options.params);
  char buf[32];
  for (const auto& row : series.rows) {
    const double score = scorer.update(row.unix_ms, row.value);
    // Nine significant digits: the NAB threshold sweep ranks by score, so
    // rounding must not merge distinct scores.
    std::snprintf(buf, sizeof buf, "%.9g", score);
    out << row.timestamp_text << ',' << row.value_text << ',' << buf << '\n';
  }
  out.flush();
  if (!out) {
    log << "detect: " << options.out_path << ": write failed\n";
    return 1;
  }
  log << "detect: " << series.rows.size() << " rows scored into " << options.out_path << "\n";
  return 0;
}

} // namespace grace::predictor
