// Dev driver for protocol P1: `grace-backtest-dev backtest --csv F --horizon 12
// --every 144 --first 576 --window 2016 --out O`, the same run_backtest the
// node's `backtest` subcommand calls, so fc_run.sh can drive it.
#include "actors/forecaster/backtest.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"GRACE forecaster backtest (dev driver)"};
  app.require_subcommand(1);
  grace::forecaster::backtest_options opt;
  auto* bt = app.add_subcommand("backtest", "rolling-origin backtest of one CSV series (P1)");
  bt->add_option("--csv", opt.csv_path, "timestamp,value CSV")->required();
  bt->add_option("--out", opt.out_path, "forecast CSV to write")->required();
  bt->add_option("--horizon", opt.horizon, "steps ahead");
  bt->add_option("--every", opt.every, "rows between origins");
  bt->add_option("--first", opt.first, "first origin (rows seen)");
  bt->add_option("--window", opt.window, "rows of history per fit");
  CLI11_PARSE(app, argc, argv);
  return grace::forecaster::run_backtest(opt, std::cerr);
}
