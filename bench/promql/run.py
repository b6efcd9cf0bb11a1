#!/usr/bin/env python3
"""The PromQL source against a local Debian prometheus holding a week of
history (promtool-built blocks):

1. backfill: a fresh node with 14 PromQL metrics (60 s collection interval,
   7 days: 2 query_range chunks each) -- time from the node's start until
   every metric's history is stored, and the per-metric backfill times;
2. polling: a node with the same 14 metrics at a 1 s interval and no
   backfill, for --poll-seconds -- CPU time of the node and of Prometheus
   per poll (from /proc), less that of the same node polling once an hour.

Usage: bench/promql/run.py BUILD/grace-node [--poll-seconds 30]
Prints the figures; the console excerpt of the first start goes to
--log FILE if given."""
import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

METRICS = 14
DAYS = 7
STEP_S = 60  # the stored history's resolution


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def wait_for(pred, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            v = pred()
            if v:
                return v
        except OSError:
            pass
        time.sleep(0.1)
    return None


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_history(path, end_s):
    n = DAYS * 86400 // STEP_S
    with open(path, "w") as f:
        f.write("# TYPE bench_series gauge\n")
        for m in range(METRICS):
            for i in range(n + 1):
                t = end_s - (n - i) * STEP_S
                v = 100 + 30 * math.sin(2 * math.pi * (t % 86400) / 86400 + m) + (i * 7 + m) % 5
                f.write(f'bench_series{{metric="m{m}"}} {v:.3f} {t}\n')
        f.write("# EOF\n")


def catalog(interval):
    out = ["version: 1", "metrics:"]
    for m in range(METRICS):
        out += [f"  - id: bench.m{m}", "    category: bench", "    service: bench",
                "    unit: ms", "    description: bench series", "    direction: higher_is_worse",
                "    thresholds: {warning: 1000, critical: 2000}",
                f"    collection_interval: {interval}", "    aggregation: mean",
                "    forecast: true", "    playbooks: [noop]",
                f"    promql: 'max(bench_series{{metric=\"m{m}\"}})'"]
    out += ["playbooks:", "  - id: noop", "    description: nothing", "    action: {kind: noop}",
            "    risk_tier: 1", "    mode: auto", "    cooldown: 1m", "    max_runs_per_hour: 1"]
    return "\n".join(out) + "\n"


def start_node(binary, d, name, prom_port, interval, backfill):
    port = free_port()
    cat = os.path.join(d, f"{name}.catalog.yaml")
    with open(cat, "w") as f:
        f.write(catalog(interval))
    cfg = os.path.join(d, f"{name}.yaml")
    with open(cfg, "w") as f:
        f.write(f"node:\n  data_dir: {os.path.join(d, name + '-data')}\n"
                f"catalog:\n  path: {cat}\nhttp:\n  port: {port}\n"
                f"prometheus:\n  url: http://127.0.0.1:{prom_port}\n  backfill: {backfill}\n")
    log = open(os.path.join(d, f"{name}.log"), "w+")
    proc = subprocess.Popen([binary, "run", "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
    return proc, port, log


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def promql_status(port):
    return get_json(f"http://127.0.0.1:{port}/api/status", 5).get("promql")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--poll-seconds", type=float, default=30)
    ap.add_argument("--log")
    a = ap.parse_args()
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (Debian: prometheus)")
    d = tempfile.mkdtemp(prefix="grace-promql-bench-")
    prom = None
    try:
        t0 = time.time()
        src = os.path.join(d, "history.om")
        write_history(src, int(time.time()))
        tsdb = os.path.join(d, "tsdb")
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                        "--max-block-duration=168h", src, tsdb], check=True)
        print(f"history: {METRICS} series x {DAYS} d at {STEP_S} s "
              f"({METRICS * (DAYS * 86400 // STEP_S + 1):,} samples), blocks built in "
              f"{time.time() - t0:.1f} s")
        prom_port = free_port()
        pcfg = os.path.join(d, "prometheus.yml")
        with open(pcfg, "w") as f:
            f.write("global:\n  scrape_interval: 1m\n")
        plog = open(os.path.join(d, "prometheus.log"), "w")
        prom = subprocess.Popen(["prometheus", f"--config.file={pcfg}",
                                 f"--storage.tsdb.path={tsdb}", "--storage.tsdb.retention.time=30d",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                                stdout=plog, stderr=subprocess.STDOUT)
        if not wait_for(lambda: urllib.request.urlopen(
                f"http://127.0.0.1:{prom_port}/-/ready", timeout=1).status == 200, 60):
            sys.exit("prometheus did not become ready")

        # 1. Backfill of a fresh node.
        started = time.time()
        node, port, log = start_node(a.binary, d, "backfill", prom_port, "60s", "7d")
        done = wait_for(lambda: (lambda s: s if s and len(s["metrics"]) == METRICS and all(
            m["backfill"]["done"] for m in s["metrics"]) else None)(promql_status(port)), 300)
        elapsed = time.time() - started
        if not done:
            sys.exit("backfill did not finish within 300 s")
        ms = done["metrics"]
        snaps = sum(m["backfill"]["snapshots"] for m in ms)
        points = sum(m["backfill"]["samples"] for m in ms)
        chunks = sum(m["backfill"]["chunks"] for m in ms)
        per = sorted(m["backfill"]["seconds"] for m in ms)
        print(f"backfill: {METRICS} metrics x 7 d at 60 s: {chunks} query_range requests, "
              f"{points:,} points, {snaps:,} snapshots stored; all done {elapsed:.1f} s after "
              f"the node started (per metric: median {per[len(per) // 2]:.2f} s, "
              f"max {per[-1]:.2f} s, counted from its own start)")
        log.flush()
        log.seek(0)
        if a.log:
            with open(a.log, "w") as f:
                f.write(log.read())
        stop(node)
        log.close()

        # 2. Polling cost: 14 metrics every second, no backfill, against the
        # same node polling once an hour (its idle work).
        cost = {}
        for name, interval in (("idle", "1h"), ("poll", "1s")):
            node, port, log = start_node(a.binary, d, name, prom_port, interval, "0s")
            if not wait_for(lambda: (lambda s: s and len(s["metrics"]) == METRICS)(
                    promql_status(port)), 30):
                sys.exit("the polling node did not start")
            time.sleep(2)
            q0 = sum(m["queries"] for m in promql_status(port)["metrics"])
            n0, p0 = cpu_seconds(node.pid), cpu_seconds(prom.pid)
            time.sleep(a.poll_seconds)
            s = promql_status(port)
            q1 = sum(m["queries"] for m in s["metrics"])
            n1, p1 = cpu_seconds(node.pid), cpu_seconds(prom.pid)
            cost[name] = (q1 - q0, n1 - n0, p1 - p0, sum(m["failures"] for m in s["metrics"]))
            stop(node)
            log.close()
        polls, node_cpu, prom_cpu, fails = cost["poll"]
        _, idle_cpu, idle_prom, _ = cost["idle"]
        print(f"polling: {METRICS} metrics every 1 s for {a.poll_seconds:.0f} s: {polls} polls "
              f"({polls / a.poll_seconds:.1f}/s, {fails} failed); node CPU {node_cpu:.2f} s "
              f"against {idle_cpu:.2f} s idle; per poll: node "
              f"{1000 * (node_cpu - idle_cpu) / polls:.2f} ms CPU, Prometheus "
              f"{1000 * (prom_cpu - idle_prom) / polls:.2f} ms CPU")
    finally:
        if prom:
            stop(prom)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
