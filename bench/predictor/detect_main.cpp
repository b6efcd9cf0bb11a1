// grace-detect-dev detect --csv FILE --out OUT.csv [--params JSON]
// grace-detect-dev warn --csv FILE --threshold T [--direction above|below] --out OUT.csv [--params
// JSON] The same run_detect / run_warn that `grace-node detect` / `grace-node warn` call; --params
// (dev only) overrides the scorer's or the warner's settings, e.g. '{"short_window":8}' or
// '{"use_history":false}', to evaluate alternatives (bench/predictor/nab_loco.py passes them).
#include "actors/predictor/detect.hpp"
#include "actors/predictor/warn.hpp"
#include "bench/predictor/settings_patch.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace {

template <class T> bool patch(T& settings, const std::string& params) {
  if (params.empty())
    return true;
  try {
    grace::bench::apply_settings_patch(settings, params);
    return true;
  } catch (const std::exception& e) {
    std::cerr << "--params: " << e.what() << "\n";
    return false;
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"GRACE predictor dev driver"};
  app.require_subcommand(1);
  auto* detect = app.add_subcommand("detect", "score a timestamp,value CSV row by row");
  grace::predictor::detect_options opt;
  std::string params;
  detect->add_option("--csv", opt.csv_path, "input CSV (timestamp,value)")->required();
  detect->add_option("--out", opt.out_path, "output CSV (timestamp,value,anomaly_score)")
      ->required();
  detect->add_option("--params", params, "JSON overriding scorer settings (dev only)");

  auto* warn = app.add_subcommand("warn", "breach probability within 60 min per row");
  grace::predictor::warn_options wopt;
  std::string direction = "above";
  warn->add_option("--csv", wopt.csv_path, "input CSV (timestamp,value)")->required();
  warn->add_option("--out", wopt.out_path, "output CSV (timestamp,score)")->required();
  warn->add_option("--threshold", wopt.threshold, "threshold")->required();
  warn->add_option("--direction", direction, "above or below")
      ->check(CLI::IsMember({"above", "below"}));
  warn->add_option("--params", params, "JSON overriding warner settings (dev only)");
  CLI11_PARSE(app, argc, argv);
  if (*detect)
    return patch(opt.params, params) ? grace::predictor::run_detect(opt, std::cerr) : 2;
  wopt.higher_is_worse = direction == "above";
  return patch(wopt.warner, params) ? grace::predictor::run_warn(wopt, std::cerr) : 2;
}
