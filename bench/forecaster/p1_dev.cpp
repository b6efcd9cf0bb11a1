// Protocol P1 (EVALUATION.md §1) over a directory of NAB-style CSVs, in
// process and with forecaster_config overrides: the same run_backtest as
// `grace-node backtest` (horizon 12, every 144, first 576, window 2016),
// writing OUT_DIR/<category>.<series>.grace.csv for fc_summary.py.
// Files are shared among `threads` workers (each fit is single-threaded).
//
// Usage: p1_dev DATA_DIR OUT_DIR [threads=N] [setting=value ...]
//   DATA_DIR holds <category>/<series>.csv; settings as forecaster_m4_dev.
#include "actors/forecaster/backtest.hpp"
#include "bench/forecaster/config_settings.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace gf = grace::forecaster;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: p1_dev DATA_DIR OUT_DIR [threads=N] [setting=value ...]\n";
    return 2;
  }
  const fs::path data = argv[1], out = argv[2];
  gf::forecaster_config config;
  int threads = 1;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq == std::string::npos) {
      std::cerr << "expected setting=value, got " << a << "\n";
      return 2;
    }
    const std::string k = a.substr(0, eq);
    const double v = std::stod(a.substr(eq + 1));
    if (k == "threads") {
      threads = std::max(1, static_cast<int>(v));
    } else if (!gf::bench::apply_setting(config, k, v)) {
      std::cerr << "unknown setting " << k << "\n";
      return 2;
    }
  }
  std::vector<std::pair<std::string, fs::path>> jobs; // (category.series, csv)
  for (const auto& cat : fs::directory_iterator(data)) {
    if (!cat.is_directory()) {
      continue;
    }
    for (const auto& f : fs::directory_iterator(cat.path())) {
      if (f.path().extension() == ".csv") {
        jobs.emplace_back(cat.path().filename().string() + "." + f.path().stem().string(),
                          f.path());
      }
    }
  }
  std::sort(jobs.begin(), jobs.end());
  fs::create_directories(out);
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  std::mutex log_mutex;
  auto work = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      gf::backtest_options opt;
      opt.csv_path = jobs[i].second.string();
      opt.out_path = (out / (jobs[i].first + ".grace.csv")).string();
      opt.config = config;
      std::ostringstream log;
      if (gf::run_backtest(opt, log) != 0) {
        ++failed;
        const std::lock_guard<std::mutex> lock(log_mutex);
        std::cerr << log.str();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w) {
    pool.emplace_back(work);
  }
  work();
  for (auto& t : pool) {
    t.join();
  }
  std::cout << "p1_dev series=" << jobs.size() << " failed=" << failed << "\n";
  return failed == 0 ? 0 : 1;
}
