#!/usr/bin/env python3
"""Acknowledged samples survive SIGTERM and kill -9 (issue 17, items 1, 2, 5):
the node answers a push only once its samples are in the sample log, replays
the log into the open windows after a restart, and never rewrites a window it
has stored (a late sample is refused with its reason).

Run by ctest as `durability_test.py PATH/TO/grace-node SOURCE_DIR`.
"""
import json
import os
import signal
import sqlite3
import sys
import time
import unittest
import urllib.request

import grace_node
from grace_node import TOKEN, Node, request, wait_for

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
SCALE = 600  # a 5-minute window passes in half a real second
WINDOW = 300_000
METRIC = "api.latency_p95"
YAML = "ingest:\n  max_future: 2h\nstorage:\n  sync_interval: 200ms\n"


def push(node, samples):
    return request(node.port, "POST", "/api/metrics", body=json.dumps(samples).encode(),
                   headers=AUTH)


def open_window(started):
    """The start of a window the node has surely not closed yet: its virtual
    clock began at the wall clock when it started and runs SCALE times faster,
    so it is at most SCALE * (seconds since the start) ahead of the wall clock."""
    ahead_ms = SCALE * (time.time() - started + 1.0) * 1000
    return (int(time.time() * 1000 + ahead_ms) // WINDOW + 1) * WINDOW


def stored(data_dir, window_start):
    """The snapshot rows of METRIC's window, read from SQLite directly."""
    db = sqlite3.connect(os.path.join(data_dir, "storage", "metrics.sqlite"))
    try:
        return db.execute("SELECT count, mean FROM snapshots WHERE metric_id = ? AND "
                          "window_start = ?", (METRIC, window_start)).fetchall()
    finally:
        db.close()


def snapshot(node, window_start):
    status, body = request(node.port, "GET", f"/api/metrics/{METRIC}/snapshots"
                           f"?since={window_start}&until={window_start + 1}")
    return body["snapshots"][0] if status == 200 and body["snapshots"] else None


class DurabilityTest(unittest.TestCase):
    def test_acknowledged_samples_survive_sigterm_and_kill_and_closed_windows_stay(self):
        args = ["--time-scale", str(SCALE)]
        first = Node(extra_yaml=YAML, args=args)
        data_dir = first.data_dir
        nodes = [first]
        try:
            # 1. Five samples (mean 3) for a window still open, then SIGTERM:
            # the node exits 0 and leaves the window open in the log.
            started = time.time()
            first.start()
            w1 = open_window(started)
            status, body = push(first, [{"metric": METRIC, "value": v, "ts": w1 + v * 1000}
                                        for v in (1, 2, 3, 4, 5)])
            self.assertEqual((status, body["accepted"]), (200, 5), body)
            first.proc.send_signal(signal.SIGTERM)
            self.assertEqual(first.proc.wait(timeout=10), 0, first.output())
            self.assertIn("Every component stopped", first.output())
            self.assertEqual(stored(data_dir, w1), [], "the open window was closed early")
            self.assertTrue(os.listdir(os.path.join(data_dir, "storage", "wal")))

            # 2. Three more samples (mean 20) in another open window, then kill -9
            # right after the acknowledgement.
            second = Node(extra_yaml=YAML, args=args, data_dir=data_dir)
            nodes.append(second)
            started = time.time()
            second.start()
            w2 = max(open_window(started), w1 + WINDOW)
            status, body = push(second, [{"metric": METRIC, "value": v, "ts": w2 + v}
                                         for v in (10, 20, 30)])
            self.assertEqual((status, body["accepted"]), (200, 3), body)
            second.proc.kill()
            second.proc.wait(timeout=10)

            # 3. After a restart every acknowledged sample is in its window's
            # snapshot once the window closes.
            third = Node(extra_yaml=YAML, args=args, data_dir=data_dir)
            nodes.append(third)
            third.start()
            self.assertTrue(third.wait_for_log("Replayed 8 logged samples", 10), third.output())
            s1 = wait_for(lambda: snapshot(third, w1), 30)
            s2 = wait_for(lambda: snapshot(third, w2), 30)
            self.assertIsNotNone(s1, third.output())
            self.assertIsNotNone(s2, third.output())
            self.assertEqual((s1["count"], s1["mean"], s1["max"]), (5, 3.0, 5.0))
            self.assertEqual((s2["count"], s2["mean"]), (3, 20.0))

            # 4. A late sample for a stored window is refused with its reason and
            # the snapshot stays as it was, also after another restart.
            status, body = push(third, [{"metric": METRIC, "value": 100, "ts": w1 + 30_000}])
            self.assertEqual(status, 400, body)
            self.assertEqual(body["accepted"], 0)
            self.assertEqual(body["rejected"][0]["index"], 0)
            self.assertIn("late", body["rejected"][0]["reason"])
            _, status_body = request(third.port, "GET", "/api/status")
            self.assertGreaterEqual(status_body["samples"]["rejected_late"], 1, status_body)
            third.proc.kill()
            third.proc.wait(timeout=10)
            fourth = Node(extra_yaml=YAML, args=args, data_dir=data_dir)
            nodes.append(fourth)
            fourth.start()
            # Refusals of the parser and of the aggregator, each at its body index.
            status, body = push(fourth, [{"metric": "no.such_metric", "value": 1},
                                         {"metric": METRIC, "value": 100, "ts": w1 + 30_000}])
            self.assertEqual((status, body["accepted"], body["total"]), (400, 0, 2), body)
            self.assertEqual([r["index"] for r in body["rejected"]], [0, 1])
            self.assertIn("no.such_metric", body["rejected"][0]["reason"])
            self.assertIn("late", body["rejected"][1]["reason"])
            self.assertEqual(stored(data_dir, w1), [(5, 3.0)])
            with urllib.request.urlopen(f"http://127.0.0.1:{fourth.port}/metrics",
                                        timeout=10) as r:
                metrics = r.read().decode()
            self.assertIn('grace_samples_rejected_total{reason="late"} 1', metrics)
        finally:
            for node in reversed(nodes):
                node.stop()


if __name__ == "__main__":
    grace_node.main()
