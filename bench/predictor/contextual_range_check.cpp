// grace-contextual-range-check FILE OUT.csv [--file-range] [--nab-rest]
// Diagnostic, not the product: the contextual detector (CAD OSE) alone, as
// NAB ran it, to separate the algorithm from what NAB gave it. NAB hands
// every detector the file's min and max before the first row and sets CAD's
// rest period to a fifth of the probationary period (15% of the file, at
// most 750 rows): both need the whole file in advance. --file-range feeds
// the file's min and max as two leading samples (their scores are not
// written), --nab-rest sets that rest period; without either the detector
// runs as the node's option does (running range, rest 150 samples).
#include "actors/ingest/csv_series.hpp"
#include "actors/predictor/contextual_anomaly.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: grace-contextual-range-check FILE OUT.csv [--file-range] [--nab-rest]\n";
    return 2;
  }
  bool file_range = false, nab_rest = false;
  for (int i = 3; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--file-range")
      file_range = true;
    else if (flag == "--nab-rest")
      nab_rest = true;
    else {
      std::cerr << "unknown option " << flag << "\n";
      return 2;
    }
  }
  grace::ingest::csv_series series;
  try {
    series = grace::ingest::read_csv_series_file(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
  if (series.rows.empty()) {
    std::cerr << argv[1] << ": no rows\n";
    return 1;
  }
  grace::predictor::contextual_params p;
  if (nab_rest) {
    const double probation =
        std::min(std::floor(0.15 * static_cast<double>(series.rows.size())), 750.0);
    p.rest_samples = std::max(1, static_cast<int>(probation / 5.0));
  }
  grace::predictor::contextual_detector detector(p);
  if (file_range) {
    double lo = series.rows.front().value, hi = lo;
    for (const auto& row : series.rows) {
      lo = std::min(lo, row.value);
      hi = std::max(hi, row.value);
    }
    detector.update(lo);
    detector.update(hi);
  }
  std::ofstream out(argv[2], std::ios::trunc);
  out << "timestamp,value,anomaly_score\n";
  char buf[32];
  for (const auto& row : series.rows) {
    std::snprintf(buf, sizeof buf, "%.9g", detector.update(row.value));
    out << row.timestamp_text << ',' << row.value_text << ',' << buf << '\n';
  }
  out.flush();
  if (!out) {
    std::cerr << argv[2] << ": write failed\n";
    return 1;
  }
  return 0;
}
