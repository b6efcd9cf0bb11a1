// run_detect: the file contract `grace-node detect` must honour for NAB.
#include "actors/predictor/detect.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("grace_predictor_" + std::to_string(::getpid()) + "_" + name);
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

} // namespace

TEST(predictor_anomaly_detect, writes_one_row_per_input_row_in_order) {
  const auto in = temp_path("in.csv"), out = temp_path("out.csv");
  std::vector<std::string> rows;
  {
    std::ofstream f(in);
    f << "timestamp,value\n";
    for (int i = 0; i < 400; ++i) {
      const int minute = (i * 5) % 60, hour = (i * 5 / 60) % 24, day = 1 + i * 5 / 1440;
      char ts[32];
      std::snprintf(ts, sizeof ts, "2014-02-%02d %02d:%02d:00", day, hour, minute);
      std::string value = (i == 300) ? "1e9" : (i % 7 == 0 ? "10.50" : "10");
      rows.push_back(std::string(ts) + "," + value);
      f << rows.back() << "\n";
      if (i == 200) { // a repeated timestamp, as some NAB files have
        rows.push_back(std::string(ts) + ",11");
        f << rows.back() << "\n";
      }
    }
  }
  std::ostringstream log;
  grace::predictor::detect_options opt;
  opt.csv_path = in.string();
  opt.out_path = out.string();
  ASSERT_EQ(grace::predictor::run_detect(opt, log), 0) << log.str();
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), rows.size() + 1);
  EXPECT_EQ(lines[0], "timestamp,value,anomaly_score");
  double spike_score = 0.0, max_score = 0.0;
  size_t spike_row = rows.size();
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& l = lines[i + 1];
    const auto cut = l.rfind(',');
    EXPECT_EQ(l.substr(0, cut), rows[i]) << "timestamp and value are copied unchanged";
    const double s = std::stod(l.substr(cut + 1));
    EXPECT_GE(s, 0.0);
    EXPECT_LE(s, 1.0);
    if (rows[i].find(",1e9") != std::string::npos)
      spike_row = i;
    // An episode is reported at its peak, at most peak_delay (3) rows late.
    if (i >= spike_row && i <= spike_row + 3)
      spike_score = std::max(spike_score, s);
    max_score = std::max(max_score, s);
  }
  // The 1e9 spike (like the unseen 11 above) is among the file's top scores.
  EXPECT_GE(spike_score, 0.5 * max_score);
  EXPECT_GT(spike_score, 0.2);
  fs::remove(in);
  fs::remove(out);
}

TEST(predictor_anomaly_detect, header_only_file_gives_header_only_output) {
  const auto in = temp_path("empty.csv"), out = temp_path("empty_out.csv");
  std::ofstream(in) << "timestamp,value\n";
  std::ostringstream log;
  grace::predictor::detect_options opt{in.string(), out.string(), {}};
  ASSERT_EQ(grace::predictor::run_detect(opt, log), 0);
  EXPECT_EQ(lines_of(out), std::vector<std::string>{"timestamp,value,anomaly_score"});
  fs::remove(in);
  fs::remove(out);
}

TEST(predictor_anomaly_detect, missing_or_bad_input_fails_with_a_message) {
  std::ostringstream log;
  grace::predictor::detect_options opt{"/nonexistent/x.csv", temp_path("never.csv").string(), {}};
  EXPECT_NE(grace::predictor::run_detect(opt, log), 0);
  EXPECT_NE(log.str().find("x.csv"), std::string::npos);

  const auto in = temp_path("bad.csv");
  std::ofstream(in) << "timestamp,value\n2014-02-01 00:00:00,abc\n";
  std::ostringstream log2;
  opt.csv_path = in.string();
  EXPECT_NE(grace::predictor::run_detect(opt, log2), 0);
  EXPECT_FALSE(log2.str().empty());
  fs::remove(in);
}
