// The node's health score: a weighted mean of parts, each 0..100, over the
// parts that have data (pure, no CAF). docs/analytics.md gives the formula.
//
//   part                   weight  value
//   forecast_accuracy      0.15    accuracy % of the last 7 days' forecasts
//   forecast_skill         0.15    50 x (1 + skill vs the seasonal naive forecast),
//                                  0..100: 50 is no better than yesterday's values
//   interval_calibration   0.15    100 x max(0, 1 - 2.5 x |coverage80 - 0.80|)
//   warning_precision      0.20    100 x (prevented + came true) / resolved warnings
//   playbook_effectiveness 0.20    50 x (1 + mean reward of evaluated executions)
//   training_freshness     0.15    100 up to one training interval since the last
//                                  cycle, falling linearly to 0 at three
//
// score = sum(weight x value) / sum(weight) over the parts with data; no part
// with data: no score. Label: good >= 75, fair >= 50, poor below.
#pragma once

#include "common/cadence.hpp"
#include "messages/reports.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grace::analytics {

struct health_inputs {
  std::optional<double> accuracy_pct; // forecast accuracy %, 7 days
  uint64_t accuracy_points = 0;
  std::optional<double> skill; // 7 days, mean over the forecast metrics
  std::optional<double> coverage80;
  uint64_t warnings_prevented = 0;
  uint64_t warnings_came_true = 0;
  uint64_t warnings_false_alarm = 0;
  std::optional<double> mean_execution_reward; // over evaluated executions
  uint64_t evaluated_executions = 0;
  std::optional<int64_t> since_last_training_ms; // none: never trained
  int64_t training_interval_ms = cadence::training_interval_ms;
};

struct health_part {
  std::string name;
  double weight = 0.0;
  std::optional<double> value; // 0..100; none: no data yet
  std::string detail;          // the inputs, in words
};

struct health_result {
  std::optional<double> score;
  std::string label; // good / fair / poor; empty without a score
  std::string summary;
  std::vector<health_part> parts;
};

health_result health_score(const health_inputs& in);
std::string health_label(double score);

// The result as the reports carry it (messages/reports.hpp).
health_report report_of(const health_result& r);

} // namespace grace::analytics
