#!/usr/bin/env python3
"""The learning loop on the built-in simulator (docs/evaluation/learning.md,
"On the simulator").

Runs `grace-node run --simulate` for a number of simulated days, then compares
what the RL agent prefers in each context with the simulator's ground truth
(config/simulator.yaml: what each playbook does to each incident type; the node
never reads it for its decisions).

Contexts are (service, diagnosis): the diagnosis is the metric id, or
`<metric>:sudden` for an incident that began with a step (the node's
prediction.sudden_onset_context). Per context that an incident type drives
directly (a type marked `sudden` in the simulator belongs to the `:sudden`
context of its metrics, the others to the bare metric's):
  best   = among the metric's playbooks the node may run unattended (mode auto,
           risk tier within the metric's max_risk_tier), the one with the highest
           expected effect on the incidents of that context seen in the run
           (fix: success probability; partial: probability x strength; none: 0;
           types weighted by how often they occurred; within 0.05 of the highest
           counts as a tie);
  agent  = the playbook with the highest learned value in
           GET /api/ml/causal-rl/policies.
Contexts only driven through couplings (e.g. executor.job_duration_p95) are
listed but not scored: no incident type names their fix. Then per incident type
(that occurred): the context its runs were learned in most (read from the run's
experiences table; whether the node's onset diagnosis put it in the right one
shows here), and whether the agent prefers the best playbook there, having
tried it: the context's best (over its incidents) and the type's own best (its
fix among that context's unattended playbooks; a type whose runs landed in a
symptom's context is held to its own fix there). A last column takes the
agent's highest-valued playbook among the unattended ones (what a breach
reaction runs first) for the type's own fix. A type none of whose incidents
reached its peak, with no run reaching one, is not scored.

  bench/rl_agent/simulator_loop.py --binary build/grace-node --days 1
      [--time-scale 1200] [--seed N] [--gap 20m,40m] [--port 18795] [--keep DIR]
      [--set SECTION.KEY=VALUE ...]
  bench/rl_agent/simulator_loop.py --binary build/grace-node --rescore DIR

--gap MIN,MAX replaces the simulator's gap between incident starts (default
2h..4h, about 8 incidents a day) to play more incidents in a day.
Needs python3-yaml (to read the simulator and catalog configs).
"""
import argparse
import collections
import datetime
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The simulator's log line for a playbook applied to the world: what it did to
# which incident type ("inc-0004 memory_leak: fixed, ..."), or nothing.
PLAYBOOK_APPLIED = re.compile(r"\[SIMULATOR\] playbook ([a-z0-9-]+): .*?\((?:inc-\d+ ([a-z_]+): "
                              r"([a-z ]+)|(no) effect: no active incident)")
NO_INCIDENT = "no incident it acts on"


def unix_ms(iso):
    """An API time ("2026-12-07T07:06:29.251Z", UTC) as unix milliseconds."""
    when = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
    return round(when.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)

def applied_playbook(line):
    """(playbook, incident type or None, what it did) from a simulator log line, or None."""
    m = PLAYBOOK_APPLIED.search(line)
    if not m:
        return None
    return m.group(1), m.group(2), m.group(3) if m.group(2) else NO_INCIDENT


def runs_with_outcomes(executions, applied):
    """The node's runs that started, oldest first, each with what the simulator says
    it did ((type or None, what), or None when the log has no such application):
    the k-th run of a playbook is the simulator's k-th application of it.
    `executions` is GET /api/playbooks/executions's answer (or its list);
    `applied` maps a playbook to its (type, what) applications, in order."""
    runs = executions["executions"] if isinstance(executions, dict) else executions
    taken = collections.Counter()
    # started_at is ISO 8601 UTC text of one width (or null): its text order is its time order.
    for e in sorted((e for e in runs if e.get("started_at")), key=lambda e: e["started_at"]):
        k = taken[e["playbook"]]
        taken[e["playbook"]] += 1
        yield e, applied[e["playbook"]][k] if k < len(applied[e["playbook"]]) else None


