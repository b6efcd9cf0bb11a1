#include "actors/forecaster/artifact.hpp"

#include <cmath>
#include <limits>

namespace grace::forecaster {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw artifact_error("forecaster artifact: " + where + ": " + what);
}

const json& field(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) {
    fail(where, "expected an object");
  }
  const auto it = obj.find(key);
  if (it == obj.end()) {
    fail(where, std::string("missing field '") + key + "'");
  }
  return *it;
}

double number(const json& obj, const char* key, const std::string& where) {
  const json& v = field(obj, key, where);
  if (!v.is_number()) {
    fail(where + "." + key, "expected a number");
  }
  const double d = v.get<double>();
  if (!std::isfinite(d)) {
    fail(where + "." + key, "not finite");
  }
  return d;
}

int64_t integer(const json& obj, const char* key, const std::string& where) {
  const json& v = field(obj, key, where);
  if (!v.is_number_integer()) {
    fail(where + "." + key, "expected an integer");
  }
  return v.get<int64_t>();
}

std::vector<double> numbers(const json& obj, const char* key, const std::string& where) {
  const json& v = field(obj, key, where);
  if (!v.is_array()) {
    fail(where + "." + key, "expected an array");
  }
  std::vector<double> out;
  out.reserve(v.size());
  for (const json& e : v) {
    if (!e.is_number() || !std::isfinite(e.get<double>())) {
      fail(where + "." + key, "expected finite numbers");
    }
    out.push_back(e.get<double>());
  }
  return out;
}

// Non-finite doubles have no JSON form; the model never produces them, so
// writing one would be a bug worth failing loudly on.
double finite(double v, const char* what) {
  if (!std::isfinite(v)) {
    throw artifact_error(std::string("forecaster artifact: non-finite ") + what);
  }
  return v;
}

json finite_array(const std::vector<double>& v, const char* what) {
  json a = json::array();
  for (double d : v) {
    a.push_back(finite(d, what));
  }
  return a;
}

} // namespace

