#!/usr/bin/env python3
"""How well could any learner do in a simulated day? (docs/evaluation/learning.md,
"What one day can teach").

Reads runs kept by simulator_loop.py (--keep DIR) and joins each playbook run
with what the simulator says it did (its log) and the reward the node measured
(learned.json). From that it builds, per incident type, a model world:

  - the arms are the playbooks the node may run unattended for the metric the
    type's runs were learned on most (catalog: mode auto, within max_risk_tier);
  - a pull succeeds with the simulator's success probability
    (config/simulator.yaml), and its reward is drawn from the rewards the node
    measured for that (type, playbook, outcome), or for that outcome over all
    types when there are fewer than 3 of them;
  - a day has as many pulls of the type as the node made in each kept run.

In that world it plays an idealised learner: Thompson sampling per type with a
Gaussian posterior per arm (or, `--learner uniform`, the arms in turn), no pooling between contexts, and none of the
node's problems (no run credited to the wrong incident, no held symptom, no
expired approval: every pull reaches the type). At the end of the day the
learner prefers its highest posterior mean, counted (as simulator_loop.py
does) only when it has tried that arm. Printed: per type, the share of days in
which it prefers the fix; over all types, the expected share; and the chance of
a day in which it prefers the fix for every type. `--pulls-scale` plays days
with k times the pulls, to show how many incidents a day would need;
`--exact-rewards` replaces the measured rewards with exact ones, to separate
what the reward's noise costs from what the number of pulls costs.

  bench/rl_agent/ideal_learner.py RUN_DIR... [--days-per-run 1] [--repeats 400]
      [--pulls-scale 1,2,4] [--prior-sd 0.5] [--noise-sd 0.5] [--seed 1] [--exact-rewards]
      [--learner thompson|uniform]

Needs python3-yaml. Measures only; the node does not use it.
"""
import argparse
import collections
import json
import math
import os
import random
import sys

import yaml

from simulator_loop import (ROOT, applied_playbook, playbook_value, runs_with_outcomes,
                            unattended_playbooks)


def judged_runs(run_dir):
    """(incident type, outcome, playbook, metric, reward) per judged run, in order."""
    applied = collections.defaultdict(list)
    with open(os.path.join(run_dir, "node.log"), encoding="utf-8") as log:
        for line in log:
            application = applied_playbook(line)
            if application:
                applied[application[0]].append(application[1:])
    with open(os.path.join(run_dir, "learned.json"), encoding="utf-8") as f:
        executions = json.load(f)["executions"]
    for e, application in runs_with_outcomes(executions, applied):
        summary = e.get("outcome_summary") or ""
        if application and summary and "not judged" not in summary:
            yield (*application, e["playbook"], e["metric_id"], float(e["reward"]))


class World:
    def __init__(self, run_dirs, simulator, catalog, exact_rewards=False):
        self.exact_rewards = exact_rewards
        self.types = {t["name"]: t for t in simulator["incident_types"]}
        self.playbooks = {p["id"]: p for p in catalog["playbooks"]}
        self.metrics = {m["id"]: m for m in catalog["metrics"]}
        self.rewards = collections.defaultdict(list)  # (type, playbook, outcome) -> rewards
        self.by_outcome = collections.defaultdict(list)  # outcome -> rewards
        self.pulls = collections.defaultdict(list)  # type -> judged runs per kept run
        metric_runs = collections.defaultdict(collections.Counter)
        for run_dir in run_dirs:
            per_type = collections.Counter()
            for type_name, outcome, playbook, metric, reward in judged_runs(run_dir):
                self.by_outcome[outcome].append(reward)
                if type_name is None:
                    continue
                self.rewards[(type_name, playbook, outcome)].append(reward)
                per_type[type_name] += 1
                metric_runs[type_name][metric] += 1
            for type_name, n in per_type.items():
                self.pulls[type_name].append(n)
        self.metric_of = {t: max(sorted(c), key=lambda m: c[m]) for t, c in metric_runs.items()}

    def arms(self, type_name):
        return unattended_playbooks(self.metrics[self.metric_of[type_name]], self.playbooks)

    def effect(self, type_name, playbook):
        return self.types[type_name]["playbooks"].get(playbook) or {"effect": "none"}

    def best(self, type_name):
        value = {p: playbook_value(self.effect(type_name, p)) for p in self.arms(type_name)}
        top = max(value.values())
        return {p for p, v in value.items() if v >= top - 0.05}  # the loop's tie rule

    def draw(self, type_name, playbook, rng):
        e = self.effect(type_name, playbook)
        if e["effect"] == "none":
            outcome = "no effect"
        elif rng.random() < float(e.get("success_probability", 0.0)):
            outcome = "fixed" if e["effect"] == "fix" else "partly mitigated"
        else:
            outcome = "did not take hold"
        if self.exact_rewards:
            # What a perfect measurement would say: the share of the incident removed.
            return {"fixed": 1.0, "partly mitigated": float(e.get("strength", 0.0)),
                    "did not take hold": 0.0, "no effect": 0.0}[outcome]
        own = self.rewards.get((type_name, playbook, outcome), [])
        pool = own if len(own) >= 3 else self.by_outcome.get(outcome) or [0.0]
        return rng.choice(pool)


