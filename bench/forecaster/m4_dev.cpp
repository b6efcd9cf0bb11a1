// M4 Hourly development check, in process: every series of an M4-format
// training CSV less its last `horizon` values is the history, those values
// the test (the `--dev` protocol of m4_eval.py, same timestamps, same
// config as `grace-node backtest`). Prints sMAPE and MASE (seasonal period
// 24, the M4 definitions) over all series and over the two halves of the
// sorted ids (even / odd positions: tune on one, report on the other), and
// the interval coverage by horizon band.
//
// Usage: m4_dev HOURLY_TRAIN_CSV [HORIZON] [--series-out FILE] [--show ID]
//               [setting=value ...]
//   --series-out: one line per series (id, MASE, seasonal naive's MASE,
//   trend share, daily and weekly period, global share); --show: the forecast of one
//   series step by step; settings override forecaster_config for
//   experiments (see the parser below); shift_back=N moves every origin N
//   rows earlier (a check away from the end of the data).
#include "actors/forecaster/temporal_forecaster.hpp"
#include "bench/forecaster/config_settings.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace gf = grace::forecaster;

namespace {

std::map<std::string, std::vector<double>> read_m4(const std::string& path) {
  std::map<std::string, std::vector<double>> out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell, id;
    std::getline(ss, id, ',');
    id.erase(std::remove(id.begin(), id.end(), '"'), id.end());
    std::vector<double> v;
    while (std::getline(ss, cell, ',')) {
      cell.erase(std::remove(cell.begin(), cell.end(), '"'), cell.end());
      if (cell.empty() || cell == "NA" || cell == "\r") {
        continue;
      }
      v.push_back(std::stod(cell));
    }
    out[id] = std::move(v);
  }
  return out;
}

