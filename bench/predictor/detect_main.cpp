// grace-detect-dev detect --csv FILE --out OUT.csv [--params JSON]
// Stands in for `grace-node detect` so nab_run.sh can drive the predictor
// before the node binary exists. --params (dev only) overrides scorer
// settings, e.g. '{"short_window":8}', to evaluate alternatives.
#include "actors/predictor/detect.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

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
  CLI11_PARSE(app, argc, argv);
  if (!params.empty()) {
    try {
      nlohmann::json j = opt.params;
      j.merge_patch(nlohmann::json::parse(params));
      opt.params = j.get<grace::predictor::anomaly_score_params>();
    } catch (const std::exception& e) {
      std::cerr << "--params: " << e.what() << "\n";
      return 2;
    }
  }
  return grace::predictor::run_detect(opt, std::cerr);
}