json to_json(const temporal_forecaster& f) {
  const forecaster_config& c = f.config();
  json doc;
  doc["format"] = artifact_format;
  doc["version"] = artifact_version;
  doc["model"] = "robust statistical component + global linear quantile regression + "
                 "conformal intervals";
  doc["trained_at_ms"] = f.trained_at_ms();
  doc["config"] = {{"horizon", c.horizon},
                   {"validation_rows", c.validation_rows},
                   {"min_rows", c.min_rows},
                   {"short_window", c.robust.short_window},
                   {"long_window", c.robust.long_window},
                   {"es_alpha", c.robust.alpha},
                   {"es_beta", c.robust.beta},
                   {"es_phi", c.robust.phi},
                   {"clip", c.robust.clip},
                   {"shift_rows", c.robust.shift_rows},
                   {"shift_sigmas", c.robust.shift_sigmas},
                   {"profile_halfwidth", c.robust.profile_halfwidth},
                   {"combination_band", c.combination_band},
                   {"validation_stride", c.validation_stride},
                   {"ridge", c.global.ridge},
                   {"calibration_half_life", c.calibration_half_life},
                   {"trend_rows", c.robust.trend_rows},
                   {"trend_z", c.robust.trend_z},
                   {"trend_sigmas", c.robust.trend_sigmas},
                   {"trend_keep_pace", c.robust.trend_keep_pace},
                   {"trend_phi", c.robust.trend_phi},
                   {"trend_widen80", c.robust.trend_widen80},
                   {"trend_widen95", c.robust.trend_widen95},
                   {"min_calibration_samples", c.min_calibration_samples},
                   {"min_trend_cells", c.min_trend_cells},
                   {"default_trend_share", c.default_trend_share},
                   {"min_season_strength", c.robust.min_season_strength},
                   {"min_week_cycles", c.robust.min_week_cycles},
                   {"drift_cycles", c.robust.drift_cycles},
                   {"drift_z", c.robust.drift_z},
                   {"trend_reach_ms", c.robust.trend_reach_ms},
                   {"calibration_band", c.calibration_band},
                   {"calibration_dependence", c.calibration_dependence},
                   {"phase_spread_days", c.phase_spread_days},
                   {"combination_half_life", c.combination_half_life},
                   {"combination_choose_recency", c.combination_choose_recency}};
  const quantile_model& g = f.global_model();
  json features = json::array();
  for (int i = 0; i < feature_count; ++i) {
    features.push_back(feature_name(i));
  }
  json weights = json::array();
  for (long h = 0; h < g.weights().rows(); ++h) {
    std::vector<double> row(g.weights().cols());
    for (long j = 0; j < g.weights().cols(); ++j) {
      row[static_cast<size_t>(j)] = g.weights()(h, j);
    }
    weights.push_back(finite_array(row, "global weight"));
  }
  doc["global_model"] = {{"tau", g.tau()},
                         {"features", features},
                         {"weights", weights},
                         {"trained_rows", g.trained_rows()}};
  json importance = json::array();
  for (const auto& fw : f.feature_importance()) {
    importance.push_back({{"group", fw.group}, {"weight", finite(fw.weight, "importance")}});
  }
  doc["feature_importance"] = importance;
  doc["validation"] = {
      {"series", f.validation().series},
      {"mean_mase", finite(f.validation().mean_mase, "validation score")},
      {"mean_naive_mase", finite(f.validation().mean_naive_mase, "validation score")}};
  json series = json::array();
  for (const auto& [id, m] : f.series()) {
    json cal = json::array();
    for (const auto& o : m.calibration.per_horizon()) {
      cal.push_back(finite_array({o.lo80, o.hi80, o.lo95, o.hi95}, "calibration"));
    }
    json w = json::array();
    for (const auto& per_h : m.weights) {
      json wh = json::object();
      for (int k = 0; k < candidate_count; ++k) {
        wh[candidate_name(k)] = finite(per_h[static_cast<size_t>(k)], "candidate weight");
      }
      w.push_back(wh);
    }
    series.push_back(
        {{"id", id},
         {"step_ms", m.step_ms},
         {"next_ms", m.next_ms},
         {"history_rows", m.history_rows},
         {"cycle", m.cycle},
         {"tail_phase0", m.tail_phase0},
         {"profile", finite_array(m.profile, "profile")},
         {"week", m.week},
         {"tail_week_phase0", m.tail_week_phase0},
         {"week_profile", finite_array(m.week_profile, "week_profile")},
         {"cycle_drift", {{"valid", m.has_cycle_drift}, {"drift", finite(m.drift, "drift")}}},
         {"tail", finite_array(m.tail, "tail")},
         {"es", {{"level", finite(m.es.level, "level")}, {"trend", finite(m.es.trend, "trend")}}},
         {"candidate_weights", w},
         {"global_share", m.global_share},
         {"trend_share", m.trend_share},
         {"scale", finite(m.scale, "scale")},
         {"noise_sigma", finite(m.noise_sigma, "noise_sigma")},
         {"calibration", cal},
         {"phase_spread", finite_array(m.phase_spread, "phase_spread")},
         {"validation",
          {{"mase", finite(m.validation_mase, "validation score")},
           {"naive_mase", finite(m.validation_naive_mase, "validation score")}}}});
  }
  doc["series"] = series;
  return doc;
}

