#pragma once
// The forecaster's persisted form (ml_artifacts/temporal_forecaster/tft_model.json):
// format name and version, training time, configuration, global model
// weights and feature importances, per-metric parameters with their
// calibration state and validation scores. The storage actor does the file
// I/O; this is only the document.
#include "actors/forecaster/temporal_forecaster.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace grace::forecaster {

inline constexpr const char* artifact_format = "grace.temporal_forecaster";
// Version 2 added the local-trend rule (config trend_*, per-series
// trend_share). Version 1 documents still load, with the rule off for their
// series (trend_share 0: their calibration was fitted without it).
// Version 3 added the weekly profile, the long-horizon candidates (their
// weights are 0 in older documents), the seasonal strength test and the
// cap on the trend's extrapolation (none for older documents, as fitted).
// Version 4 added the pooled, dependence-widened calibration (config
// calibration_band, calibration_dependence) and the spread by time of day
// (config phase_spread_days, per-series phase_spread); older documents load
// with all three off, as they were fitted.
// Version 5 added the age-weighted candidate errors (config
// combination_half_life, combination_choose_recency); older documents load
// with the half-life 0 (plain errors), as they were fitted.
inline constexpr int artifact_version = 5;

// Thrown for a document that is corrupt or of another format/version; the
// message names the offending field.
struct artifact_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

nlohmann::json to_json(const temporal_forecaster& forecaster);
temporal_forecaster forecaster_from_json(const nlohmann::json& document);

} // namespace grace::forecaster
