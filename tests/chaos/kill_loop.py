#!/usr/bin/env python3
"""A bounded kill loop against the real binary (issue 17): pushes with their
acknowledgements recorded, kill -9 (or now and then SIGTERM) at a random
moment, a restart on the same data directory, again and again. At the end a
last node runs until every acknowledged sample's window has closed, and the
loop checks that

  - every acknowledged sample is in its window's stored snapshot: per
    (metric, window) the stored count is at least the acknowledged count and
    at most that plus the samples whose answer was lost in a kill (written,
    maybe, but never acknowledged): at-least-once, never fewer;
  - every SIGTERM ended with exit code 0 within supervisor.shutdown_grace;
  - `grace-node ledger verify` passes and SQLite's `PRAGMA integrity_check`
    says ok.

Usage: kill_loop.py BINARY SOURCE_DIR [--iterations N] [--seed S] [--keep]
Prints one line per iteration and a summary: iterations, acknowledged, lost
(the goal is 0), extra (unacknowledged samples that were kept). Exit code 0
only when nothing acknowledged was lost and every check passed.
"""
import argparse
import datetime
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

TOKEN = "chaos-token"
WINDOW_MS = 300_000
# A 5-minute window lasts 2.5 real seconds and closes a second after it ends:
# in the longer iterations windows close, are stored and their log segments
# removed while the loop kills. Samples are stamped at or after the closed
# watermark /api/status reports: one refused as late is not acknowledged and
# does not count.
SCALE = 120
FINAL_SCALE = 600  # the last node: the remaining windows close within a second or two
GRACE_S = 5.0
# Metrics and a range of values inside their good band.
METRICS = [("api.latency_p95", 50, 300), ("api.error_rate", 0.1, 1.5),
           ("executor.queue_depth", 1, 300), ("infra.cpu_utilization", 5, 70),
           ("infra.memory_utilization", 10, 80), ("trigger.event_lag", 0.5, 20)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, timeout=10):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                 headers={"Authorization": f"Bearer {TOKEN}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Node:
    def __init__(self, binary, source, work, scale):
        self.port = free_port()
        self.config = os.path.join(work, f"grace-{self.port}.yaml")
        with open(self.config, "w") as f:
            f.write(f"node:\n  data_dir: {os.path.join(work, 'data')}\n  log_level: warn\n"
                    f"catalog:\n  path: {os.path.join(source, 'config', 'metrics_catalog.yaml')}\n"
                    f"http:\n  port: {self.port}\n  token: {TOKEN}\n"
                    f"ingest:\n  max_future: 1h\n"
                    f"storage:\n  sync_interval: 200ms\n"
                    f"supervisor:\n  shutdown_grace: {int(GRACE_S * 1000)}ms\n")
        self.log_path = os.path.join(work, f"node-{self.port}.log")
        self.log = open(self.log_path, "w")
        self.spawned = time.time()
        self.scale = scale
        self.proc = subprocess.Popen([binary, "run", "--config", self.config,
                                      "--time-scale", str(scale)],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if call(self.port, "GET", "/readyz", timeout=2)[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            time.sleep(0.05)
        raise RuntimeError("node not ready:\n" + self.output())

    def virtual_now_ms(self):
        """An estimate a little ahead of the node's virtual clock (it began at
        the wall clock a moment after the process was spawned)."""
        return int((self.spawned + self.scale * (time.time() - self.spawned)) * 1000)

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()


class Pusher(threading.Thread):
    """Pushes batches until stopped; counts per (metric, window) what was
    acknowledged and what was sent without an answer."""

    def __init__(self, node, rng, acked, unknown, lock):
        super().__init__(daemon=True)
        self.node, self.rng, self.acked, self.unknown, self.lock = node, rng, acked, unknown, lock
        self.stop = threading.Event()
        self.batches = 0
        self.late = 0
        self.error = None

    def closed_before(self):
        """The node's closed watermark: a restarted node's clock may be behind
        the windows an earlier run closed (until virtual time resumes across
        restarts), and samples for those would only be refused as late."""
        try:
            _, status = call(self.node.port, "GET", "/api/status", timeout=5)
        except Exception:
            return 0
        # ISO 8601 with milliseconds in UTC (docs/openapi.yaml), absent
        # until a window closed.
        closed = status.get("samples", {}).get("closed_before")
        if not closed:
            return 0
        when = datetime.datetime.strptime(closed, "%Y-%m-%dT%H:%M:%S.%fZ")
        return int(when.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)

    def run(self):
        try:
            self.push_until_stopped()
        except Exception as e:  # a dead pusher would quietly weaken the loop
            self.error = f"{type(e).__name__}: {e}"
            raise

    def push_until_stopped(self):
        floor = self.closed_before()
        while not self.stop.is_set():
            if self.batches % 50 == 49:
                floor = self.closed_before()
            now = max(self.node.virtual_now_ms(), floor + 120_000)
            batch = []
            for _ in range(self.rng.randint(20, 200)):
                metric, lo, hi = self.rng.choice(METRICS)
                batch.append({"metric": metric, "value": round(self.rng.uniform(lo, hi), 3),
                              "ts": now - self.rng.randint(0, 120_000)})
            keys = [(s["metric"], s["ts"] // WINDOW_MS * WINDOW_MS) for s in batch]
            try:
                status, body = call(self.node.port, "POST", "/api/metrics",
                                    json.dumps(batch).encode(), timeout=10)
            except Exception:  # killed mid-request: maybe written, never acknowledged
                with self.lock:
                    self.unknown.update(keys)
                return
            if status in (200, 400) and isinstance(body, dict) and "rejected" in body:
                refused = {r["index"] for r in body["rejected"]}
                self.late += sum(r["reason"].startswith("late") for r in body["rejected"])
                with self.lock:
                    self.acked.update(k for i, k in enumerate(keys) if i not in refused)
                self.batches += 1
            else:  # 5xx: not acknowledged, maybe written
                with self.lock:
                    self.unknown.update(keys)


def stored_counts(db_path):
    """Snapshot counts per (metric, window start), read from SQLite directly."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return Counter({(m, w): c for m, w, c in db.execute(
            "SELECT metric_id, window_start, count FROM snapshots")})
    finally:
        db.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("source")
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--pushers", type=int, default=2)
    ap.add_argument("--max-seconds", type=float, default=5.0,
                    help="longest run of a node before it is killed")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.source = os.path.abspath(args.source)
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="grace-chaos-")
    db_path = os.path.join(work, "data", "storage", "metrics.sqlite")
    acked, unknown, lock = Counter(), Counter(), threading.Lock()
    problems = []
    kills = terms = late_total = 0
    print(f"kill loop: {args.iterations} iterations, seed {args.seed}, work {work}", flush=True)
    try:
        for i in range(1, args.iterations + 1):
            node = Node(args.binary, args.source, work, SCALE)
            node.wait_ready()
            pushers = [Pusher(node, random.Random(rng.random()), acked, unknown, lock)
                       for _ in range(args.pushers)]
            for p in pushers:
                p.start()
            time.sleep(rng.uniform(0.3, args.max_seconds))
            if rng.random() < 0.25:
                terms += 1
                how = "SIGTERM"
                t0 = time.time()
                node.proc.send_signal(signal.SIGTERM)
                try:
                    code = node.proc.wait(timeout=GRACE_S + 5)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    code = node.proc.wait()
                took = time.time() - t0
                how += f" (exit {code} after {took:.2f} s)"
                if code != 0 or took > GRACE_S + 0.5:
                    problems.append(f"iteration {i}: SIGTERM gave exit {code} after {took:.2f} s")
            else:
                kills += 1
                how = "kill -9"
                node.proc.kill()
                node.proc.wait()
            for p in pushers:
                p.stop.set()
            for p in pushers:
                p.join(timeout=15)
            node.log.close()
            late_total += sum(p.late for p in pushers)
            problems.extend(f"iteration {i}: a pusher died: {p.error}" for p in pushers if p.error)
            windows = len(stored_counts(db_path)) if os.path.exists(db_path) else 0
            print(f"iteration {i}: {how}; {sum(p.batches for p in pushers)} batches answered, "
                  f"{sum(p.late for p in pushers)} samples refused as late; "
                  f"acknowledged so far {sum(acked.values())}, snapshots stored {windows}",
                  flush=True)

        # The last node closes every window the loop wrote to.
        node = Node(args.binary, args.source, work, FINAL_SCALE)
        node.wait_ready()
        # Past the last window's end and its lateness (2.5 virtual minutes here),
        # with a margin for the estimate being up to a few minutes ahead.
        target = max((w for _, w in list(acked) + list(unknown)), default=0) + 3 * WINDOW_MS

        deadline = time.time() + 60
        while time.time() < deadline:
            _, status = call(node.port, "GET", "/api/status")
            stored = stored_counts(db_path)
            if node.virtual_now_ms() > target and all(stored[k] >= n for k, n in acked.items()):
                break
            time.sleep(0.25)
        time.sleep(0.5)  # two sample log syncs: segments of stored windows go
        stored = stored_counts(db_path)
        _, status = call(node.port, "GET", "/api/status")
        node.proc.send_signal(signal.SIGTERM)
        code = node.proc.wait(timeout=GRACE_S + 5)
        node.log.close()
        if code != 0:
            problems.append(f"final node: SIGTERM gave exit {code}")

        # The log keeps only what is not stored yet: with every window stored,
        # at most the segment being written is left.
        wal = os.path.join(work, "data", "storage", "wal")
        segments = [f for f in os.listdir(wal) if f.endswith(".log")]
        wal_bytes = sum(os.path.getsize(os.path.join(wal, f)) for f in segments)
        if len(segments) > 1:
            problems.append(f"the sample log kept {len(segments)} segments ({wal_bytes} bytes) "
                            "after every window was stored")

        lost = extra = 0
        for key in set(acked) | set(unknown) | set(stored):
            a, u, s = acked[key], unknown[key], stored[key]
            if s < a:
                lost += a - s
                problems.append(f"{key}: {a} acknowledged, {s} stored")
            elif s > a + u:
                problems.append(f"{key}: {s} stored, only {a} acknowledged + {u} unanswered sent")
            else:
                extra += s - a
        verify = subprocess.run([args.binary, "ledger", "verify", "--config", node.config],
                                capture_output=True, text=True)
        if verify.returncode != 0:
            problems.append("ledger verify: " + (verify.stdout + verify.stderr).strip())
        db = sqlite3.connect(db_path)
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        db.close()
        if integrity != [("ok",)]:
            problems.append(f"SQLite integrity_check: {integrity}")
        print(f"samples: {status.get('samples') if isinstance(status, dict) else status}")
        print(f"summary: iterations {args.iterations} (kill -9 {kills}, SIGTERM {terms}), "
              f"acknowledged {sum(acked.values())}, lost {lost}, refused as late {late_total}, "
              f"extra {extra} (of {sum(unknown.values())} sent without an answer), "
              f"ledger verify {'ok' if verify.returncode == 0 else 'FAILED'}, "
              f"integrity_check {integrity[0][0] if integrity else '?'}, "
              f"sample log left {len(segments)} segments / {wal_bytes} bytes", flush=True)
        for p in problems[:20]:
            print("PROBLEM:", p)
        if sum(acked.values()) == 0:
            problems.append("nothing was acknowledged: the loop proved nothing")
            print("PROBLEM: nothing was acknowledged")
        return 0 if not problems else 1
    finally:
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
