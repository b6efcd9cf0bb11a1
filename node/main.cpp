// grace-node: the command line. Subcommands read grace.yaml (--config) and
// accept --data-dir; flags override the file.
#include "actors/catalog/catalog.hpp"
#include "actors/forecaster/backtest.hpp"
#include "actors/ingest/csv_series.hpp"
#include "actors/predictor/detect.hpp"
#include "actors/predictor/warn.hpp"
#include "actors/simulator/simulator_config.hpp"
#include "actors/storage/data_dir.hpp"
#include "actors/storage/provenance_ledger.hpp"
#include "http/request_rules.hpp"
#include "node/logging.hpp"
#include "node/node_config.hpp"
#include "node/node_system.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>

#ifndef GRACE_VERSION
#define GRACE_VERSION "unknown"
#endif

namespace {

using grace::node::node_settings;

struct common_options {
  std::string config_path = "config/grace.yaml";
  std::string data_dir;
};

void add_common(CLI::App* cmd, common_options& o) {
  cmd->add_option("--config", o.config_path, "grace.yaml to read")->capture_default_str();
  cmd->add_option("--data-dir", o.data_dir, "data directory (overrides node.data_dir)");
}

// Loads the settings; prints every error and returns false when the file is
// invalid.
bool load_settings(const common_options& o, node_settings& out) {
  auto result = grace::node::load_node_settings(o.config_path);
  if (!result.ok()) {
    std::cerr << "grace-node: " << o.config_path << " is invalid:\n";
    for (const auto& e : result.errors)
      std::cerr << "  " << e.to_string() << "\n";
    return false;
  }
  out = result.settings;
  if (!o.data_dir.empty())
    out.data_dir = o.data_dir;
  return true;
}

int validate_catalog(const std::string& path) {
  grace::catalog::load_result result;
  try {
    result = grace::catalog::load_catalog_file(path);
  } catch (const std::exception& e) {
    std::cerr << path << ": cannot be read: " << e.what() << "\n";
    return 1;
  }
  if (!result.catalog) {
    std::cerr << path << ": " << result.errors.size() << " error"
              << (result.errors.size() == 1 ? "" : "s") << "\n";
    for (const auto& e : result.errors)
      std::cerr << "  " << e.to_string() << "\n";
    return 1;
  }
  std::cout << path << ": valid (" << result.catalog->metrics().size() << " metrics, "
            << result.catalog->playbooks().size() << " playbooks)\n";
  return 0;
}

// 0: the chain verifies; 1: it does not, or there is no ledger to verify (a
// mistyped --data-dir must not pass as a good ledger).
int verify_ledger(const node_settings& s) {
  namespace fs = std::filesystem;
  const auto path = grace::storage::ledger_path(s.data_dir);
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    std::cerr << path.string() << ": no ledger here (data directory " << s.data_dir
              << "): nothing to verify\n";
    return 1;
  }
  if (ec || status.type() != fs::file_type::regular) {
    std::cerr << path.string() << ": not a readable ledger file"
              << (ec ? " (" + ec.message() + ")" : std::string()) << "\n";
    return 1;
  }
  grace::storage::ledger_verification v;
  try {
    v = grace::storage::verify_ledger(path);
  } catch (const std::exception& e) {
    std::cerr << path.string() << ": cannot be verified: " << e.what() << "\n";
    return 1;
  }
  if (!v.ok) {
    std::cerr << path.string() << ": BROKEN after " << v.entries_checked
              << " good entries: " << v.reason << "\n";
    return 1;
  }
  std::cout << path.string() << ": OK, " << v.entries_checked << " entries, head " << v.last_hash
            << "\n";
  return 0;
}

// Cluster membership flags; each overrides its cluster: setting in grace.yaml.
struct cluster_flags {
  std::string node_id, etcd, listen, cert, key, ca, name;
};

