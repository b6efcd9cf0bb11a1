#include "bench/rl_agent/scenario_catalog.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace grace::rl {

namespace {

// Lower-case letters, digits and '_' only: a metric id segment.
std::string segment(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      out += c;
    else
      out += '_';
  }
  return out;
}

} // namespace

std::string scenario_metric_id(const context_key& key) {
  return "scenario." + segment(key.diagnosis) + "." + segment(key.service);
}

std::string scenario_catalog_yaml(const scenario_world& world) {
  std::ostringstream y;
  const auto& cfg = world.config();
  y << "# Metrics catalog of the playbook-learning scenario, world seed " << cfg.seed
    << ",\n"
       "# written by rl-scenario --write-catalog (docs/evaluation/learning.md). One metric\n"
       "# per context: its id is the diagnosis the REST driver sends, its playbooks are\n"
       "# the context's candidates in catalog order.\n"
       "version: 1\n\nmetrics:\n";
  std::map<std::string, int> tiers; // every playbook offered anywhere, with its risk tier
  for (std::size_t c = 0; c < world.contexts().size(); ++c) {
    const auto& key = world.contexts()[c];
    y << "  - id: " << scenario_metric_id(key) << "\n"
      << "    category: scenario\n"
      << "    service: " << key.service << "\n"
      << "    unit: score\n"
      << "    description: Scenario context " << c << " (" << key.service << ", " << key.diagnosis
      << ").\n"
      << "    direction: higher_is_worse\n"
      << "    thresholds: {warning: 1, critical: 2}\n"
      << "    collection_interval: 60s\n"
      << "    aggregation: mean\n"
      << "    forecast: false\n"
      << "    playbooks: [";
    const auto& cands = world.candidates(static_cast<int>(c));
    for (std::size_t i = 0; i < cands.size(); ++i) {
      y << (i ? ", " : "") << cands[i].playbook;
      tiers[cands[i].playbook] = cands[i].risk_tier;
    }
    y << "]\n\n";
  }
  y << "playbooks:\n";
  for (const auto& [name, tier] : tiers)
    y << "  - id: " << name << "\n"
      << "    description: Scenario playbook " << name << " (its effect is hidden in the world).\n"
      << "    action: {kind: noop}\n"
      << "    risk_tier: " << tier << "\n"
      << "    mode: auto\n"
      << "    cooldown: 0s\n"
      << "    max_runs_per_hour: 1000000\n";
  return y.str();
}

void write_scenario_catalog(const scenario_world& world, const std::string& path) {
  std::ofstream out(path);
  out << scenario_catalog_yaml(world);
  out.close();
  if (!out)
    throw std::runtime_error("cannot write the catalog to '" + path + "'");
}

} // namespace grace::rl
