#pragma once
// One forecaster training cycle, without CAF: which snapshots it reads, the
// fit itself, and the documents it leaves behind (the model artifact and the
// training record). The trainer actor only fetches, stores and announces.
#include "actors/catalog/catalog.hpp"
#include "actors/forecaster/temporal_forecaster.hpp"
#include "common/cadence.hpp"
#include "messages/types.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace grace::trainer {

struct training_settings {
  int64_t interval_ms = cadence::training_interval_ms; // between scheduled cycles
  int64_t window_ms = cadence::training_window_ms;     // the cycle's new data (the last 24 h)
  int64_t history_ms = cadence::training_history_ms;   // longer history, for the daily cycle
  int64_t step_ms = cadence::snapshot_interval_ms;     // snapshot interval
  int horizon_steps = 12;                              // forecast horizon in steps (60 min)
  int threads = 2;
};

// Thrown when a cycle cannot train (no snapshots at all).
struct training_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Start of the snapshots a cycle at `now_ms` reads: the longer of the window
// and the history.
int64_t data_since(int64_t now_ms, const training_settings& settings);

struct training_output {
  std::shared_ptr<const forecaster::temporal_forecaster> model;
  std::string artifact_json;   // ml_artifacts/temporal_forecaster/tft_model.json
  training_record record;      // finished_at is the caller's to set
  uint64_t window_samples = 0; // snapshots within the last window_ms
};

// Fits the forecaster on every catalog metric found in `snapshots` (any order).
// Throws training_error when no catalog metric has a snapshot.
training_output train(const std::vector<snapshot>& snapshots,
                      const catalog::metrics_catalog& catalog, const training_settings& settings,
                      uint64_t cycle, int64_t started_at_ms);

// The code_patterns training record: the record, the window's sample count,
// validation per metric, feature importances and where the artifact went.
std::string record_document(const training_output& output, const std::string& artifact_path);

// Id part of the record's file name: "20251109_154523" (UTC).
std::string record_id(int64_t unix_ms);

// 1245 -> "1,245": the product description's "X samples processed".
std::string with_thousands(uint64_t n);

} // namespace grace::trainer