void add_cluster_flags(CLI::App* run, cluster_flags& f) {
  run->add_option("--node-id", f.node_id, "this node's id in the cluster (cluster.node_id)");
  run->add_option("--cluster-etcd", f.etcd,
                  "etcd endpoints, https://host:port[,...] (cluster.etcd); without it the node "
                  "runs alone");
  run->add_option("--cluster-listen", f.listen,
                  "host:port of this node's cluster transport (cluster.listen)");
  run->add_option("--cluster-cert", f.cert, "PEM certificate issued by the cluster CA");
  run->add_option("--cluster-key", f.key, "PEM private key of --cluster-cert");
  run->add_option("--cluster-ca", f.ca, "PEM certificate of the cluster CA");
  run->add_option("--cluster-name", f.name, "the cluster's name (cluster.name, default grace)");
}

// Applies the flags and refuses an incomplete cluster node (every problem printed).
bool apply_cluster_flags(const cluster_flags& f, grace::cluster::cluster_settings& c) {
  if (!f.node_id.empty())
    c.node_id = f.node_id;
  if (!f.etcd.empty())
    c.etcd = grace::cluster::split_list(f.etcd);
  if (!f.listen.empty())
    c.listen = f.listen;
  if (!f.cert.empty())
    c.cert = f.cert;
  if (!f.key.empty())
    c.key = f.key;
  if (!f.ca.empty())
    c.ca = f.ca;
  if (!f.name.empty())
    c.name = f.name;
  const auto problems = grace::cluster::cluster_settings_problems(c, true);
  if (problems.empty())
    return true;
  std::cerr << "grace-node: cannot start a cluster node:\n";
  for (const auto& p : problems)
    std::cerr << "  " << p << "\n";
  return false;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"GRACE node: forecasts operational metrics, warns before threshold breaches, "
               "runs and learns remediation playbooks."};
  app.set_version_flag("--version", std::string("grace-node ") + GRACE_VERSION);
  app.require_subcommand(1);

  common_options run_opts;
  std::string http_bind, log_format;
  int http_port = -1;
  auto* run = app.add_subcommand("run", "start the node");
  add_common(run, run_opts);
  run->add_option("--http-bind", http_bind, "address to listen on (overrides http.bind)");
  run->add_option("--http-port", http_port, "port to listen on, 0 for any (overrides http.port)")
      ->check(CLI::Range(0, 65535));
  run->add_option("--log-format", log_format, "text or json (overrides node.log_format)")
      ->check(CLI::IsMember({"text", "json"}));
  bool simulate = false;
  double time_scale = 0;
  int64_t seed = -1;
  run->add_flag("--simulate", simulate, "run the built-in simulated world as the metric source");
  run->add_option("--time-scale", time_scale,
                  "virtual seconds per real second (overrides node.time_scale)")
      ->check(CLI::Range(0.001, 100000.0));
  std::string replay_path, replay_metric;
  auto* replay_opt = run->add_option("--replay", replay_path,
                                     "feed a timestamp,value CSV at event time (NAB format)");
  auto* metric_opt = run->add_option("--metric", replay_metric,
                                     "the catalog metric id the replayed values belong to");
  replay_opt->needs(metric_opt);
  metric_opt->needs(replay_opt);
  run->add_option("--seed", seed, "simulator seed (default: the simulator config's)")
      ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()));
  cluster_flags cluster_opts;
  add_cluster_flags(run, cluster_opts);

  common_options catalog_opts;
  std::string catalog_file;
  auto* validate =
      app.add_subcommand("validate-catalog", "check a metrics catalog and print every error");
  add_common(validate, catalog_opts);
  validate->add_option("FILE", catalog_file,
                       "catalog to check (default: catalog.path of grace.yaml)");

  common_options ledger_opts;
  auto* ledger = app.add_subcommand("ledger", "provenance ledger tools");
  ledger->require_subcommand(1);
  auto* verify = ledger->add_subcommand("verify", "check the whole hash chain");
  add_common(verify, ledger_opts);

  // Offline evaluation tools (docs/evaluation/): the same forecaster and
  // detector code the node runs, driven from a CSV file.
  grace::forecaster::backtest_options backtest_opts;
  auto* backtest = app.add_subcommand(
      "backtest", "rolling-origin forecast backtest of one timestamp,value CSV (protocol P1)");
  backtest->add_option("--csv", backtest_opts.csv_path, "timestamp,value CSV")->required();
  backtest
      ->add_option("--out", backtest_opts.out_path,
                   "forecast CSV to write (origin,step,mean,lo80,hi80,lo95,hi95)")
      ->required();
  backtest->add_option("--horizon", backtest_opts.horizon, "steps ahead")->capture_default_str();
  backtest->add_option("--every", backtest_opts.every, "rows between origins")
      ->capture_default_str();
  backtest->add_option("--first", backtest_opts.first, "first origin (rows seen)")
      ->capture_default_str();
  backtest->add_option("--window", backtest_opts.window, "rows of history per fit")
      ->capture_default_str();

  grace::predictor::detect_options detect_opts;
  auto* detect = app.add_subcommand(
      "detect", "stream a timestamp,value CSV through the anomaly score (NAB scoring)");
  detect->add_option("--csv", detect_opts.csv_path, "timestamp,value CSV")->required();
  detect->add_option("--out", detect_opts.out_path, "CSV to write (timestamp,value,anomaly_score)")
      ->required();

  grace::predictor::warn_options warn_opts;
  std::string warn_direction = "above";
  auto* warn = app.add_subcommand(
      "warn", "stream a timestamp,value CSV through the early-warning path: per row, the "
              "probability of a breach within 60 minutes (protocol P3h)");
  warn->add_option("--csv", warn_opts.csv_path, "timestamp,value CSV")->required();
  warn->add_option("--threshold", warn_opts.threshold, "the threshold a breach crosses")
      ->required();
  warn->add_option("--direction", warn_direction, "breach above (default) or below the threshold")
      ->check(CLI::IsMember({"above", "below"}));
  warn->add_option("--out", warn_opts.out_path, "CSV to write (timestamp,score)")->required();
  bool breach_at_threshold = false;
  warn->add_flag("--breach-at-threshold", breach_at_threshold,
                 "a value equal to the threshold is a breach (the node's catalog bands); by "
                 "default a breach is strictly beyond it, as protocol P3h and a Prometheus "
                 "rule `x > T` count it");

  CLI11_PARSE(app, argc, argv);

  if (*backtest)
    return grace::forecaster::run_backtest(backtest_opts, std::cerr);
  if (*detect)
    return grace::predictor::run_detect(detect_opts, std::cerr);
  if (*warn) {
    warn_opts.higher_is_worse = warn_direction == "above";
    warn_opts.warner.exclusive_threshold = !breach_at_threshold;
    return grace::predictor::run_warn(warn_opts, std::cerr);
  }

  if (*validate) {
    if (catalog_file.empty()) {
      node_settings s;
      if (!load_settings(catalog_opts, s))
        return 2;
      catalog_file = s.catalog_path;
    }
    return validate_catalog(catalog_file);
  }
  if (*verify) {
    node_settings s;
    if (!load_settings(ledger_opts, s))
      return 2;
    return verify_ledger(s);
  }
  // run
  node_settings s;
  if (!load_settings(run_opts, s))
    return 2;
  if (!http_bind.empty())
    s.http.bind = http_bind;
  if (http_port >= 0)
    s.http.port = http_port;
  // Checked before anything starts (the HTTP component refuses it too).
  if (auto problem = grace::http::exposure_problem(s.http.bind, s.http.token)) {
    std::cerr << "grace-node: " << *problem << "\n";
    return 2;
  }
  if (!apply_cluster_flags(cluster_opts, s.cluster))
    return 2;
  // The member record tells peers where this node's API is.
  if (s.cluster.enabled() && s.http.port == 0) {
    std::cerr << "grace-node: cannot start a cluster node:\n  http.port (--http-port) must be a "
                 "fixed port in a cluster: members advertise it\n";
    return 2;
  }
  if (!log_format.empty())
    s.log_format = log_format;
  if (time_scale > 0)
    s.time_scale = time_scale;
  s.simulate = simulate;
  s.simulator_seed = seed;
  grace::node::setup_logging(s.log_format, s.log_level);
  // Refuse to start on an invalid catalog, and say why.
  auto catalog = grace::catalog::load_catalog_file(s.catalog_path);
  if (!catalog.catalog) {
    std::cerr << "grace-node: the catalog " << s.catalog_path << " is invalid:\n";
    for (const auto& e : catalog.errors)
      std::cerr << "  " << e.to_string() << "\n";
    return 2;
  }
  for (const auto& target : s.scrape_targets)
    for (const auto& rule : target.mappings)
      if (catalog.catalog->find_metric(rule.metric_id) == nullptr) {
        std::cerr << "grace-node: scrape target '" << target.name << "' maps '" << rule.series
                  << "' to '" << rule.metric_id << "', which is not in the catalog\n";
        return 2;
      }
  if (!replay_path.empty()) {
    if (catalog.catalog->find_metric(replay_metric) == nullptr) {
      std::cerr << "grace-node: --metric '" << replay_metric << "' is not in the catalog "
                << s.catalog_path << "\n";
      return 2;
    }
    try {
      auto rows = grace::ingest::sorted_unique_by_time(
          grace::ingest::read_csv_series_file(replay_path).rows);
      if (rows.empty()) {
        std::cerr << "grace-node: " << replay_path << " has no rows to replay\n";
        return 2;
      }
      // Virtual time starts one window before the file does, so that its
      // first rows are not late.
      s.virtual_origin_ms = rows.front().unix_ms - s.snapshot_interval_ms;
    } catch (const std::exception& e) {
      std::cerr << "grace-node: cannot replay: " << e.what() << "\n";
      return 2;
    }
    s.replay_path = replay_path;
    s.replay_metric = replay_metric;
  }
  // The PromQL source reads the user's Prometheus in real time.
  size_t promql_metrics = 0;
  for (const auto& m : catalog.catalog->metrics())
    promql_metrics += m.promql.empty() ? 0 : 1;
  if (promql_metrics > 0 && s.prometheus.url.empty()) {
    std::cerr << "grace-node: the catalog " << s.catalog_path << " has " << promql_metrics
              << " metric(s) with a promql expression, but grace.yaml has no prometheus.url\n";
    return 2;
  }
  if (!s.prometheus.url.empty() && (s.time_scale != 1.0 || !s.replay_path.empty())) {
    std::cerr << "grace-node: prometheus.url reads the user's Prometheus in real time; it "
                 "cannot run with node.time_scale "
              << s.time_scale << (s.replay_path.empty() ? "" : " or --replay")
              << " (time_scale must be 1)\n";
    return 2;
  }
  std::optional<grace::simulator::simulator_config> simulation;
  if (s.simulate) {
    try {
      simulation = grace::simulator::load_simulator_config(s.simulator_config_path);
    } catch (const std::exception& e) {
      std::cerr << "grace-node: the simulator config is invalid:\n" << e.what() << "\n";
      return 2;
    }
    std::vector<std::string> metric_ids, playbook_ids;
    for (const auto& m : catalog.catalog->metrics())
      metric_ids.push_back(m.id);
    for (const auto& p : catalog.catalog->playbooks())
      playbook_ids.push_back(p.id);
    auto mismatches = simulation->validate_against(metric_ids, playbook_ids);
    if (!mismatches.empty()) {
      std::cerr << "grace-node: " << s.simulator_config_path << " does not match the catalog:\n";
      for (const auto& m : mismatches)
        std::cerr << "  " << m << "\n";
      return 2;
    }
  }
  return grace::node::run_node(s, simulation);
}