struct tally {
  double smape = 0.0, mase = 0.0, sn_smape = 0.0, sn_mase = 0.0;
  size_t n = 0;
  void print(const char* name) const {
    const double k = static_cast<double>(std::max<size_t>(n, 1));
    std::printf("%-6s series=%zu smape=%.3f mase=%.3f snaive_smape=%.3f snaive_mase=%.3f\n", name,
                n, smape / k, mase / k, sn_smape / k, sn_mase / k);
  }
};

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: m4_dev HOURLY_TRAIN_CSV [horizon] [--series-out FILE]\n";
    return 2;
  }
  int H = 48;
  std::string series_out, show;
  gf::forecaster_config base;
  size_t shift_back = 0;  // origins this many rows earlier (a check away from the end)
  size_t band_width = 12; // steps per coverage band
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq != std::string::npos) {
      const std::string k = a.substr(0, eq);
      const double v = std::stod(a.substr(eq + 1));
      if (k == "band_width") {
        band_width = std::max<size_t>(1, static_cast<size_t>(v));
      } else if (k == "shift_back") {
        shift_back = static_cast<size_t>(v);
      } else if (!gf::bench::apply_setting(base, k, v)) {
        std::cerr << "unknown setting " << k << "\n";
        return 2;
      }
    } else if (a == "--show" && i + 1 < argc) {
      show = argv[++i];
    } else if (a == "--series-out" && i + 1 < argc) {
      series_out = argv[++i];
    } else {
      H = std::stoi(a);
    }
  }
  const auto data = read_m4(argv[1]);
  constexpr int64_t t0 = 1'451'865'600'000; // 2016-01-04 00:00 UTC, as m4_eval.py
  constexpr int m = 24;
  tally all, halves[2];
  std::vector<size_t> bands;
  for (size_t b = 1; b <= static_cast<size_t>(H); b += band_width) {
    bands.push_back(b);
  }
  std::vector<double> c80(bands.size()), c95(bands.size()), cn(bands.size());
  // Misses below the lower and above the upper bounds (symmetry of the bands).
  std::vector<std::array<double, 4>> tails(bands.size(), std::array<double, 4>{});
  // Winkler score of the 80% interval in units of the MASE scale: width plus
  // 10x the miss (lower is better), mean per band and per half.
  std::vector<double> wink(bands.size());
  double half_wink[2] = {0.0, 0.0};
  // Per half of the series (even / odd positions), as the point figures.
  std::vector<double> half80[2], half95[2], half_n[2];
  for (int k = 0; k < 2; ++k) {
    half80[k].assign(bands.size(), 0.0);
    half95[k].assign(bands.size(), 0.0);
    half_n[k].assign(bands.size(), 0.0);
  }
  std::vector<std::vector<double>> need(bands.size()); // factor the 80% offsets would need
  std::FILE* per = series_out.empty() ? nullptr : std::fopen(series_out.c_str(), "w");
  size_t index = 0;
  double seconds = 0.0;
  for (const auto& [id, values] : data) {
    if (values.size() <= static_cast<size_t>(H + m) || (!show.empty() && id != show)) {
      continue;
    }
    const long back = static_cast<long>(shift_back);
    const std::vector<double> x(values.begin(), values.end() - H - back);
    const std::vector<double> y(values.end() - H - back, values.end() - back);
    gf::series_input in;
    in.id = id;
    in.start_ms = t0;
    in.step_ms = 3'600'000;
    in.values = x;
    gf::forecaster_config config = base;
    config.horizon = H;
    config.threads = 1;
    const auto c0 = std::chrono::steady_clock::now();
    gf::temporal_forecaster model(config);
    model.fit(in);
    const gf::forecast_result f = model.forecast(id, H);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    if (!show.empty()) {
      const gf::series_model& sm = model.series().at(id);
      std::printf("cycle=%d week=%d global_share=%.2f trend_share=%.2f drift=%d\n", sm.cycle,
                  sm.week, sm.global_share, sm.trend_share, sm.has_cycle_drift ? 1 : 0);
      for (int h : {1, 12, 24, 48}) {
        std::printf("weights h%d:", h);
        for (int c = 0; c < gf::candidate_count; ++c) {
          const double w = sm.weights[static_cast<size_t>(h - 1)][static_cast<size_t>(c)];
          if (w > 0) {
            std::printf(" %s=%.2f", gf::candidate_name(c), w);
          }
        }
        std::printf("\n");
      }
      for (int h = 0; h < H; ++h) {
        const auto& st = f.steps[static_cast<size_t>(h)];
        std::printf("h%d actual=%.1f mean=%.1f [%.1f %.1f] snaive=%.1f\n", h + 1,
                    y[static_cast<size_t>(h)], st.mean, st.lo80, st.hi80,
                    x[x.size() - m + static_cast<size_t>(h % m)]);
      }
    }
    double scale = 0.0;
    for (size_t i = m; i < x.size(); ++i) {
      scale += std::fabs(x[i] - x[i - m]);
    }
    scale /= static_cast<double>(x.size() - m);
    double sm = 0.0, ms = 0.0, ssm = 0.0, sms = 0.0;
    for (int h = 0; h < H; ++h) {
      const double a = y[static_cast<size_t>(h)];
      const double p = f.steps[static_cast<size_t>(h)].mean;
      const double sn = x[x.size() - m + static_cast<size_t>(h % m)];
      ms += std::fabs(a - p) / scale;
      sm += 200.0 * std::fabs(a - p) / (std::fabs(a) + std::fabs(p));
      sms += std::fabs(a - sn) / scale;
      ssm += 200.0 * std::fabs(a - sn) / (std::fabs(a) + std::fabs(sn));
      size_t b = 0;
      while (b + 1 < bands.size() && static_cast<size_t>(h + 1) >= bands[b + 1]) {
        ++b;
      }
      const auto& s = f.steps[static_cast<size_t>(h)];
      c80[b] += (a >= s.lo80 && a <= s.hi80) ? 1.0 : 0.0;
      const double off = a >= s.mean ? s.hi80 - s.mean : s.mean - s.lo80;
      need[b].push_back(off > 0 ? std::fabs(a - s.mean) / off : (a == s.mean ? 0.0 : 1e9));
      c95[b] += (a >= s.lo95 && a <= s.hi95) ? 1.0 : 0.0;
      cn[b] += 1.0;
      tails[b][0] += a < s.lo80 ? 1.0 : 0.0;
      tails[b][1] += a > s.hi80 ? 1.0 : 0.0;
      tails[b][2] += a < s.lo95 ? 1.0 : 0.0;
      tails[b][3] += a > s.hi95 ? 1.0 : 0.0;
      half80[index % 2][b] += (a >= s.lo80 && a <= s.hi80) ? 1.0 : 0.0;
      half95[index % 2][b] += (a >= s.lo95 && a <= s.hi95) ? 1.0 : 0.0;
      half_n[index % 2][b] += 1.0;
      const double w80 =
          (s.hi80 - s.lo80 + 10.0 * (std::max(s.lo80 - a, 0.0) + std::max(a - s.hi80, 0.0)))
          / scale;
      wink[b] += w80;
      half_wink[index % 2] += w80 / H;
    }
    for (tally* t : {&all, &halves[index % 2]}) {
      t->smape += sm / H;
      t->mase += ms / H;
      t->sn_smape += ssm / H;
      t->sn_mase += sms / H;
      ++t->n;
    }
    if (per) {
      const gf::series_model& sm = model.series().at(id);
      std::fprintf(per, "%s %.4f %.4f %.2f %d %d %.2f\n", id.c_str(), ms / H, sms / H,
                   sm.trend_share, sm.cycle, sm.week, sm.global_share);
    }
    ++index;
  }
  if (per) {
    std::fclose(per);
  }
  all.print("all");
  halves[0].print("even");
  halves[1].print("odd");
  std::printf("coverage80/95 by horizon:");
  for (size_t b = 0; b < bands.size(); ++b) {
    std::printf(" h%zu+ %.3f/%.3f", bands[b], c80[b] / std::max(cn[b], 1.0),
                c95[b] / std::max(cn[b], 1.0));
  }
  for (int k = 0; k < 2; ++k) {
    std::printf("\n%s coverage80/95:", k == 0 ? "even" : "odd ");
    for (size_t b = 0; b < bands.size(); ++b) {
      std::printf(" h%zu+ %.3f/%.3f", bands[b], half80[k][b] / std::max(half_n[k][b], 1.0),
                  half95[k][b] / std::max(half_n[k][b], 1.0));
    }
  }
  std::printf("\nmisses below/above 80%%, below/above 95%%:");
  for (size_t b = 0; b < bands.size(); ++b) {
    const double k = std::max(cn[b], 1.0);
    std::printf(" h%zu+ %.3f/%.3f %.3f/%.3f", bands[b], tails[b][0] / k, tails[b][1] / k,
                tails[b][2] / k, tails[b][3] / k);
  }
  std::printf("\nwinkler80/scale: all %.4f even %.4f odd %.4f by band:",
              (half_wink[0] + half_wink[1]) / static_cast<double>(std::max<size_t>(all.n, 1)),
              half_wink[0] / static_cast<double>(std::max<size_t>(halves[0].n, 1)),
              half_wink[1] / static_cast<double>(std::max<size_t>(halves[1].n, 1)));
  for (size_t b = 0; b < bands.size(); ++b) {
    std::printf(" h%zu+ %.3f", bands[b], wink[b] / std::max(cn[b], 1.0));
  }
  std::printf("\nfactor the 80%% offsets need for 80%% coverage:");
  for (size_t b = 0; b < bands.size(); ++b) {
    auto& v = need[b];
    std::sort(v.begin(), v.end());
    std::printf(" h%zu+ %.3f", bands[b], v.empty() ? 0.0 : v[v.size() * 8 / 10]);
  }
  std::printf("\nms per fit+forecast %.3f\n", 1e3 * seconds / static_cast<double>(all.n));
  return 0;
}
