// The dashboard reports (messages/reports.hpp) from everything the analytics
// component gathered (pure, no CAF): overview, health, forecast accuracy,
// playbook performance, learning progress, training history, latest forecasts.
#pragma once

#include "actors/analytics/forecast_accuracy.hpp"
#include "actors/analytics/health_score.hpp"
#include "actors/catalog/catalog.hpp"
#include "common/cadence.hpp"
#include "messages/reports.hpp"
#include "messages/statistics.hpp"
#include "messages/types.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grace::analytics {

constexpr int64_t day_ms = 86400000LL;
constexpr int64_t week_ms = 7 * day_ms;

struct report_settings {
  int64_t training_interval_ms = cadence::training_interval_ms;
  int64_t snapshot_interval_ms =
      cadence::snapshot_interval_ms; // actuals are matched within half of it
};

struct report_inputs {
  timestamp_ms now = 0;
  std::shared_ptr<const catalog::metrics_catalog> catalog;
  // Per forecast metric, the last 7 days (forecasts generated since 7 days
  // plus one horizon before now).
  std::map<std::string, std::vector<forecast>> forecasts;
  std::map<std::string, std::vector<snapshot>> snapshots; // 7 days and one season before
  std::optional<warnings_view> warnings;                  // the predictor's warnings
  std::optional<std::vector<execution>> executions;
  std::optional<std::vector<training_record>> training; // newest first
  std::optional<training_status> trainer;               // the trainer's own state
  std::optional<std::vector<experience>> experiences;   // oldest first
  std::optional<grace::rl_statistics> rl_statistics;    // unset when not answered
  std::optional<grace::rl_policies> rl_policies;
  std::vector<std::string> unavailable; // "<component>: <why>" for what did not answer
};

// Forecast accuracy over the window ending at now.
pooled_accuracy accuracy_over(const report_inputs& in, int64_t window_ms,
                              const report_settings& settings);

health_result health_of(const report_inputs& in, const report_settings& settings);

// Each report carries in.now as generated_at and, but for the latest
// forecasts, in.unavailable.
dashboard_overview overview_report(const report_inputs& in, const report_settings& settings);
dashboard_health health_report_of(const report_inputs& in, const report_settings& settings);
dashboard_accuracy accuracy_report(const report_inputs& in, const report_settings& settings);
dashboard_playbooks playbooks_report(const report_inputs& in);
dashboard_learning learning_report(const report_inputs& in);
dashboard_training training_report(const report_inputs& in, const report_settings& settings);
dashboard_forecasts forecasts_report(const report_inputs& in);

} // namespace grace::analytics