temporal_forecaster forecaster_from_json(const json& doc) {
  if (!doc.is_object()) {
    fail("document", "expected a JSON object");
  }
  const json& format = field(doc, "format", "document");
  if (!format.is_string() || format.get<std::string>() != artifact_format) {
    fail("format", std::string("expected \"") + artifact_format + "\"");
  }
  const int64_t version = integer(doc, "version", "document");
  if (version < 1 || version > artifact_version) {
    fail("version", "version " + std::to_string(version) + " is not supported (expected 1 to "
                        + std::to_string(artifact_version) + ")");
  }
  const bool has_trend = version >= 2;
  const bool has_seasons = version >= 3;
  const bool has_spread = version >= 4;
  const bool has_recency = version >= 5;
  forecaster_config c;
  const json& jc = field(doc, "config", "document");
  c.horizon = static_cast<int>(integer(jc, "horizon", "config"));
  c.validation_rows = static_cast<int>(integer(jc, "validation_rows", "config"));
  c.min_rows = static_cast<int>(integer(jc, "min_rows", "config"));
  c.robust.short_window = static_cast<int>(integer(jc, "short_window", "config"));
  c.robust.long_window = static_cast<int>(integer(jc, "long_window", "config"));
  c.robust.alpha = number(jc, "es_alpha", "config");
  c.robust.beta = number(jc, "es_beta", "config");
  c.robust.phi = number(jc, "es_phi", "config");
  c.robust.clip = number(jc, "clip", "config");
  c.robust.shift_rows = static_cast<int>(integer(jc, "shift_rows", "config"));
  c.robust.shift_sigmas = number(jc, "shift_sigmas", "config");
  c.robust.profile_halfwidth = static_cast<int>(integer(jc, "profile_halfwidth", "config"));
  c.combination_band = static_cast<int>(integer(jc, "combination_band", "config"));
  c.validation_stride = static_cast<int>(integer(jc, "validation_stride", "config"));
  c.global.ridge = number(jc, "ridge", "config");
  c.calibration_half_life = number(jc, "calibration_half_life", "config");
  if (has_trend) {
    c.robust.trend_rows = static_cast<int>(integer(jc, "trend_rows", "config"));
    c.robust.trend_z = number(jc, "trend_z", "config");
    c.robust.trend_sigmas = number(jc, "trend_sigmas", "config");
    c.robust.trend_keep_pace = number(jc, "trend_keep_pace", "config");
    c.robust.trend_phi = number(jc, "trend_phi", "config");
    c.robust.trend_widen80 = number(jc, "trend_widen80", "config");
    c.robust.trend_widen95 = number(jc, "trend_widen95", "config");
    c.min_calibration_samples = static_cast<int>(integer(jc, "min_calibration_samples", "config"));
    c.min_trend_cells = static_cast<int>(integer(jc, "min_trend_cells", "config"));
    c.default_trend_share = number(jc, "default_trend_share", "config");
  }
  if (has_seasons) {
    c.robust.min_season_strength = number(jc, "min_season_strength", "config");
    c.robust.min_week_cycles = static_cast<int>(integer(jc, "min_week_cycles", "config"));
    c.robust.drift_cycles = static_cast<int>(integer(jc, "drift_cycles", "config"));
    c.robust.drift_z = number(jc, "drift_z", "config");
    c.robust.trend_reach_ms = integer(jc, "trend_reach_ms", "config");
  } else {
    // As those documents were fitted: the trend rule without a reach.
    c.robust.trend_reach_ms = std::numeric_limits<int64_t>::max();
  }
  if (has_spread) {
    c.calibration_band = static_cast<int>(integer(jc, "calibration_band", "config"));
    c.calibration_dependence = number(jc, "calibration_dependence", "config");
    c.phase_spread_days = static_cast<int>(integer(jc, "phase_spread_days", "config"));
    if (c.calibration_band < 0 || c.calibration_band > 10000 || c.calibration_dependence < 0.0) {
      fail("config", "calibration_band and calibration_dependence must not be negative");
    }
  } else {
    // As those documents were fitted.
    c.calibration_band = 0;
    c.calibration_dependence = 0.0;
    c.phase_spread_days = 0;
  }
  if (has_recency) {
    c.combination_half_life = number(jc, "combination_half_life", "config");
    const json& choose = field(jc, "combination_choose_recency", "config");
    if (!choose.is_boolean()) {
      fail("config.combination_choose_recency", "expected true or false");
    }
    c.combination_choose_recency = choose.get<bool>();
    if (!(c.combination_half_life >= 0.0) || !std::isfinite(c.combination_half_life)) {
      fail("config", "combination_half_life must be a finite number, 0 or more");
    }
  } else {
    c.combination_half_life = 0.0; // as those documents were fitted: plain errors
  }
  if (c.horizon < 1 || c.horizon > 10000 || c.robust.short_window < 1 || c.robust.long_window < 1
      || c.validation_rows < 1) {
    fail("config", "horizon and windows must be positive");
  }

  const json& jg = field(doc, "global_model", "document");
  const json& jf = field(jg, "features", "global_model");
  if (!jf.is_array() || jf.size() != static_cast<size_t>(feature_count)) {
    fail("global_model.features", "expected " + std::to_string(feature_count) + " features");
  }
  for (int i = 0; i < feature_count; ++i) {
    if (!jf[static_cast<size_t>(i)].is_string()
        || jf[static_cast<size_t>(i)].get<std::string>() != feature_name(i)) {
      fail("global_model.features", "feature " + std::to_string(i) + " is not '" + feature_name(i)
                                        + "' (incompatible feature set)");
    }
  }
  const json& jw = field(jg, "weights", "global_model");
  if (!jw.is_array() || jw.size() != static_cast<size_t>(c.horizon)) {
    fail("global_model.weights",
         "expected one row per horizon (" + std::to_string(c.horizon) + ")");
  }
  Eigen::MatrixXd weights(c.horizon, feature_count);
  for (int h = 0; h < c.horizon; ++h) {
    const json& row = jw[static_cast<size_t>(h)];
    if (!row.is_array() || row.size() != static_cast<size_t>(feature_count)) {
      fail("global_model.weights", "row " + std::to_string(h) + " has the wrong length");
    }
    for (int j = 0; j < feature_count; ++j) {
      const json& v = row[static_cast<size_t>(j)];
      if (!v.is_number() || !std::isfinite(v.get<double>())) {
        fail("global_model.weights", "non-numeric weight");
      }
      weights(h, j) = v.get<double>();
    }
  }
  const double tau = number(jg, "tau", "global_model");
  const int64_t trained_rows = integer(jg, "trained_rows", "global_model");
  std::array<double, group_count> importance{};
  const json& ji = field(doc, "feature_importance", "document");
  if (!ji.is_array() || ji.size() != static_cast<size_t>(group_count)) {
    fail("feature_importance", "expected " + std::to_string(group_count) + " groups");
  }
  for (int g = 0; g < group_count; ++g) {
    const json& e = ji[static_cast<size_t>(g)];
    const json& name = field(e, "group", "feature_importance");
    if (!name.is_string() || name.get<std::string>() != feature_group_name(g)) {
      fail("feature_importance",
           "group " + std::to_string(g) + " is not '" + feature_group_name(g) + "'");
    }
    importance[static_cast<size_t>(g)] = number(e, "weight", "feature_importance");
  }
  quantile_model global(c.horizon, 0.5);
  try {
    global.restore(tau, weights, static_cast<size_t>(std::max<int64_t>(trained_rows, 0)),
                   importance);
  } catch (const std::invalid_argument& e) {
    fail("global_model", e.what());
  }

  validation_summary val;
  const json& jv = field(doc, "validation", "document");
  val.series = static_cast<size_t>(std::max<int64_t>(integer(jv, "series", "validation"), 0));
  val.mean_mase = number(jv, "mean_mase", "validation");
  val.mean_naive_mase = number(jv, "mean_naive_mase", "validation");

  std::map<std::string, series_model> models;
  const json& js = field(doc, "series", "document");
  if (!js.is_array()) {
    fail("series", "expected an array");
  }
  for (size_t i = 0; i < js.size(); ++i) {
    const json& e = js[i];
    const std::string where = "series[" + std::to_string(i) + "]";
    series_model m;
    const json& id = field(e, "id", where);
    if (!id.is_string()) {
      fail(where + ".id", "expected a string");
    }
    m.id = id.get<std::string>();
    m.step_ms = integer(e, "step_ms", where);
    m.next_ms = integer(e, "next_ms", where);
    m.history_rows = static_cast<size_t>(std::max<int64_t>(integer(e, "history_rows", where), 0));
    m.cycle = static_cast<int>(integer(e, "cycle", where));
    m.tail_phase0 = static_cast<int>(integer(e, "tail_phase0", where));
    m.profile = numbers(e, "profile", where);
    m.tail = numbers(e, "tail", where);
    if (m.step_ms <= 0) {
      fail(where + ".step_ms", "must be positive");
    }
    if (m.cycle < 0 || (!m.profile.empty() && m.profile.size() != static_cast<size_t>(m.cycle))
        || m.tail_phase0 < 0 || (m.cycle > 0 && m.tail_phase0 >= m.cycle)) {
      fail(where + ".profile", "profile length, cycle and phase disagree");
    }
    if (has_seasons) {
      m.week = static_cast<int>(integer(e, "week", where));
      m.tail_week_phase0 = static_cast<int>(integer(e, "tail_week_phase0", where));
      m.week_profile = numbers(e, "week_profile", where);
      if (m.week < 0
          || (!m.week_profile.empty() && m.week_profile.size() != static_cast<size_t>(m.week))
          || m.tail_week_phase0 < 0 || (m.week > 0 && m.tail_week_phase0 >= m.week)) {
        fail(where + ".week_profile", "weekly profile length, week and phase disagree");
      }
      const json& cd = field(e, "cycle_drift", where);
      const json& valid = field(cd, "valid", where + ".cycle_drift");
      if (!valid.is_boolean()) {
        fail(where + ".cycle_drift.valid", "expected true or false");
      }
      m.has_cycle_drift = valid.get<bool>();
      m.drift = number(cd, "drift", where + ".cycle_drift");
    }
    const json& es = field(e, "es", where);
    m.es.level = number(es, "level", where + ".es");
    m.es.trend = number(es, "trend", where + ".es");
    const json& w = field(e, "candidate_weights", where);
    if (!w.is_array() || w.size() != static_cast<size_t>(c.horizon)) {
      fail(where + ".candidate_weights", "expected one entry per horizon");
    }
    for (const json& wh : w) {
      std::array<double, candidate_count> per_h{};
      double wsum = 0.0;
      for (int k = 0; k < candidate_count; ++k) {
        // Candidates newer than the document have no weight in it.
        if (!has_seasons && k >= candidate_seasonal_naive_drift) {
          continue;
        }
        per_h[static_cast<size_t>(k)] = number(wh, candidate_name(k), where + ".candidate_weights");
        wsum += per_h[static_cast<size_t>(k)];
      }
      if (std::fabs(wsum - 1.0) > 1e-6) {
        fail(where + ".candidate_weights", "weights must sum to 1");
      }
      m.weights.push_back(per_h);
    }
    m.global_share = number(e, "global_share", where);
    if (m.global_share < 0.0 || m.global_share > 1.0) {
      fail(where + ".global_share", "must lie in [0, 1]");
    }
    m.trend_share = has_trend ? number(e, "trend_share", where) : 0.0;
    if (m.trend_share < 0.0 || m.trend_share > 1.0) {
      fail(where + ".trend_share", "must lie in [0, 1]");
    }
    m.scale = number(e, "scale", where);
    m.noise_sigma = number(e, "noise_sigma", where);
    if (!(m.scale > 0.0)) {
      fail(where + ".scale", "must be positive");
    }
    const json& cal = field(e, "calibration", where);
    if (!cal.is_array() || cal.size() != static_cast<size_t>(c.horizon)) {
      fail(where + ".calibration", "expected one entry per horizon");
    }
    std::vector<interval_offsets> offs;
    for (const json& o : cal) {
      if (!o.is_array() || o.size() != 4) {
        fail(where + ".calibration", "expected [lo80, hi80, lo95, hi95]");
      }
      for (const json& v : o) {
        if (!v.is_number() || !std::isfinite(v.get<double>())) {
          fail(where + ".calibration", "non-numeric offset");
        }
      }
      offs.push_back(
          {o[0].get<double>(), o[1].get<double>(), o[2].get<double>(), o[3].get<double>()});
    }
    m.calibration = conformal_calibration(std::move(offs));
    if (has_spread) {
      m.phase_spread = numbers(e, "phase_spread", where);
      if (!m.phase_spread.empty()
          && m.phase_spread.size() != static_cast<size_t>(daily_cycle_rows(m.step_ms))) {
        fail(where + ".phase_spread", "expected one entry per row of the day, or none");
      }
      for (double v : m.phase_spread) {
        if (!(v > 0.0)) {
          fail(where + ".phase_spread", "spreads must be positive");
        }
      }
    }
    const json& v = field(e, "validation", where);
    m.validation_mase = number(v, "mase", where + ".validation");
    m.validation_naive_mase = number(v, "naive_mase", where + ".validation");
    if (models.count(m.id)) {
      fail(where + ".id", "duplicate id '" + m.id + "'");
    }
    models.emplace(m.id, std::move(m));
  }
  return temporal_forecaster::restore(c, std::move(global), std::move(models), val,
                                      integer(doc, "trained_at_ms", "document"));
}

} // namespace grace::forecaster