def learner_day(world, type_name, pulls, prior_sd, noise_sd, uniform, rng):
    """True when, after `pulls` pulls, the learner prefers (and has tried) a best arm.
    Thompson sampling, or (uniform) the arms in turn, in a random order: pure
    exploration, the better allocation for naming the best arm at the day's end."""
    arms = world.arms(type_name)
    total = collections.defaultdict(float)
    count = collections.Counter()

    def posterior(p):
        precision = 1.0 / prior_sd ** 2 + count[p] / noise_sd ** 2
        return total[p] / noise_sd ** 2 / precision, 1.0 / math.sqrt(precision)

    order = rng.sample(arms, len(arms))
    for i in range(pulls):
        chosen = (order[i % len(order)] if uniform else
                  max(arms, key=lambda p: rng.gauss(*posterior(p))))
        total[chosen] += world.draw(type_name, chosen, rng)
        count[chosen] += 1
    top = max(arms, key=lambda p: posterior(p)[0])
    return count[top] > 0 and top in world.best(type_name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="folders kept by simulator_loop.py --keep")
    ap.add_argument("--repeats", type=int, default=400, help="days played per kept run and type")
    ap.add_argument("--pulls-scale", default="1", help="comma-separated multipliers of the pulls")
    ap.add_argument("--prior-sd", type=float, default=0.5)
    ap.add_argument("--noise-sd", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--learner", choices=("thompson", "uniform"), default="thompson")
    ap.add_argument("--exact-rewards", action="store_true",
                    help="reward each pull with the share of the incident it removed (1 for a "
                         "fix, the strength for a partial, 0 otherwise) instead of the node's "
                         "measured rewards: the pull counts alone")
    args = ap.parse_args()
    for d in args.runs:
        for name in ("node.log", "learned.json"):
            if not os.path.exists(os.path.join(d, name)):
                sys.exit(f"ideal_learner: {d} has no {name} (keep runs with simulator_loop.py --keep)")
    with open(os.path.join(args.runs[0], "simulator.yaml"), encoding="utf-8") as f:
        simulator = yaml.safe_load(f)
    with open(os.path.join(ROOT, "config", "metrics_catalog.yaml"), encoding="utf-8") as f:
        catalog = yaml.safe_load(f)
    world = World(args.runs, simulator, catalog, args.exact_rewards)
    scales = [float(s) for s in args.pulls_scale.split(",")]
    print(f"{len(args.runs)} kept runs; judged runs that reached an incident: "
          f"{sum(len(v) for v in world.rewards.values())}")
    header = "".join(f"  x{s:g} pulls" for s in scales)
    print(f"\nincident type            arms  best                      pulls per run{header}")
    share = collections.defaultdict(float)
    all_types = collections.defaultdict(float)
    scored = 0
    for type_name in sorted(world.pulls):
        arms = world.arms(type_name)
        rng = random.Random(f"{args.seed}/{type_name}")
        line = (f"{type_name:24s} {len(arms):4d}  {'/'.join(sorted(world.best(type_name))):25s} "
                f"{','.join(map(str, sorted(world.pulls[type_name]))):13s}")
        for s in scales:
            days = [learner_day(world, type_name, max(1, round(n * s)), args.prior_sd,
                                args.noise_sd, args.learner == "uniform", rng)
                    for n in world.pulls[type_name] for _ in range(args.repeats)]
            p = sum(days) / len(days)
            share[s] += p * len(world.pulls[type_name])
            all_types[s] += math.log(max(p, 1e-9))
            line += f"  {p:9.2f}"
        scored += len(world.pulls[type_name])
        print(line)
    for s in scales:
        print(f"\nx{s:g} pulls: expected share of (run, type) pairs preferring the fix "
              f"{share[s] / scored:.2f}; chance of a day with every type right "
              f"{math.exp(all_types[s]):.3f}")


if __name__ == "__main__":
    main()