def unattended_playbooks(metric, playbooks):
    """A metric's playbooks the node may run without an operator: mode auto,
    risk tier within the metric's max_risk_tier."""
    cap = metric.get("max_risk_tier", 4)
    return [p for p in metric.get("playbooks", [])
            if playbooks[p].get("mode", "auto") == "auto" and playbooks[p].get("risk_tier", 1) <= cap]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return json.loads(r.read())


def playbook_value(effect):
    """Expected size of a playbook's effect on one incident of a type."""
    if not effect or effect.get("effect") == "none":
        return 0.0
    p = float(effect.get("success_probability", 0.0))
    if effect["effect"] == "fix":
        return p
    return p * float(effect.get("strength", 0.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "grace-node"))
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--time-scale", type=float, default=1200.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--gap", default=None, help="MIN,MAX between incident starts, e.g. 20m,40m")
    ap.add_argument("--port", type=int, default=18795)
    ap.add_argument("--keep", default=None, help="keep the run (config, data, log) in this folder")
    ap.add_argument("--rescore", default=None, metavar="DIR",
                    help="score a run kept with --keep again (no new run): its policies are read "
                         "back by starting the node on a copy of its data")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="a grace.yaml setting for the node, e.g. execution.evaluation_window=15m")
    args = ap.parse_args()

    catalog_path = os.path.join(ROOT, "config", "metrics_catalog.yaml")
    if args.rescore:
        rescore(args, catalog_path)
        return
    work = args.keep or tempfile.mkdtemp(prefix="grace-loop-")
    os.makedirs(work, exist_ok=True)
    sim_src = os.path.join(ROOT, "config", "simulator.yaml")
    sim_text = open(sim_src, encoding="utf-8").read()
    if args.gap:
        lo, hi = args.gap.split(",")
        sim_text, n = re.subn(r"gap: \{min: [^,]+, max: [^}]+\}", f"gap: {{min: {lo}, max: {hi}}}",
                              sim_text)
        if n != 1:
            sys.exit("simulator_loop: could not find the schedule's gap in config/simulator.yaml")
    sim_path = os.path.join(work, "simulator.yaml")
    open(sim_path, "w", encoding="utf-8").write(sim_text)
    data_dir = os.path.join(work, "data")
    shutil.rmtree(data_dir, ignore_errors=True)
    config_path = os.path.join(work, "grace.yaml")
    sections = {"node": {"data_dir": data_dir}, "simulator": {"config": sim_path},
                "catalog": {"path": catalog_path},
                "http": {"port": args.port, "request_timeout": "30s"}}
    for setting in args.set:
        key, _, value = setting.partition("=")
        section, _, name = key.partition(".")
        if not name or not value:
            sys.exit(f"simulator_loop: --set {setting}: expected SECTION.KEY=VALUE")
        sections.setdefault(section, {})[name] = yaml.safe_load(value)
    open(config_path, "w", encoding="utf-8").write(yaml.safe_dump(sections))
    log_path = os.path.join(work, "node.log")
    cmd = [args.binary, "run", "--config", config_path, "--simulate", "--time-scale",
           str(args.time_scale)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    log = open(log_path, "w", encoding="utf-8")
    node = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        start = None
        deadline = time.time() + 60 + 2 * args.days * 86400 / args.time_scale
        while time.time() < deadline:
            if node.poll() is not None:
                sys.exit(f"simulator_loop: the node exited ({node.returncode}), see {log_path}")
            try:
                now = unix_ms(get(args.port, "/api/ml/dashboard/overview")["generated_at"])
            except Exception:
                time.sleep(0.5)
                continue
            start = start or now
            if now - start >= args.days * 86400 * 1000:
                break
            time.sleep(0.5)
        else:
            sys.exit("simulator_loop: the run did not reach its simulated days in time")
        policies = get(args.port, "/api/ml/causal-rl/policies")["policies"]
        executions = get(args.port, "/api/playbooks/executions")
    finally:
        stop(node)
        log.close()
    json.dump({"policies": policies, "executions": executions},
              open(os.path.join(work, "learned.json"), "w", encoding="utf-8"))
    score(args, sim_text, catalog_path, log_path, data_dir, policies, executions)
    print(f"run kept in {work}" if args.keep else "")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def stop(node):
    node.send_signal(signal.SIGINT)
    try:
        node.wait(timeout=30)
    except subprocess.TimeoutExpired:
        node.kill()


def rescore(args, catalog_path):
    """Scores a kept run again; its learned state comes from learned.json, or
    (runs kept before that file existed) from the node started at time scale 1
    on a copy of the run's data, which restores the agent's snapshot."""
    work = args.rescore
    sim_text = open(os.path.join(work, "simulator.yaml"), encoding="utf-8").read()
    data_dir = os.path.join(work, "data")
    learned_path = os.path.join(work, "learned.json")
    if os.path.exists(learned_path):
        learned = json.load(open(learned_path, encoding="utf-8"))
    else:
        with tempfile.TemporaryDirectory(prefix="grace-rescore-") as tmp:
            copy = os.path.join(tmp, "data")
            shutil.copytree(data_dir, copy)
            log = open(os.path.join(tmp, "node.log"), "w", encoding="utf-8")
            node = subprocess.Popen([args.binary, "run", "--config",
                                     os.path.join(work, "grace.yaml"), "--data-dir", copy,
                                     "--http-port", str(args.port), "--time-scale", "1"],
                                    stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.time() + 60
                while True:
                    if node.poll() is not None or time.time() > deadline:
                        sys.exit(f"simulator_loop: the node did not start on {copy}")
                    try:
                        learned = {"policies": get(args.port, "/api/ml/causal-rl/policies")
                                   ["policies"],
                                   "executions": get(args.port, "/api/playbooks/executions")}
                        break
                    except Exception:
                        time.sleep(0.5)
            finally:
                stop(node)
                log.close()
    score(args, sim_text, catalog_path, os.path.join(work, "node.log"), data_dir,
          learned["policies"], learned["executions"])


def score(args, sim_text, catalog_path, log_path, data_dir, policies, executions):
    world = yaml.safe_load(sim_text)
    catalog = yaml.safe_load(open(catalog_path, encoding="utf-8"))
    playbooks = {p["id"]: p for p in catalog["playbooks"]}
    metrics = {m["id"]: m for m in catalog["metrics"]}
    types = {t["name"]: t for t in world["incident_types"]}

    started = collections.Counter()
    peaked = collections.Counter()  # incidents that reached their peak (did not fizzle first)
    applied = collections.defaultdict(list)  # playbook -> what each application did, in order
    for line in open(log_path, encoding="utf-8"):
        m = re.search(r"\[SIMULATOR\] incident inc-\d+ started: ([a-z_]+)", line)
        if m:
            started[m.group(1)] += 1
        m = re.search(r"\[SIMULATOR\] incident inc-\d+ ([a-z_]+) reached its peak", line)
        if m:
            peaked[m.group(1)] += 1
        application = applied_playbook(line)
        if application:
            playbook, type_name, what = application
            applied[playbook].append((type_name, what))

    # The context each run was learned in (its experience's diagnosis).
    # And the time the service spent in breach: 5-minute windows at warning
    # or worse, summed over the metrics (the learning.* ones excepted: their
    # incidents are slow by nature), over the first `days` simulated days.
    diagnosis_of = {}
    breach_hours = critical_hours = None
    db = os.path.join(data_dir, "storage", "metrics.sqlite")
    if os.path.exists(db):
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            diagnosis_of = dict(con.execute("SELECT event_id, diagnosis FROM experiences"))
            first, = con.execute("SELECT min(window_end) FROM snapshots").fetchone()
            if first is not None:
                end = first + args.days * 86400 * 1000
                hours = {band: 5.0 / 60.0 * con.execute(
                    "SELECT count(*) FROM snapshots WHERE band IN (%s) AND window_end <= ? "
                    "AND metric_id NOT LIKE 'learning.%%'" % band, (end,)).fetchone()[0]
                    for band in ("'warning','critical'", "'critical'")}
                breach_hours, critical_hours = hours.values()

    def context_of(type_name, metric_id):
        return metric_id + (":sudden" if types[type_name].get("sudden") else "")

    # Incident types per context (every metric a type drives directly).
    context_types = collections.defaultdict(collections.Counter)
    for name, t in types.items():
        for e in t["effects"]:
            context_types[context_of(name, e["metric"])][name] += started[name]
    runs = collections.Counter()  # per context
    type_runs = collections.defaultdict(collections.Counter)  # type -> context -> runs
    outcomes = collections.defaultdict(collections.Counter)  # (context, playbook) -> effects
    for e, application in runs_with_outcomes(executions, applied):
        context = diagnosis_of.get(e.get("event_id"), e["metric_id"])
        runs[context] += 1
        if application:
            type_name, what = application
            outcomes[(context, e["playbook"])][f"{type_name}: {what}" if type_name else what] += 1
            if type_name in types:
                type_runs[type_name][context] += 1

    print(f"simulated days: {args.days:g}, time scale {args.time_scale:g}, "
          f"incidents started: {sum(started.values())} ({dict(started)})")
    print(f"playbook runs: {sum(runs.values())}, learned outcomes: "
          f"{sum(sum(a['pulls'] for a in p['playbooks']) for p in policies)}")
    if breach_hours is not None:
        print(f"time in breach, summed over metrics (learning.* excepted): {breach_hours:.1f} h "
              f"(critical {critical_hours:.1f} h)")
    print()
    context_ok = {}
    top_of = {}  # context -> the agent's highest-valued playbook it may choose, or None
    top_unattended_of = {}  # context -> ... among the playbooks it may run unattended
    unattended_of = {}  # context -> its metric's playbooks the node may run unattended
    policy_of = {p["diagnosis"]: p for p in policies}
    contexts = sorted(set(metrics) | set(context_types) | set(policy_of))
    for context in contexts:
        metric_id = context.split(":")[0]
        if metric_id not in metrics:
            continue
        m = metrics[metric_id]
        cap = m.get("max_risk_tier", 4)
        unattended = unattended_playbooks(m, playbooks)
        seen = context_types.get(context, collections.Counter())
        total = sum(seen.values())
        pol = policy_of.get(context)
        # The API gives no value for a playbook never tried in the context
        # (null): it ranks below every tried one.
        arms = sorted(pol["playbooks"],
                      key=lambda a: -a["value"] if a["value"] is not None else float("inf")) \
            if pol else []
        # The agent never chooses above the metric's risk cap.
        allowed = [a for a in arms if playbooks[a["playbook"]].get("risk_tier", 1) <= cap]
        top = allowed[0] if allowed else None
        top_of[context] = top
        # What a breach reaction runs first (prediction.react_unattended_first):
        # the highest-valued of the playbooks it may run without an operator.
        chosen_alone = [a for a in arms if a["playbook"] in unattended]
        top_unattended_of[context] = chosen_alone[0] if chosen_alone else None
        unattended_of[context] = unattended
        if context not in context_types:
            verdict = "not scored (only coupled)"
        elif total == 0:
            verdict = "not scored (no incident)"
        else:
            value = {p: sum(n * playbook_value(types[t]["playbooks"].get(p))
                            for t, n in seen.items()) / total for p in unattended}
            best_value = max(value.values())
            # Within 0.05 of the best expected effect counts as a tie.
            best = sorted(p for p, v in value.items() if v >= best_value - 0.05)
            # A preference counts once the agent has tried that playbook here;
            # before, its value is only the other contexts' evidence.
            ok = top is not None and top["playbook"] in best and top["pulls"] > 0
            context_ok[context] = ok
            verdict = ("PREFERS THE FIX" if ok else
                       "not yet tried here" if top and top["playbook"] in best else
                       "prefers another") + \
                f" (best unattended: {'/'.join(best)}, expected {best_value:.2f})"
        print(f"{m['service']} / {context}: incidents {dict(+seen) or '-'}, runs {runs[context]}"
              f" -> {verdict}")
        for a in arms:
            pb = playbooks[a["playbook"]]
            mark = ("  (above the risk cap: never chosen)" if pb.get("risk_tier", 1) > cap else
                    "  (needs approval)" if pb.get("mode", "auto") != "auto" else "")
            value = f"{a['value']:+.2f}" if a["value"] is not None else "  -  "
            print(f"    {a['playbook']:26s} value {value} ± {a['uncertainty']:.2f}"
                  f"  pulls {a['pulls']:3d}  simulator: {dict(outcomes[(context, a['playbook'])]) or '-'}{mark}")
    # Per incident type: the context its runs were learned in most; without
    # runs that reached it, the context of the metric it drives directly that
    # was acted on most (a metric that breached after another of its service
    # is left to that one's playbooks).
    print("\nincident type            incidents  acted on in (runs)                 context  own fix"
          "  own, unattended")
    agreed = scored = own_agreed = alone_agreed = 0
    fizzled = sorted(t for t in types if started[t] > 0 and not peaked[t] and not type_runs[t])
    for name in sorted(t for t in types if started[t] > 0 and t not in fizzled):
        if type_runs[name]:
            main = max(sorted(type_runs[name]), key=lambda c: type_runs[name][c])
        else:
            effect_contexts = [context_of(name, e["metric"]) for e in types[name]["effects"]]
            main = max(effect_contexts, key=lambda c: (runs[c], -effect_contexts.index(c)))
        ok = context_ok.get(main, False) and runs[main] > 0
        # Judged on this type alone: among the unattended playbooks of the
        # context its runs landed in, the best for this type (a type whose runs
        # land in a symptom's context, e.g. a traffic surge in the latency's,
        # is held to its own fix there, not to that context's usual one).
        value = {p: playbook_value(types[name]["playbooks"].get(p))
                 for p in unattended_of.get(main, [])}
        def prefers_own_fix(top):
            return (bool(value) and max(value.values()) > 0 and top is not None
                    and top["pulls"] > 0
                    and value.get(top["playbook"], 0.0) >= max(value.values()) - 0.05)
        own_ok = prefers_own_fix(top_of.get(main))
        # An untried playbook that needs approval outranks a tried one only
        # through its prior; no breach reaction runs it while an unattended one
        # is left, and nobody approves in this loop.
        alone_ok = prefers_own_fix(top_unattended_of.get(main))
        scored += 1
        agreed += ok
        own_agreed += own_ok
        alone_agreed += alone_ok
        print(f"{name:24s} {started[name]:9d}  {main + f' ({runs[main]})':34s} "
              f"{'yes' if ok else 'no':7s}  {'yes' if own_ok else 'no':7s}  "
              f"{'yes' if alone_ok else 'no':3s}   "
              f"runs that reached it: {dict(type_runs[name]) or '-'}")
    if fizzled:
        print(f"not scored (no incident of theirs reached its peak: they fizzled or the run "
              f"ended first; and no run reached one): {', '.join(fizzled)}")
    print(f"\nincident types whose context prefers the best unattended playbook (tried there): "
          f"{agreed} of {scored}")
    print(f"incident types whose context prefers the type's own best unattended fix (tried there): "
          f"{own_agreed} of {scored}")
    print(f"... among the playbooks it may run unattended (what a breach reaction runs first): "
          f"{alone_agreed} of {scored}")


if __name__ == "__main__":
    main()
